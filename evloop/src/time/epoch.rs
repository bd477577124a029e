//! Epochs: the shared start of a group of timers that did not read the
//! clock.
//!
//! A timer created by `sleep(d)` on a worker (real clock) joins its queue's
//! open epoch and stores only `d` (`time::arm_queue`, epochs). The epoch's start
//! is read once, when the epoch closes, and each of its timers is then due
//! at `start + d`.
//!
//! # Rules
//!
//! 1. The start is set once. The queue's owner sets it with a clock
//!    reading taken after every creation in the epoch (program order,
//!    [`Epoch::close_owner`]). Any other thread first claims it
//!    (`CLOSING`), then reads the clock, then publishes the reading
//!    ([`Epoch::close`]): its reading is later than the claim, which is
//!    later than every creation that saw the epoch open.
//! 2. An epoch owns one strong reference to its driver ([`DriverRef`]), so
//!    that a timer holding the epoch needs no driver reference of its own
//!    (`time::anchor`). The reference is erased: the driver holds the
//!    queues that hold the epoch, so naming the driver's type here would
//!    make the timer's types import each other in a loop. Only the driver
//!    makes a `DriverRef` (`driver::Handle::driver_ref`), so the pointer is
//!    always the driver's shared state; the ownership cycle this forms at
//!    run time is broken by arm_queue rule 8.

use std::fmt;
use std::ptr::NonNull;

use crate::loom::sync::atomic::AtomicU64;
use crate::loom::sync::atomic::Ordering::{AcqRel, Acquire, Release, SeqCst};

/// The start of a group of timers created between two driver visits of one
/// worker. Shared by the timers and their queue.
pub(crate) struct Epoch {
    /// `OPEN`, `CLOSING`, or the start as an encoded deadline (rule 1).
    start: AtomicU64,
    /// Rule 2.
    driver: DriverRef,
    /// The address of the queue the epoch belongs to (0: none), only
    /// compared (arm_queue rule 10).
    queue: usize,
}

const OPEN: u64 = 0;
const CLOSING: u64 = u64::MAX;

impl Epoch {
    /// A new open epoch of the queue at address `queue` (0: of none).
    pub(crate) fn new(driver: DriverRef, queue: usize) -> Epoch {
        Epoch {
            start: AtomicU64::new(OPEN),
            driver,
            queue,
        }
    }

    /// The driver the epoch's timers belong to (rule 2).
    #[inline]
    pub(crate) fn driver(&self) -> *const () {
        self.driver.ptr.as_ptr()
    }

    /// The address of the queue the epoch belongs to.
    #[inline]
    pub(crate) fn queue(&self) -> usize {
        self.queue
    }

    #[inline]
    pub(crate) fn is_open(&self) -> bool {
        self.start.load(SeqCst) == OPEN
    }

    /// The start, if the epoch was closed.
    #[inline]
    pub(crate) fn start(&self) -> Option<u64> {
        match self.start.load(Acquire) {
            OPEN | CLOSING => None,
            s => Some(s),
        }
    }

    /// Closes the epoch from any thread (rule 1): claims it, then reads the
    /// clock with `now`. Returns the start.
    pub(crate) fn close(&self, now: impl FnOnce() -> u64) -> u64 {
        match self.start.compare_exchange(OPEN, CLOSING, SeqCst, Acquire) {
            Ok(_) => {
                let start = now();
                self.start.store(start, Release);
                start
            }
            Err(_) => self.wait_closed(),
        }
    }

    /// Closes the epoch with a reading the owner took after every creation
    /// in it (rule 1). Returns the start (another thread's, if it won).
    pub(crate) fn close_owner(&self, start: u64) -> u64 {
        match self.start.compare_exchange(OPEN, start, AcqRel, Acquire) {
            Ok(_) => start,
            Err(_) => self.wait_closed(),
        }
    }

    /// The start, waiting for a claimer to publish it.
    pub(crate) fn wait_closed(&self) -> u64 {
        loop {
            if let Some(s) = self.start() {
                return s;
            }
            crate::loom::spin_loop();
        }
    }
}

impl fmt::Debug for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Epoch")
            .field("start", &self.start())
            .finish()
    }
}

/// One strong reference to a timer driver's shared state, erased (rule 2),
/// released on drop.
pub(crate) struct DriverRef {
    ptr: NonNull<()>,
    release: unsafe fn(NonNull<()>),
}

impl DriverRef {
    /// # Safety
    ///
    /// `ptr` is one strong reference that the new value owns, and
    /// `release(ptr)` gives it back exactly once.
    pub(crate) unsafe fn new(ptr: NonNull<()>, release: unsafe fn(NonNull<()>)) -> DriverRef {
        DriverRef { ptr, release }
    }
}

impl Drop for DriverRef {
    fn drop(&mut self) {
        // SAFETY: we own the reference (`new`), released here once.
        unsafe { (self.release)(self.ptr) }
    }
}

// SAFETY: the driver's shared state is `Send + Sync` (rule 2: only the
// driver makes a `DriverRef`, of its own `Arc`).
unsafe impl Send for DriverRef {}
// SAFETY: as above; `&DriverRef` only reads the pointer.
unsafe impl Sync for DriverRef {}
