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
//! The poll in progress is described by a [`Polling`] the polling thread
//! keeps (untouched with the hooks off). `poll_end` records nothing: it
//! leaves the outcome pending there, and the next `poll_start` writes one
//! record for the end and the start, or `batch_end` the end alone.
//!
//! # Hook points
//!
//! One per observable moment, each called from one place per scheduler
//! flavour (table in the `trace` module docs): [`spawn`](Hooks::spawn),
//! [`poll_start`](Hooks::poll_start), [`poll_end`](Hooks::poll_end),
//! [`wake`](Hooks::wake), [`park`](Hooks::park), [`unpark`](Hooks::unpark),
//! [`timers_firing`](Hooks::timers_firing) (timer fire) and
//! [`io_ready`](Hooks::io_ready); `batch_start`/`batch_end` open and close
//! the batch state and record no moment of their own.
//!
//! With the recorder on, a task costs two records, each standing for two
//! events: its spawn and the wake that queues it (one out-of-line recorder
//! call), and a poll switch (the end of the previous poll of the batch and
//! its own start; written inline by the current-thread loop through the
//! batch's `Recording`, a recorder call elsewhere); a batch adds one poll
//! start and one poll end.

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
    /// The worker's index, noted by `batch_start`.
    worker: usize,
}

/// The poll in progress, or the last one whose end is still pending, kept
/// by the thread that polls, for the poll hooks: `poll_start` writes it,
/// `poll_end` leaves the outcome in it, and the next `poll_start` or
/// `batch_end` records that end. Read according to the hooks' mode
/// (`MODE_*`); with the hooks off nothing touches it. It stays with the
/// polling thread (a local of its loop), also when a multi-thread worker
/// hands its core off during the poll.
#[derive(Default)]
pub(crate) struct Polling<'h> {
    /// `MODE_CLOCKED`: the poll's start (`clock::now_ns`); else unused.
    start: u64,
    /// `MODE_TRACE`, and `MODE_CLOCKED` without stall detection: the task
    /// id. `MODE_CLOCKED` with stall detection: the task's header address
    /// (a `RawTask`) with a ref taken at the poll's start, which keeps its
    /// id, name and spawn site readable after the poll; the poll's end
    /// releases it. (A poll end never recorded leaks the ref: every
    /// scheduler ends each batch with `batch_end`.)
    /// `MODE_OFF`: unused.
    word: u64,
    /// `MODE_CLOCKED`: the worker that polls.
    worker: usize,
    /// The end of the last poll, not recorded yet.
    ended: Option<PollOutcome>,
    /// A loop compiled for `MODE_TRACE`: its hold on this thread's ring,
    /// taken at the batch's first poll, through which each poll switch is
    /// recorded inline.
    recording: Option<Recording<'h>>,
}

impl fmt::Debug for Polling<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Polling")
            .field("word", &self.word)
            .field("ended", &self.ended)
            .finish()
    }
}

/// What the [`spawn`](Hooks::spawn) hook is told about a new task.
pub(crate) enum Spawned<'a, S: 'static> {
    /// About to be queued.
    Queued(&'a Notified<S>),
    /// Created while the runtime shut down, and cancelled at once.
    Cancelled(Id, SpawnMeta<'a>),
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
        if let Some(recorder) = trace.as_ref().filter(|t| t.flight().is_some()) {
            // Flight recorder triggers 2 and 3.
            crate::trace::flight::watch_signal(recorder);
            if let Some(stall) = &stall {
                let weak = Arc::downgrade(recorder);
                stall.on_stall(Box::new(move |why| {
                    if let Some(r) = weak.upgrade() {
                        if let Some(flight) = r.flight() {
                            flight.trigger(&r, &format!("stall: {why}"));
                        }
                    }
                }));
            }
        }
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

    /// Whether a task must keep a wake stamp for these hooks (histograms
    /// on): what a scheduler puts in the task's `SpawnMeta::track_wakes`
    /// before creating it. A setting, not an event: nothing is recorded.
    #[inline]
    pub(crate) fn tracks_wakes(&self) -> bool {
        self.histograms
    }

    /// Hook point **spawn**: a task was created. `Spawned::Queued`: it is
    /// about to be queued, `queue_depth` as for [`wake`](Self::wake) (its
    /// spawn and the wake that queues it, one record); `Spawned::Cancelled`:
    /// the runtime is shutting down and cancelled it at once. (The spawn
    /// site and name are read back from the task, so the caller keeps no
    /// `SpawnMeta` alive across the task's creation.)
    #[inline]
    pub(crate) fn spawn<S: 'static>(&self, task: Spawned<'_, S>, queue_depth: usize) {
        if NO_OBSERVE {
            return;
        }
        let task = match task {
            Spawned::Queued(task) => task,
            Spawned::Cancelled(id, meta) => return self.spawn_cancelled(id, meta),
        };
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

    /// [`spawn`](Self::spawn) with histograms or stall detection on.
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

    /// [`spawn`](Self::spawn) of a task cancelled at once.
    #[cold]
    fn spawn_cancelled(&self, id: Id, meta: SpawnMeta<'_>) {
        if let Some(trace) = &self.trace {
            trace.spawn(id.as_u64(), meta.spawned_at, meta.name);
        }
    }

    /// Hook point **wake**: `task` is about to be queued, `queue_depth` the
    /// queue's depth after the push.
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

    /// Opens a worker's [`Batch`] (not an event): refreshes its coarse
    /// stamp (no counter read), notes the worker's index and opens a busy
    /// stretch if none is open. Counts already in `batch` stay. Called
    /// when the worker comes back to its tasks (loop start, after the
    /// driver, after `block_on`'s poll).
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
        batch.worker = worker;
        if w.busy_since.get() == 0 {
            w.busy_since.set(clock::now_ns());
        }
        if let Some(trace) = &self.trace {
            trace.new_batch();
        }
        self.mode
    }

    /// Closes the batch (not an event; the worker is about to poll the
    /// driver, park, poll the `block_on` future, or stop): the end of its
    /// last poll, if [`poll_end`](Self::poll_end) left it pending in
    /// `polling`, is recorded, and the batch's poll count and the local
    /// queue depth, `queue_depth`, are published in the worker's counters.
    /// `batch` is `None` on a thread that lost its core during the poll
    /// (`block_in_place`): only the poll's end is due there. `MODE` as for
    /// the poll hooks (with the hooks off no end is ever pending).
    #[inline]
    pub(crate) fn batch_end<const MODE: u8>(
        &self,
        batch: Option<&mut Batch>,
        polling: &mut Polling<'_>,
        queue_depth: usize,
    ) {
        if NO_OBSERVE {
            return;
        }
        if MODE != MODE_OFF {
            if let Some(outcome) = polling.ended.take() {
                self.record_poll_end(polling, outcome);
            }
        }
        if let Some(batch) = batch {
            let w = &self.workers[batch.worker];
            w.polls.add(u64::from(batch.polls));
            w.local_queue_depth.set(queue_depth as u64);
            batch.polls = 0;
        }
    }

    /// The untimed part of every poll: the batch's poll count and the
    /// task's last-poll stamp (for dumps).
    #[inline(always)]
    fn count_poll(batch: &mut Batch, raw: crate::runtime::task::RawTask) {
        batch.polls += 1;
        raw.set_last_poll(batch.stamp);
    }

    /// Hook point **poll start**: `task` is about to be polled by the
    /// worker of `batch`, `queue_depth` tasks left in its queue. `MODE`:
    /// what [`batch_start`](Self::batch_start) returned, or `MODE_ANY`.
    ///
    /// If the previous poll's end is still pending in `polling` (the polls
    /// follow each other in one batch), one record stands for both events
    /// (recorder rule 4); a loop compiled for `MODE_TRACE` records it
    /// inline through the batch's [`Recording`], taken here at the
    /// batch's first poll.
    #[inline]
    pub(crate) fn poll_start<'h, const MODE: u8, S>(
        &'h self,
        batch: &mut Batch,
        polling: &mut Polling<'h>,
        task: &Notified<S>,
        queue_depth: usize,
    ) {
        if NO_OBSERVE {
            return;
        }
        let raw = task.raw();
        Self::count_poll(batch, raw);
        let mode = if MODE == MODE_ANY { batch.mode } else { MODE };
        match mode {
            MODE_OFF => {}
            MODE_TRACE => {
                let id = raw.id().as_u64();
                match polling.ended.take() {
                    None => {
                        if let Some(trace) = &self.trace {
                            trace.poll_start(id, queue_depth);
                        }
                        if MODE == MODE_TRACE && polling.recording.is_none() {
                            polling.recording = self.trace.as_ref().and_then(|t| t.recording());
                        }
                    }
                    Some(outcome) => self.poll_switch::<MODE>(polling, outcome, id, queue_depth),
                }
                polling.word = id;
            }
            _ => {
                let id = raw.id().as_u64();
                match polling.ended.take() {
                    None => {
                        if let Some(trace) = &self.trace {
                            trace.poll_start(id, queue_depth);
                        }
                    }
                    Some(outcome) => self.poll_switch_clocked(polling, outcome, id, queue_depth),
                }
                self.poll_start_clocked(batch.worker, polling, raw, id);
            }
        }
    }

    /// `MODE_TRACE`: the end of the previous poll and the start of `next`,
    /// one record.
    #[inline(always)]
    fn poll_switch<const MODE: u8>(
        &self,
        polling: &Polling<'_>,
        outcome: PollOutcome,
        next: u64,
        depth: usize,
    ) {
        let prev = polling.word;
        match &polling.recording {
            // The batch loop holds the ring: the record inline.
            Some(recording) => recording.poll_switch(prev, outcome, next, depth),
            // A loop compiled for `MODE_TRACE` always has one.
            None if MODE == MODE_TRACE => self.poll_switch_unrecorded(prev, outcome, next, depth),
            None => {
                if let Some(trace) = &self.trace {
                    // Straight to the recorder's out-of-line hook, no call
                    // frame of our own.
                    let word = Recorder::poll_switch_word(outcome, depth);
                    if !recorder::with_fast(|f| trace.try_poll_switch(f, prev, next, word)) {
                        trace.poll_switch_slow(prev, outcome, next, depth);
                    }
                }
            }
        }
    }

    /// A poll switch in a loop compiled for `MODE_TRACE` without a
    /// [`Recording`] (the recorder could not hand one out).
    #[cold]
    #[inline(never)]
    fn poll_switch_unrecorded(&self, prev: u64, outcome: PollOutcome, next: u64, depth: usize) {
        if let Some(trace) = &self.trace {
            trace.poll_switch_slow(prev, outcome, next, depth);
        }
    }

    /// Histograms or stall detection: the poll's precise start.
    #[cold]
    #[inline(never)]
    fn poll_start_clocked(
        &self,
        worker: usize,
        polling: &mut Polling<'_>,
        raw: crate::runtime::task::RawTask,
        id: u64,
    ) {
        let mut start = clock::now_ns();
        if self.histograms {
            let woken = raw.woken_at();
            if woken != 0 {
                self.workers[worker]
                    .schedule_latency
                    .record(start.saturating_sub(woken));
            }
        }
        polling.word = match &self.stall {
            Some(stall) => {
                start = stall.begin(worker, id);
                raw.ref_inc();
                raw.header_ptr().as_ptr() as usize as u64
            }
            None => id,
        };
        polling.start = start;
        polling.worker = worker;
    }

    /// The task id a `MODE_CLOCKED` stamp stands for.
    fn clocked_id(&self, polling: &Polling<'_>) -> u64 {
        if self.stall.is_some() {
            stalled_task(polling).id().as_u64()
        } else {
            polling.word
        }
    }

    /// A poll switch with histograms or stall detection on: the record,
    /// and the previous poll's clocked end.
    #[cold]
    #[inline(never)]
    fn poll_switch_clocked(
        &self,
        polling: &Polling<'_>,
        outcome: PollOutcome,
        next: u64,
        depth: usize,
    ) {
        if let Some(trace) = &self.trace {
            let prev_id = self.clocked_id(polling);
            let word = Recorder::poll_switch_word(outcome, depth);
            if !recorder::with_fast(|f| trace.try_poll_switch(f, prev_id, next, word)) {
                trace.poll_switch_slow(prev_id, outcome, next, depth);
            }
        }
        self.poll_end_clocked(polling);
    }

    /// Hook point **poll end**: the poll `poll_start` announced returned
    /// `outcome`. Nothing is recorded yet: the end stays pending in
    /// `polling` and goes out with the next `poll_start` (one record for
    /// both) or with [`batch_end`](Self::batch_end). `MODE` as for
    /// `poll_start`.
    #[inline(always)]
    pub(crate) fn poll_end<const MODE: u8>(&self, polling: &mut Polling<'_>, outcome: PollOutcome) {
        if NO_OBSERVE {
            return;
        }
        let mode = if MODE == MODE_ANY { self.mode } else { MODE };
        if mode != MODE_OFF {
            polling.ended = Some(outcome);
            if matches!(outcome, PollOutcome::Panicked) {
                self.panicked();
            }
        }
    }

    /// A task panicked: flight recorder trigger 1.
    #[cold]
    #[inline(never)]
    fn panicked(&self) {
        if let Some(trace) = &self.trace {
            if let Some(flight) = trace.flight() {
                flight.trigger(trace, "a task panicked");
            }
        }
    }

    /// Flight recorder trigger 4: writes the trace file now. `None` if
    /// the runtime records nothing or has no output file.
    pub(crate) fn write_trace(&self) -> Option<std::io::Result<()>> {
        let trace = self.trace.as_ref()?;
        trace.output()?;
        Some(crate::trace::flight::write(trace, "written on request"))
    }

    /// The pending end of the last poll, recorded on its own.
    #[cold]
    #[inline(never)]
    fn record_poll_end(&self, polling: &Polling<'_>, outcome: PollOutcome) {
        match self.mode {
            MODE_OFF => {}
            MODE_TRACE => {
                if let Some(trace) = &self.trace {
                    trace.poll_end(polling.word, outcome);
                }
            }
            _ => {
                if let Some(trace) = &self.trace {
                    trace.poll_end(self.clocked_id(polling), outcome);
                }
                self.poll_end_clocked(polling);
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn poll_end_clocked(&self, polling: &Polling<'_>) {
        let worker = polling.worker;
        if self.histograms {
            let took = clock::now_ns().saturating_sub(polling.start);
            self.workers[worker].poll_time.record(took);
        }
        if let Some(stall) = &self.stall {
            let raw = stalled_task(polling);
            let id = raw.id().as_u64();
            stall.end(worker, id, polling.start, raw.name(), raw.spawned_at());
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

    /// Hook point **I/O ready**: a visit to the driver (blocking or not)
    /// delivered `n` readiness events, what the driver's `IoPark::park`
    /// returned. Called by the scheduler right after the visit, so the
    /// driver itself never looks up the runtime.
    #[inline]
    pub(crate) fn io_ready(&self, n: usize) {
        if NO_OBSERVE || n == 0 {
            return;
        }
        if let Some(trace) = &self.trace {
            trace.io_ready(n as u64);
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
        if let Some(trace) = self.trace.as_ref().filter(|t| t.flight().is_none()) {
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
fn stalled_task(polling: &Polling<'_>) -> crate::runtime::task::RawTask {
    let ptr = std::ptr::NonNull::new(polling.word as usize as *mut _)
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
