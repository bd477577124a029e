//! `AtomicWaker`: one waker slot that one task registers in and any thread
//! wakes, without a lock.
//!
//! # Protocol
//!
//! `state` is `IDLE`, `REGISTERING`, `WAKING` or `REGISTERING | WAKING`.
//!
//! Register (one task at a time):
//! 1. CAS `IDLE → REGISTERING`. If the state is `WAKING`, a wake is in
//!    progress: wake the new waker directly and return.
//! 2. Store the waker in the cell (ours alone while `REGISTERING`).
//! 3. CAS `REGISTERING → IDLE`. If it fails, a `wake` came in during step 2
//!    (it set `WAKING` and left the cell alone): take the waker, reset the
//!    state to `IDLE`, and wake it.
//!
//! Wake (any thread):
//! 1. `fetch_or(WAKING)`. If the previous state was `IDLE`, the cell is ours:
//!    take the waker, clear `WAKING`, wake it.
//! 2. Otherwise a registration (which sees `WAKING` at its step 3) or another
//!    wake is responsible; return.
//!
//! Either the waker sees the registration or the registration sees the wake:
//! none is lost.
//!
//! Clearing `WAKING` must be a read-modify-write (`fetch_and`), although only
//! `WAKING` can be set at that point: a second wake that found `WAKING` set
//! relies on it. Its `fetch_or` heads a release sequence that the clearing
//! RMW continues, so the registration that next reads the state (acquire)
//! also sees what the second waker published before waking. A plain store
//! would end that sequence and lose the second wake
//! (`loom_two_wakes_vs_register`).

use std::fmt;
use std::task::Waker;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{
    AtomicUsize,
    Ordering::{AcqRel, Acquire, Release},
};

const IDLE: usize = 0;
const REGISTERING: usize = 0b01;
const WAKING: usize = 0b10;

pub(crate) struct AtomicWaker {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the cell is accessed only by the side that owns it per the
// protocol above (the registrant while `REGISTERING`, a waker while it holds
// `WAKING` on an `IDLE` state).
unsafe impl Send for AtomicWaker {}
// SAFETY: as above.
unsafe impl Sync for AtomicWaker {}

impl AtomicWaker {
    pub(crate) fn new() -> AtomicWaker {
        AtomicWaker {
            state: AtomicUsize::new(IDLE),
            waker: UnsafeCell::new(None),
        }
    }

    /// Registers `waker` to be woken by the next `wake`. Must not be called
    /// concurrently with itself.
    pub(crate) fn register(&self, waker: &Waker) {
        match self
            .state
            .compare_exchange(IDLE, REGISTERING, Acquire, Acquire)
        {
            Ok(_) => {
                // Step 2.
                // SAFETY: `REGISTERING` is held, the cell is ours.
                self.waker.with_mut(|slot| unsafe {
                    match &mut *slot {
                        Some(w) if w.will_wake(waker) => {}
                        slot => *slot = Some(waker.clone()),
                    }
                });
                // Step 3.
                if self
                    .state
                    .compare_exchange(REGISTERING, IDLE, AcqRel, Acquire)
                    .is_err()
                {
                    // SAFETY: `REGISTERING` is still held (the waker only
                    // added `WAKING`), so the cell is still ours.
                    let w = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                    self.state.swap(IDLE, AcqRel);
                    if let Some(w) = w {
                        w.wake();
                    }
                }
            }
            Err(_) => {
                // Step 1: a wake is in progress. The caller will be polled
                // again at once; hint that we are spinning on another thread.
                crate::loom::spin_loop();
                waker.wake_by_ref();
            }
        }
    }

    /// Wakes the registered waker, if any.
    pub(crate) fn wake(&self) {
        if let Some(w) = self.take() {
            w.wake();
        }
    }

    fn take(&self) -> Option<Waker> {
        match self.state.fetch_or(WAKING, AcqRel) {
            IDLE => {
                // SAFETY: we moved the state from `IDLE` to `WAKING`: the
                // cell is ours until we clear `WAKING`.
                let w = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                // An RMW, not a store (see the module docs).
                self.state.fetch_and(!WAKING, Release);
                w
            }
            _ => None,
        }
    }
}

impl fmt::Debug for AtomicWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicWaker").finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::AtomicBool;
    use crate::loom::sync::Arc;
    use crate::loom::thread;
    use std::future::poll_fn;
    use std::task::Poll;

    #[test]
    fn loom_register_vs_wake() {
        loom::model(|| {
            let w = Arc::new(AtomicWaker::new());
            let flag = Arc::new(AtomicBool::new(false));
            let (w2, f2) = (w.clone(), flag.clone());
            let th = thread::spawn(move || {
                f2.store(true, Release);
                w2.wake();
            });
            loom::future::block_on(poll_fn(|cx| {
                if flag.load(Acquire) {
                    return Poll::Ready(());
                }
                w.register(cx.waker());
                if flag.load(Acquire) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }));
            th.join().unwrap();
        });
    }

    #[test]
    fn loom_two_wakes_vs_register() {
        // Two wakers race each other and a registration that re-registers
        // after each wake-up: the wake that finds another in progress relies
        // on that one's clearing RMW to publish its flag (see the module
        // docs), so the task sees both flags.
        loom::model(|| {
            let w = Arc::new(AtomicWaker::new());
            let flags = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
            let ths: Vec<_> = (0..2)
                .map(|i| {
                    let (w, flags) = (w.clone(), flags.clone());
                    thread::spawn(move || {
                        flags[i].store(true, Release);
                        w.wake();
                    })
                })
                .collect();
            loom::future::block_on(poll_fn(|cx| {
                let done = || flags.iter().all(|f| f.load(Acquire));
                if done() {
                    return Poll::Ready(());
                }
                w.register(cx.waker());
                if done() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }));
            for th in ths {
                th.join().unwrap();
            }
        });
    }
}
