//! `Hooks`: what a scheduler calls at its observable moments.
//!
//! One value per runtime, shared by its workers. Each method is small and
//! inlined; everything that needs a precise timestamp (histograms, the
//! recorder, stall detection) sits behind one branch on `timed`, which is
//! `false` unless one of them was turned on. The table of call sites is in
//! the `trace` module docs.

use std::fmt;
use std::sync::Arc;

use crate::context;
use crate::runtime::metrics::worker::WorkerMetrics;
use crate::task::{Id, Notified, PollOutcome, SpawnMeta};
use crate::trace::clock;
use crate::trace::recorder::Recorder;
use crate::trace::stall::StallDetector;
use crate::trace::TraceSnapshot;

pub(crate) struct Hooks {
    pub(crate) workers: Box<[WorkerMetrics]>,
    pub(crate) trace: Option<Arc<Recorder>>,
    pub(crate) stall: Option<Arc<StallDetector>>,
    pub(crate) histograms: bool,
    /// Any of the three above is on: take precise timestamps.
    timed: bool,
}

/// What `poll_start` hands to `poll_end`.
#[must_use]
pub(crate) struct PollStamp {
    start: u64,
    id: u64,
    /// While stall detection is on, a ref that keeps the task's name and
    /// spawn site readable after the poll.
    task: Option<crate::task::RawTaskRef>,
}

impl Hooks {
    pub(crate) fn new(
        workers: usize,
        trace: Option<Arc<Recorder>>,
        stall: Option<Arc<StallDetector>>,
        histograms: bool,
    ) -> Hooks {
        let timed = trace.is_some() || stall.is_some() || histograms;
        Hooks {
            workers: (0..workers).map(|_| WorkerMetrics::new()).collect(),
            trace,
            stall,
            histograms,
            timed,
        }
    }

    /// A task is about to be created; returns `meta` with what the task
    /// must record for these hooks (a wake stamp while histograms are on).
    #[inline]
    pub(crate) fn spawn<'a>(&self, id: Id, mut meta: SpawnMeta<'a>) -> SpawnMeta<'a> {
        if let Some(trace) = &self.trace {
            let parent = context::current_task_id().map(|p| p.as_u64());
            trace.spawn(id.as_u64(), parent, meta.spawned_at, meta.name);
        }
        meta.track_wakes = self.histograms;
        meta
    }

    #[inline]
    pub(crate) fn wake<S>(&self, task: &Notified<S>, queue_depth: usize) {
        if self.timed {
            self.wake_timed(task.raw(), queue_depth);
        }
    }

    #[cold]
    fn wake_timed(&self, task: crate::task::RawTask, queue_depth: usize) {
        if self.histograms {
            task.set_woken_at(clock::now_ns());
        }
        if let Some(trace) = &self.trace {
            trace.wake(task.id().as_u64(), queue_depth);
        }
    }

    /// Once per batch of polls: refreshes the coarse clock and opens a busy stretch.
    #[inline]
    pub(crate) fn batch_start(&self, worker: usize) {
        let w = &self.workers[worker];
        let now = clock::now_ns();
        w.coarse_now.set(now);
        if w.busy_since.get() == 0 {
            w.busy_since.set(now);
        }
    }

    #[inline]
    pub(crate) fn poll_start<S>(
        &self,
        worker: usize,
        task: &Notified<S>,
        queue_depth: usize,
    ) -> PollStamp {
        let w = &self.workers[worker];
        w.polls.add(1);
        w.local_queue_depth.set(queue_depth as u64);
        let raw = task.raw();
        if !self.timed {
            raw.set_last_poll(clock::coarse_stamp(w.coarse_now.get()));
            return PollStamp {
                start: 0,
                id: 0,
                task: None,
            };
        }
        self.poll_start_timed(worker, raw, queue_depth)
    }

    #[cold]
    fn poll_start_timed(
        &self,
        worker: usize,
        raw: crate::task::RawTask,
        queue_depth: usize,
    ) -> PollStamp {
        let id = raw.id().as_u64();
        let mut start = clock::now_ns();
        raw.set_last_poll(clock::coarse_stamp(start));
        if self.histograms {
            let woken = raw.woken_at();
            if woken != 0 {
                self.workers[worker]
                    .schedule_latency
                    .record(start.saturating_sub(woken));
            }
        }
        if let Some(trace) = &self.trace {
            trace.poll_start(id, queue_depth);
        }
        let task = match &self.stall {
            Some(stall) => {
                start = stall.begin(worker, id);
                Some(crate::task::RawTaskRef::new(raw))
            }
            None => None,
        };
        PollStamp { start, id, task }
    }

    #[inline]
    pub(crate) fn poll_end(&self, worker: usize, stamp: PollStamp, outcome: PollOutcome) {
        if stamp.start != 0 {
            self.poll_end_timed(worker, stamp, outcome);
        }
    }

    #[cold]
    fn poll_end_timed(&self, worker: usize, stamp: PollStamp, outcome: PollOutcome) {
        if self.histograms {
            let took = clock::now_ns().saturating_sub(stamp.start);
            self.workers[worker].poll_time.record(took);
        }
        if let Some(trace) = &self.trace {
            trace.poll_end(stamp.id, outcome);
        }
        if let (Some(stall), Some(task)) = (&self.stall, &stamp.task) {
            let raw = task.raw();
            stall.end(worker, stamp.id, stamp.start, raw.name(), raw.spawned_at());
        }
    }

    /// The `block_on` future is about to be polled (traced as task 0).
    #[inline]
    pub(crate) fn block_on_start(&self) {
        if let Some(trace) = &self.trace {
            trace.poll_start(0, 0);
        }
    }

    /// The `block_on` future's poll returned; `ready`: the loop is exiting.
    #[inline]
    pub(crate) fn block_on_end(&self, worker: usize, ready: bool) {
        if let Some(trace) = &self.trace {
            trace.poll_end(
                0,
                if ready {
                    PollOutcome::Complete
                } else {
                    PollOutcome::Pending
                },
            );
        }
        if ready {
            // Leaving the loop: close the busy stretch.
            self.close_busy(&self.workers[worker], clock::now_ns());
        }
    }

    fn close_busy(&self, w: &WorkerMetrics, now: u64) {
        let since = w.busy_since.get();
        if since != 0 {
            w.busy_ns.add(now.saturating_sub(since));
            w.busy_since.set(0);
        }
    }

    /// The worker is about to block in the driver.
    #[inline]
    pub(crate) fn park(&self, worker: usize, queue_depth: usize) {
        let w = &self.workers[worker];
        w.parks.add(1);
        w.local_queue_depth.set(queue_depth as u64);
        self.close_busy(w, clock::now_ns());
        if let Some(trace) = &self.trace {
            trace.park(queue_depth);
        }
    }

    /// The worker is back from a blocking park.
    #[inline]
    pub(crate) fn unpark(&self, worker: usize) {
        let w = &self.workers[worker];
        let now = clock::now_ns();
        w.coarse_now.set(now);
        w.busy_since.set(now);
        if let Some(trace) = &self.trace {
            trace.unpark();
        }
    }

    /// Runtime shutdown is cancelling a task that was never polled to the end.
    #[inline]
    pub(crate) fn shutdown_task(&self, id: Id) {
        if let Some(trace) = &self.trace {
            trace.cancel(id.as_u64());
        }
    }

    /// Time driver: about to fire `n` expired timers; wakes until
    /// [`timers_done`](Self::timers_done) are attributed to timers.
    pub(crate) fn timers_firing(&self, n: u64) {
        if let Some(trace) = &self.trace {
            trace.timers_fired(n, true);
        }
    }

    pub(crate) fn timers_done(&self) {
        if let Some(trace) = &self.trace {
            trace.timers_fired(0, false);
        }
    }

    /// Reactor: `epoll_wait` returned `n` readiness events.
    pub(crate) fn io_ready(&self, n: u64) {
        if let Some(trace) = &self.trace {
            trace.io_ready(n);
        }
    }

    pub(crate) fn trace_snapshot(&self) -> Option<TraceSnapshot> {
        self.trace.as_ref().map(|t| t.snapshot())
    }

    /// The runtime is gone: stop the watchdog, write the trace file.
    pub(crate) fn finish(&self) {
        if let Some(stall) = &self.stall {
            stall.stop();
        }
        if let Some(trace) = &self.trace {
            if let Some(path) = trace.output() {
                if let Err(e) = trace.snapshot().write(path) {
                    eprintln!(
                        "evloop: could not write the trace to {}: {e}",
                        path.display()
                    );
                }
            }
        }
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("workers", &self.workers.len())
            .field("trace", &self.trace.is_some())
            .field("stall", &self.stall)
            .field("histograms", &self.histograms)
            .finish()
    }
}
