//! Cooperative scheduling budget: what keeps one busy task from starving
//! the others on its thread.
//!
//! Public API: [`consume_budget`] and [`cooperative`] make your own loops
//! and futures spend the budget, [`poll_proceed`] does it inside a
//! hand-written `poll`, [`has_budget_remaining`] asks whether the current
//! task may keep going, [`unconstrained`] opts a future out.
//!
//! A task that is always ready (a socket that always has data, a channel that
//! is never empty) would never return `Pending` and would starve every other
//! task, the timers and the reactor on its thread. To prevent that, each poll
//! of a task gets a budget of `thread_state::INITIAL_BUDGET` units. Every resource operation
//! (`recv`, `read`, a timer check, a `JoinHandle` poll) spends one unit via
//! [`poll_proceed`]; when the budget is spent, the resource returns `Pending`
//! once after waking the task, so the task goes to the back of the queue,
//! behind the next poll of the driver (`thread_state::defer`), as `yield_now` does.
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

use crate::thread_state::{self, Budget};

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
                thread_state::budget(|cell| cell.set(prev));
            }
        }
    }
    let prev = thread_state::budget(|cell| cell.replace(budget));
    let _reset = Reset(prev);
    f()
}

/// Whether the task being polled may still do work before it must yield:
/// true outside a task, inside [`unconstrained`], and while its budget is
/// not spent.
///
/// ```
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// use evloop::task::coop;
///
/// assert!(coop::has_budget_remaining());
/// let mut spent = 0;
/// while coop::has_budget_remaining() {
///     coop::consume_budget().await;
///     spent += 1;
/// }
/// assert!(spent > 0);
/// # }
/// ```
#[inline]
pub fn has_budget_remaining() -> bool {
    thread_state::budget(|cell| !matches!(cell.get().0, Some(0))).unwrap_or(true)
}

/// Spends one unit of budget, or wakes the task and returns `Pending` if the
/// budget is exhausted. Keep the returned guard until the operation is known
/// to have made progress, then call [`made_progress`](RestoreOnPending::made_progress)
/// on it; dropped without that call, it gives the unit back (rule 2).
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::task::{ready, Context, Poll};
///
/// /// Always ready, but budgeted like evloop's own resources.
/// struct Ticks(u64);
///
/// impl Future for Ticks {
///     type Output = u64;
///     fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
///         let coop = ready!(evloop::task::coop::poll_proceed(cx));
///         self.0 += 1;
///         coop.made_progress();
///         Poll::Ready(self.0)
///     }
/// }
/// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// assert_eq!(Ticks(0).await, 1);
/// # });
/// ```
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    thread_state::budget(|cell| {
        let mut budget = cell.get();
        match budget.0 {
            None => Poll::Ready(RestoreOnPending(Cell::new(budget))),
            Some(0) => {
                // A yield: behind the next driver poll.
                thread_state::defer(cx.waker());
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

/// Returned by [`poll_proceed`]: gives the spent unit back on drop unless
/// [`made_progress`](Self::made_progress) was called.
#[derive(Debug)]
#[must_use = "drop it only once the operation is known to have made progress or not"]
pub struct RestoreOnPending(Cell<Budget>);

impl RestoreOnPending {
    /// The operation made progress: the unit stays spent.
    pub fn made_progress(&self) {
        self.0.set(Budget::unconstrained());
    }
}

impl Drop for RestoreOnPending {
    fn drop(&mut self) {
        let budget = self.0.get();
        if budget.0.is_some() {
            thread_state::budget(|cell| cell.set(budget));
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
    let spent = thread_state::budget(|cell| matches!(cell.get().0, Some(0))).unwrap_or(false);
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
    thread_state::budget(|cell| {
        if let Budget(Some(n)) = cell.get() {
            cell.set(Budget(Some(n.saturating_sub(1))));
        }
    });
}

/// Wraps a future so that each of its polls spends one unit of budget
/// (given back if it returns `Pending`), for futures that can be ready on
/// every poll without touching a budgeted resource (rule 3): a channel of
/// another crate, say.
///
/// ```
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// use evloop::task::coop;
///
/// let v = coop::cooperative(async { 1 + 1 }).await;
/// assert_eq!(v, 2);
/// # }
/// ```
pub fn cooperative<F: Future>(inner: F) -> Coop<F> {
    Coop { inner }
}

pin_project_lite::pin_project! {
    /// Future returned by [`cooperative`].
    ///
    /// **Cancel safety:** as cancel-safe as the future it wraps.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Coop<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for Coop<F> {
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
