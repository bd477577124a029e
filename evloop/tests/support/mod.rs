//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod chromium;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use evloop::runtime::{Builder, Runtime};

pub fn rt() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

/// Two workers: the reactor's events are delivered on whichever worker
/// parks in it, and tasks migrate between workers.
pub fn mt() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A future that stays pending until the gate is opened from anywhere.
#[derive(Clone, Default)]
pub struct Gate {
    inner: Arc<Mutex<GateState>>,
}

#[derive(Default)]
struct GateState {
    open: bool,
    wakers: Vec<Waker>,
}

impl Gate {
    pub fn new() -> Gate {
        Gate::default()
    }

    pub fn open(&self) {
        let wakers = {
            let mut s = self.inner.lock().unwrap();
            s.open = true;
            std::mem::take(&mut s.wakers)
        };
        for w in wakers {
            w.wake();
        }
    }

    pub fn wait(&self) -> GateWait {
        GateWait { gate: self.clone() }
    }

    /// Number of wakers registered and not yet woken.
    pub fn waiters(&self) -> usize {
        self.inner.lock().unwrap().wakers.len()
    }
}

pub struct GateWait {
    gate: Gate,
}

impl Future for GateWait {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.gate.inner.lock().unwrap();
        if s.open {
            Poll::Ready(())
        } else {
            s.wakers.push(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// Counts drops of the values it hands out.
#[derive(Clone, Default)]
pub struct DropCounter {
    count: Arc<AtomicUsize>,
}

pub struct Tracked {
    count: Arc<AtomicUsize>,
}

impl DropCounter {
    pub fn new() -> DropCounter {
        DropCounter::default()
    }

    pub fn track(&self) -> Tracked {
        Tracked {
            count: self.count.clone(),
        }
    }

    pub fn dropped(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.count.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls `f` once with a no-op waker.
pub fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    let waker = Waker::noop();
    Pin::new(f).poll(&mut Context::from_waker(waker))
}

/// Runs `f` on its own thread and returns what it returns; a panic in `f`
/// fails the caller as itself, and `f` still running after `limit` fails it
/// with `hung` (a deadlock or a lost wake fails the test instead of hanging
/// it).
pub fn watchdog<R: Send + 'static>(
    limit: Duration,
    hung: &str,
    f: impl FnOnce() -> R + Send + 'static,
) -> R {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match done_rx.recv_timeout(limit) {
        Ok(Ok(v)) => v,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("{hung}"),
    }
}
