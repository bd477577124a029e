//! `MaybeDone` and `TryMaybeDone`: a future together with the place its
//! output waits, used by `join!` and `try_join!`.
//!
//! `join!` polls all its futures inside one task until every one is done.
//! A future that finishes early keeps its output until the last one
//! finishes; it must not be polled again meanwhile. Each future is therefore
//! wrapped in a three-state cell, pinned on the stack of the calling task:
//!
//! ```text
//! Future(f) --poll: Ready(v)--> Done(v) --take_output--> Gone
//! ```
//!
//! # Pinning rules
//!
//! 1. The wrapped future is *structurally pinned*: while the state is
//!    `Future`, it is only ever accessed through a `Pin<&mut F>` projected
//!    from the `Pin<&mut Self>`, and it is never moved out.
//! 2. The future leaves its place only by being dropped in place, when the
//!    whole cell is overwritten with `Done(v)` (the assignment runs `F`'s
//!    destructor first, where the future lies), which `Pin` allows.
//! 3. The output is not pinned: `take_output` moves it out, but only in the
//!    `Done` state, when no pinned future is left in the cell.

use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A future, then its output, then nothing (see the module docs).
pub enum MaybeDone<F: Future> {
    /// Still running.
    Future(F),
    /// Finished; the output waits to be taken.
    Done(F::Output),
    /// The output was taken.
    Gone,
}

impl<F: Future> MaybeDone<F> {
    /// Wraps a future that has not completed.
    pub fn new(future: F) -> MaybeDone<F> {
        MaybeDone::Future(future)
    }

    /// Takes the output out, if the future completed and it was not taken yet.
    pub fn take_output(self: Pin<&mut Self>) -> Option<F::Output> {
        if !matches!(&*self, MaybeDone::Done(_)) {
            return None;
        }
        // SAFETY: rule 3: the state is `Done`, so the cell holds no pinned
        // future; replacing the value moves only the (unpinned) output.
        let this = unsafe { self.get_unchecked_mut() };
        match mem::replace(this, MaybeDone::Gone) {
            MaybeDone::Done(output) => Some(output),
            _ => unreachable!("checked to be Done above"),
        }
    }
}

impl<F: Future> Future for MaybeDone<F> {
    type Output = ();

    /// `Ready(())` once the output is stored; the future is not polled again.
    ///
    /// # Panics
    ///
    /// If polled after the output was taken.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: rule 1: the future is only touched through the pinned
        // projection below, and rule 2: it leaves the cell only by being
        // dropped in place when the cell is overwritten.
        let this = unsafe { self.get_unchecked_mut() };
        match this {
            MaybeDone::Future(future) => {
                // SAFETY: rule 1: `future` lies inside a pinned cell and is
                // never moved out of it.
                let future = unsafe { Pin::new_unchecked(future) };
                match future.poll(cx) {
                    Poll::Ready(output) => *this = MaybeDone::Done(output),
                    Poll::Pending => return Poll::Pending,
                }
            }
            MaybeDone::Done(_) => {}
            MaybeDone::Gone => panic!("MaybeDone polled after its output was taken"),
        }
        Poll::Ready(())
    }
}

impl<F> fmt::Debug for MaybeDone<F>
where
    F: Future + fmt::Debug,
    F::Output: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaybeDone::Future(future) => f.debug_tuple("Future").field(future).finish(),
            MaybeDone::Done(output) => f.debug_tuple("Done").field(output).finish(),
            MaybeDone::Gone => f.write_str("Gone"),
        }
    }
}

/// Like [`MaybeDone`], for a future of a `Result`: an `Err` is handed over at
/// once (polling yields `Ready(Err(e))` and the cell becomes `Gone`), an `Ok`
/// is kept until taken.
pub enum TryMaybeDone<F, T, E>
where
    F: Future<Output = Result<T, E>>,
{
    /// Still running.
    Future(F),
    /// Finished with `Ok`; the value waits to be taken.
    Done(T),
    /// The value was taken, or the error handed over.
    Gone,
}

impl<F, T, E> TryMaybeDone<F, T, E>
where
    F: Future<Output = Result<T, E>>,
{
    /// Wraps a future that has not completed.
    pub fn new(future: F) -> TryMaybeDone<F, T, E> {
        TryMaybeDone::Future(future)
    }

    /// Takes the `Ok` value out, if there is one.
    pub fn take_output(self: Pin<&mut Self>) -> Option<T> {
        if !matches!(&*self, TryMaybeDone::Done(_)) {
            return None;
        }
        // SAFETY: rule 3: `Done` holds no pinned future.
        let this = unsafe { self.get_unchecked_mut() };
        match mem::replace(this, TryMaybeDone::Gone) {
            TryMaybeDone::Done(output) => Some(output),
            _ => unreachable!("checked to be Done above"),
        }
    }
}

impl<F, T, E> Future for TryMaybeDone<F, T, E>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<(), E>;

    /// `Ready(Ok(()))` once an `Ok` value is stored, `Ready(Err(e))` when the
    /// future failed.
    ///
    /// # Panics
    ///
    /// If polled after the value was taken or the error handed over.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), E>> {
        // SAFETY: rules 1 and 2, as in `MaybeDone::poll`.
        let this = unsafe { self.get_unchecked_mut() };
        match this {
            TryMaybeDone::Future(future) => {
                // SAFETY: rule 1: the future is never moved out of the cell.
                let future = unsafe { Pin::new_unchecked(future) };
                match future.poll(cx) {
                    Poll::Ready(Ok(value)) => *this = TryMaybeDone::Done(value),
                    Poll::Ready(Err(error)) => {
                        // Rule 2: dropped in place by the assignment.
                        *this = TryMaybeDone::Gone;
                        return Poll::Ready(Err(error));
                    }
                    Poll::Pending => return Poll::Pending,
                }
            }
            TryMaybeDone::Done(_) => {}
            TryMaybeDone::Gone => panic!("TryMaybeDone polled after completion"),
        }
        Poll::Ready(Ok(()))
    }
}

impl<F, T, E> fmt::Debug for TryMaybeDone<F, T, E>
where
    F: Future<Output = Result<T, E>> + fmt::Debug,
    T: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryMaybeDone::Future(future) => f.debug_tuple("Future").field(future).finish(),
            TryMaybeDone::Done(output) => f.debug_tuple("Done").field(output).finish(),
            TryMaybeDone::Gone => f.write_str("Gone"),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    struct Noop;

    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    fn noop() -> Waker {
        Waker::from(Arc::new(Noop))
    }

    /// Pending `n` times, then ready with `value`; counts its polls.
    struct Countdown {
        left: u32,
        polls: u32,
        value: u32,
    }

    impl Future for Countdown {
        type Output = u32;
        fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
            self.polls += 1;
            if self.left == 0 {
                Poll::Ready(self.value)
            } else {
                self.left -= 1;
                Poll::Pending
            }
        }
    }

    #[test]
    fn output_is_kept_until_taken_and_future_not_repolled() {
        let waker = noop();
        let mut cx = Context::from_waker(&waker);
        let mut cell = pin!(MaybeDone::new(Countdown {
            left: 1,
            polls: 0,
            value: 9
        }));
        assert!(cell.as_mut().take_output().is_none());
        assert!(cell.as_mut().poll(&mut cx).is_pending());
        assert!(cell.as_mut().poll(&mut cx).is_ready());
        // Done: polling again does not touch the (dropped) future.
        assert!(cell.as_mut().poll(&mut cx).is_ready());
        assert_eq!(cell.as_mut().take_output(), Some(9));
        assert_eq!(cell.as_mut().take_output(), None);
        assert!(matches!(&*cell, MaybeDone::Gone));
    }

    #[test]
    #[should_panic(expected = "polled after its output was taken")]
    fn polling_after_take_panics() {
        let waker = noop();
        let mut cx = Context::from_waker(&waker);
        let mut cell = pin!(MaybeDone::new(std::future::ready(1)));
        let _ = cell.as_mut().poll(&mut cx);
        let _ = cell.as_mut().take_output();
        let _ = cell.as_mut().poll(&mut cx);
    }

    #[test]
    fn try_hands_over_errors_and_keeps_values() {
        let waker = noop();
        let mut cx = Context::from_waker(&waker);
        let mut ok = pin!(TryMaybeDone::new(std::future::ready(Ok::<u8, &str>(3))));
        assert_eq!(ok.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
        assert_eq!(ok.as_mut().take_output(), Some(3));

        let mut err = pin!(TryMaybeDone::new(std::future::ready(Err::<u8, &str>("no"))));
        assert_eq!(err.as_mut().poll(&mut cx), Poll::Ready(Err("no")));
        assert!(matches!(&*err, TryMaybeDone::Gone));
        assert_eq!(err.as_mut().take_output(), None);
    }
}
