//! Flight recorder: an always-on bounded trace, written when something
//! goes wrong.
//!
//! With [`TraceConfig::flight`](crate::trace::TraceConfig::flight) (or
//! `EVLOOP_TRACE=path,mode=flight`) the recorder runs as usual, in its
//! bounded per-thread rings, but writes its file only when asked to:
//!
//! 1. a task panics (the poll-end hook sees `Panicked`);
//! 2. the stall watchdog reports a stall (needs
//!    `Builder::stall_threshold`, or `stall=MS` in `EVLOOP_TRACE`);
//! 3. the process receives `SIGUSR2` (Unix);
//! 4. the program calls [`Handle::write_trace`](crate::runtime::Handle::write_trace).
//!
//! Not when the runtime is dropped: a flight recording that saw nothing
//! wrong leaves no file.
//!
//! # Rules
//!
//! 1. Each write replaces the file with a snapshot of the rings at that
//!    moment. Triggers 1–3 write at most once per [`MIN_GAP`] (a panic
//!    storm writes once); trigger 4 always writes.
//! 2. `SIGUSR2`'s handler only sets a flag (async-signal-safe); a watcher
//!    thread per flight recorder looks at it every [`POLL`] and writes.
//!    The handler is installed once per process, by the first flight
//!    recorder, and chains to nothing: a program that handles `SIGUSR2`
//!    itself should not use this mode.
//! 3. The watcher holds a `Weak` of the recorder and exits once the
//!    recorder is gone.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::trace::clock;
use crate::trace::recorder::Recorder;

/// Rule 1.
pub(crate) const MIN_GAP: Duration = Duration::from_millis(500);

/// Rule 2.
const POLL: Duration = Duration::from_millis(100);

/// Rule 2: set by the signal handler, cleared by the watcher that wrote.
static SIGNALLED: AtomicU64 = AtomicU64::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// A flight recorder's trigger state (in the recorder).
#[derive(Debug, Default)]
pub(crate) struct Flight {
    /// `clock::now_ns` of the last triggered write (0: none).
    last: AtomicU64,
}

impl Flight {
    /// Triggers 1–3 (rule 1): writes unless a write happened less than
    /// `MIN_GAP` ago. Returns whether it wrote.
    pub(crate) fn trigger(&self, recorder: &Recorder, why: &str) -> bool {
        let now = clock::now_ns();
        let last = self.last.load(Ordering::Relaxed);
        if last != 0 && now.saturating_sub(last) < MIN_GAP.as_nanos() as u64 {
            return false;
        }
        if self
            .last
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        write(recorder, why).is_ok()
    }
}

/// Writes `recorder`'s snapshot to its output file, saying why on stderr.
pub(crate) fn write(recorder: &Recorder, why: &str) -> std::io::Result<()> {
    let Some(path) = recorder.output() else {
        return Ok(());
    };
    let res = recorder.snapshot().write(path);
    match &res {
        Ok(()) => eprintln!(
            "evloop: flight recorder: {why}; trace written to {}",
            path.display()
        ),
        Err(e) => eprintln!(
            "evloop: flight recorder: {why}; could not write {}: {e}",
            path.display()
        ),
    }
    res
}

/// Trigger 3 (rule 2): installs the handler and starts this recorder's
/// watcher.
pub(crate) fn watch_signal(recorder: &Arc<Recorder>) {
    install_handler();
    let weak: Weak<Recorder> = Arc::downgrade(recorder);
    let start = SIGNALLED.load(Ordering::Relaxed);
    let _ = std::thread::Builder::new()
        .name("evloop-flight-recorder".into())
        .spawn(move || {
            let mut seen = start;
            loop {
                std::thread::sleep(POLL);
                let Some(recorder) = weak.upgrade() else {
                    return;
                };
                let now = SIGNALLED.load(Ordering::Relaxed);
                if now != seen {
                    seen = now;
                    let _ = write(&recorder, "SIGUSR2");
                }
            }
        });
}

#[cfg(unix)]
fn install_handler() {
    extern "C" fn on_signal(_: libc::c_int) {
        SIGNALLED.fetch_add(1, Ordering::Relaxed);
    }
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    // SAFETY: rule 2: the handler only increments an atomic, which is
    // async-signal-safe; `sigaction` is given a zeroed, then filled,
    // struct that lives across the call.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGUSR2, &action, std::ptr::null_mut());
    }
}

#[cfg(not(unix))]
fn install_handler() {}
