//! A tiny manual executor for white-box tests: poll a future by hand and
//! count how often its waker fires.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

#[derive(Debug, Default)]
pub(crate) struct WakeCounter(AtomicUsize);

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A future pinned on the heap with its own counting waker.
pub(crate) struct Spawned<F> {
    future: Option<Pin<Box<F>>>,
    counter: Arc<WakeCounter>,
    waker: Waker,
    seen: usize,
}

pub(crate) fn spawn<F: Future>(future: F) -> Spawned<F> {
    let counter = Arc::new(WakeCounter::default());
    Spawned {
        future: Some(Box::pin(future)),
        waker: Waker::from(counter.clone()),
        counter,
        seen: 0,
    }
}

impl<F: Future> Spawned<F> {
    pub(crate) fn poll(&mut self) -> Poll<F::Output> {
        self.seen = self.counter.0.load(SeqCst);
        let mut cx = Context::from_waker(&self.waker);
        let fut = self.future.as_mut().expect("polled after drop");
        fut.as_mut().poll(&mut cx)
    }

    /// Number of wakes since the last poll.
    pub(crate) fn woken(&self) -> usize {
        self.counter.0.load(SeqCst) - self.seen
    }

    pub(crate) fn is_woken(&self) -> bool {
        self.woken() > 0
    }

    /// Drops the future (cancellation at its current await point).
    pub(crate) fn cancel(&mut self) {
        self.future = None;
    }

    /// Polls until ready, panicking if it ever returns pending without a wake.
    pub(crate) fn expect_ready(&mut self) -> F::Output {
        match self.poll() {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("future was expected to be ready"),
        }
    }

    pub(crate) fn expect_pending(&mut self) {
        assert!(
            self.poll().is_pending(),
            "future was expected to be pending"
        );
    }
}

/// Polls a future once with a no-op-ish counting waker.
pub(crate) fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    let waker = Waker::from(Arc::new(WakeCounter::default()));
    Pin::new(f).poll(&mut Context::from_waker(&waker))
}
