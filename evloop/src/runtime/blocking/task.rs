//! The future of a blocking task: runs its closure once, when first polled.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::coop;

/// A closure as a future. Polled once, on a pool thread, it calls the
/// closure and is ready with its result; it never returns `Pending`, so a
/// started closure is never cancelled.
pub(crate) struct BlockingTask<F> {
    func: Option<F>,
}

impl<F> BlockingTask<F> {
    pub(crate) fn new(func: F) -> BlockingTask<F> {
        BlockingTask { func: Some(func) }
    }
}

// The closure is never pinned: it is moved out before it is called.
impl<F> Unpin for BlockingTask<F> {}

impl<F, R> Future for BlockingTask<F>
where
    F: FnOnce() -> R,
{
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let func = self
            .func
            .take()
            .expect("blocking task polled after it completed");
        // The closure blocks its thread anyway; a budget would only make
        // the resources it uses (`block_on` inside it) yield for nothing.
        Poll::Ready(coop::with_unconstrained(func))
    }
}

impl<F> fmt::Debug for BlockingTask<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingTask")
            .field("started", &self.func.is_none())
            .finish()
    }
}
