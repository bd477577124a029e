//! Suspension points: what a pending task waits on, and where.
//!
//! A resource future (a `Sleep`, a channel receive, a lock or semaphore
//! acquire, a socket's readiness, a `JoinHandle`) calls [`note`] when its
//! poll returns `Pending`, with the resource's kind and the location of the
//! `.await` (its `poll` is `#[track_caller]`, so `Location::caller()` there
//! is the `.await` expression in the user's code) or of the resource's
//! creation. With a recorder on, the note becomes a `Suspend` event of the
//! task being polled on this thread.
//!
//! # Rules
//!
//! 1. Off (no recorder alive in the process), a note costs one relaxed load
//!    of [`RECORDERS`] and a branch, on the `Pending` path only: the
//!    resource futures call [`note`], which is inlined, and everything else
//!    is out of line.
//! 2. [`RECORDERS`] counts the recorders alive (`Recorder::new` adds one,
//!    its drop takes it back). A stale read costs at most one note missed
//!    right after a recorder starts, or one slow-path call that finds no
//!    recorder.
//! 3. The slow path records through the current runtime's recorder (the
//!    thread's context); with none, or outside a task's poll, it records
//!    nothing. A poll may note several resources (a `select!` waits on all
//!    of its branches): each is an event.
//! 4. This module imports nothing of the runtime: the resource modules
//!    (`sync`, `time`, `io`, `runtime::task`) call down into it, and the
//!    recording itself goes through `context`, like every other use of the
//!    current runtime.

use std::panic::Location;

use std::sync::atomic::{AtomicUsize, Ordering};

/// Rule 2: recorders alive in the process. A plain std atomic, like the
/// recorder ids: a process-wide counter in no protocol a loom model checks.
pub(crate) static RECORDERS: AtomicUsize = AtomicUsize::new(0);

/// What a pending task waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Resource {
    /// A `Sleep` (also inside `timeout` and `interval`).
    Sleep,
    /// `mpsc::Receiver::recv` (bounded or unbounded).
    MpscRecv,
    /// `mpsc::Sender::send` waiting for capacity.
    MpscSend,
    /// A `oneshot::Receiver`.
    OneshotRecv,
    /// `broadcast::Receiver::recv`.
    BroadcastRecv,
    /// `watch::Receiver::changed`.
    WatchChanged,
    /// A lock or permit: `Mutex::lock`, `RwLock::read`/`write`,
    /// `Semaphore::acquire` (they share one acquire path).
    Acquire,
    /// A socket (or other I/O resource) becoming readable.
    IoRead,
    /// A socket (or other I/O resource) becoming writable.
    IoWrite,
    /// A `JoinHandle`: the task waits for another task to finish.
    JoinHandle,
    /// `Notify::notified`.
    Notify,
}

impl Resource {
    /// Short name, as shown in the exported files.
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Sleep => "time::Sleep",
            Resource::MpscRecv => "mpsc::Receiver::recv",
            Resource::MpscSend => "mpsc::Sender::send",
            Resource::OneshotRecv => "oneshot::Receiver",
            Resource::BroadcastRecv => "broadcast::Receiver::recv",
            Resource::WatchChanged => "watch::Receiver::changed",
            Resource::Acquire => "lock/semaphore acquire",
            Resource::IoRead => "I/O readable",
            Resource::IoWrite => "I/O writable",
            Resource::JoinHandle => "JoinHandle",
            Resource::Notify => "Notify::notified",
        }
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            Resource::Sleep => 1,
            Resource::MpscRecv => 2,
            Resource::MpscSend => 3,
            Resource::OneshotRecv => 4,
            Resource::BroadcastRecv => 5,
            Resource::WatchChanged => 6,
            Resource::Acquire => 7,
            Resource::IoRead => 8,
            Resource::IoWrite => 9,
            Resource::JoinHandle => 10,
            Resource::Notify => 11,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Resource> {
        Some(match code {
            1 => Resource::Sleep,
            2 => Resource::MpscRecv,
            3 => Resource::MpscSend,
            4 => Resource::OneshotRecv,
            5 => Resource::BroadcastRecv,
            6 => Resource::WatchChanged,
            7 => Resource::Acquire,
            8 => Resource::IoRead,
            9 => Resource::IoWrite,
            10 => Resource::JoinHandle,
            11 => Resource::Notify,
            _ => return None,
        })
    }

    /// Every kind, in code order.
    #[cfg(test)]
    pub(crate) const ALL: [Resource; 11] = [
        Resource::Sleep,
        Resource::MpscRecv,
        Resource::MpscSend,
        Resource::OneshotRecv,
        Resource::BroadcastRecv,
        Resource::WatchChanged,
        Resource::Acquire,
        Resource::IoRead,
        Resource::IoWrite,
        Resource::JoinHandle,
        Resource::Notify,
    ];
}

/// Rule 1: a resource future's poll returned `Pending`, waiting on
/// `resource` at `at`.
#[inline(always)]
pub(crate) fn note(resource: Resource, at: &'static Location<'static>) {
    if enabled() {
        note_slow(resource, at, None);
    }
}

/// [`note`] for a `Sleep`, with its deadline (how late its timer fired is
/// measured against it); call it only if [`enabled`], which is what
/// keeps the deadline's computation off the path with recording off.
#[inline(always)]
pub(crate) fn note_sleep(at: &'static Location<'static>, deadline: std::time::Instant) {
    note_slow(Resource::Sleep, at, Some(deadline));
}

/// Whether a note would be recorded now.
#[inline(always)]
pub(crate) fn enabled() -> bool {
    !cfg!(evloop_no_observe) && RECORDERS.load(Ordering::Relaxed) != 0
}

/// Rule 3.
#[cold]
#[inline(never)]
fn note_slow(
    resource: Resource,
    at: &'static Location<'static>,
    deadline: Option<std::time::Instant>,
) {
    let _ = crate::context::with_current(|h| {
        if let Some(trace) = &h.hooks().trace {
            trace.suspend(resource, at, deadline);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::Resource;

    #[test]
    fn resource_codes_round_trip() {
        for r in Resource::ALL {
            assert_eq!(Resource::from_code(r.code()), Some(r));
        }
        assert_eq!(Resource::from_code(0), None);
        assert_eq!(Resource::from_code(200), None);
    }
}
