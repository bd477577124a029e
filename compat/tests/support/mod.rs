//! Helpers shared by the compat programs.
#![allow(dead_code)]

use std::sync::mpsc;
use std::time::Duration;

/// Ends the process with a failure if the guard is still alive after
/// `limit`: a program that hangs fails instead of stalling the run. Works
/// from a plain thread, so it fires even if the runtime itself is stuck.
pub struct Watchdog {
    _done: mpsc::Sender<()>,
}

pub fn watchdog(name: &'static str, limit: Duration) -> Watchdog {
    let (done, wait) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(limit) {
            eprintln!("{name}: still running after {limit:?}; failing");
            std::process::exit(101);
        }
    });
    Watchdog { _done: done }
}

/// Which runtime these sources were built against: `compat` is patched onto
/// evloop, `compat-on-tokio` uses the real tokio.
pub fn expected_runtime() -> &'static str {
    match env!("CARGO_PKG_NAME") {
        "compat" => "evloop",
        _ => "tokio",
    }
}

/// Asserts that the runtime running the caller is the one this build is
/// meant to test: evloop behind the `tokio` name, or tokio itself.
pub fn assert_runtime() {
    let handle = tokio::runtime::Handle::current();
    let name = std::any::type_name_of_val(&handle);
    assert!(
        name.starts_with(expected_runtime()),
        "running on {name}, expected {}",
        expected_runtime()
    );
}
