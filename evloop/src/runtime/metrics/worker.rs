//! Per-worker counters: plain cells with one writer each.
//!
//! # Rules
//!
//! 1. Only the thread currently running worker `i` (holding its core)
//!    writes `workers[i]`; the hand-off of the core (a mutex) orders one
//!    writer's stores before the next one's. So an increment is a `Relaxed`
//!    load and store — no read-modify-write on the hot path.
//! 2. Readers (`RuntimeMetrics`, any thread) load `Relaxed`: each value is
//!    a statistic, consistent on its own, not with the others.
//! 3. The poll count and the local queue depth are published once per
//!    batch of polls (`Hooks::batch_end`: when the worker goes to the
//!    driver, parks, polls the `block_on` future or stops; a multi-thread
//!    worker at least every `event_interval` ticks), not per poll: a
//!    reader sees every poll of the batches that ended, exactly, and none
//!    of the batch in progress.

use crate::loom::sync::atomic::{AtomicU64, Ordering};
use crate::runtime::metrics::histogram::AtomicHistogram;

/// Aligned to two cache lines so that two workers' counters never share
/// one (adjacent-line prefetch included).
#[repr(align(128))]
pub(crate) struct WorkerMetrics {
    /// Polls of the worker's batches that ended (rule 3).
    pub(crate) polls: Counter,
    pub(crate) parks: Counter,
    /// Returns from those parks (one less than `parks` while parked).
    pub(crate) unparks: Counter,
    pub(crate) steals: Counter,
    /// Nanoseconds spent outside the driver, closed at each park.
    pub(crate) busy_ns: Counter,
    /// Start of the current busy stretch (`trace::clock` ns; 0: idle).
    pub(crate) busy_since: Counter,
    /// Tasks in the local queue at the last batch end or park.
    pub(crate) local_queue_depth: Counter,
    pub(crate) poll_time: AtomicHistogram,
    pub(crate) schedule_latency: AtomicHistogram,
}

/// A `u64` with one writer (rule 1).
pub(crate) struct Counter(AtomicU64);

impl Counter {
    fn new() -> Counter {
        Counter(AtomicU64::new(0))
    }

    // `#[inline]`: the schedulers' loops that count are generic (one copy
    // per `block_on` future), so they are compiled in the user's crate,
    // where a non-generic function is a call unless marked inline.

    #[inline]
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    #[inline]
    pub(crate) fn set(&self, v: u64) {
        self.0.store(v, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn add(&self, n: u64) {
        self.set(self.get().wrapping_add(n));
    }
}

impl WorkerMetrics {
    pub(crate) fn new() -> WorkerMetrics {
        WorkerMetrics {
            polls: Counter::new(),
            parks: Counter::new(),
            unparks: Counter::new(),
            steals: Counter::new(),
            busy_ns: Counter::new(),
            busy_since: Counter::new(),
            local_queue_depth: Counter::new(),
            poll_time: AtomicHistogram::new(),
            schedule_latency: AtomicHistogram::new(),
        }
    }
}
