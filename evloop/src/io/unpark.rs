//! [`UnparkState`]: when waking the reactor needs a syscall, and when not.
//!
//! Waking a reactor that sleeps in `epoll_wait` takes a write to its waker
//! fd (an eventfd), and makes the sleep return with one more event to look
//! at. Most wakes do not find the reactor asleep: the thread that runs it is
//! polling tasks, or is delivering the events of its last wait (the tasks
//! it wakes are then scheduled from inside the reactor, and a scheduler may
//! well call `unpark` for them). Those wakes need no syscall.
//!
//! # The state word
//!
//! - `IDLE`: the reactor's thread is outside `Driver::park`.
//! - `PARKED`: it is in, or about to enter, `epoll_wait`.
//! - `DISPATCHING`: `epoll_wait` returned; it delivers the events, then
//!   `Driver::park` returns.
//! - `NOTIFIED` (a flag, with `IDLE`): a wake came while the thread was
//!   outside `park`; the next wait must not block.
//!
//! # Rules
//!
//! 1. Only the reactor's thread moves the state between `IDLE`, `PARKED`
//!    and `DISPATCHING`, each time with a swap (an RMW, acquire + release).
//! 2. `unpark` is an RMW too (`fetch_or(NOTIFIED)`, acquire + release), so
//!    the reactor's next swap reads it, or a later value, and everything the
//!    waker did before `unpark` (push a task, mark a worker unparked) is
//!    visible to the reactor's thread after that swap.
//! 3. The waker fd is written only if `unpark` found `PARKED`.
//! 4. `NOTIFIED` found by the swap to `PARKED` makes the wait non-blocking.
//! 5. A wake during `DISPATCHING` is dropped by the swap back to `IDLE`:
//!    `park` is about to return, and every scheduler looks at its queues
//!    after `park` returns (rule 2 makes the wake's work visible to it).
//!
//! # Protocol (both sides)
//!
//! Reactor thread, in `Driver::park(timeout)`:
//! 1. `swap(PARKED)`; if the old word had `NOTIFIED`, use a zero timeout.
//! 2. `epoll_wait(timeout)`.
//! 3. `swap(DISPATCHING)`; deliver the events.
//! 4. `swap(IDLE)`; return to the scheduler, which checks its queues.
//!
//! Waker (any thread, also the reactor's own during step 3):
//! 1. Make the work visible (push the task, ...).
//! 2. `fetch_or(NOTIFIED)`. Old state `PARKED`: write the waker fd (the
//!    wait returns, or does not block). `IDLE`: nothing, step 1 of the next
//!    park sees the flag. `DISPATCHING`: nothing, rule 5.
//!
//! Rejected: writing the waker fd on every unpark (a syscall per wake,
//! and one more wasted `epoll_wait` round); a thread-local "am I the
//! reactor's thread" check (it covers only the reactor's own wakes, and
//! costs a TLS access on every wake).

use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel};

const IDLE: usize = 0;
const PARKED: usize = 1;
const DISPATCHING: usize = 2;
const STATE_MASK: usize = 0b11;
const NOTIFIED: usize = 0b100;

#[derive(Debug)]
pub(crate) struct UnparkState {
    state: AtomicUsize,
}

impl UnparkState {
    pub(crate) fn new() -> UnparkState {
        UnparkState {
            state: AtomicUsize::new(IDLE),
        }
    }

    /// Reactor step 1: returns false if the wait must not block (rule 4).
    #[must_use]
    pub(crate) fn enter_wait(&self) -> bool {
        self.state.swap(PARKED, AcqRel) & NOTIFIED == 0
    }

    /// Reactor step 3.
    pub(crate) fn enter_dispatch(&self) {
        self.state.swap(DISPATCHING, AcqRel);
    }

    /// Reactor step 4 (rule 5).
    pub(crate) fn leave(&self) {
        self.state.swap(IDLE, AcqRel);
    }

    /// Waker step 2: returns true if the caller must write the waker fd
    /// (rule 3).
    #[must_use]
    pub(crate) fn unpark(&self) -> bool {
        self.state.fetch_or(NOTIFIED, AcqRel) & STATE_MASK == PARKED
    }

    /// Whether the reactor's thread may be blocked in its wait now: the
    /// io_uring pusher's read (`uring` rule 7), after a SeqCst fence that
    /// orders it after the pushed entry.
    #[cfg(target_os = "linux")]
    pub(crate) fn is_parked(&self) -> bool {
        use crate::loom::sync::atomic::Ordering::Acquire;
        self.state.load(Acquire) & STATE_MASK == PARKED
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        let s = UnparkState::new();
        // Outside park: no syscall, the next wait does not block.
        assert!(!s.unpark());
        assert!(!s.enter_wait());
        // Parked: the fd must be written.
        assert!(s.unpark());
        s.enter_dispatch();
        // Dispatching: dropped, and the next wait blocks.
        assert!(!s.unpark());
        s.leave();
        assert!(s.enter_wait());
        s.enter_dispatch();
        s.leave();
        assert!(s.enter_wait());
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use crate::loom::sync::{Arc, Condvar, Mutex};
    use crate::loom::thread;

    /// The waker fd, modelled as a sticky flag with a condvar.
    struct Fd {
        written: Mutex<bool>,
        cv: Condvar,
    }

    /// A task is pushed and `unpark` called while the reactor thread goes
    /// through its park loop; the reactor must always end up seeing the
    /// task (a lost wake deadlocks the model: the reactor waits forever).
    #[test]
    fn loom_unpark_races_park() {
        loom::model(|| {
            let state = Arc::new(UnparkState::new());
            let fd = Arc::new(Fd {
                written: Mutex::new(false),
                cv: Condvar::new(),
            });
            let task = Arc::new(AtomicBool::new(false));

            let waker = {
                let (state, fd, task) = (state.clone(), fd.clone(), task.clone());
                thread::spawn(move || {
                    task.store(true, SeqCst);
                    if state.unpark() {
                        *fd.written.lock() = true;
                        fd.cv.notify_one();
                    }
                })
            };

            // The scheduler loop: check the queue, else park.
            loop {
                if task.load(SeqCst) {
                    break;
                }
                if state.enter_wait() {
                    let mut written = fd.written.lock();
                    while !*written {
                        written = fd.cv.wait(written);
                    }
                    *written = false;
                }
                state.enter_dispatch();
                state.leave();
            }
            waker.join().unwrap();
        });
    }

    /// `uring` rule 7: an operation pushed to the submission queue while
    /// the ring's thread enters its wait is submitted by one of the two:
    /// the pusher sees `PARKED` (and submits), or the kernel's read of the
    /// queue, after the parker's `PARKED`, sees the entry. Without the two
    /// SeqCst fences both may miss (store buffering), and the entry would
    /// wait while the ring's thread sleeps.
    #[test]
    fn loom_submit_or_leave() {
        use crate::loom::sync::atomic::{fence, AtomicUsize, Ordering::Acquire, Ordering::Release};
        loom::model(|| {
            let state = Arc::new(UnparkState::new());
            let tail = Arc::new(AtomicUsize::new(0));
            let pusher = {
                let (state, tail) = (state.clone(), tail.clone());
                thread::spawn(move || {
                    tail.store(1, Release);
                    fence(SeqCst);
                    state.is_parked()
                })
            };
            let _ = state.enter_wait();
            fence(SeqCst);
            let seen_by_kernel = tail.load(Acquire) == 1;
            let submitted_by_pusher = pusher.join().unwrap();
            assert!(
                seen_by_kernel || submitted_by_pusher,
                "an entry waits in the queue while the ring's thread blocks"
            );
        });
    }
}
