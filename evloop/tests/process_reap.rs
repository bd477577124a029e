//! `evloop::process`: children are reaped (killed first with
//! `kill_on_drop`), also when their `Child` is dropped, when many run at
//! once, and when another runtime waits for them.

mod support;
#[path = "support/tempdir.rs"]
mod tempdir;

use std::process::Stdio;
use std::time::{Duration, Instant};

use evloop::process::Command;
use evloop::runtime::Runtime;
use tempdir::TempDir;

const LIMIT: Duration = Duration::from_secs(30);

/// Whether `pid` still exists in any form (running or zombie).
fn exists(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let res = unsafe { libc::kill(pid as libc::pid_t, 0) };
    if res == 0 {
        return true;
    }
    let err = std::io::Error::last_os_error();
    assert_eq!(err.raw_os_error(), Some(libc::ESRCH), "kill(pid, 0): {err}");
    false
}

/// The state letter in `/proc/<pid>/stat` (`Z` for a zombie), `None` once
/// the pid is gone.
#[cfg(target_os = "linux")]
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.trim_start().chars().next()
}

/// Waits (driving the runtime) until `pid` is gone, at most 10 s.
async fn until_gone(pid: u32) {
    let start = Instant::now();
    while exists(pid) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "pid {pid} was not reaped (state {})",
            state_of(pid)
        );
        evloop::time::sleep(Duration::from_millis(5)).await;
    }
}

fn state_of(pid: u32) -> String {
    #[cfg(target_os = "linux")]
    return format!("{:?}", proc_state(pid));
    #[cfg(not(target_os = "linux"))]
    return format!("pid {pid} exists");
}

fn flavours() -> [fn() -> Runtime; 2] {
    [support::rt, support::mt]
}

#[test]
fn kill_on_drop_kills_and_reaps() {
    for make in flavours() {
        support::watchdog(LIMIT, "kill_on_drop hung", move || {
            make().block_on(async {
                let child = Command::new("sleep")
                    .arg("30")
                    .kill_on_drop(true)
                    .spawn()
                    .unwrap();
                let pid = child.id().unwrap();
                assert!(exists(pid));
                drop(child);
                until_gone(pid).await;
            })
        });
    }
}

#[test]
fn kill_on_drop_applies_to_a_dropped_status_future() {
    for make in flavours() {
        support::watchdog(LIMIT, "status future kill_on_drop hung", move || {
            let dir = TempDir::new("process-status-drop");
            let pidfile = dir.join("pid");
            make().block_on(async move {
                // The shell writes its pid, then becomes `sleep` (same pid).
                let script = format!("echo $$ > {}; exec sleep 30", pidfile.display());
                let mut status = Box::pin(
                    Command::new("sh")
                        .args(["-c", &script])
                        .stdin(Stdio::null())
                        .kill_on_drop(true)
                        .status(),
                );
                let start = Instant::now();
                let pid: u32 = loop {
                    let done = evloop::time::timeout(Duration::from_millis(5), &mut status).await;
                    assert!(done.is_err(), "the child ended early: {done:?}");
                    let text = std::fs::read_to_string(&pidfile).unwrap_or_default();
                    if text.ends_with('\n') {
                        break text.trim().parse().unwrap();
                    }
                    assert!(start.elapsed() < Duration::from_secs(10));
                };
                assert!(exists(pid));
                drop(status);
                until_gone(pid).await;
            });
            drop(dir);
        });
    }
}

#[test]
fn dropped_running_child_runs_on_and_is_reaped() {
    for make in flavours() {
        support::watchdog(LIMIT, "dropped running child hung", move || {
            make().block_on(async {
                let child = Command::new("sleep").arg("0.3").spawn().unwrap();
                let pid = child.id().unwrap();
                drop(child);
                // Not killed: still there and not a zombie right after.
                assert!(exists(pid));
                #[cfg(target_os = "linux")]
                assert_ne!(proc_state(pid), Some('Z'));
                // Reaped once it exits (a SIGCHLD round of the orphan queue).
                until_gone(pid).await;
            })
        });
    }
}

#[test]
fn dropped_exited_child_leaves_no_zombie() {
    for make in flavours() {
        support::watchdog(LIMIT, "dropped exited child hung", move || {
            make().block_on(async {
                let child = Command::new("true").spawn().unwrap();
                let pid = child.id().unwrap();
                // Let it become a zombie before the drop.
                #[cfg(target_os = "linux")]
                {
                    let start = Instant::now();
                    while proc_state(pid) != Some('Z') {
                        assert!(start.elapsed() < Duration::from_secs(10));
                        evloop::time::sleep(Duration::from_millis(2)).await;
                    }
                }
                drop(child);
                until_gone(pid).await;
                #[cfg(target_os = "linux")]
                assert_eq!(proc_state(pid), None);
            })
        });
    }
}

#[test]
fn many_concurrent_children_on_multi_thread() {
    support::watchdog(LIMIT, "many_concurrent_children hung", || {
        support::mt().block_on(async {
            let tasks: Vec<_> = (0..50)
                .map(|i| {
                    evloop::spawn(async move {
                        let script = format!("echo child-{i}; exit {}", i % 7);
                        let out = Command::new("sh")
                            .args(["-c", &script])
                            .stdin(Stdio::null())
                            .output()
                            .await
                            .unwrap();
                        (i, out)
                    })
                })
                .collect();
            for task in tasks {
                let (i, out) = task.await.unwrap();
                assert_eq!(out.status.code(), Some(i % 7));
                assert_eq!(out.stdout, format!("child-{i}\n").into_bytes());
            }

            // And plain waits, all pending at once.
            let children: Vec<_> = (0..50)
                .map(|i| {
                    let script = format!("sleep 0.0{}; exit {}", i % 10, i % 5);
                    Command::new("sh").args(["-c", &script]).spawn().unwrap()
                })
                .collect();
            let waits: Vec<_> = children
                .into_iter()
                .enumerate()
                .map(|(i, mut child)| {
                    evloop::spawn(async move { (i, child.wait().await.unwrap()) })
                })
                .collect();
            for wait in waits {
                let (i, status) = wait.await.unwrap();
                assert_eq!(status.code(), Some((i % 5) as i32));
            }
        })
    });
}

#[test]
fn wait_on_another_runtime() {
    support::watchdog(LIMIT, "wait_on_another_runtime hung", || {
        // Spawned on one runtime, waited for on another while the first
        // one lives (idle, not driven)...
        let spawner = support::rt();
        let mut child = spawner.block_on(async {
            Command::new("sh")
                .args(["-c", "sleep 0.1; exit 6"])
                .spawn()
                .unwrap()
        });
        let status = support::mt().block_on(child.wait()).unwrap();
        assert_eq!(status.code(), Some(6));

        // ...and after it is gone, with a wait started on it first.
        let mut child = spawner.block_on(async {
            let mut child = Command::new("sh")
                .args(["-c", "sleep 0.2; exit 8"])
                .spawn()
                .unwrap();
            let early = evloop::time::timeout(Duration::from_millis(10), child.wait()).await;
            assert!(early.is_err());
            child
        });
        drop(spawner);
        let status = support::rt().block_on(child.wait()).unwrap();
        assert_eq!(status.code(), Some(8));
    });
}
