//! Cooperative scheduling budget.
//!
//! The public part, for code that writes its own leaf futures: [`poll_proceed`]
//! and [`RestoreOnPending`] to take part in the budget, [`has_budget_remaining`],
//! [`consume_budget`] and [`unconstrained`].
//!
//! A task that is always ready (a socket that always has data, a channel that
//! is never empty) would never return `Pending` and would starve every other
//! task, the timers and the reactor on its thread. To prevent that, each poll
//! of a task gets a budget of [`INITIAL`] units. Every resource operation
//! (`recv`, `read`, a timer check, a `JoinHandle` poll) spends one unit via
//! [`poll_proceed`]; when the budget is spent, the resource returns `Pending`
//! once after waking the task, so the task goes to the back of the queue,
//! behind the next poll of the driver (`context::defer`), as `yield_now` does.
//!
//! # Rules
//!
//! 1. The scheduler sets the budget with [`budget`] around each task poll;
//!    outside a task the budget is unconstrained.
//! 2. A resource that spent a unit but then returns `Pending` anyway gives the
//!    unit back ([`RestoreOnPending`]), so waiting never costs budget.
//! 3. Every leaf future or poll method that can be ready on every call
//!    spends a unit when it is: channel and lock operations, reads and
//!    writes (also flush and shutdown of the in-memory ones), `Notified`,
//!    `watch`'s waits ([`cooperative`]), `io::copy`'s loop (which may run
//!    between endpoints that ignore the budget), and `select!`/`join!`,
//!    which return `Pending` at once when the budget is spent
//!    ([`poll_budget_available`]) and spend a unit when they complete
//!    ([`consume_one`]). Taking what is already there without waiting
//!    (`try_recv`, `JoinSet::try_join_next`) spends nothing.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::context;

/// Units of work a task may do in one poll before it is forced to yield.
pub(crate) const INITIAL: u8 = 128;

/// The budget of the task being polled: `None` is unconstrained.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget(Option<u8>);

impl Budget {
    pub(crate) const fn initial() -> Budget {
        Budget(Some(INITIAL))
    }

    pub(crate) const fn unconstrained() -> Budget {
        Budget(None)
    }
}

/// Runs `f` (a task poll) with a fresh budget (rule 1).
#[inline]
pub(crate) fn budget<R>(f: impl FnOnce() -> R) -> R {
    with_budget(Budget::initial(), f)
}

/// Runs `f` with no budget limit.
pub(crate) fn with_unconstrained<R>(f: impl FnOnce() -> R) -> R {
    with_budget(Budget::unconstrained(), f)
}

fn with_budget<R>(budget: Budget, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<Budget>);
    impl Drop for Reset {
        fn drop(&mut self) {
            if let Some(prev) = self.0 {
                context::budget(|cell| cell.set(prev));
            }
        }
    }
    let prev = context::budget(|cell| cell.replace(budget));
    let _reset = Reset(prev);
    f()
}

/// Spends one unit of budget, or wakes the task and returns `Pending` if the
/// budget is exhausted. Keep the returned guard until the operation is known
/// to have made progress, then call `made_progress` on it (rule 2).
///
/// Outside a task (or inside [`unconstrained`]) the budget is unlimited and
/// this is always ready.
///
/// ```
/// use std::task::{ready, Context, Poll};
///
/// // A leaf future's poll: spend a unit, keep it only if the value was ready.
/// fn poll_value(cx: &mut Context<'_>, value: &mut Option<u32>) -> Poll<u32> {
///     let coop = ready!(evloop::task::coop::poll_proceed(cx));
///     match value.take() {
///         Some(v) => {
///             coop.made_progress();
///             Poll::Ready(v)
///         }
///         None => Poll::Pending,
///     }
/// }
/// # let mut value = Some(7);
/// # let waker = std::task::Waker::noop();
/// # assert_eq!(poll_value(&mut Context::from_waker(waker), &mut value), Poll::Ready(7));
/// ```
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    context::budget(|cell| {
        let mut budget = cell.get();
        match budget.0 {
            None => Poll::Ready(RestoreOnPending(Cell::new(budget))),
            Some(0) => {
                // A yield: behind the next driver poll.
                context::defer(cx.waker());
                Poll::Pending
            }
            Some(ref mut n) => {
                let prev = Budget(Some(*n));
                *n -= 1;
                cell.set(budget);
                Poll::Ready(RestoreOnPending(Cell::new(prev)))
            }
        }
    })
    .unwrap_or(Poll::Ready(RestoreOnPending(Cell::new(
        Budget::unconstrained(),
    ))))
}

/// Gives the spent unit back on drop unless `made_progress` was called.
#[derive(Debug)]
pub struct RestoreOnPending(Cell<Budget>);

impl RestoreOnPending {
    /// Keeps the unit spent: the operation it was taken for made progress.
    pub fn made_progress(&self) {
        self.0.set(Budget::unconstrained());
    }
}

impl Drop for RestoreOnPending {
    fn drop(&mut self) {
        let budget = self.0.get();
        if budget.0.is_some() {
            context::budget(|cell| cell.set(budget));
        }
    }
}

/// Spends one unit of the current task's budget, yielding to the scheduler if
/// it is exhausted. Use it in loops that make progress without touching any
/// evloop resource, so they stay fair to other tasks.
///
/// ```
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut sum = 0u64;
/// for i in 0..10_000u64 {
///     sum += i;
///     evloop::task::consume_budget().await;
/// }
/// assert_eq!(sum, 49_995_000);
/// # }
/// ```
pub async fn consume_budget() {
    let mut status = Poll::Pending;
    std::future::poll_fn(move |cx| {
        if status.is_ready() {
            return status;
        }
        status = poll_proceed(cx).map(|restore| restore.made_progress());
        status
    })
    .await
}

/// Whether the current task has budget left: `false` once it has spent its
/// budget for this poll, so that the next budgeted operation will yield.
/// Always `true` outside a task or inside [`unconstrained`].
///
/// ```
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// assert!(evloop::task::coop::has_budget_remaining());
/// # }
/// ```
pub fn has_budget_remaining() -> bool {
    context::budget(|cell| !matches!(cell.get().0, Some(0))).unwrap_or(true)
}

/// Opts a future out of the cooperative budget: it is never forced to yield.
///
/// Use with care: a future that is always ready and unconstrained starves its
/// worker thread.
pub fn unconstrained<F: Future>(inner: F) -> Unconstrained<F> {
    Unconstrained { inner }
}

pin_project_lite::pin_project! {
    /// Future returned by [`unconstrained`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Unconstrained<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let inner = self.project().inner;
        with_unconstrained(|| inner.poll(cx))
    }
}

/// For `select!` and `join!`: `Pending` (after waking the task) if the
/// budget is spent, without spending any.
#[doc(hidden)]
pub fn poll_budget_available(cx: &mut Context<'_>) -> Poll<()> {
    let spent = context::budget(|cell| matches!(cell.get().0, Some(0))).unwrap_or(false);
    if spent {
        cx.waker().wake_by_ref();
        Poll::Pending
    } else {
        Poll::Ready(())
    }
}

/// For `select!` and `join!`: spends one unit, once they complete (rule 3).
#[doc(hidden)]
pub fn consume_one() {
    context::budget(|cell| {
        if let Budget(Some(n)) = cell.get() {
            cell.set(Budget(Some(n.saturating_sub(1))));
        }
    });
}

/// Wraps a future so that each of its polls spends one unit of budget
/// (given back if it returns `Pending`), for futures that can be ready on
/// every poll without touching a budgeted resource (rule 3).
pub(crate) fn cooperative<F: Future>(inner: F) -> Cooperative<F> {
    Cooperative { inner }
}

pin_project_lite::pin_project! {
    /// Future returned by [`cooperative`].
    #[derive(Debug)]
    pub(crate) struct Cooperative<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for Cooperative<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let inner = self.project().inner;
        poll_budgeted(cx, |cx| inner.poll(cx))
    }
}

/// Polls `f` only if the budget allows, for use inside `poll` functions.
pub(crate) fn poll_budgeted<T>(
    cx: &mut Context<'_>,
    f: impl FnOnce(&mut Context<'_>) -> Poll<T>,
) -> Poll<T> {
    let restore = ready!(poll_proceed(cx));
    let res = f(cx);
    if res.is_ready() {
        restore.made_progress();
    }
    res
}
