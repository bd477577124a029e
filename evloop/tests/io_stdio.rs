//! `io::stdin`, `io::stdout`, `io::stderr`: this test binary re-runs
//! itself as a child whose standard streams are pipes, and checks what the
//! child read and wrote through evloop's handles.

use std::io::Write;
use std::process::{Command, Stdio};

use evloop::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const CHILD_ENV: &str = "EVLOOP_IO_STDIO_CHILD";

/// The child: upper-cases each line of stdin to stdout, counts lines on
/// stderr. Does nothing when run as an ordinary test.
#[test]
fn child_echo_upper() {
    let Ok(flavor) = std::env::var(CHILD_ENV) else {
        return;
    };
    let rt = match flavor.as_str() {
        "mt" => evloop::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
        _ => evloop::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    }
    .unwrap();
    rt.block_on(async {
        let mut lines = BufReader::new(evloop::io::stdin()).lines();
        let mut out = evloop::io::stdout();
        let mut err = evloop::io::stderr();
        let mut n = 0;
        while let Some(line) = lines.next_line().await.unwrap() {
            n += 1;
            out.write_all(line.to_uppercase().as_bytes()).await.unwrap();
            out.write_all(b"\n").await.unwrap();
        }
        // A partial line is pushed out by flush.
        out.write_all(b"no newline").await.unwrap();
        out.flush().await.unwrap();
        err.write_all(format!("lines={n}\n").as_bytes())
            .await
            .unwrap();
        err.flush().await.unwrap();
    });
}

fn run_child(flavor: &str) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_echo_upper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, flavor)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = String::new();
    for i in 0..2000 {
        input.push_str(&format!("line {i} of the input\n"));
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "child failed: {out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let mut expected = String::new();
    for i in 0..2000 {
        expected.push_str(&format!("LINE {i} OF THE INPUT\n"));
    }
    expected.push_str("no newline");
    // libtest prints its own lines around the test's output.
    let start = stdout.find("LINE 0 ").expect("no output from the child");
    assert!(
        stdout[start..].starts_with(&expected),
        "unexpected child stdout: {stdout}"
    );
    assert!(
        stderr.contains("lines=2000\n"),
        "unexpected child stderr: {stderr}"
    );
}

#[test]
fn stdin_to_stdout_and_stderr_current_thread() {
    run_child("ct");
}

#[test]
fn stdin_to_stdout_and_stderr_multi_thread() {
    run_child("mt");
}
