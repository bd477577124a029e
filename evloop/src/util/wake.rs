//! Waking wakers that the runtime does not own, from inside a driver.
//!
//! The time and I/O drivers wake whatever waker a future registered, and a
//! future may register any waker: its own `Wake` implementation, a
//! combinator's, a test's. Such a `wake()` may panic. The drivers run on a
//! scheduler's thread with its core lent to them, in the middle of a batch
//! of wakes, so a panic that unwinds out of one would lose the rest of the
//! batch and, on the way out, the core or the worker thread.
//!
//! # Rules
//!
//! 1. A driver wakes every waker it collected through [`wake`], which
//!    catches a panic of that one `wake()` and reports it; the next waker
//!    of the batch is woken as if nothing happened.
//! 2. The report is a `tracing` error event (target `evloop::waker`) naming
//!    what fired the waker and the panic message; when no `tracing`
//!    subscriber takes it, the same line goes to stderr. (The panic hook
//!    has already printed the panic and its location in the waker's code.)
//!
//! Catching costs nothing on the path that does not panic (no code runs,
//! the landing pad is out of line).

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::task::Waker;

/// Wakes `waker`; if its `wake()` panics, reports the panic with `source`
/// (what woke it: "the timer created at ...", "I/O readiness") and returns
/// normally (rule 1).
#[inline]
pub(crate) fn wake(waker: Waker, source: &dyn fmt::Display) {
    // The waker is moved into the closure: a panic drops what is left of
    // it during the unwind, inside the catch.
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(move || waker.wake())) {
        report(source, payload);
    }
}

/// Rule 2.
#[cold]
#[inline(never)]
fn report(source: &dyn fmt::Display, payload: Box<dyn Any + Send>) {
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a non-string panic payload)");
    if tracing::enabled!(target: "evloop::waker", tracing::Level::ERROR) {
        tracing::error!(
            target: "evloop::waker",
            source = %source,
            panic = msg,
            "a waker woken by {source} panicked ({msg}); the runtime caught it and went on",
        );
    } else {
        eprintln!(
            "evloop: a waker woken by {source} panicked ({msg}); the runtime caught it and \
             went on"
        );
    }
    // A payload whose drop panics must not escape either.
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
}

/// Test helpers: a waker that panics, and a panic hook that keeps its
/// (expected) panics out of the test output.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::Once;
    use std::task::{Wake, Waker};

    /// The message of [`Panicky`]'s panic.
    pub(crate) const MESSAGE: &str = "this waker panics on purpose";

    /// A waker whose `wake()` panics.
    pub(crate) struct Panicky;

    impl Wake for Panicky {
        fn wake(self: std::sync::Arc<Self>) {
            panic!("{MESSAGE}");
        }
    }

    /// A waker whose `wake()` panics with [`MESSAGE`]; installs the quiet
    /// hook first.
    pub(crate) fn panicky_waker() -> Waker {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let prev = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let expected = info
                    .payload()
                    .downcast_ref::<String>()
                    .is_some_and(|m| m == MESSAGE);
                if !expected {
                    prev(info);
                }
            }));
        });
        Waker::from(std::sync::Arc::new(Panicky))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::testing::panicky_waker;
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn a_panicking_wake_is_caught_and_the_next_one_runs() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        wake(panicky_waker(), &"a test");
        wake(Waker::from(count.clone()), &"a test");
        assert_eq!(count.0.load(SeqCst), 1);
    }
}
