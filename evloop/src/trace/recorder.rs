//! The recorder: a ring per thread, a table of spawn sites, task names.
//!
//! # Rules
//!
//! 1. A thread records only into its own ring (ring rule 1). The ring is
//!    found through the thread-local `FAST` (plain cells, no destructor, so
//!    reaching it is one TLS access with no lazy-init check), which names
//!    the recorder whose ring it points to. A miss registers (or finds) the
//!    thread's ring under the `lanes` lock. Recorder ids are never reused,
//!    and a recorder keeps an `Arc` of every ring it handed out in `lanes`
//!    until it is dropped, so while `FAST` names `self` its pointer is
//!    valid for as long as `&self` is.
//! 2. `FAST` also holds what the thread is doing — polling a task, polling
//!    the `block_on` future, parked in the driver — so a wake recorded on
//!    this thread can say who woke the task, and what a spawn here records
//!    as parent and waker (derived whenever that changes: `Fast::set_doing`).
//!    Only the owning thread touches it.
//! 3. Spawn sites and task names are interned under their own locks, and
//!    only while recording. A per-thread cache of recent sites (reset when
//!    the thread switches recorders) keeps the sites lock off the common
//!    path of a program spawning from a few places.
//! 4. One record, one stamp: an event reads the tick counter once (or,
//!    for some spawns, not at all: rule 7), except where one record stands
//!    for two events that share its stamp (ring rule 4, `event` module
//!    docs): a `Spawn` and the `Wake` that queues
//!    the new task (`spawn_queued`, the schedulers' spawn path), and a
//!    `PollEnd` and the next `PollStart` of one batch (`try_poll_switch`; the
//!    gap between them, a queue pop, is counted in the poll that ended).
//!    The same pairs recorded by separate hooks are merged too: the
//!    `Wake` that directly follows the `Spawn` of the same task on this
//!    thread and a `PollStart` that directly follows this thread's
//!    `PollEnd` in one batch amend the newest record instead.
//!    `Fast::amend` says which next event may amend; any other event in
//!    between, or a new batch, clears it.
//! 5. A spawn's parent is the task this thread is polling (rule 2), which
//!    is also who queued it.
//! 6. The driver's wakes: between `timers_firing` and `timers_done` every
//!    wake on this thread is a timer's, whatever the thread was doing
//!    (a zero-timeout visit to the driver between batches fires timers
//!    too), and takes the `TimerFired` stamp: the timers of one batch fire
//!    at one instant. While parked, after `IoReady`, wakes are I/O's and
//!    take its stamp. Park, unpark and the end of the batch clear it.
//! 7. A task that spawns in a loop would read the clock for every spawn,
//!    and on x86_64 a counter read costs ~10 ns, as much as the rest of the
//!    spawn's record. So the first `SPAWN_STAMP_EVERY`-th spawn of a poll
//!    — counted from the poll's start, the first one included — reads the
//!    clock, and the others write `event::UNSTAMPED`. A snapshot places
//!    each unstamped record of a ring one nanosecond after the record
//!    before it, starting from the stamped record that precedes its run and
//!    never past the stamped record that follows (`fill_unstamped`). A
//!    spawn takes far longer than a nanosecond, so the placed time is never
//!    later than the real one: whatever the spawned task does on another
//!    thread (a worker may poll it at once) comes after its spawn in the
//!    timeline. An even spread between the two stamps, which an earlier
//!    version used, put spawns after their own first poll whenever the
//!    spawning thread paused between two stamps. A burst of spawns keeps
//!    its order and is placed to within the time of 16 spawns; a poll's
//!    first spawn, and any spawn of a poll that spawns only a few, keeps
//!    its exact time.
//! 8. A poll's end compares its stamp with the poll's start
//!    (`Fast::poll_ticks`); past `desched::LONG_POLL_TICKS` it records
//!    how long the thread waited for a CPU meanwhile (the `desched`
//!    module's rules), after the end's record (the page pairs it with the
//!    poll of that task that ended then on the lane; after a plain end,
//!    the next start then takes a record of its own, rule 4).

use std::collections::HashMap;
use std::panic::Location;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::ThreadId;

use crate::loom::sync::atomic::Ordering;
use crate::loom::sync::Mutex;
use crate::runtime::task::{PollOutcome, RawTask};
use crate::trace::clock::{self, TickScale};
use crate::trace::config::TraceConfig;
use crate::trace::desched;
use crate::trace::event::{
    self, EventKind, PollResult, Record, KIND_POLL_SWITCH, KIND_SPAWN_QUEUED, QUEUED_BITS,
    QUEUED_DEPTH_SHIFT,
};
use crate::trace::fast::{
    waker, AMEND_NONE, AMEND_POLL_START, DOING_BLOCK_ON, DOING_NOTHING, DOING_PARKED, FAST,
    SITE_CACHE, SPAWN_STAMP_EVERY,
};
pub(crate) use crate::trace::fast::{with_fast, Fast};
use crate::trace::ring::Ring;
use crate::trace::snapshot::{Lane, TraceSnapshot};
use crate::trace::suspend::{Resource, RECORDERS};

pub(crate) struct Recorder {
    id: u64,
    /// `(ticks, now_ns)` when recording started (rule 4 stamps are ticks).
    start: (u64, u64),
    capacity: usize,
    output: Option<PathBuf>,
    /// Rule 1: lane index = position.
    lanes: Mutex<Vec<LaneEntry>>,
    /// Rule 3.
    sites: Mutex<Sites>,
    names: Mutex<HashMap<u64, Box<str>>>,
    /// Flight mode (`trace::flight`): write only when triggered.
    flight: Option<crate::trace::flight::Flight>,
    /// `start`, as an `Instant`: what a `Sleep`'s deadline is measured from.
    start_instant: std::time::Instant,
}

struct LaneEntry {
    thread: ThreadId,
    name: String,
    worker: Option<usize>,
    ring: Arc<Ring>,
}

std::thread_local! {
    /// The worker index of this thread, if it runs a multi-thread worker:
    /// its lane is then named `worker-N` (set before it records anything).
    static WORKER_LANE: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Marks the calling thread as worker `index`: a lane it records into
/// later is named `worker-{index}`.
pub(crate) fn set_worker_lane(index: usize) {
    WORKER_LANE.with(|w| w.set(Some(index)));
}

#[derive(Default)]
struct Sites {
    list: Vec<&'static Location<'static>>,
    index: HashMap<*const Location<'static>, u32, PtrHash>,
}

/// Hashes a pointer key with one multiply (Fibonacci hashing): the keys are
/// addresses of `'static` locations, not attacker-chosen, so SipHash's
/// flood resistance buys nothing on this per-spawn path.
#[derive(Default, Clone, Copy)]
struct PtrHash;

impl std::hash::BuildHasher for PtrHash {
    type Hasher = PtrHasher;
    fn build_hasher(&self) -> PtrHasher {
        PtrHasher(0)
    }
}

struct PtrHasher(u64);

impl std::hash::Hasher for PtrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

// SAFETY: the raw pointers in `index` are keys only, never dereferenced;
// they point to `'static` locations.
unsafe impl Send for Sites {}

/// Recorder ids tell rings of different runtimes apart in `FAST` (0 is
/// "none"). A plain std atomic: a process-wide counter that takes part in
/// no protocol a loom model checks (and loom's atomics cannot live in a
/// `static`).
static NEXT_RECORDER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Recorder {
    pub(crate) fn new(config: &TraceConfig) -> Recorder {
        // Suspend rule 2: resource futures note their waits from now on.
        RECORDERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Recorder {
            id: NEXT_RECORDER.fetch_add(1, Ordering::Relaxed),
            start: clock::tick_pair(),
            capacity: config.ring_capacity,
            output: config.output.clone(),
            lanes: Mutex::new(Vec::new()),
            sites: Mutex::new(Sites::default()),
            names: Mutex::new(HashMap::new()),
            flight: config.flight.then(Default::default),
            start_instant: std::time::Instant::now(),
        }
    }

    /// Flight mode's trigger state, if this recorder runs in it.
    pub(crate) fn flight(&self) -> Option<&crate::trace::flight::Flight> {
        self.flight.as_ref()
    }

    pub(crate) fn output(&self) -> Option<&PathBuf> {
        self.output.as_ref()
    }

    /// This thread's ring (rule 1).
    #[inline]
    fn ring(&self) -> &Ring {
        match self.registered_ring() {
            Some(ring) => ring,
            None => self.register_thread(),
        }
    }

    /// This thread's ring if the thread is registered with this recorder
    /// (rule 1). The hot hooks call this and leave the registration to a
    /// cold path, so that their fast path makes no call (and saves no
    /// registers).
    #[inline]
    fn registered_ring(&self) -> Option<&Ring> {
        FAST.with(|f| self.registered_ring_in(f))
    }

    /// [`registered_ring`](Self::registered_ring) with this thread's
    /// `FAST` in hand.
    #[inline]
    fn registered_ring_in(&self, fast: &Fast) -> Option<&Ring> {
        let (id, ring) = (fast.recorder.get(), fast.ring.get());
        if id != self.id {
            return None;
        }
        // SAFETY: rule 1: `FAST` names this recorder, so `ring` points to a
        // ring whose `Arc` is in `self.lanes` for as long as `self` lives.
        Some(unsafe { &*ring })
    }

    #[cold]
    #[inline(never)]
    fn register_thread(&self) -> &Ring {
        let thread = std::thread::current();
        let mut lanes = self.lanes.lock();
        let lane = match lanes.iter().position(|l| l.thread == thread.id()) {
            Some(lane) => lane,
            None => {
                let worker = WORKER_LANE.with(|w| w.get());
                let name = match worker {
                    Some(index) => format!("worker-{index}"),
                    None => thread
                        .name()
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("{:?}", thread.id())),
                };
                lanes.push(LaneEntry {
                    thread: thread.id(),
                    name,
                    worker,
                    ring: Arc::new(Ring::new(self.capacity)),
                });
                lanes.len() - 1
            }
        };
        let ring = Arc::as_ptr(&lanes[lane].ring);
        drop(lanes);
        FAST.with(|f| {
            f.recorder.set(self.id);
            f.ring.set(ring);
            f.set_doing(DOING_NOTHING, false);
            f.amend.set(AMEND_NONE);
            f.driver_stamp.set(0);
            for slot in &f.sites {
                slot.set((0, 0));
            }
        });
        // `desched` rule 3: the baseline.
        let _ = desched::waited_since_last();
        // SAFETY: rule 1: `ring` is in `self.lanes`, which keeps it alive
        // as long as `self`.
        unsafe { &*ring }
    }

    /// `desched` rules 1 and 2: the poll of `task` that began at tick
    /// `start` ends at `now`, over `desched::LONG_POLL_TICKS` later.
    #[cold]
    #[inline(never)]
    fn long_poll(&self, ring: &Ring, task: u64, start: u64, now: u64) {
        let scale = TickScale::new(self.start, clock::tick_pair());
        if scale.to_ns(now).saturating_sub(scale.to_ns(start)) < desched::LONG_POLL_NS {
            return;
        }
        if let Some(waited) = desched::waited_since_last().filter(|&w| w > 0) {
            let kind = EventKind::Descheduled.code();
            ring.push(Record::new(now, kind, task, waited, 0, 0));
        }
    }

    /// Appends a record with a fresh stamp; `amend`, `amend_arg`: what the
    /// next event may do with it (rule 4).
    #[inline]
    fn push(ring: &Ring, kind: u8, task: u64, extra: u64, code: u8, arg: u64, amend: (u64, u64)) {
        Self::push_at(ring, clock::ticks(), kind, task, extra, code, arg, amend);
    }

    /// `push` with a stamp in hand.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn push_at(
        ring: &Ring,
        time: u64,
        kind: u8,
        task: u64,
        extra: u64,
        code: u8,
        arg: u64,
        amend: (u64, u64),
    ) {
        ring.push(Record::new(time, kind, task, extra, code, arg));
        FAST.with(|f| {
            f.amend.set(amend.0);
            f.amend_arg.set(amend.1);
        });
    }

    /// Rule 3. Call after `ring()` (a registration resets the cache).
    #[inline]
    fn site(&self, site: &'static Location<'static>) -> u32 {
        let key = site as *const Location<'static> as usize;
        let slot = (key >> 4) % SITE_CACHE;
        let (cached, index) = FAST.with(|f| f.sites[slot].get());
        if cached == key {
            return index;
        }
        let index = self.site_index(site);
        FAST.with(|f| f.sites[slot].set((key, index)));
        index
    }

    #[cold]
    fn site_index(&self, site: &'static Location<'static>) -> u32 {
        let mut sites = self.sites.lock();
        let key = site as *const Location<'static>;
        if let Some(&i) = sites.index.get(&key) {
            return i;
        }
        let i = sites.list.len() as u32;
        sites.list.push(site);
        sites.index.insert(key, i);
        i
    }

    // ---- hooks (see the module docs of `trace` for where each is called) ----

    // Each hook is a small out-of-line function: the schedulers inline
    // only the call, behind their branch on "recording".

    /// The parent is the task this thread polls (rule 5): the spawning
    /// task, or for a task spawned inside a `LocalSet` (whose own tasks
    /// are not recorded) the task running the set.
    #[inline]
    pub(crate) fn spawn(&self, task: u64, site: &'static Location<'static>, name: Option<&str>) {
        // Fast path: registered, unnamed, the site in this thread's cache.
        let key = site as *const Location<'static> as usize;
        let slot = (key >> 4) % SITE_CACHE;
        let cached = match self.registered_ring() {
            Some(ring) if name.is_none() => {
                let (cached, index) = FAST.with(|f| f.sites[slot].get());
                (cached == key).then_some((ring, index))
            }
            _ => None,
        };
        match cached {
            Some((ring, index)) => Self::spawn_record(ring, task, index),
            None => self.spawn_slow(task, site, name),
        }
    }

    #[cold]
    #[inline(never)]
    fn spawn_slow(&self, task: u64, site: &'static Location<'static>, name: Option<&str>) {
        if let Some(name) = name {
            self.name(task, name);
        }
        // First: a registration resets the site cache and `doing`.
        let ring = self.ring();
        let site = self.site(site);
        Self::spawn_record(ring, task, site);
    }

    #[inline(always)]
    fn spawn_record(ring: &Ring, task: u64, site: u32) {
        let site = u64::from(site);
        let (doing, firing) = FAST.with(|f| (f.doing.get(), f.firing_timers.get()));
        let parent = match doing {
            DOING_NOTHING | DOING_BLOCK_ON | DOING_PARKED => 0,
            id => id,
        };
        // Rule 4: the wake that queues the task follows on this thread with
        // no event in between, so it is the waker `doing` names now. Its
        // record is this one with word 3 rewritten: precompute all of it
        // but the queue depth. `by` is `parent` whenever the waker is a
        // task, so word 2 stays.
        let amend = if site < 1 << QUEUED_BITS {
            let (kind, _) = waker(doing, firing);
            (task, event::word3(KIND_SPAWN_QUEUED, kind.code(), site))
        } else {
            (AMEND_NONE, 0)
        };
        Self::push(ring, EventKind::Spawn.code(), task, parent, 0, site, amend);
    }

    /// A task was created and queued at once by this thread, with no
    /// event in between (the schedulers' spawn path): one record stands
    /// for its `Spawn` and the `Wake` that queued it (rule 4). The parent
    /// and the waker are what this thread is doing (rules 2 and 5).
    ///
    /// The fast path records here: this thread registered, the task
    /// unnamed and its site in this thread's cache. Anything else is a
    /// tail call to [`spawn_queued_slow`](Self::spawn_queued_slow). (A
    /// leaf function on the fast path: no call, so no registers to save.)
    #[inline(never)]
    pub(crate) fn spawn_queued(&self, fast: &Fast, task: RawTask, depth: usize) {
        let Some(ring) = self.registered_ring_in(fast) else {
            return self.spawn_queued_slow(task, depth);
        };
        let Some(site) = task.unnamed_spawned_at() else {
            return self.spawn_queued_slow(task, depth);
        };
        let key = site as *const Location<'static> as usize;
        let slot = (key >> 4) % SITE_CACHE;
        let (cached, index) = fast.sites[slot].get();
        if cached != key {
            return self.spawn_queued_slow(task, depth);
        }
        Self::spawn_queued_record(fast, ring, task.id().as_u64(), index, depth);
    }

    /// [`spawn_queued`](Self::spawn_queued) off its fast path.
    #[cold]
    #[inline(never)]
    pub(crate) fn spawn_queued_slow(&self, task: RawTask, depth: usize) {
        let id = task.id().as_u64();
        if let Some(name) = task.name() {
            self.name(id, name);
        }
        // First: a registration resets the site cache and `doing`.
        let ring = self.ring();
        let site = self.site(task.spawned_at());
        FAST.with(|fast| Self::spawn_queued_record(fast, ring, id, site, depth));
    }

    #[inline(always)]
    fn spawn_queued_record(fast: &Fast, ring: &Ring, task: u64, site: u32, depth: usize) {
        let site = u64::from(site);
        let depth = depth as u64;
        // Rules 2 and 5, prepared by `Fast::set_doing`.
        let parent = fast.spawn_parent.get();
        if site < 1 << QUEUED_BITS && depth < 1 << QUEUED_BITS {
            // `by` is `parent` whenever the waker is a task, so word 2
            // serves both events.
            let word3 = fast.spawn_word3.get() | (site | depth << QUEUED_BITS) << 16;
            // Rule 7.
            let run = fast.spawn_run.get();
            fast.spawn_run.set(run.wrapping_add(1));
            let time = if run % SPAWN_STAMP_EVERY == 0 {
                clock::ticks()
            } else {
                event::UNSTAMPED
            };
            ring.push_pair(Record {
                words: [time, task, parent, word3],
            });
            fast.amend.set(AMEND_NONE);
        } else {
            let kind = EventKind::Spawn.code();
            Self::push(ring, kind, task, parent, 0, site, (AMEND_NONE, 0));
            Self::wake_record(ring, task, depth);
        }
    }

    #[cold]
    fn name(&self, task: u64, name: &str) {
        self.names.lock().insert(task, name.into());
    }

    /// A new batch of polls: the next poll start is a record of its own.
    #[inline]
    pub(crate) fn new_batch(&self) {
        FAST.with(|f| f.amend.set(AMEND_NONE));
    }

    /// `poll_start` on a thread not yet registered with this recorder: a
    /// tail call from the hook's fast path.
    #[cold]
    #[inline(never)]
    fn poll_start_unregistered(&self, task: u64, depth: usize) {
        self.register_thread();
        self.poll_start(task, depth);
    }

    #[inline(never)]
    pub(crate) fn poll_start(&self, task: u64, depth: usize) {
        let Some(ring) = self.registered_ring() else {
            return self.poll_start_unregistered(task, depth);
        };
        let depth = u64::from(clamp(depth));
        let (amend, outcome, now) = FAST.with(|f| {
            f.set_doing(
                if task == 0 { DOING_BLOCK_ON } else { task },
                f.firing_timers.get(),
            );
            let amend = f.amend.replace(AMEND_NONE);
            // Amending: `poll_ticks` is the amended end's stamp already.
            let now = if amend == AMEND_POLL_START {
                0
            } else {
                let now = clock::ticks();
                f.poll_ticks.set(now);
                now
            };
            (amend, f.amend_arg.get(), now)
        });
        if amend == AMEND_POLL_START {
            let w3 = event::word3(KIND_POLL_SWITCH, outcome as u8, depth);
            ring.amend_newest(task, w3);
        } else {
            let kind = EventKind::PollStart.code();
            Self::push_at(ring, now, kind, task, 0, 0, depth, (AMEND_NONE, 0));
        }
    }

    /// `poll_end` on a thread not yet registered with this recorder: a
    /// tail call from the hook's fast path.
    #[cold]
    #[inline(never)]
    fn poll_end_unregistered(&self, task: u64, outcome: PollOutcome) {
        self.register_thread();
        self.poll_end(task, outcome);
    }

    #[inline(never)]
    pub(crate) fn poll_end(&self, task: u64, outcome: PollOutcome) {
        let Some(ring) = self.registered_ring() else {
            return self.poll_end_unregistered(task, outcome);
        };
        let code = PollResult::from_outcome(outcome) as u8;
        let kind = EventKind::PollEnd.code();
        let now = clock::ticks();
        Self::push_at(
            ring,
            now,
            kind,
            task,
            0,
            code,
            0,
            (AMEND_POLL_START, u64::from(code)),
        );
        let start = FAST.with(|f| {
            f.set_doing(DOING_NOTHING, f.firing_timers.get());
            f.poll_ticks.replace(now)
        });
        if now.wrapping_sub(start) > desched::LONG_POLL_TICKS {
            // After the end's record: the next start cannot amend it now.
            self.long_poll(ring, task, start, now);
            FAST.with(|f| f.amend.set(AMEND_NONE));
        }
    }

    /// The poll of `prev` ended with `outcome` and this worker starts
    /// polling `next`, in one batch (the schedulers' batch loops): one
    /// record for the `PollEnd` and the `PollStart` (rule 4).
    ///
    /// Returns false, recording nothing, if this thread is not registered
    /// with this recorder; the caller then calls
    /// [`poll_switch_slow`](Self::poll_switch_slow). (A leaf function: no
    /// registers to save.)
    #[inline(never)]
    pub(crate) fn try_poll_switch(
        &self,
        fast: &Fast,
        prev: u64,
        next: u64,
        word3: PollSwitchWord,
    ) -> bool {
        let Some(ring) = self.registered_ring_in(fast) else {
            return false;
        };
        let now = clock::ticks();
        let start = fast.poll_ticks.replace(now);
        ring.push_pair(Record {
            words: [now, prev, next, word3.0],
        });
        fast.set_polling(next);
        fast.amend.set(AMEND_NONE);
        // Last, so the common path stays a leaf: the record goes after
        // the pair (the page pairs it with the poll of `prev` that ended).
        if now.wrapping_sub(start) > desched::LONG_POLL_TICKS {
            self.long_poll(ring, prev, start, now);
        }
        true
    }

    /// This thread's hold on its ring for one batch of polls (see
    /// [`Recording`]); `None` if the thread is not registered with this
    /// recorder (the batch's first `poll_start` registers it).
    #[inline]
    pub(crate) fn recording(&self) -> Option<Recording<'_>> {
        let fast = crate::trace::fast::current();
        let ring = self.registered_ring_in(fast)?;
        Some(Recording {
            id: self.id,
            recorder: self,
            fast,
            ring,
        })
    }

    /// What [`try_poll_switch`](Self::try_poll_switch) records in word 3,
    /// computed by the caller (inlined there, where registers are free).
    #[inline]
    pub(crate) fn poll_switch_word(outcome: PollOutcome, depth: usize) -> PollSwitchWord {
        let code = PollResult::from_outcome(outcome) as u8;
        PollSwitchWord(event::word3(
            KIND_POLL_SWITCH,
            code,
            u64::from(clamp(depth)),
        ))
    }

    /// [`try_poll_switch`](Self::try_poll_switch) when it returned false
    /// (the thread's poll start went to no ring of this recorder): two
    /// records, the first registers.
    #[cold]
    #[inline(never)]
    pub(crate) fn poll_switch_slow(
        &self,
        prev: u64,
        outcome: PollOutcome,
        next: u64,
        depth: usize,
    ) {
        self.poll_end(prev, outcome);
        self.poll_start(next, depth);
    }

    /// `wake` on a thread not yet registered with this recorder: a
    /// tail call from the hook's fast path.
    #[cold]
    #[inline(never)]
    fn wake_unregistered(&self, task: u64, depth: usize) {
        self.register_thread();
        self.wake(task, depth);
    }

    #[inline(never)]
    pub(crate) fn wake(&self, task: u64, depth: usize) {
        // First: a registration resets `amend` and `doing`.
        let Some(ring) = self.registered_ring() else {
            return self.wake_unregistered(task, depth);
        };
        let (amend, queued) = FAST.with(|f| (f.amend.replace(AMEND_NONE), f.amend_arg.get()));
        let depth = depth as u64;
        if amend == task && depth < 1 << QUEUED_BITS {
            // Rule 4: the wake of the task just spawned (`spawn` prepared
            // the record's word 3 but the depth).
            ring.amend_newest_word3(queued | depth << QUEUED_DEPTH_SHIFT);
        } else {
            Self::wake_record(ring, task, depth);
        }
    }

    /// A wake with a record of its own.
    #[inline]
    fn wake_record(ring: &Ring, task: u64, depth: u64) {
        let (doing, firing, driver) =
            FAST.with(|f| (f.doing.get(), f.firing_timers.get(), f.driver_stamp.get()));
        let (kind, by) = waker(doing, firing);
        let depth = u64::from(clamp(depth as usize));
        let code = kind.code();
        // Rule 6: a driver's wake shares its batch's stamp.
        let driver_wake = firing || doing == DOING_PARKED;
        let time = if driver_wake && driver != 0 {
            driver
        } else {
            clock::ticks()
        };
        let kind = EventKind::Wake.code();
        Self::push_at(ring, time, kind, task, by, code, depth, (AMEND_NONE, 0));
    }

    /// An event of this thread with a fresh stamp; returns the stamp.
    fn event(&self, kind: EventKind, task: u64, extra: u64, arg: u32) -> u64 {
        let ring = self.ring();
        let time = clock::ticks();
        let arg = u64::from(arg);
        Self::push_at(
            ring,
            time,
            kind.code(),
            task,
            extra,
            0,
            arg,
            (AMEND_NONE, 0),
        );
        time
    }

    pub(crate) fn park(&self, depth: usize) {
        // `desched` rule 3: what follows the park starts a fresh count.
        let _ = desched::waited_since_last();
        self.event(EventKind::Park, 0, 0, clamp(depth));
        FAST.with(|f| {
            f.set_doing(DOING_PARKED, f.firing_timers.get());
            f.driver_stamp.set(0);
        });
    }

    pub(crate) fn unpark(&self) {
        self.event(EventKind::Unpark, 0, 0, 0);
        FAST.with(|f| {
            f.set_doing(DOING_NOTHING, f.firing_timers.get());
            f.driver_stamp.set(0);
        });
    }

    pub(crate) fn timers_fired(&self, count: u64, firing: bool) {
        let stamp = if firing {
            self.event(EventKind::TimerFired, 0, count, 0)
        } else {
            let _ = self.ring();
            0
        };
        FAST.with(|f| {
            f.set_doing(f.doing.get(), firing);
            f.driver_stamp.set(stamp);
            // Rule 4: the waker changes, so no pending spawn may be amended.
            f.amend.set(AMEND_NONE);
        });
    }

    pub(crate) fn io_ready(&self, count: u64) {
        let stamp = self.event(EventKind::IoReady, 0, count, 0);
        FAST.with(|f| f.driver_stamp.set(stamp));
    }

    /// `suspend::note`: the task polled on this thread waits on `resource`
    /// at `at`; `deadline`: a `Sleep`'s. Nothing outside a task's poll.
    /// Unstamped (rule 7): the snapshot places it just after the record
    /// before it on this ring, inside the poll; its word 2 is the deadline
    /// in ns from the start of the recording (0: none).
    #[cold]
    pub(crate) fn suspend(
        &self,
        resource: Resource,
        at: &'static Location<'static>,
        deadline: Option<std::time::Instant>,
    ) {
        let key = at as *const Location<'static> as usize;
        let slot = (key >> 4) % SITE_CACHE;
        // One look at this thread's state: registered, in a task's poll,
        // the location in the site cache.
        let fast = FAST.with(|f| {
            let doing = f.doing.get();
            let (cached, index) = f.sites[slot].get();
            (
                self.registered_ring_in(f),
                doing,
                (cached == key).then_some(index),
            )
        });
        let (ring, doing, site) = match fast {
            (Some(ring), doing, Some(site)) => (ring, doing, site),
            (Some(ring), doing, None) => (ring, doing, self.site(at)),
            (None, ..) => {
                let ring = self.ring();
                (ring, FAST.with(|f| f.doing.get()), self.site(at))
            }
        };
        if doing == DOING_NOTHING || doing == DOING_BLOCK_ON || doing == DOING_PARKED {
            return;
        }
        let deadline = deadline.map_or(0, |d| {
            let since = d.saturating_duration_since(self.start_instant);
            since.as_nanos().min(u128::from(u64::MAX)) as u64
        });
        let kind = EventKind::Suspend.code();
        let code = resource.code();
        ring.push(Record::new(
            event::UNSTAMPED,
            kind,
            doing,
            deadline,
            code,
            u64::from(site),
        ));
    }

    pub(crate) fn cancel(&self, task: u64) {
        let _ = self.event(EventKind::Cancel, task, 0, 0);
    }

    /// Copies everything recorded so far.
    pub(crate) fn snapshot(&self) -> TraceSnapshot {
        let scale = TickScale::new(self.start, clock::tick_pair());
        let origin = self.start.1;
        let lanes = self.lanes.lock();
        let mut events = Vec::new();
        let mut out_lanes = Vec::with_capacity(lanes.len());
        for (lane, entry) in lanes.iter().enumerate() {
            let (records, _) = entry.ring.snapshot();
            let recorded = entry.ring.events_recorded();
            let lane = lane.min(u16::MAX as usize) as u16;
            let before = events.len();
            let mut stamps: Vec<u64> = records.iter().map(|r| r.words[0]).collect();
            fill_unstamped(&mut stamps, scale.ticks_spanning(1));
            for (r, stamp) in records.iter().zip(stamps) {
                let time = scale.to_ns(stamp).saturating_sub(origin);
                r.expand(lane, time, &mut events);
            }
            let dropped = recorded.saturating_sub((events.len() - before) as u64);
            out_lanes.push(Lane {
                name: entry.name.clone(),
                worker: entry.worker,
                dropped,
            });
        }
        drop(lanes);
        // Stable: events of one lane keep their order on equal timestamps.
        events.sort_by_key(|e| e.time_ns());
        let sites = self.sites.lock().list.clone();
        let names = self
            .names
            .lock()
            .iter()
            .map(|(k, v)| (*k, v.to_string()))
            .collect();
        TraceSnapshot::new(events, out_lanes, sites, names)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        RECORDERS.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Rule 7: gives the `k`-th `UNSTAMPED` entry of a run in one ring's stamps
/// (in ring order, `k` from 1) the stamp before the run plus `k` steps,
/// capped at the stamp after the run (`step`: ticks of one nanosecond, less
/// than any spawn takes, so no entry is placed after it happened). A run
/// with no stamp before it takes the stamp after it. A ring's stamps only
/// go forward (one thread, one invariant counter), but a later stamp
/// smaller than an earlier one leaves the run at the earlier one rather
/// than going back.
fn fill_unstamped(stamps: &mut [u64], step: u64) {
    let mut before = None;
    let mut i = 0;
    while i < stamps.len() {
        if stamps[i] != event::UNSTAMPED {
            before = Some(stamps[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < stamps.len() && stamps[i] == event::UNSTAMPED {
            i += 1;
        }
        let after = stamps.get(i).copied();
        for (k, stamp) in (1u64..).zip(stamps[start..i].iter_mut()) {
            *stamp = match (before, after) {
                (Some(a), Some(b)) if b > a => a.saturating_add(step.saturating_mul(k)).min(b),
                (Some(a), Some(_)) => a,
                (Some(a), None) => a.saturating_add(step.saturating_mul(k)),
                (None, Some(b)) => b,
                // Only unstamped records: a ring smaller than the stamping
                // period, holding part of one burst.
                (None, None) => event::UNSTAMPED,
            };
        }
    }
}

/// A scheduler's hold on this thread's ring and recording state for one
/// batch of polls, from [`Recorder::recording`]: the batch loop records
/// each `poll_switch` inline, with no call and no lookup of the
/// thread-local. Each record still checks that the thread's state names
/// this recorder (rule 1): if something in a poll registered the thread
/// with another recorder, the record takes the registering slow path.
pub(crate) struct Recording<'a> {
    id: u64,
    recorder: &'a Recorder,
    fast: &'a Fast,
    ring: &'a Ring,
}

impl Recording<'_> {
    /// [`Recorder::try_poll_switch`] inline, falling back to
    /// [`Recorder::poll_switch_slow`].
    #[inline(always)]
    pub(crate) fn poll_switch(&self, prev: u64, outcome: PollOutcome, next: u64, depth: usize) {
        let fast = self.fast;
        if fast.recorder.get() != self.id {
            return self.recorder.poll_switch_slow(prev, outcome, next, depth);
        }
        let word3 = Recorder::poll_switch_word(outcome, depth).0;
        let now = clock::ticks();
        let start = fast.poll_ticks.replace(now);
        self.ring.push_pair(Record {
            words: [now, prev, next, word3],
        });
        // This thread polled `prev`, a task of the batch, and nothing since
        // changed what it does (rule 2: the driver's timers fire between
        // batches, not inside a poll; an event of another recorder would
        // have failed the check above): a spawn's word 3 stays that of a
        // task's spawn, only the parent changes.
        fast.switch_task(next);
        fast.amend.set(AMEND_NONE);
        if now.wrapping_sub(start) > desched::LONG_POLL_TICKS {
            self.recorder.long_poll(self.ring, prev, start, now);
        }
    }
}

/// Word 3 of a `POLL_SWITCH` record (`Recorder::poll_switch_word`).
#[derive(Clone, Copy)]
pub(crate) struct PollSwitchWord(u64);

#[inline]
fn clamp(n: usize) -> u32 {
    n.min(u32::MAX as usize) as u32
}

#[cfg(test)]
mod tests {
    use super::fill_unstamped;
    use crate::trace::event::UNSTAMPED as U;

    #[test]
    fn unstamped_runs_follow_the_stamp_before_them_a_step_apart() {
        let mut s = [100, U, U, U, 500, U, 600];
        fill_unstamped(&mut s, 1);
        assert_eq!(s, [100, 101, 102, 103, 500, 501, 600]);
        let mut s = [100, U, U, 500];
        fill_unstamped(&mut s, 3);
        assert_eq!(s, [100, 103, 106, 500]);
    }

    /// Never later than the entry really happened (each step is less than
    /// a spawn takes), and never past the stamp that follows the run.
    #[test]
    fn a_run_never_passes_the_stamp_after_it() {
        let mut s = [100, U, U, U, 102];
        fill_unstamped(&mut s, 1);
        assert_eq!(s, [100, 101, 102, 102, 102]);
    }

    #[test]
    fn unstamped_runs_at_the_edges_take_their_one_neighbour() {
        let mut s = [U, U, 70, 80, U, U];
        fill_unstamped(&mut s, 1);
        assert_eq!(s, [70, 70, 70, 80, 81, 82]);
        let mut only = [U, U];
        fill_unstamped(&mut only, 1);
        assert_eq!(only, [U, U]);
    }

    #[test]
    fn a_stamp_going_back_does_not_move_a_run_backwards() {
        let mut s = [90, U, 80];
        fill_unstamped(&mut s, 1);
        assert_eq!(s, [90, 90, 80]);
        let mut s = [u64::MAX - 4, U, U, U, u64::MAX];
        fill_unstamped(&mut s, 1);
        assert_eq!(
            s,
            [
                u64::MAX - 4,
                u64::MAX - 3,
                u64::MAX - 2,
                u64::MAX - 1,
                u64::MAX
            ]
        );
    }
}
