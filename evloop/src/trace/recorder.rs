//! The recorder: a ring per thread, a table of spawn sites, task names.
//!
//! # Rules
//!
//! 1. A thread records only into its own ring (ring rule 1). The ring is
//!    found through the thread-local `LOCAL`, which caches the ring of the
//!    last recorder this thread used; a miss registers (or finds) the
//!    thread's ring under the `lanes` lock.
//! 2. `LOCAL` also holds what the thread is doing — polling a task, polling
//!    the `block_on` future, parked in the driver — so a wake recorded on
//!    this thread can say who woke the task. Only the owning thread touches it.
//! 3. Spawn sites and task names are interned under their own locks; only
//!    spawns take them, and only while recording.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::Location;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::ThreadId;

use crate::loom::sync::atomic::Ordering;
use crate::loom::sync::Mutex;
use crate::task::PollOutcome;
use crate::trace::clock;
use crate::trace::config::TraceConfig;
use crate::trace::event::{Event, EventKind, PollResult, WakerKind};
use crate::trace::ring::Ring;
use crate::trace::snapshot::{Lane, TraceSnapshot};

pub(crate) struct Recorder {
    id: u64,
    start: u64,
    capacity: usize,
    output: Option<PathBuf>,
    /// Rule 1: lane index = position.
    lanes: Mutex<Vec<LaneEntry>>,
    /// Rule 3.
    sites: Mutex<Sites>,
    names: Mutex<HashMap<u64, Box<str>>>,
}

struct LaneEntry {
    thread: ThreadId,
    name: String,
    ring: Arc<Ring>,
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

/// Rule 2: what this thread is doing, for wake attribution.
#[derive(Clone, Copy)]
enum Doing {
    Nothing,
    Polling(u64),
    BlockOn,
    Parked,
}

struct Local {
    recorder: u64,
    lane: u16,
    ring: Arc<Ring>,
    doing: Cell<Doing>,
    /// Set by the time driver while it fires timers (`timers_firing`).
    firing_timers: Cell<bool>,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

/// Recorder ids tell rings of different runtimes apart in `LOCAL`. A plain
/// std atomic: a process-wide counter that takes part in no protocol a loom
/// model checks (and loom's atomics cannot live in a `static`).
static NEXT_RECORDER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Recorder {
    pub(crate) fn new(config: &TraceConfig) -> Recorder {
        Recorder {
            id: NEXT_RECORDER.fetch_add(1, Ordering::Relaxed),
            start: clock::now_ns(),
            capacity: config.ring_capacity,
            output: config.output.clone(),
            lanes: Mutex::new(Vec::new()),
            sites: Mutex::new(Sites::default()),
            names: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn output(&self) -> Option<&PathBuf> {
        self.output.as_ref()
    }

    /// Runs `f` with this thread's ring state (rule 1).
    fn with_local<R>(&self, f: impl FnOnce(&Local) -> R) -> Option<R> {
        LOCAL
            .try_with(|cell| {
                let mut slot = cell.borrow_mut();
                if slot.as_ref().map(|l| l.recorder) != Some(self.id) {
                    *slot = Some(self.register_thread());
                }
                f(slot.as_ref().expect("set above"))
            })
            .ok()
    }

    fn register_thread(&self) -> Local {
        let thread = std::thread::current();
        let mut lanes = self.lanes.lock();
        let lane = match lanes.iter().position(|l| l.thread == thread.id()) {
            Some(lane) => lane,
            None => {
                let name = thread
                    .name()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{:?}", thread.id()));
                lanes.push(LaneEntry {
                    thread: thread.id(),
                    name,
                    ring: Arc::new(Ring::new(self.capacity)),
                });
                lanes.len() - 1
            }
        };
        Local {
            recorder: self.id,
            lane: lane.min(u16::MAX as usize) as u16,
            ring: lanes[lane].ring.clone(),
            doing: Cell::new(Doing::Nothing),
            firing_timers: Cell::new(false),
        }
    }

    fn push(&self, local: &Local, kind: EventKind, task: u64, extra: u64, code: u8, arg: u32) {
        let ev = Event::new(clock::now_ns(), kind, task, extra, code, local.lane, arg);
        local.ring.push(ev);
    }

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

    pub(crate) fn spawn(
        &self,
        task: u64,
        parent: Option<u64>,
        site: &'static Location<'static>,
        name: Option<&str>,
    ) {
        let site = self.site_index(site);
        if let Some(name) = name {
            self.names.lock().insert(task, name.into());
        }
        self.with_local(|l| {
            self.push(l, EventKind::Spawn, task, parent.unwrap_or(0), 0, site);
        });
    }

    pub(crate) fn poll_start(&self, task: u64, depth: usize) {
        self.with_local(|l| {
            l.doing.set(if task == 0 {
                Doing::BlockOn
            } else {
                Doing::Polling(task)
            });
            self.push(l, EventKind::PollStart, task, 0, 0, clamp(depth));
        });
    }

    pub(crate) fn poll_end(&self, task: u64, outcome: PollOutcome) {
        self.with_local(|l| {
            l.doing.set(Doing::Nothing);
            let code = PollResult::from_outcome(outcome) as u8;
            self.push(l, EventKind::PollEnd, task, 0, code, 0);
        });
    }

    pub(crate) fn wake(&self, task: u64, depth: usize) {
        self.with_local(|l| {
            let (kind, by) = match l.doing.get() {
                Doing::Polling(id) => (WakerKind::Task, id),
                Doing::BlockOn => (WakerKind::BlockOn, 0),
                Doing::Parked if l.firing_timers.get() => (WakerKind::Timer, 0),
                Doing::Parked => (WakerKind::Io, 0),
                Doing::Nothing => (WakerKind::Outside, 0),
            };
            self.push(l, EventKind::Wake, task, by, kind.code(), clamp(depth));
        });
    }

    pub(crate) fn park(&self, depth: usize) {
        self.with_local(|l| {
            l.doing.set(Doing::Parked);
            self.push(l, EventKind::Park, 0, 0, 0, clamp(depth));
        });
    }

    pub(crate) fn unpark(&self) {
        self.with_local(|l| {
            l.doing.set(Doing::Nothing);
            self.push(l, EventKind::Unpark, 0, 0, 0, 0);
        });
    }

    pub(crate) fn timers_fired(&self, count: u64, firing: bool) {
        self.with_local(|l| {
            l.firing_timers.set(firing);
            if firing {
                self.push(l, EventKind::TimerFired, 0, count, 0, 0);
            }
        });
    }

    pub(crate) fn io_ready(&self, count: u64) {
        self.with_local(|l| self.push(l, EventKind::IoReady, 0, count, 0, 0));
    }

    pub(crate) fn cancel(&self, task: u64) {
        self.with_local(|l| self.push(l, EventKind::Cancel, task, 0, 0, 0));
    }

    /// Copies everything recorded so far.
    pub(crate) fn snapshot(&self) -> TraceSnapshot {
        let lanes = self.lanes.lock();
        let mut events = Vec::new();
        let mut out_lanes = Vec::with_capacity(lanes.len());
        for entry in lanes.iter() {
            let (evs, dropped) = entry.ring.snapshot();
            events.extend(
                evs.into_iter()
                    .map(|e| e.with_time(e.time_ns().saturating_sub(self.start))),
            );
            out_lanes.push(Lane {
                name: entry.name.clone(),
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

fn clamp(n: usize) -> u32 {
    n.min(u32::MAX as usize) as u32
}
