//! Telling a slow poll from a thread the OS took off its CPU.
//!
//! A poll that looks long on a loaded machine may have run for a few
//! nanoseconds and waited milliseconds for a CPU. Reading the thread's
//! scheduler statistics at every poll would cost more than the poll, so:
//!
//! 1. Only a poll longer than [`LONG_POLL_NS`] is checked, at its end: the
//!    recorder compares the end stamp with the start stamp it keeps in
//!    `Fast::poll_ticks` against the constant [`LONG_POLL_TICKS`] (no
//!    load, no conversion; a shorter poll pays that compare only), and
//!    the check converts to nanoseconds before reading anything.
//! 2. The check reads the thread's `run_delay` — nanoseconds it spent
//!    runnable but not running, from `/proc/thread-self/schedstat`, kept
//!    open per thread — and records how much it grew since the last read
//!    (a `Descheduled` event). Time blocked in a system call (a `sleep`,
//!    a blocking read) is not `run_delay`: it is the poll's own.
//! 3. The baseline is read when the thread registers, at each check and
//!    before each park, so the growth counts only the time since then; a
//!    wait outside any long poll (the scheduler's own code) may still be
//!    counted towards the next one, which is why the page shows the wait
//!    capped at the poll's length, as an estimate.
//! 4. Where the file does not exist (not Linux, schedstats off) nothing is
//!    recorded.

use std::cell::RefCell;
use std::fs::File;

/// Polls longer than this are checked (rule 1).
pub(crate) const LONG_POLL_NS: u64 = 100_000;

/// Ticks at most [`LONG_POLL_NS`] long: on x86_64 the time-stamp counter
/// runs at 1 to 4 GHz (2^16 ticks: 16 to 66 us), elsewhere ticks are
/// nanoseconds.
pub(crate) const LONG_POLL_TICKS: u64 = if cfg!(target_arch = "x86_64") {
    1 << 16
} else {
    LONG_POLL_NS
};

struct State {
    file: File,
    /// `run_delay` at the last read.
    seen: u64,
}

std::thread_local! {
    /// `None` until the first read; `Some(None)` where there is no file.
    static STATE: RefCell<Option<Option<State>>> = const { RefCell::new(None) };
}

#[cfg(target_os = "linux")]
fn read_run_delay(file: &File) -> Option<u64> {
    use std::os::unix::fs::FileExt;
    let mut buf = [0u8; 96];
    let n = file.read_at(&mut buf, 0).ok()?;
    let text = std::str::from_utf8(&buf[..n]).ok()?;
    text.split_ascii_whitespace().nth(1)?.parse().ok()
}

#[cfg(not(target_os = "linux"))]
fn read_run_delay(_: &File) -> Option<u64> {
    None
}

fn open() -> Option<State> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let file = File::open("/proc/thread-self/schedstat").ok()?;
    let seen = read_run_delay(&file)?;
    Some(State { file, seen })
}

/// Rule 2: nanoseconds this thread waited for a CPU since the last read
/// (`None`: cannot tell). Also the baseline read of rule 3.
pub(crate) fn waited_since_last() -> Option<u64> {
    STATE
        .try_with(|s| {
            let mut s = s.borrow_mut();
            match s.get_or_insert_with(open) {
                Some(state) => {
                    let now = read_run_delay(&state.file)?;
                    let grew = now.saturating_sub(state.seen);
                    state.seen = now;
                    Some(grew)
                }
                None => None,
            }
        })
        .ok()
        .flatten()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::waited_since_last;

    #[test]
    fn sleeping_is_not_waiting_for_a_cpu() {
        if waited_since_last().is_none() {
            return; // no schedstat on this kernel
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        let waited = waited_since_last().unwrap();
        assert!(waited < 15_000_000, "a 20 ms sleep counted as {waited} ns");
    }
}
