//! `Hooks`: what a scheduler calls at its observable moments.
//!
//! One value per runtime, shared by its workers. Each method is small and
//! inlined; everything that needs a timestamp per event (histograms, the
//! recorder, stall detection) sits behind one branch on `timed`, which is
//! `false` unless one of them was turned on, in out-of-line functions. The
//! table of call sites is in the `trace` module docs.
//!
//! With all of them off, a poll costs what tokio's metrics cost too — the
//! poll counter and the queue depth — plus one store of the worker's coarse
//! stamp into the task (for dumps), and no clock read: the coarse stamp is
//! refreshed once per batch from `CLOCK_MONOTONIC_COARSE`. A park/unpark
//! pair reads the precise clock twice (busy time), next to its syscalls.
//!
//! With the recorder on, a task costs two recorder calls, each writing
//! one record that stands for two events: `spawn_queued` (its spawn and
//! the wake that queues it) and `poll_switch` (the end of the previous
//! poll of the batch and its own start); a batch adds one `poll_start`
//! and one `poll_end`.

use std::fmt;
use std::sync::Arc;

use crate::runtime::metrics::worker::WorkerMetrics;
use crate::task::{Id, Notified, PollOutcome, SpawnMeta};
use crate::trace::clock;
use crate::trace::recorder::{self, Recorder};
use crate::trace::stall::StallDetector;
use crate::trace::TraceSnapshot;

/// Built with `--cfg evloop_no_observe` (a benchmark baseline only): no
/// counters, no clock reads, no recorder; every hook is empty.
const NO_OBSERVE: bool = cfg!(evloop_no_observe);

pub(crate) struct Hooks {
    pub(crate) workers: Box<[WorkerMetrics]>,
    pub(crate) trace: Option<Arc<Recorder>>,
    pub(crate) stall: Option<Arc<StallDetector>>,
    pub(crate) histograms: bool,
    /// Any of the three above is on: take precise timestamps.
    timed: bool,
    /// Histograms or stall detection: a poll reads the clock.
    clocked: bool,
}

/// What `poll_start` hands to `poll_end`.
#[must_use]
pub(crate) struct PollStamp {
    /// 0: untimed (nothing to do at the end); `TIMED_NO_CLOCK`: timed, no
    /// precise start needed; else the start (`clock::now_ns`).
    start: u64,
    id: u64,
    /// While stall detection is on, the task with a ref taken at the
    /// poll's start, which keeps its name and spawn site readable after
    /// the poll; `poll_end` releases it. A plain pointer rather than a
    /// `RawTaskRef`: no drop glue on the scheduler's poll path. (A stamp
    /// not handed to `poll_end` leaks the ref: every scheduler hands each
    /// stamp back, right after the poll.)
    task: Option<crate::task::RawTask>,
}

/// `PollStamp::start` of a timed poll whose start time nobody needs.
const TIMED_NO_CLOCK: u64 = 1;

impl PollStamp {
    const UNTIMED: PollStamp = PollStamp {
        start: 0,
        id: 0,
        task: None,
    };
}

impl Hooks {
    pub(crate) fn new(
        workers: usize,
        trace: Option<Arc<Recorder>>,
        stall: Option<Arc<StallDetector>>,
        histograms: bool,
    ) -> Hooks {
        // `--cfg evloop_no_observe`: the baseline build the benchmark
        // compares against; every hook compiles to nothing.
        let (trace, stall, histograms) = if NO_OBSERVE {
            (None, None, false)
        } else {
            (trace, stall, histograms)
        };
        let timed = trace.is_some() || stall.is_some() || histograms;
        let stall_on = stall.is_some();
        Hooks {
            workers: (0..workers).map(|_| WorkerMetrics::new()).collect(),
            trace,
            stall,
            histograms,
            timed,
            clocked: histograms || stall_on,
        }
    }

    /// A task is about to be created; returns `meta` with what the task
    /// must record for these hooks (a wake stamp while histograms are on).
    /// Nothing is recorded yet: [`spawn_queued`](Self::spawn_queued) (or
    /// [`spawn_unqueued`](Self::spawn_unqueued)) follows.
    #[inline]
    pub(crate) fn spawn_meta<'a>(&self, mut meta: SpawnMeta<'a>) -> SpawnMeta<'a> {
        meta.track_wakes = self.histograms;
        meta
    }

    /// The task `spawn_meta` prepared was created and is about to be
    /// queued, `queue_depth` as for [`wake`](Self::wake): its spawn and
    /// the wake that queues it, in one call. (The spawn site and name are
    /// read back from the task, so the caller keeps no `SpawnMeta` alive
    /// across the task's creation.)
    #[inline]
    pub(crate) fn spawn_queued<S>(&self, task: &Notified<S>, queue_depth: usize) {
        if !NO_OBSERVE && self.timed {
            // Straight to the recorder's out-of-line hook: no call frame
            // of our own on the recording path.
            let raw = task.raw();
            if let Some(trace) = &self.trace {
                if !recorder::with_fast(|f| trace.try_spawn_queued(f, raw, queue_depth)) {
                    trace.spawn_queued_slow(raw, queue_depth);
                }
            }
            if self.histograms {
                Self::stamp_wake(raw);
            }
        }
    }

    /// The task `spawn_meta` prepared was created but not queued: the
    /// runtime is shutting down and cancelled it at once.
    #[cold]
    pub(crate) fn spawn_unqueued(&self, id: Id, meta: SpawnMeta<'_>) {
        if let Some(trace) = &self.trace {
            trace.spawn(id.as_u64(), meta.spawned_at, meta.name);
        }
    }

    #[inline]
    pub(crate) fn wake<S>(&self, task: &Notified<S>, queue_depth: usize) {
        if !NO_OBSERVE && self.timed {
            let raw = task.raw();
            if let Some(trace) = &self.trace {
                trace.wake(raw.id().as_u64(), queue_depth);
            }
            if self.histograms {
                Self::stamp_wake(raw);
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn stamp_wake(task: crate::task::RawTask) {
        task.set_woken_at(clock::now_ns());
    }

    /// Once per batch of polls: refreshes the coarse stamp (no counter
    /// read) and opens a busy stretch if none is open.
    #[inline]
    pub(crate) fn batch_start(&self, worker: usize) {
        if NO_OBSERVE {
            return;
        }
        let w = &self.workers[worker];
        w.poll_stamp
            .set(u64::from(clock::coarse_stamp(clock::coarse_ns())));
        if w.busy_since.get() == 0 {
            w.busy_since.set(clock::now_ns());
        }
        if let Some(trace) = &self.trace {
            trace.new_batch();
        }
    }

    /// The untimed part of every poll: the worker's counters and the
    /// task's last-poll stamp (for dumps).
    #[inline(always)]
    fn count_poll(&self, worker: usize, raw: crate::task::RawTask, queue_depth: usize) {
        let w = &self.workers[worker];
        w.polls.add(1);
        w.local_queue_depth.set(queue_depth as u64);
        raw.set_last_poll(w.poll_stamp.get() as u32);
    }

    #[inline]
    pub(crate) fn poll_start<S>(
        &self,
        worker: usize,
        task: &Notified<S>,
        queue_depth: usize,
    ) -> PollStamp {
        if NO_OBSERVE {
            return PollStamp::UNTIMED;
        }
        let raw = task.raw();
        self.count_poll(worker, raw, queue_depth);
        if !self.timed {
            return PollStamp::UNTIMED;
        }
        let id = raw.id().as_u64();
        if let Some(trace) = &self.trace {
            trace.poll_start(id, queue_depth);
        }
        if self.clocked {
            return self.poll_start_clocked(worker, raw, id);
        }
        PollStamp {
            start: TIMED_NO_CLOCK,
            id,
            task: None,
        }
    }

    /// Histograms or stall detection: the poll's precise start.
    #[cold]
    #[inline(never)]
    fn poll_start_clocked(&self, worker: usize, raw: crate::task::RawTask, id: u64) -> PollStamp {
        let mut start = clock::now_ns();
        if self.histograms {
            let woken = raw.woken_at();
            if woken != 0 {
                self.workers[worker]
                    .schedule_latency
                    .record(start.saturating_sub(woken));
            }
        }
        let task = match &self.stall {
            Some(stall) => {
                start = stall.begin(worker, id);
                raw.ref_inc();
                Some(raw)
            }
            None => None,
        };
        // Never mistaken for `TIMED_NO_CLOCK` (1 ns after the epoch).
        let start = start.max(TIMED_NO_CLOCK + 1);
        PollStamp { start, id, task }
    }

    /// Between two polls of one batch, in place of `poll_end(prev,
    /// outcome)` followed by `poll_start(next, queue_depth)`: one call,
    /// and one trace record.
    #[inline]
    pub(crate) fn poll_switch<S>(
        &self,
        worker: usize,
        prev: PollStamp,
        outcome: PollOutcome,
        next: &Notified<S>,
        queue_depth: usize,
    ) -> PollStamp {
        if NO_OBSERVE {
            return PollStamp::UNTIMED;
        }
        let raw = next.raw();
        self.count_poll(worker, raw, queue_depth);
        if !self.timed {
            // `prev` is untimed too: `timed` never changes.
            return PollStamp::UNTIMED;
        }
        let id = raw.id().as_u64();
        if !self.clocked {
            // Recording only (`prev` has no clock either): straight to the
            // recorder's out-of-line hook, no call frame of our own.
            if let Some(trace) = &self.trace {
                let word = Recorder::poll_switch_word(outcome, queue_depth);
                if !recorder::with_fast(|f| trace.try_poll_switch(f, prev.id, id, word)) {
                    trace.poll_switch_slow(prev.id, outcome, id, queue_depth);
                }
            }
            return PollStamp {
                start: TIMED_NO_CLOCK,
                id,
                task: None,
            };
        }
        self.poll_switch_clocked(worker, prev, outcome, raw, id, queue_depth)
    }

    /// [`poll_switch`](Self::poll_switch) with histograms or stall
    /// detection on.
    #[cold]
    #[inline(never)]
    fn poll_switch_clocked(
        &self,
        worker: usize,
        prev: PollStamp,
        outcome: PollOutcome,
        raw: crate::task::RawTask,
        id: u64,
        queue_depth: usize,
    ) -> PollStamp {
        if let Some(trace) = &self.trace {
            let word = Recorder::poll_switch_word(outcome, queue_depth);
            if !recorder::with_fast(|f| trace.try_poll_switch(f, prev.id, id, word)) {
                trace.poll_switch_slow(prev.id, outcome, id, queue_depth);
            }
        }
        if prev.start != TIMED_NO_CLOCK {
            self.poll_end_clocked(worker, prev);
        }
        self.poll_start_clocked(worker, raw, id)
    }

    #[inline]
    pub(crate) fn poll_end(&self, worker: usize, stamp: PollStamp, outcome: PollOutcome) {
        if !NO_OBSERVE && stamp.start != 0 {
            if let Some(trace) = &self.trace {
                trace.poll_end(stamp.id, outcome);
            }
            if stamp.start != TIMED_NO_CLOCK {
                self.poll_end_clocked(worker, stamp);
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn poll_end_clocked(&self, worker: usize, stamp: PollStamp) {
        if self.histograms {
            let took = clock::now_ns().saturating_sub(stamp.start);
            self.workers[worker].poll_time.record(took);
        }
        if let Some(raw) = stamp.task {
            if let Some(stall) = &self.stall {
                stall.end(worker, stamp.id, stamp.start, raw.name(), raw.spawned_at());
            }
            // The ref `poll_start_clocked` took.
            raw.drop_reference();
        }
    }

    /// The `block_on` future is about to be polled (traced as task 0).
    #[inline]
    pub(crate) fn block_on_start(&self) {
        if NO_OBSERVE {
            return;
        }
        if let Some(trace) = &self.trace {
            trace.poll_start(0, 0);
        }
    }

    /// The `block_on` future's poll returned; `ready`: the loop is exiting.
    #[inline]
    pub(crate) fn block_on_end(&self, worker: usize, ready: bool) {
        if NO_OBSERVE {
            return;
        }
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
        if NO_OBSERVE {
            return;
        }
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
        if NO_OBSERVE {
            return;
        }
        let w = &self.workers[worker];
        let now = clock::now_ns();
        w.poll_stamp.set(u64::from(clock::coarse_stamp(now)));
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
