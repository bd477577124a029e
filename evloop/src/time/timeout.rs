//! `timeout`: race a future against a deadline.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::time::error::Elapsed;
use crate::time::sleep::{sleep, sleep_until, Sleep};
use crate::time::Instant;

/// Requires `future` to complete within `duration`.
///
/// Resolves to `Ok(output)` if the future completes first, or
/// `Err(Elapsed)` once `duration` has passed. The future is polled before the
/// timer is checked, so a future that is ready at once always wins, even with
/// a zero duration; the timer is only armed if the first poll returns
/// `Pending`. The timer check is not charged to the task's cooperative
/// budget, so a future that exhausts it cannot outrun its timeout.
///
/// Cancel-safe if `future` is: dropping the `Timeout` drops the future and
/// unregisters the timer.
///
/// # Panics
///
/// If called outside an evloop runtime with timers enabled (see
/// [`sleep`](crate::time::sleep)).
///
/// ```
/// use evloop::time::{sleep, timeout, Duration};
///
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// assert_eq!(timeout(Duration::from_secs(1), async { 7 }).await, Ok(7));
/// let slow = sleep(Duration::from_secs(3600));
/// assert!(timeout(Duration::from_millis(5), slow).await.is_err());
/// # }
/// ```
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        value: future.into_future(),
        delay: sleep(duration),
    }
}

/// Requires `future` to complete before `deadline`. See [`timeout`].
///
/// Cancel-safe if `future` is.
///
/// ```
/// use evloop::time::{timeout_at, Duration, Instant};
///
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let deadline = Instant::now() + Duration::from_millis(5);
/// let never = std::future::pending::<()>();
/// assert!(timeout_at(deadline, never).await.is_err());
/// # }
/// ```
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        value: future.into_future(),
        delay: sleep_until(deadline),
    }
}

pin_project_lite::pin_project! {
    /// Future returned by [`timeout`] and [`timeout_at`].
    ///
    /// Cancel-safe if the inner future is.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Timeout<T> {
        #[pin]
        value: T,
        #[pin]
        delay: Sleep,
    }
}

impl<T> Timeout<T> {
    /// A reference to the inner future.
    pub fn get_ref(&self) -> &T {
        &self.value
    }

    /// A mutable reference to the inner future.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// Takes the inner future back, discarding the timer.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T: Future> Future for Timeout<T> {
    type Output = Result<T::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let me = self.project();
        if let Poll::Ready(v) = me.value.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        // The timer check is not charged to the task's budget: if the inner
        // future spent the last unit, a charged check would return Pending
        // and a future that keeps the task busy could never time out. The
        // inner future's own resource operations still pay, so the task
        // still yields. Skipping the budget check altogether is what running
        // it unconstrained would do, without touching the thread-local.
        let delay = me.delay.poll_uncharged(cx);
        delay.map(|()| Err(Elapsed::new()))
    }
}

impl<T: fmt::Debug> fmt::Debug for Timeout<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("value", &self.value)
            .field("delay", &self.delay)
            .finish()
    }
}
