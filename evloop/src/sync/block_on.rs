//! Blocking the current thread on a future, for the `blocking_*` methods
//! (`oneshot::Receiver::blocking_recv`, `Mutex::blocking_lock`,
//! `mpsc::Sender::blocking_send`, ...).
//!
//! These methods let synchronous code (a plain thread, `spawn_blocking`) talk
//! to asynchronous code. They park the calling thread until the future's waker
//! fires. Called on a thread that drives a runtime they would stall every task
//! on that thread — possibly the very task that would wake them — so they
//! panic there instead.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Wake, Waker};

use crate::thread_state::{self, EnterRuntime};
use crate::util::park::{ParkThread, UnparkThread};

/// Wakes the parked thread.
struct Unparker(UnparkThread);

impl Wake for Unparker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread, parking between polls, until it completes.
///
/// # Panics
///
/// If this thread is driving a runtime (inside `block_on` or on a worker);
/// `what` names the method for the panic message.
#[track_caller]
pub(crate) fn block_on<F: Future>(what: &str, future: F) -> F::Output {
    if let EnterRuntime::Entered { .. } = thread_state::runtime_entered() {
        panic!(
            "`{what}` was called from within an asynchronous runtime: blocking here would stall \
             the tasks of this thread. Use the `async` version with `.await` instead, or call \
             it from a thread that is not driving a runtime (e.g. `task::spawn_blocking`)"
        );
    }
    let mut park = ParkThread::new();
    // `Waker::from` needs std's `Arc`; the parker inside is the loom-aware one.
    let waker = Waker::from(std::sync::Arc::new(Unparker(park.unpark())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        park.park();
    }
}
