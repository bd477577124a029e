//! The SIGCHLD path, forced (on Linux the pidfd path is taken whenever it
//! works, so the black-box tests in `tests/process_*.rs` cover that one).

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use super::reaper::Source;
use super::{Child, Command};
use crate::io::AsyncReadExt;
use crate::runtime::{Builder, Runtime};

fn current() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

fn multi() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn sigchld(cmd: &mut Command) -> Child {
    cmd.spawn_with(Source::Sigchld).unwrap()
}

/// Runs `f` on its own thread; a hang fails the test after 30 s.
fn bounded(name: &'static str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let _ = tx.send(res);
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("{name} hung"),
    }
}

#[test]
fn sigchld_statuses_kill_and_pipes() {
    for make in [current as fn() -> Runtime, multi] {
        bounded("sigchld_statuses", move || {
            make().block_on(async {
                let mut child = sigchld(Command::new("sh").args(["-c", "exit 5"]));
                assert!(format!("{child:?}").contains("sigchld"));
                assert_eq!(child.wait().await.unwrap().code(), Some(5));
                assert_eq!(child.id(), None);

                let mut child = sigchld(Command::new("sleep").arg("30"));
                assert!(child.try_wait().unwrap().is_none());
                child.kill().await.unwrap();
                assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGKILL));

                let mut child = sigchld(
                    Command::new("echo")
                        .arg("via sigchld")
                        .stdout(Stdio::piped()),
                );
                let mut text = String::new();
                let mut stdout = child.stdout.take().unwrap();
                stdout.read_to_string(&mut text).await.unwrap();
                assert_eq!(text, "via sigchld\n");
                assert!(child.wait().await.unwrap().success());

                // A wait cancelled and resumed (rule 3).
                let mut child = sigchld(Command::new("sh").args(["-c", "sleep 0.2; exit 9"]));
                let early = crate::time::timeout(Duration::from_millis(20), child.wait()).await;
                assert!(early.is_err());
                assert_eq!(child.wait().await.unwrap().code(), Some(9));
            });
        });
    }
}

#[test]
fn sigchld_many_children_at_once() {
    bounded("sigchld_many_children_at_once", || {
        multi().block_on(async {
            let waits: Vec<_> = (0..30)
                .map(|i| {
                    let script = format!("sleep 0.0{}; exit {i}", i % 10);
                    let mut child = sigchld(Command::new("sh").args(["-c", &script]));
                    crate::spawn(async move { (i, child.wait().await.unwrap()) })
                })
                .collect();
            for wait in waits {
                let (i, status) = wait.await.unwrap();
                assert_eq!(status.code(), Some(i));
            }
        });
    });
}

#[test]
fn sigchld_wait_after_the_spawning_runtime_is_gone() {
    bounded("sigchld_wait_after_the_spawning_runtime_is_gone", || {
        let spawner = current();
        let mut child = spawner.block_on(async {
            let mut child = sigchld(Command::new("sh").args(["-c", "sleep 0.2; exit 4"]));
            // Registers the signal pipe with this runtime's reactor.
            let early = crate::time::timeout(Duration::from_millis(10), child.wait()).await;
            assert!(early.is_err());
            child
        });
        drop(spawner);
        let status = multi().block_on(child.wait()).unwrap();
        assert_eq!(status.code(), Some(4));
    });
}

/// Where `pidfd_open` works, the default path really is the pidfd one
/// (otherwise the black-box tests would only ever test SIGCHLD), also
/// after the reactor it was registered with shut down (rule 4).
#[cfg(target_os = "linux")]
#[test]
fn pidfd_is_used_where_it_works() {
    // SAFETY: `pidfd_open` on our own pid; the descriptor is closed below.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) };
    if fd < 0 {
        eprintln!("pidfd_open unavailable here: only the SIGCHLD path runs");
        return;
    }
    // SAFETY: `fd` is the descriptor just opened, owned by nothing else.
    unsafe { libc::close(fd as libc::c_int) };

    bounded("pidfd_is_used_where_it_works", || {
        let spawner = current();
        let mut child = spawner.block_on(async {
            let mut child = Command::new("sh")
                .args(["-c", "sleep 0.2; exit 2"])
                .spawn()
                .unwrap();
            let early = crate::time::timeout(Duration::from_millis(10), child.wait()).await;
            assert!(early.is_err());
            assert!(format!("{child:?}").contains("pidfd"), "{child:?}");
            child
        });
        drop(spawner);
        let status = multi().block_on(child.wait()).unwrap();
        assert_eq!(status.code(), Some(2));
    });
}
