//! `Hooks`: what a scheduler calls at its observable moments.
//!
//! One value per runtime, shared by its workers. Each method is small and
//! inlined. What a poll does beyond counting is set by one mode byte,
//! fixed at construction: off, recorder only (`MODE_TRACE`), or clocked
//! (histograms or stall detection, maybe the recorder too; out-of-line
//! functions). The table of call sites is in the `trace` module docs.
//!
//! # Batches
//!
//! A scheduler runs polls in batches (`batch_start` … `batch_end`) and
//! keeps a [`Batch`] for each: the worker's poll count and local queue
//! depth are added up there and published once, at `batch_end` (worker
//! metrics rule 3), and the batch's coarse clock stamp, read once at
//! `batch_start` from `CLOCK_MONOTONIC_COARSE`, is what each polled task
//! keeps as its last-poll stamp (for dumps). `batch_start` returns the
//! mode, so a batch loop can be compiled once per mode (the poll hooks'
//! `MODE` argument; `MODE_ANY` reads it from the batch): the current-thread
//! loop is, and with the hooks off its polls then cost an increment of
//! the batch's count and one store of the stamp into the task — no branch,
//! no clock read. A park/unpark pair reads the precise clock twice (busy
//! time), next to its syscalls.
//!
//! The poll in progress is described by a [`PollStamp`] the polling thread
//! keeps (two words, untouched with the hooks off).
//!
//! With the recorder on, a task costs two records, each standing for two
//! events: `spawn_queued` (its spawn and the wake that queues it, one
//! out-of-line recorder call) and `poll_switch` (the end of the previous
//! poll of the batch and its own start; written inline by the
//! current-thread loop through the batch's `Recording`, a recorder call
//! elsewhere); a batch adds one `poll_start` and one `poll_end`.

use std::fmt;
use std::sync::Arc;

use crate::runtime::metrics::worker::WorkerMetrics;
use crate::runtime::task::{Id, Notified, PollOutcome, SpawnMeta};
use crate::trace::clock;
use crate::trace::recorder::{self, Recorder, Recording};
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
    /// What a poll does beyond the untimed counters: one of the `MODE_*`
    /// values, fixed at construction (one load and one compare on the
    /// poll path instead of a check per feature).
    mode: u8,
    /// The runtime's id, name and park callbacks (set by the builder).
    pub(crate) info: crate::runtime::info::Info,
}

/// Nothing but the untimed counters (recorder, histograms and stall
/// detection off).
pub(crate) const MODE_OFF: u8 = 0;
/// The recorder only: records, no clock read (`trace` is `Some`).
pub(crate) const MODE_TRACE: u8 = 1;
/// Histograms or stall detection (and maybe the recorder): a poll reads
/// the clock.
pub(crate) const MODE_CLOCKED: u8 = 2;
/// As the `MODE` argument of the poll hooks: the caller does not know the
/// mode, the hooks read it from the batch.
pub(crate) const MODE_ANY: u8 = u8::MAX;

/// What a scheduler keeps for the batch of polls it is running, handed to
/// the poll hooks by reference: the worker counters are added up here and
/// published once, by [`Hooks::batch_end`].
///
/// The current-thread loop keeps it in a local; the multi-thread worker in
/// its core, so that it follows the core through a hand-off
/// (`block_in_place`) and only the core's holder publishes it (worker
/// metrics rule 1).
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// `clock::coarse_stamp` of the batch start: each polled task's
    /// last-poll stamp (for dumps).
    stamp: u32,
    /// Polls started since the last `batch_end`.
    polls: u32,
    /// The hooks' mode, copied by `batch_start`: the poll hooks branch on
    /// this byte, next to the counters, rather than on the hooks' own.
    /// (`MODE_OFF` until the first `batch_start`.)
    mode: u8,
}

/// The poll in progress (or whose end is still due), kept by the thread
/// that polls, for the poll hooks: `poll_start` / `poll_switch` write it,
/// `poll_switch` / `poll_end` read it. Two words, read according to the
/// hooks' mode (`MODE_*`); with the hooks off nothing touches it. It stays
/// with the polling thread (a local of its loop), also when a multi-thread
/// worker hands its core off during the poll.
#[derive(Debug, Default)]
pub(crate) struct PollStamp {
    /// `MODE_CLOCKED`: the poll's start (`clock::now_ns`); else unused.
    start: u64,
    /// `MODE_TRACE`, and `MODE_CLOCKED` without stall detection: the task
    /// id. `MODE_CLOCKED` with stall detection: the task's header address
    /// (a `RawTask`) with a ref taken at the poll's start, which keeps its
    /// id, name and spawn site readable after the poll; `poll_end`
    /// releases it. (A stamp not handed to `poll_end` leaks the ref: every
    /// scheduler hands each stamp back, right after the poll.)
    /// `MODE_OFF`: unused.
    word: u64,
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
        let mode = if histograms || stall.is_some() {
            MODE_CLOCKED
        } else if trace.is_some() {
            MODE_TRACE
        } else {
            MODE_OFF
        };
        Hooks {
            workers: (0..workers).map(|_| WorkerMetrics::new()).collect(),
            trace,
            stall,
            histograms,
            mode,
            info: crate::runtime::info::Info::default(),
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
        if NO_OBSERVE {
            return;
        }
        match self.mode {
            MODE_OFF => {}
            MODE_TRACE => {
                // Straight to the recorder's out-of-line hook: no call
                // frame of our own on the recording path.
                let trace = self.trace_in_trace_mode();
                recorder::with_fast(|f| trace.spawn_queued(f, task.raw(), queue_depth));
            }
            _ => self.spawn_queued_clocked(task.raw(), queue_depth),
        }
    }

    /// [`spawn_queued`](Self::spawn_queued) with histograms or stall
    /// detection on.
    #[cold]
    #[inline(never)]
    fn spawn_queued_clocked(&self, raw: crate::runtime::task::RawTask, queue_depth: usize) {
        if let Some(trace) = &self.trace {
            recorder::with_fast(|f| trace.spawn_queued(f, raw, queue_depth));
        }
        if self.histograms {
            Self::stamp_wake(raw);
        }
    }

    /// The recorder, in `MODE_TRACE`.
    #[inline(always)]
    fn trace_in_trace_mode(&self) -> &Recorder {
        debug_assert!(self.mode == MODE_TRACE && self.trace.is_some());
        // SAFETY: `new` sets `mode` to `MODE_TRACE` only when `trace` is
        // `Some`; both fields are private and never change afterwards, and
        // every caller checked `self.mode == MODE_TRACE`.
        unsafe { self.trace.as_deref().unwrap_unchecked() }
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
        if !NO_OBSERVE && self.mode != MODE_OFF {
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
    fn stamp_wake(task: crate::runtime::task::RawTask) {
        task.set_woken_at(clock::now_ns());
    }

    /// A batch of polls starts (or resumes after the driver was polled):
    /// refreshes `batch`'s coarse stamp (no counter read) and opens a busy
    /// stretch if none is open. Counts already in `batch` stay.
    ///
    /// Returns the mode (`MODE_OFF`, `MODE_TRACE` or `MODE_CLOCKED`): the
    /// `MODE` argument of the batch's poll hooks. A loop may be compiled
    /// once per mode: its poll hooks then branch on no mode, and with the
    /// hooks off they only count. (`MODE_ANY` is always right.)
    #[inline]
    pub(crate) fn batch_start(&self, worker: usize, batch: &mut Batch) -> u8 {
        if NO_OBSERVE {
            return MODE_OFF;
        }
        let w = &self.workers[worker];
        batch.stamp = clock::coarse_stamp(clock::coarse_ns());
        batch.mode = self.mode;
        if w.busy_since.get() == 0 {
            w.busy_since.set(clock::now_ns());
        }
        if let Some(trace) = &self.trace {
            trace.new_batch();
        }
        self.mode
    }

    /// For a batch loop compiled for `MODE`, after the batch's first
    /// `poll_start`: this thread's hold on its trace ring, which
    /// `poll_switch` then records through inline (`MODE_TRACE` only).
    #[inline]
    pub(crate) fn recording<const MODE: u8>(&self) -> Option<Recording<'_>> {
        if NO_OBSERVE || MODE != MODE_TRACE {
            return None;
        }
        self.trace.as_ref()?.recording()
    }

    /// The batch ends (the worker is about to poll the driver, park, poll
    /// the `block_on` future, or stop): publishes its poll count and the
    /// local queue depth, `queue_depth`, in the worker's counters.
    #[inline]
    pub(crate) fn batch_end(&self, worker: usize, batch: &mut Batch, queue_depth: usize) {
        if NO_OBSERVE {
            return;
        }
        let w = &self.workers[worker];
        w.polls.add(u64::from(batch.polls));
        w.local_queue_depth.set(queue_depth as u64);
        batch.polls = 0;
    }

    /// The untimed part of every poll: the batch's poll count and the
    /// task's last-poll stamp (for dumps).
    #[inline(always)]
    fn count_poll(batch: &mut Batch, raw: crate::runtime::task::RawTask) {
        batch.polls += 1;
        raw.set_last_poll(batch.stamp);
    }

    /// The first poll of a batch (or a poll that follows no other of the
    /// batch) starts. `MODE`: what [`batch_start`](Self::batch_start)
    /// returned, or `MODE_ANY`.
    #[inline]
    pub(crate) fn poll_start<const MODE: u8, S>(
        &self,
        worker: usize,
        batch: &mut Batch,
        slot: &mut PollStamp,
        task: &Notified<S>,
        queue_depth: usize,
    ) {
        if NO_OBSERVE {
            return;
        }
        let raw = task.raw();
        Self::count_poll(batch, raw);
        let mode = if MODE == MODE_ANY { batch.mode } else { MODE };
        if mode == MODE_OFF {
            return;
        }
        let id = raw.id().as_u64();
        if let Some(trace) = &self.trace {
            trace.poll_start(id, queue_depth);
        }
        if mode == MODE_CLOCKED {
            *slot = self.poll_start_clocked(worker, raw, id);
        } else {
            slot.word = id;
        }
    }

    /// Histograms or stall detection: the poll's precise start.
    #[cold]
    #[inline(never)]
    fn poll_start_clocked(
        &self,
        worker: usize,
        raw: crate::runtime::task::RawTask,
        id: u64,
    ) -> PollStamp {
        let mut start = clock::now_ns();
        if self.histograms {
            let woken = raw.woken_at();
            if woken != 0 {
                self.workers[worker]
                    .schedule_latency
                    .record(start.saturating_sub(woken));
            }
        }
        let word = match &self.stall {
            Some(stall) => {
                start = stall.begin(worker, id);
                raw.ref_inc();
                raw.header_ptr().as_ptr() as usize as u64
            }
            None => id,
        };
        PollStamp { start, word }
    }

    /// Between two polls of one batch, in place of `poll_end(prev,
    /// outcome)` followed by `poll_start(next, queue_depth)`: one call,
    /// and one trace record. `MODE` as for `poll_start`; `recording`: what
    /// [`recording`](Self::recording) returned for the batch, if anything.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn poll_switch<const MODE: u8, S>(
        &self,
        worker: usize,
        batch: &mut Batch,
        recording: Option<&Recording<'_>>,
        slot: &mut PollStamp,
        outcome: PollOutcome,
        next: &Notified<S>,
        queue_depth: usize,
    ) {
        if NO_OBSERVE {
            return;
        }
        let raw = next.raw();
        Self::count_poll(batch, raw);
        let mode = if MODE == MODE_ANY { batch.mode } else { MODE };
        match mode {
            MODE_OFF => {}
            MODE_TRACE => {
                let id = raw.id().as_u64();
                let prev = slot.word;
                match recording {
                    // The batch loop holds the ring: the record inline.
                    Some(recording) => recording.poll_switch(prev, outcome, id, queue_depth),
                    // A loop compiled for `MODE_TRACE` always has one.
                    None if MODE == MODE_TRACE => {
                        self.poll_switch_unrecorded(prev, outcome, id, queue_depth)
                    }
                    None => {
                        if let Some(trace) = &self.trace {
                            // Straight to the recorder's out-of-line hook,
                            // no call frame of our own.
                            let word = Recorder::poll_switch_word(outcome, queue_depth);
                            if !recorder::with_fast(|f| trace.try_poll_switch(f, prev, id, word)) {
                                trace.poll_switch_slow(prev, outcome, id, queue_depth);
                            }
                        }
                    }
                }
                slot.word = id;
            }
            _ => self.poll_switch_clocked(worker, slot, outcome, raw, queue_depth),
        }
    }

    /// `poll_switch` in a loop compiled for `MODE_TRACE` without a
    /// [`Recording`] (the recorder could not hand one out).
    #[cold]
    #[inline(never)]
    fn poll_switch_unrecorded(&self, prev: u64, outcome: PollOutcome, next: u64, depth: usize) {
        if let Some(trace) = &self.trace {
            trace.poll_switch_slow(prev, outcome, next, depth);
        }
    }

    /// The task id a `MODE_CLOCKED` stamp stands for.
    fn clocked_id(&self, stamp: &PollStamp) -> u64 {
        if self.stall.is_some() {
            stalled_task(stamp).id().as_u64()
        } else {
            stamp.word
        }
    }

    /// [`poll_switch`](Self::poll_switch) with histograms or stall
    /// detection on.
    #[cold]
    #[inline(never)]
    fn poll_switch_clocked(
        &self,
        worker: usize,
        slot: &mut PollStamp,
        outcome: PollOutcome,
        raw: crate::runtime::task::RawTask,
        queue_depth: usize,
    ) {
        let id = raw.id().as_u64();
        if let Some(trace) = &self.trace {
            let prev_id = self.clocked_id(slot);
            let word = Recorder::poll_switch_word(outcome, queue_depth);
            if !recorder::with_fast(|f| trace.try_poll_switch(f, prev_id, id, word)) {
                trace.poll_switch_slow(prev_id, outcome, id, queue_depth);
            }
        }
        self.poll_end_clocked(worker, slot);
        *slot = self.poll_start_clocked(worker, raw, id);
    }

    /// The batch's last poll ended. `MODE` as for `poll_start`.
    #[inline]
    pub(crate) fn poll_end<const MODE: u8>(
        &self,
        worker: usize,
        slot: &PollStamp,
        outcome: PollOutcome,
    ) {
        if NO_OBSERVE {
            return;
        }
        let mode = if MODE == MODE_ANY { self.mode } else { MODE };
        match mode {
            MODE_OFF => {}
            MODE_TRACE => {
                if let Some(trace) = &self.trace {
                    trace.poll_end(slot.word, outcome);
                }
            }
            _ => {
                if let Some(trace) = &self.trace {
                    trace.poll_end(self.clocked_id(slot), outcome);
                }
                self.poll_end_clocked(worker, slot);
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn poll_end_clocked(&self, worker: usize, stamp: &PollStamp) {
        if self.histograms {
            let took = clock::now_ns().saturating_sub(stamp.start);
            self.workers[worker].poll_time.record(took);
        }
        if let Some(stall) = &self.stall {
            let raw = stalled_task(stamp);
            let id = raw.id().as_u64();
            stall.end(worker, id, stamp.start, raw.name(), raw.spawned_at());
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
        if let Some(f) = &self.info.on_park {
            f();
        }
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
        if let Some(f) = &self.info.on_unpark {
            f();
        }
        if NO_OBSERVE {
            return;
        }
        self.workers[worker].unparks.add(1);
        self.workers[worker].busy_since.set(clock::now_ns());
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

/// The task of a `MODE_CLOCKED` stamp taken with stall detection on.
fn stalled_task(stamp: &PollStamp) -> crate::runtime::task::RawTask {
    let ptr = std::ptr::NonNull::new(stamp.word as usize as *mut _)
        .expect("a stall-detection stamp holds a task address");
    // SAFETY: with stall detection on, `poll_start_clocked` stores the
    // header address of the polled task in `word` and takes a ref on it,
    // which `poll_end_clocked` releases only after its last use of the
    // task: the cell is alive.
    unsafe { crate::runtime::task::RawTask::from_raw(ptr) }
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
