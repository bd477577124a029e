//! [`OpState`]: what a completion-based operation (io_uring) shares between
//! the future that submitted it and the thread that reaps its completion,
//! and who frees the buffer the kernel writes into or reads from.
//!
//! # Rules
//!
//! 1. **The kernel owns the buffer from submission to completion.** The
//!    future keeps the buffer while it is alive; it returns it to the
//!    caller only after [`OpState::poll`] saw the completion.
//! 2. **Dropped early: the buffer is orphaned, not freed.** A future dropped
//!    before the completion hands its buffer to the state
//!    ([`OpState::abandon`]); the reaping thread drops it when the
//!    completion comes ([`OpState::complete`]). The future's owner then asks
//!    the kernel to cancel the operation (`IORING_OP_ASYNC_CANCEL`), which
//!    only makes the completion come sooner.
//! 3. **One lock decides.** `complete` and `abandon` run under the state's
//!    mutex, so exactly one of them sees the other: either the completion
//!    came first (`abandon` gives the buffer back to be dropped at once,
//!    the kernel is done with it) or the abandon came first (`complete`
//!    takes the orphan). Wakers and orphans are dropped or woken outside
//!    the lock.
//! 4. **Any thread.** The future may be polled and dropped on any worker
//!    (a stolen task), the completion reaped by whichever thread parks the
//!    ring: nothing here depends on which thread does what.

use std::any::Any;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::Mutex;

/// A buffer (or anything the kernel may still use) kept for the kernel.
pub(crate) type Orphan = Box<dyn Any + Send>;

#[derive(Default)]
pub(crate) struct OpState {
    inner: Mutex<OpSlot>,
}

#[derive(Default)]
struct OpSlot {
    /// The completion's result (`cqe.res`), once it came.
    result: Option<i32>,
    waker: Option<Waker>,
    /// Rule 2: set by `abandon` before the completion.
    orphan: Option<Orphan>,
    abandoned: bool,
}

/// What [`OpState::abandon`] decided (rule 3).
pub(crate) enum Abandoned {
    /// The completion already came: drop the buffer now.
    Done(Orphan),
    /// The state keeps the buffer until the completion; cancel the op.
    Kept,
}

impl OpState {
    /// Rule 2-3, on the reaping thread: records `result` and wakes the
    /// future, or frees the orphan of an abandoned op.
    pub(crate) fn complete(&self, result: i32) {
        let (waker, orphan) = {
            let mut inner = self.inner.lock();
            inner.result = Some(result);
            (inner.waker.take(), inner.orphan.take())
        };
        drop(orphan);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The result, or `Pending` with `cx`'s waker stored.
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> Poll<i32> {
        let mut inner = self.inner.lock();
        match inner.result {
            Some(result) => Poll::Ready(result),
            None => {
                match &mut inner.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    /// Rule 2-3, from the future's drop.
    pub(crate) fn abandon(&self, buf: Orphan) -> Abandoned {
        let mut inner = self.inner.lock();
        if inner.result.is_some() {
            return Abandoned::Done(buf);
        }
        inner.abandoned = true;
        inner.orphan = Some(buf);
        inner.waker = None;
        Abandoned::Kept
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
    use crate::loom::sync::Arc;

    /// A buffer that checks, when dropped, that the kernel was done with it.
    struct Buf {
        kernel_done: Arc<AtomicBool>,
        drops: Arc<AtomicUsize>,
    }

    impl Drop for Buf {
        fn drop(&mut self) {
            assert!(
                self.kernel_done.load(SeqCst),
                "buffer freed while the kernel owned it"
            );
            self.drops.fetch_add(1, SeqCst);
        }
    }

    /// The future is dropped (on one thread) while the completion is reaped
    /// (on another): the buffer is freed once, after the kernel finished.
    #[test]
    fn loom_op_drop_races_completion() {
        loom::model(|| {
            let state = Arc::new(OpState::default());
            let kernel_done = Arc::new(AtomicBool::new(false));
            let drops = Arc::new(AtomicUsize::new(0));
            let reaper = {
                let (state, kernel_done) = (state.clone(), kernel_done.clone());
                loom::thread::spawn(move || {
                    // The kernel finishes with the buffer, then the CQE is
                    // reaped.
                    kernel_done.store(true, SeqCst);
                    state.complete(5);
                })
            };
            let buf = Buf {
                kernel_done: kernel_done.clone(),
                drops: drops.clone(),
            };
            match state.abandon(Box::new(buf)) {
                Abandoned::Done(buf) => drop(buf),
                Abandoned::Kept => {}
            }
            reaper.join().unwrap();
            assert_eq!(drops.load(SeqCst), 1);
        });
    }

    struct Flag(AtomicBool);
    impl std::task::Wake for Flag {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.store(true, SeqCst);
        }
    }

    /// A stolen task: first polled on one worker, polled again on another
    /// (the thief) while a third thread reaps the completion. The thief
    /// either sees the result or is woken: its wake is never lost.
    #[test]
    fn loom_op_completion_reaches_a_stolen_task() {
        loom::model(|| {
            let state = Arc::new(OpState::default());
            let first = std::sync::Arc::new(Flag(AtomicBool::new(false)));
            let waker = Waker::from(first.clone());
            assert!(state.poll(&mut Context::from_waker(&waker)).is_pending());
            let reaper = {
                let state = state.clone();
                loom::thread::spawn(move || state.complete(7))
            };
            let thief = std::sync::Arc::new(Flag(AtomicBool::new(false)));
            let waker = Waker::from(thief.clone());
            let ready = state.poll(&mut Context::from_waker(&waker)).is_ready();
            reaper.join().unwrap();
            assert!(ready || thief.0.load(SeqCst), "the thief's wake was lost");
            assert!(state.poll(&mut Context::from_waker(&waker)).is_ready());
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;

    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn abandoned_before_completion_keeps_the_buffer_until_it() {
        let state = OpState::default();
        let drops = Arc::new(AtomicUsize::new(0));
        assert!(matches!(
            state.abandon(Box::new(Counted(drops.clone()))),
            Abandoned::Kept
        ));
        assert_eq!(drops.load(SeqCst), 0, "freed while the kernel owns it");
        state.complete(-libc::ECANCELED);
        assert_eq!(drops.load(SeqCst), 1);
    }

    #[test]
    fn abandoned_after_completion_gives_the_buffer_back() {
        let state = OpState::default();
        state.complete(3);
        let drops = Arc::new(AtomicUsize::new(0));
        match state.abandon(Box::new(Counted(drops.clone()))) {
            Abandoned::Done(buf) => drop(buf),
            Abandoned::Kept => panic!("kept after the completion"),
        }
        assert_eq!(drops.load(SeqCst), 1);
    }
}
