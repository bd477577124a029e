//! `evloop::process`: exit statuses, pipes, kill, try_wait and errors, on
//! both flavours, with real processes.

mod support;

use std::future::Future;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::process::{ChildStdout, Command};
use evloop::runtime::Runtime;

const LIMIT: Duration = Duration::from_secs(30);

/// Runs `test` on a fresh current_thread and a fresh multi_thread
/// runtime, each under the watchdog.
fn both<F, Fut>(name: &'static str, test: F)
where
    F: Fn() -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    for make in [support::rt as fn() -> Runtime, support::mt] {
        support::watchdog(LIMIT, name, move || make().block_on(test()));
    }
}

#[test]
fn exit_status_codes() {
    both("exit_status_codes hung", || async {
        let ok = Command::new("true").status().await.unwrap();
        assert!(ok.success());
        assert_eq!(ok.code(), Some(0));

        let failed = Command::new("false").status().await.unwrap();
        assert!(!failed.success());
        assert_eq!(failed.code(), Some(1));

        let mut child = Command::new("sh").args(["-c", "exit 42"]).spawn().unwrap();
        assert!(child.id().is_some());
        assert_eq!(child.wait().await.unwrap().code(), Some(42));
        // Rule 1: the pid is forgotten once reaped; the status stays.
        assert_eq!(child.id(), None);
        assert_eq!(child.wait().await.unwrap().code(), Some(42));
        assert_eq!(child.try_wait().unwrap().unwrap().code(), Some(42));

        let signalled = Command::new("sh")
            .args(["-c", "kill -TERM $$"])
            .status()
            .await
            .unwrap();
        assert_eq!(signalled.code(), None);
        assert_eq!(signalled.signal(), Some(libc::SIGTERM));
    });
}

#[test]
fn output_captures_stdout_and_stderr() {
    both("output_captures_stdout_and_stderr hung", || async {
        let out = Command::new("sh")
            .args(["-c", "echo to-out; echo to-err >&2; exit 3"])
            .stdin(Stdio::null())
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(out.stdout, b"to-out\n");
        assert_eq!(out.stderr, b"to-err\n");

        // `output` pipes stdout and stderr whatever was configured.
        let out = Command::new("echo")
            .arg("hi")
            .stdout(Stdio::null())
            .output()
            .await
            .unwrap();
        assert_eq!(out.stdout, b"hi\n");
    });
}

#[test]
fn large_output_is_read_while_the_child_writes() {
    // More than a pipe buffer (64 KiB) on both streams: the child blocks
    // until the parent reads, so reading and waiting must run together.
    both("large_output hung", || async {
        let script = "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2";
        let out = Command::new("sh")
            .args(["-c", script])
            .stdin(Stdio::null())
            .output()
            .await
            .unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout.len(), 300_000);
        assert_eq!(out.stderr.len(), 200_000);
    });
}

#[test]
fn stdin_piped_to_cat_reads_back() {
    both("stdin_piped_to_cat hung", || async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        // Bigger than the pipes, so the writer waits for the reader.
        let payload: Vec<u8> = (0..500_000u32).map(|i| (i % 251) as u8).collect();
        let expected = payload.clone();
        let writer = evloop::spawn(async move {
            stdin.write_all(&payload).await.unwrap();
            stdin.flush().await.unwrap();
            stdin.shutdown().await.unwrap();
            // Dropping closes the pipe: `cat` sees end of input.
        });
        let mut echoed = Vec::new();
        stdout.read_to_end(&mut echoed).await.unwrap();
        writer.await.unwrap();
        assert_eq!(echoed.len(), expected.len());
        assert!(echoed == expected, "cat echoed different bytes");
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn wait_closes_stdin_and_wait_with_output_collects() {
    both("wait_with_output hung", || async {
        // `cat` ends only when its stdin closes: `wait_with_output` must
        // close the stdin still held in the `Child`.
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .as_mut()
            .unwrap()
            .write_all(b"kept\n")
            .await
            .unwrap();
        let out = child.wait_with_output().await.unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, b"kept\n");
        assert!(out.stderr.is_empty());
    });
}

#[test]
fn wait_after_kill() {
    both("wait_after_kill hung", || async {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        child.kill().await.unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        assert_eq!(child.id(), None);
        // Nothing left to kill.
        let err = child.start_kill().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(
            child.kill().await.unwrap_err().kind(),
            std::io::ErrorKind::InvalidInput
        );

        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        child.start_kill().unwrap();
        assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGKILL));
    });
}

#[test]
fn try_wait_reports_running_then_exited() {
    both("try_wait hung", || async {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        assert!(child.try_wait().unwrap().is_none());
        assert!(child.id().is_some());
        child.start_kill().unwrap();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            evloop::time::sleep(Duration::from_millis(5)).await;
        };
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        assert_eq!(child.id(), None);
        assert_eq!(child.try_wait().unwrap(), Some(status));
        assert_eq!(child.wait().await.unwrap(), status);
    });
}

#[test]
fn missing_program_is_not_found() {
    both("missing_program hung", || async {
        let missing = "evloop-no-such-program-7f3a";
        let err = Command::new(missing).spawn().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        let err = Command::new(missing).status().await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        let err = Command::new(missing).output().await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    });
}

#[test]
fn spawn_without_runtime_panics_with_the_reactor_message() {
    let panic = std::panic::catch_unwind(|| {
        let _ = Command::new("true").spawn();
    })
    .unwrap_err();
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap();
    assert!(message.contains("there is no reactor running"), "{message}");

    // A runtime without I/O: the same kind of message, naming the fix.
    let rt = evloop::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            let _ = Command::new("true").spawn();
        })
    }))
    .unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("enable_io"), "{message}");
}

#[test]
fn wait_future_dropped_and_polled_again() {
    both("wait_future_dropped hung", || async {
        let mut child = Command::new("sh")
            .args(["-c", "sleep 0.3; exit 7"])
            .spawn()
            .unwrap();
        // The first waits are cancelled by their timeouts, more than once
        // so that a registration left behind by a dropped wait is reused.
        for _ in 0..3 {
            let early = evloop::time::timeout(Duration::from_millis(20), child.wait()).await;
            assert!(early.is_err(), "the child ended too early");
        }
        let status = child.wait().await.unwrap();
        assert_eq!(status.code(), Some(7));
    });
}

#[test]
fn pipes_convert_to_stdio_and_fds() {
    both("pipes_convert hung", || async {
        // echo | tr: the first child's stdout becomes the second's stdin.
        let mut first = Command::new("echo")
            .arg("piped through")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let handoff: Stdio = first.stdout.take().unwrap().try_into().unwrap();
        let out = Command::new("tr")
            .args(["a-z", "A-Z"])
            .stdin(handoff)
            .output()
            .await
            .unwrap();
        assert_eq!(out.stdout, b"PIPED THROUGH\n");
        assert!(first.wait().await.unwrap().success());

        // Back to a blocking std pipe.
        let mut child = Command::new("echo")
            .arg("raw")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let fd = child.stdout.take().unwrap().into_owned_fd().unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::fs::File::from(fd), &mut text).unwrap();
        assert_eq!(text, "raw\n");
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn from_std_wraps_a_std_child_pipe() {
    both("from_std hung", || async {
        let mut std_child = std::process::Command::new("echo")
            .arg("from std")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = ChildStdout::from_std(std_child.stdout.take().unwrap()).unwrap();
        let mut text = String::new();
        stdout.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "from std\n");
        // The std child is waited for by std here (it has exited).
        assert!(std_child.wait().unwrap().success());
    });

    let std_child = std::process::Command::new("true")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut std_child = std_child;
    let err = ChildStdout::from_std(std_child.stdout.take().unwrap()).unwrap_err();
    assert!(err.to_string().contains("no reactor"), "{err}");
    std_child.wait().unwrap();
}

#[test]
fn command_settings_reach_the_child() {
    both("command_settings hung", || async {
        let dir = std::env::temp_dir();
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "printf '%s|%s|%s|%s' \"$A\" \"$B\" \"$C\" \"$(pwd -P)\"",
        ])
        .env("A", "1")
        .envs([("B", "2"), ("C", "3")])
        .env_remove("C")
        .current_dir(&dir)
        .stdin(Stdio::null());
        assert!(!cmd.get_kill_on_drop());
        cmd.kill_on_drop(true);
        assert!(cmd.get_kill_on_drop());
        assert_eq!(cmd.as_std().get_program(), "sh");
        let out = cmd.output().await.unwrap();
        let expected = format!("1|2||{}", dir.canonicalize().unwrap().display());
        assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);

        // env_clear: nothing inherited.
        let out = Command::new("/usr/bin/env")
            .env_clear()
            .env("ONLY", "this")
            .output()
            .await
            .unwrap();
        assert_eq!(out.stdout, b"ONLY=this\n");

        // arg0, and a std command converted with `From`.
        let mut std_cmd = std::process::Command::new("sh");
        std_cmd.args(["-c", "echo $0"]);
        let mut cmd = Command::from(std_cmd);
        cmd.as_std_mut().arg("named");
        let out = cmd.output().await.unwrap();
        assert_eq!(out.stdout, b"named\n");
        let out = Command::new("sh")
            .arg0("custom-zero")
            .args(["-c", "echo $0"])
            .output()
            .await
            .unwrap();
        assert_eq!(out.stdout, b"custom-zero\n");
        assert_eq!(Command::new("x").into_std().get_program(), "x");
    });
}

#[test]
fn unix_settings_reach_the_child() {
    both("unix_settings hung", || async {
        // SAFETY: `getuid` and `getgid` only read the process's ids.
        let uid = unsafe { libc::getuid() };
        // SAFETY: as above.
        let gid = unsafe { libc::getgid() };
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo $(id -u) $(id -g); echo $$; ps -o pgid= -p $$"])
            .uid(uid)
            .gid(gid)
            .process_group(0);
        // SAFETY: the hook does nothing, which is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| Ok(()));
        }
        let out = cmd.output().await.unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), format!("{uid} {gid}"));
        // process_group(0): the child leads its own group (checked where
        // `ps` exists).
        let pid = lines.next().unwrap().trim().to_string();
        if let Some(pgid) = lines.next() {
            assert_eq!(pgid.trim(), pid);
        }

        let mut cmd = Command::new("true");
        // SAFETY: the hook allocates nothing and returns an error value.
        unsafe {
            cmd.pre_exec(|| Err(std::io::Error::from_raw_os_error(libc::EPERM)));
        }
        let err = cmd.spawn().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
    });
}

#[test]
fn process_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    fn types<T: Send + Sync + Unpin + std::fmt::Debug>() {}
    types::<Command>();
    types::<evloop::process::Child>();
    types::<evloop::process::ChildStdin>();
    types::<ChildStdout>();
    types::<evloop::process::ChildStderr>();

    support::rt().block_on(async {
        let mut cmd = Command::new("true");
        let status = cmd.status();
        send(&status);
        assert!(status.await.unwrap().success());
        let output = cmd.output();
        send(&output);
        assert!(output.await.unwrap().status.success());
        let mut child = cmd.spawn().unwrap();
        send_sync(&child);
        let wait = child.wait();
        send(&wait);
        assert!(wait.await.unwrap().success());
    });
}
