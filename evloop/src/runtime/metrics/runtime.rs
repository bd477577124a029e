//! `RuntimeMetrics`: the public, read-only view of a runtime's counters.

use std::fmt;
use std::time::Duration;

use crate::runtime::metrics::histogram::{Histogram, BUCKETS};
use crate::runtime::metrics::worker::WorkerMetrics;
use crate::runtime::scheduler;

/// Counters and histograms of a runtime, from
/// [`Handle::metrics`](crate::runtime::Handle::metrics).
///
/// Every method reads the current value; counters only grow. Per-worker
/// values are kept by each worker in its own cells and summed here, so
/// reading costs the workers nothing. A worker publishes its poll count
/// and local queue depth once per batch of polls — when it goes back to
/// the driver, parks, polls the `block_on` future or stops (a busy
/// multi-thread worker at least every `event_interval` polls) — so a
/// published count is exact for the batches that ended but leaves out
/// the batch in progress.
///
/// ```
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let metrics = evloop::runtime::Handle::current().metrics();
/// evloop::spawn(async {}).await.unwrap();
/// assert_eq!(metrics.num_workers(), 1);
/// assert!(metrics.spawned_tasks_count() >= 1);
/// assert!(metrics.worker_poll_count(0) >= 1);
/// # }
/// ```
///
/// Not yet here: blocking-pool thread counts (`num_blocking_threads`,
/// idle blocking threads) and I/O driver counters, which arrive with the
/// blocking pool and the reactor.
#[derive(Clone)]
pub struct RuntimeMetrics {
    handle: scheduler::SchedulerHandle,
}

impl RuntimeMetrics {
    pub(crate) fn new(handle: scheduler::SchedulerHandle) -> RuntimeMetrics {
        RuntimeMetrics { handle }
    }

    fn worker(&self, worker: usize) -> &WorkerMetrics {
        let workers = &self.handle.hooks().workers;
        assert!(
            worker < workers.len(),
            "worker index {worker} out of range: the runtime has {} workers",
            workers.len()
        );
        &workers[worker]
    }

    /// Worker threads (1 for the current-thread runtime).
    pub fn num_workers(&self) -> usize {
        self.handle.hooks().workers.len()
    }

    /// Tasks spawned and not yet completed or cancelled.
    pub fn num_alive_tasks(&self) -> usize {
        self.handle.num_alive_tasks()
    }

    /// Tasks ever spawned on this runtime.
    pub fn spawned_tasks_count(&self) -> u64 {
        self.handle.spawned_tasks_count()
    }

    /// Tasks waiting in the shared (inject) queue: spawned or woken from
    /// outside the workers.
    pub fn global_queue_depth(&self) -> usize {
        self.handle.global_queue_depth()
    }

    /// Polls of tasks by `worker` (the `block_on` future is not counted),
    /// as of the end of its last batch of polls (see above): on the
    /// current-thread runtime, all polls before the `block_on` future's
    /// current poll.
    ///
    /// # Panics
    ///
    /// If `worker >= num_workers()`; so do the other `worker_*` methods.
    pub fn worker_poll_count(&self, worker: usize) -> u64 {
        self.worker(worker).polls.get()
    }

    /// Times `worker` blocked in the driver because it had nothing to run.
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.worker(worker).parks.get()
    }

    /// Times `worker` parked plus times it came back from a park: even
    /// while it runs, odd while it is parked (as of its last park or
    /// unpark).
    ///
    /// ```
    /// let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// rt.block_on(async { evloop::time::sleep(std::time::Duration::from_millis(1)).await });
    /// let metrics = rt.metrics();
    /// let n = metrics.worker_park_unpark_count(0);
    /// assert!(n >= 2 && n % 2 == 0);
    /// assert_eq!(n, 2 * metrics.worker_park_count(0));
    /// ```
    pub fn worker_park_unpark_count(&self, worker: usize) -> u64 {
        let w = self.worker(worker);
        // Unparks first: a park that lands between the two loads then
        // reads as "parked" (odd), never as a count that went backwards.
        let unparks = w.unparks.get();
        w.parks.get() + unparks
    }

    /// Tasks `worker` stole from other workers (always 0 on the
    /// current-thread runtime).
    pub fn worker_steal_count(&self, worker: usize) -> u64 {
        self.worker(worker).steals.get()
    }

    /// Tasks in `worker`'s local queue, as of the end of its last batch of
    /// polls or its last park.
    pub fn worker_local_queue_depth(&self, worker: usize) -> usize {
        self.worker(worker).local_queue_depth.get() as usize
    }

    /// Time `worker` spent running (polling tasks and its loop) rather than
    /// parked, counted up to its last park or loop exit.
    pub fn worker_total_busy_duration(&self, worker: usize) -> Duration {
        Duration::from_nanos(self.worker(worker).busy_ns.get())
    }

    /// Whether the histograms are being filled
    /// ([`Builder::enable_metrics_poll_time_histogram`](crate::runtime::Builder::enable_metrics_poll_time_histogram)).
    pub fn poll_time_histogram_enabled(&self) -> bool {
        self.handle.hooks().histograms
    }

    /// How long polls took, summed over workers (empty unless enabled).
    pub fn poll_time_histogram(&self) -> Histogram {
        let mut buckets = [0; BUCKETS];
        for w in self.handle.hooks().workers.iter() {
            w.poll_time.add_to(&mut buckets);
        }
        Histogram { buckets }
    }

    /// How long tasks waited in a run queue, from the wake (or spawn) to
    /// the start of the poll, summed over workers (empty unless enabled).
    pub fn schedule_latency_histogram(&self) -> Histogram {
        let mut buckets = [0; BUCKETS];
        for w in self.handle.hooks().workers.iter() {
            w.schedule_latency.add_to(&mut buckets);
        }
        Histogram { buckets }
    }
}

impl fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RuntimeMetrics");
        d.field("num_workers", &self.num_workers())
            .field("num_alive_tasks", &self.num_alive_tasks())
            .field("spawned_tasks_count", &self.spawned_tasks_count())
            .field("global_queue_depth", &self.global_queue_depth());
        let polls: Vec<_> = (0..self.num_workers())
            .map(|w| self.worker_poll_count(w))
            .collect();
        d.field("worker_poll_count", &polls).finish_non_exhaustive()
    }
}
