//! Parking a thread on a condvar: the driver when I/O is disabled, and the
//! blocking `block_on` used outside any runtime.
//!
//! # Protocol
//!
//! `state` is one of `EMPTY`, `PARKED`, `NOTIFIED`.
//!
//! Parker (one thread):
//! 1. If `state` is `NOTIFIED`, set it to `EMPTY` and return (a wake that came
//!    before the park is not lost).
//! 2. Lock the mutex; CAS `EMPTY → PARKED`. If that fails the state is now
//!    `NOTIFIED`: swap it to `EMPTY` and return.
//! 3. Wait on the condvar until `state` is `NOTIFIED` (or the timeout), then
//!    swap it to `EMPTY`.
//!
//! Unparker (any thread):
//! 1. Swap `state` to `NOTIFIED`. If it was not `PARKED`, return: the parker
//!    will see `NOTIFIED` at its step 1 or 2.
//! 2. Lock and unlock the mutex (so the parker is either before step 2's lock,
//!    and will see `NOTIFIED`, or inside the wait), then `notify_one`.
//!
//! Rejected: `std::thread::park`, because the driver's parker is not tied to
//! one thread (the core that owns it can move between threads).

use std::time::Duration;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Condvar, Mutex};

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

#[derive(Debug)]
pub(crate) struct ParkThread {
    inner: Arc<ParkShared>,
}

#[derive(Debug, Clone)]
pub(crate) struct UnparkThread {
    inner: Arc<ParkShared>,
}

#[derive(Debug)]
struct ParkShared {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
}

impl ParkThread {
    pub(crate) fn new() -> ParkThread {
        ParkThread {
            inner: Arc::new(ParkShared {
                state: AtomicUsize::new(EMPTY),
                mutex: Mutex::new(()),
                condvar: Condvar::new(),
            }),
        }
    }

    pub(crate) fn unpark(&self) -> UnparkThread {
        UnparkThread {
            inner: self.inner.clone(),
        }
    }

    pub(crate) fn park(&mut self) {
        self.inner.park(None);
    }

    pub(crate) fn park_timeout(&mut self, dur: Duration) {
        self.inner.park(Some(dur));
    }
}

impl Default for ParkThread {
    fn default() -> Self {
        ParkThread::new()
    }
}

impl UnparkThread {
    pub(crate) fn unpark(&self) {
        // Unparker step 1.
        match self.inner.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => return,
            PARKED => {}
            _ => unreachable!("invalid park state"),
        }
        // Unparker step 2.
        drop(self.inner.mutex.lock());
        self.inner.condvar.notify_one();
    }
}

impl ParkShared {
    fn park(&self, timeout: Option<Duration>) {
        // Parker step 1.
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        if timeout == Some(Duration::ZERO) {
            return;
        }

        // Parker step 2.
        let mut guard = self.mutex.lock();
        if let Err(actual) = self.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            debug_assert_eq!(actual, NOTIFIED);
            self.state.swap(EMPTY, SeqCst);
            return;
        }

        // Parker step 3.
        match timeout {
            None => loop {
                guard = self.condvar.wait(guard);
                if self
                    .state
                    .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                    .is_ok()
                {
                    return;
                }
            },
            Some(dur) => {
                let _guard = self.condvar.wait_timeout(guard, dur);
                // Woken, timed out or spurious: either way the park is over.
                self.state.swap(EMPTY, SeqCst);
            }
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::thread;

    /// An unpark racing with a park is never lost: the parker always returns.
    #[test]
    fn unpark_races_park() {
        crate::loom::model(|| {
            let mut park = ParkThread::new();
            let unpark = park.unpark();
            let th = thread::spawn(move || unpark.unpark());
            park.park();
            th.join().unwrap();
        });
    }
}
