use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields to the scheduler: the task goes to the back of the run queue, and
/// runs again only after the scheduler has polled its driver (I/O and
/// timers) once more, so a task that yields in a loop never keeps a ready
/// socket or an expired timer waiting; other ready tasks run before it
/// continues.
///
/// ```
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let other = evloop::spawn(async { 1 });
/// evloop::task::yield_now().await; // `other` runs here
/// assert!(other.is_finished());
/// # }
/// ```
///
/// Cancel-safe: dropping the future before it completes loses nothing.
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// Future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        crate::thread_state::defer(cx.waker());
        Poll::Pending
    }
}
