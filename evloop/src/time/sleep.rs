//! `sleep`, `sleep_until` and the `Sleep` future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use crate::coop;
use crate::time::entry::Site;
use crate::time::timer::TimerEntry;
use crate::time::timer_driver::TimeHandle;
use crate::time::Instant;

/// Waits until `duration` has elapsed.
///
/// Like `sleep_until(Instant::now() + duration)`, except for when the
/// duration starts on a runtime worker (below). The timer has
/// millisecond resolution and never completes early. A duration too large to
/// represent sleeps for about 30 years (effectively forever).
///
/// Cancel-safe: dropping the returned [`Sleep`] unregisters its timer.
///
/// On a runtime worker (a task, or `block_on` of a current_thread runtime)
/// with the clock not paused, `sleep` does not read the clock: the duration
/// counts from the worker's next visit of the driver (when it reads the
/// clock anyway), which comes after the call, so the sleep is never short;
/// it may be late by the time until that visit, as any lazily armed timer
/// (see [`crate::time`]). [`Sleep::deadline`] fixes the deadline if it is
/// not fixed yet; `sleep_until(Instant::now() + duration)` fixes it at the
/// call.
///
/// # Panics
///
/// If called outside an evloop runtime, or on a runtime built without
/// `enable_time()` (or `enable_all()`).
///
/// ```
/// use evloop::time::{sleep, Duration, Instant};
///
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let start = Instant::now();
/// sleep(Duration::from_millis(10)).await;
/// assert!(start.elapsed() >= Duration::from_millis(10));
/// # }
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let site = Site::caller();
    Sleep {
        entry: current_handle(|handle| TimerEntry::after(handle, duration, site)),
    }
}

/// Waits until `deadline` is reached. See [`sleep`].
///
/// A deadline that has already passed completes on the first poll, without
/// waiting for a turn of the driver.
///
/// Cancel-safe: dropping the returned [`Sleep`] unregisters its timer.
///
/// # Panics
///
/// As [`sleep`].
///
/// ```
/// use evloop::time::{sleep_until, Duration, Instant};
///
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let deadline = Instant::now() + Duration::from_millis(5);
/// sleep_until(deadline).await;
/// assert!(Instant::now() >= deadline);
/// # }
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(current_handle(TimeHandle::clone), deadline)
}

/// Runs `f` with the current runtime's time driver, panicking with the fix
/// if there is none.
#[track_caller]
#[inline]
pub(crate) fn current_handle<R>(f: impl FnOnce(&TimeHandle) -> R) -> R {
    // Tested here rather than in `with_current`'s fallback closure, so the
    // panic names the caller's line (`#[track_caller]` stops at a
    // closure). The two loads of the same thread-local fold into one.
    if !crate::time::timer_driver::has_current() {
        no_time_driver();
    }
    crate::time::timer_driver::with_current(f, || no_time_driver())
}

#[cold]
#[track_caller]
fn no_time_driver() -> ! {
    match crate::context::with_driver(|d| d.time.is_some()) {
        // `timer_driver::with_current` mirrors the context's current runtime.
        Some(true) => unreachable!("the current runtime's time driver is not registered"),
        Some(false) => panic!(
            "timers are disabled on this runtime: build it with `Builder::enable_time()` \
             (or `enable_all()`) to use `sleep`, `timeout` and `interval`"
        ),
        None => panic!(
            "there is no evloop runtime on this thread: `sleep`, `timeout` and `interval` \
             must be called from a task, from inside `Runtime::block_on`, or after \
             `Runtime::enter`"
        ),
    }
}

pin_project_lite::pin_project! {
    /// Future returned by [`sleep`] and [`sleep_until`]: completes at its
    /// deadline.
    ///
    /// The timer lives inside this future (no allocation); it is armed on the
    /// first poll (or not at all, if its deadline has already passed: that
    /// poll completes) and disarmed when the future is dropped. Each poll spends
    /// one unit of the task's cooperative budget.
    ///
    /// Cancel-safe: dropping it before completion just unregisters the timer.
    ///
    /// # Panics
    ///
    /// Polling panics if the runtime's timer driver has shut down ("the timer
    /// driver has shut down"): a `Sleep` must not outlive its runtime's
    /// shutdown.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Sleep {
        #[pin]
        entry: TimerEntry,
    }
}

impl Sleep {
    #[track_caller]
    pub(crate) fn new(handle: TimeHandle, deadline: Instant) -> Sleep {
        Sleep {
            entry: TimerEntry::new(handle, deadline.into_std()),
        }
    }

    /// The instant at which this future completes.
    ///
    /// For a [`sleep`] created on a worker whose deadline is not fixed yet
    /// (the worker did not visit the driver since), this fixes it by
    /// reading the clock (for every timer created since that visit).
    pub fn deadline(&self) -> Instant {
        Instant::from_std(self.entry.deadline())
    }

    /// True once the timer fired (and it was not reset since).
    pub fn is_elapsed(&self) -> bool {
        self.entry.is_elapsed()
    }

    /// Moves the deadline to `deadline`, which may be earlier or later; a
    /// `Sleep` that already completed will complete again at the new
    /// deadline. The task is not woken: poll the `Sleep` again after a reset.
    ///
    /// ```
    /// use evloop::time::{sleep, Duration, Instant};
    ///
    /// # #[evloop::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut sleep = std::pin::pin!(sleep(Duration::from_secs(3600)));
    /// sleep.as_mut().reset(Instant::now() + Duration::from_millis(5));
    /// sleep.await; // 5 ms, not an hour
    /// # }
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.project().entry.reset(deadline.into_std());
    }
}

impl Sleep {
    /// Polls the timer without spending a unit of the task's cooperative
    /// budget (what a poll under `coop::with_unconstrained` does, minus the
    /// thread-local accesses). For `Timeout`, whose check must not be
    /// starved by the future it guards.
    #[track_caller]
    #[inline]
    pub(crate) fn poll_uncharged(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().entry.poll_elapsed(cx)
    }
}

impl Future for Sleep {
    type Output = ();

    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(coop::poll_proceed(cx));
        let res = self.as_mut().project().entry.poll_elapsed(cx);
        if res.is_ready() {
            coop.made_progress();
        } else if crate::trace::suspend::enabled() {
            // Where the task waits (the `.await`), and the deadline the
            // late-timer lint measures against (read only when recording:
            // it is not free).
            let at = std::panic::Location::caller();
            crate::trace::suspend::note_sleep(at, self.entry.deadline());
        }
        res
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline())
            .field("is_elapsed", &self.is_elapsed())
            .finish()
    }
}
