//! Parking a worker: one parked worker sleeps in the shared driver, the others
//! on their own condvars.
//!
//! The runtime has one driver (epoll + timer wheel), and somebody must sleep
//! in it for I/O events and timers to be noticed. A worker with nothing to do
//! tries to take the driver; if another worker already holds it, it sleeps on
//! its own condvar instead. Waking a worker therefore depends on where it
//! sleeps: a condvar sleeper gets `notify_one`, the driver holder gets
//! `drivers::DriverHandle::unpark` (a write to the reactor's waker fd).
//!
//! # State
//!
//! Each worker's `state` is one of `EMPTY` (awake, no pending wake),
//! `PARKED_CONDVAR`, `PARKED_DRIVER` (asleep, and where) and `NOTIFIED` (a
//! wake that the worker has not consumed yet).
//!
//! # Rules
//!
//! 1. Only the worker itself moves its state out of `NOTIFIED` or into a
//!    `PARKED_*` state; unparkers only swap in `NOTIFIED`.
//! 2. At most one worker holds the driver, by holding `Shared::driver`'s lock
//!    (taken with `try_lock`, so parking never blocks on another parker).
//! 3. A wake is never lost: see the protocol.
//!
//! # Protocol
//!
//! Parker (the worker):
//! 1. CAS `NOTIFIED → EMPTY`: on success a wake came first; return.
//! 2. `try_lock` the driver. If taken: CAS `EMPTY → PARKED_DRIVER` (on
//!    failure the state is `NOTIFIED`: swap to `EMPTY`, return); park in the
//!    driver; swap the state back to `EMPTY`; release the driver.
//! 3. Otherwise lock the condvar mutex, CAS `EMPTY → PARKED_CONDVAR` (as in
//!    step 2 on failure), and wait until the state is `NOTIFIED`, then set it
//!    to `EMPTY`.
//!
//! Unparker (any thread):
//! 1. Swap in `NOTIFIED`. If the old state was `EMPTY` or `NOTIFIED`, return:
//!    the parker will see `NOTIFIED` at its step 1, 2 or 3.
//! 2. `PARKED_CONDVAR`: lock and unlock the mutex (so the parker is inside its
//!    wait, not between its CAS and the wait), then `notify_one`.
//! 3. `PARKED_DRIVER`: unpark the driver. Its unpark is sticky (a token in the
//!    reactor's waker or the condvar parker), so if the parker is between its
//!    CAS and the driver's sleep, that sleep returns at once; if it already
//!    returned, the next driver sleep returns early once — harmless, the
//!    worker loop re-checks its queues after every park.
//!
//! Rejected: every idle worker sleeping in the driver (the driver is `&mut`:
//! one epoll instance, one timer wheel); the driver holder waking the others
//! by broadcasting (a thundering herd, see [`super::idle`]); a dedicated
//! driver thread (an extra thread hop on every I/O wake).

use std::fmt;
use std::time::Duration;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Condvar, Mutex};
use crate::runtime::drivers;

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

/// What a worker parks on when it holds the driver (the driver contract's
/// park source). The runtime uses [`drivers::Driver`]; the loom models use a
/// condvar parker.
pub(crate) use crate::runtime::contract::Park as ParkDriver;

/// The driver, shared by all the parkers of one runtime (rule 2).
pub(crate) struct Shared<D: ParkDriver = drivers::Driver> {
    driver: Mutex<D>,
}

/// A worker's end: parks. Owned by the worker's core.
pub(crate) struct Parker<D: ParkDriver = drivers::Driver> {
    inner: Arc<WorkerParkShared>,
    shared: Arc<Shared<D>>,
}

/// Wakes one worker; held by the scheduler's shared state.
#[derive(Clone)]
pub(crate) struct Unparker {
    inner: Arc<WorkerParkShared>,
}

struct WorkerParkShared {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
}

impl<D: ParkDriver> Shared<D> {
    pub(crate) fn new(driver: D) -> Arc<Shared<D>> {
        Arc::new(Shared {
            driver: Mutex::new(driver),
        })
    }

    /// Shuts the driver down, waiting for its holder to release it.
    pub(crate) fn shutdown(&self, handle: &D::Handle) {
        self.driver.lock().shutdown(handle);
    }
}

impl<D: ParkDriver> Parker<D> {
    pub(crate) fn new(shared: Arc<Shared<D>>) -> Parker<D> {
        Parker {
            inner: Arc::new(WorkerParkShared {
                state: AtomicUsize::new(EMPTY),
                mutex: Mutex::new(()),
                condvar: Condvar::new(),
            }),
            shared,
        }
    }

    pub(crate) fn unparker(&self) -> Unparker {
        Unparker {
            inner: self.inner.clone(),
        }
    }

    /// Sleeps until unparked (or, when holding the driver, until an I/O or
    /// timer event). May return spuriously. Returns the number of I/O
    /// events this thread delivered (0 unless it held the driver).
    pub(crate) fn park(&mut self, handle: &D::Handle) -> usize {
        self.park_inner(handle, None)
    }

    /// Polls the driver without blocking if nobody else holds it: lets a busy
    /// worker notice I/O and timers every few ticks. Consumes a pending wake.
    /// Returns the number of I/O events delivered.
    pub(crate) fn park_timeout_zero(&mut self, handle: &D::Handle) -> usize {
        self.park_inner(handle, Some(Duration::ZERO))
    }

    /// Shuts the shared driver down (at runtime shutdown, by the last
    /// worker to stop).
    pub(crate) fn shutdown_driver(&mut self, handle: &D::Handle) {
        self.shared.shutdown(handle);
    }

    fn park_inner(&mut self, handle: &D::Handle, timeout: Option<Duration>) -> usize {
        let inner = &*self.inner;
        // Step 1.
        if inner.consume_notification() {
            return 0;
        }
        // Step 2.
        if let Some(mut driver) = self.shared.driver.try_lock() {
            if !inner.enter(PARKED_DRIVER) {
                return 0;
            }
            let events = driver.park(handle, timeout);
            inner.state.swap(EMPTY, SeqCst);
            return events;
        }
        if timeout == Some(Duration::ZERO) {
            return 0;
        }
        // Step 3.
        let mut guard = inner.mutex.lock();
        if !inner.enter(PARKED_CONDVAR) {
            return 0;
        }
        loop {
            guard = inner.condvar.wait(guard);
            if inner.consume_notification() {
                return 0;
            }
        }
    }
}

impl WorkerParkShared {
    #[must_use]
    fn consume_notification(&self) -> bool {
        self.state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
    }

    /// `EMPTY → parked`; false (and the wake consumed) if a wake came first.
    #[must_use]
    fn enter(&self, parked: usize) -> bool {
        match self.state.compare_exchange(EMPTY, parked, SeqCst, SeqCst) {
            Ok(_) => true,
            Err(actual) => {
                debug_assert_eq!(actual, NOTIFIED);
                self.state.swap(EMPTY, SeqCst);
                false
            }
        }
    }
}

impl Unparker {
    pub(crate) fn unpark<D: ParkDriver>(&self, handle: &D::Handle) {
        let inner = &*self.inner;
        match inner.state.swap(NOTIFIED, SeqCst) {
            // Unparker step 1.
            EMPTY | NOTIFIED => {}
            // Step 2.
            PARKED_CONDVAR => {
                drop(inner.mutex.lock());
                inner.condvar.notify_one();
            }
            // Step 3.
            PARKED_DRIVER => D::unpark(handle),
            actual => unreachable!("invalid park state {actual}"),
        }
    }
}

impl<D: ParkDriver> fmt::Debug for Shared<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("park::Shared").finish_non_exhaustive()
    }
}

impl<D: ParkDriver> fmt::Debug for Parker<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parker")
            .field("state", &self.inner.state.load(SeqCst))
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Unparker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unparker").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod fake {
    //! A driver that is just a condvar parker, for the tests and models.
    use super::ParkDriver;
    use crate::util::park::{ParkThread, UnparkThread};
    use std::time::Duration;

    impl ParkDriver for ParkThread {
        type Handle = UnparkThread;

        fn park(&mut self, _handle: &UnparkThread, timeout: Option<Duration>) -> usize {
            match timeout {
                Some(d) => self.park_timeout(d),
                None => ParkThread::park(self),
            }
            0
        }

        fn unpark(handle: &UnparkThread) {
            handle.unpark()
        }

        fn shutdown(&mut self, _handle: &UnparkThread) {}
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::util::park::ParkThread;
    use std::sync::mpsc;
    use std::thread;

    /// Three workers park (one in the driver, two on condvars); unparking
    /// each, in any order, wakes each.
    #[test]
    fn each_unpark_wakes_its_worker() {
        let driver = ParkThread::new();
        let handle = driver.unpark();
        let shared = Shared::new(driver);
        let (tx, rx) = mpsc::channel();
        let mut unparkers = Vec::new();
        let mut threads = Vec::new();
        for i in 0..3 {
            let mut parker = Parker::new(shared.clone());
            unparkers.push(parker.unparker());
            let handle = handle.clone();
            let tx = tx.clone();
            threads.push(thread::spawn(move || {
                // Loop over spurious wakeups until told to stop.
                for round in 0..2 {
                    parker.park(&handle);
                    tx.send((i, round)).unwrap();
                }
            }));
        }
        for round in 0..2 {
            for (i, u) in unparkers.iter().enumerate() {
                u.unpark::<ParkThread>(&handle);
                let (who, r) = rx.recv().unwrap();
                assert_eq!((who, r), (i, round));
            }
        }
        for t in threads {
            t.join().unwrap();
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::thread;
    use crate::util::park::ParkThread;

    /// Two workers park (whichever gets the driver sleeps in it, the other on
    /// its condvar) while another thread unparks both: both return.
    #[test]
    fn loom_park_driver_and_condvar_unpark() {
        crate::loom::model(|| {
            let driver = ParkThread::new();
            let handle = Arc::new(driver.unpark());
            let shared = Shared::new(driver);
            let mut p0 = Parker::new(shared.clone());
            let mut p1 = Parker::new(shared);
            let (u0, u1) = (p0.unparker(), p1.unparker());

            let h = handle.clone();
            let t = thread::spawn(move || p1.park(&h));
            let h = handle.clone();
            let waker = thread::spawn(move || {
                u0.unpark::<ParkThread>(&h);
                u1.unpark::<ParkThread>(&h);
            });
            p0.park(&handle);
            t.join().unwrap();
            waker.join().unwrap();
        });
    }
}
