//! A thread's recording state (`Fast`, the thread-local `FAST`): the
//! recorder's rules 1–6 (`recorder` module docs) say what each field
//! means; this module holds the state and the derivations both the
//! recorder and the schedulers' hook call sites need.

use std::cell::Cell;

use crate::trace::event::{self, WakerKind, KIND_SPAWN_QUEUED};
use crate::trace::ring::Ring;

/// Rule 2, `Fast::doing`: a task id (ids start at 1), or one of these.
pub(super) const DOING_NOTHING: u64 = 0;
pub(super) const DOING_BLOCK_ON: u64 = u64::MAX;
pub(super) const DOING_PARKED: u64 = u64::MAX - 1;

/// Rule 4, `Fast::amend`: which next event may amend the newest record —
/// the `Wake` of a task id (after its `Spawn`), the next `PollStart`, or none.
pub(super) const AMEND_NONE: u64 = 0;
pub(super) const AMEND_POLL_START: u64 = u64::MAX;

/// Rule 7: one spawn in this many, counted from the start of each poll,
/// reads the clock; the others are stamped `event::UNSTAMPED`.
pub(super) const SPAWN_STAMP_EVERY: u32 = 16;

/// Entries of the per-thread spawn-site cache (rule 3).
pub(super) const SITE_CACHE: usize = 8;

/// Rules 1–4: this thread's recording state. Plain cells, no destructor.
///
/// The hot hooks (`try_poll_switch`, `spawn_queued`) take it from
/// their caller ([`with_fast`]): reaching a thread-local compiles to a
/// call the linker rewrites into two instructions, but the register
/// allocator still sees a call and would make a leaf hook save and restore
/// callee-saved registers; the scheduler loop that calls the hook has
/// them saved already.
pub(crate) struct Fast {
    /// The recorder whose ring `ring` is (0: none).
    pub(super) recorder: Cell<u64>,
    pub(super) ring: Cell<*const Ring>,
    pub(super) doing: Cell<u64>,
    /// Set by the time driver while it fires timers (`timers_firing`).
    pub(super) firing_timers: Cell<bool>,
    /// What a spawn on this thread records, derived from `doing` and
    /// `firing_timers` whenever either changes (`Fast::set_doing`): the
    /// parent (word 2) and word 3 of a `SPAWN_QUEUED` record but the site
    /// and the depth (the waker kind).
    pub(super) spawn_parent: Cell<u64>,
    pub(super) spawn_word3: Cell<u64>,
    pub(super) amend: Cell<u64>,
    /// What the amendment needs: the amended word 3 but the queue depth
    /// (`Spawn`), or the poll-outcome code of the newest record (`PollEnd`).
    pub(super) amend_arg: Cell<u64>,
    /// Rule 6: the stamp of the driver's current batch (0: none).
    pub(super) driver_stamp: Cell<u64>,
    /// Rule 7: spawns recorded since this thread's poll (or other doing)
    /// began; the ones at multiples of `SPAWN_STAMP_EVERY` read the clock.
    pub(super) spawn_run: Cell<u32>,
    /// Rule 3: `(address of the location, its index)`, direct-mapped.
    pub(super) sites: [Cell<(usize, u32)>; SITE_CACHE],
    /// The stamp of this thread's current (or last) poll start
    /// (`desched` rule 1).
    pub(super) poll_ticks: Cell<u64>,
}

thread_local! {
    pub(super) static FAST: Fast = const {
        Fast {
            recorder: Cell::new(0),
            ring: Cell::new(std::ptr::null()),
            doing: Cell::new(DOING_NOTHING),
            firing_timers: Cell::new(false),
            spawn_parent: Cell::new(0),
            spawn_word3: Cell::new(event::word3(
                KIND_SPAWN_QUEUED,
                WAKER_OUTSIDE_CODE,
                0,
            )),
            amend: Cell::new(AMEND_NONE),
            amend_arg: Cell::new(0),
            driver_stamp: Cell::new(0),
            spawn_run: Cell::new(0),
            sites: [const { Cell::new((0, 0)) }; SITE_CACHE],
            poll_ticks: Cell::new(0),
        }
    };
}

/// `WakerKind::Outside.code()`, for `FAST`'s const initializer.
const WAKER_OUTSIDE_CODE: u8 = 4;

impl Fast {
    /// Rule 2: the thread now does `doing` (and fires timers or not); also
    /// what a spawn here records (rule 5).
    #[inline]
    pub(super) fn set_doing(&self, doing: u64, firing: bool) {
        self.doing.set(doing);
        self.spawn_run.set(0);
        self.firing_timers.set(firing);
        let parent = match doing {
            DOING_NOTHING | DOING_BLOCK_ON | DOING_PARKED => 0,
            id => id,
        };
        let (kind, _) = waker(doing, firing);
        self.spawn_parent.set(parent);
        self.spawn_word3
            .set(event::word3(KIND_SPAWN_QUEUED, kind.code(), 0));
    }
}

impl Fast {
    /// [`set_doing`](Self::set_doing) for a task's poll (`task` is an id).
    #[inline]
    pub(super) fn set_polling(&self, task: u64) {
        self.doing.set(task);
        self.spawn_run.set(0);
        let kind = if self.firing_timers.get() {
            WakerKind::Timer
        } else {
            WakerKind::Task
        };
        self.spawn_parent.set(task);
        self.spawn_word3
            .set(event::word3(KIND_SPAWN_QUEUED, kind.code(), 0));
    }
}

impl Fast {
    /// [`set_polling`](Self::set_polling) from the poll of another task,
    /// with no event in between: `doing` was a task and timers are not
    /// firing, so the spawn's word 3 keeps its value.
    #[inline]
    pub(super) fn switch_task(&self, task: u64) {
        debug_assert!(
            !matches!(
                self.doing.get(),
                DOING_NOTHING | DOING_BLOCK_ON | DOING_PARKED
            ) && !self.firing_timers.get()
                && self.spawn_word3.get()
                    == event::word3(KIND_SPAWN_QUEUED, WakerKind::Task.code(), 0),
            "a poll switch while not polling a task"
        );
        self.doing.set(task);
        self.spawn_parent.set(task);
        self.spawn_run.set(0);
    }
}

/// Calls `f` with this thread's recording state (see [`Fast`]).
#[inline(always)]
pub(crate) fn with_fast<R>(f: impl FnOnce(&Fast) -> R) -> R {
    f(current())
}

/// This thread's [`Fast`].
///
/// Through a pointer, so that `LocalKey::with` has nothing to inline but
/// the address computation (with a caller's closure inside it, the
/// compiler kept it out of line).
#[inline(always)]
pub(crate) fn current() -> &'static Fast {
    let fast = FAST.with(|fast| fast as *const Fast);
    // SAFETY: `FAST` is const-initialized and has no destructor, so its
    // storage is valid for the whole life of this thread; `Fast` is not
    // `Sync`, so the reference cannot leave this thread, which outlives
    // every use of it.
    unsafe { &*fast }
}

/// Who wakes a task on a thread doing `doing` (rules 2 and 6): the waker
/// kind and, for a task, its id.
#[inline]
pub(super) fn waker(doing: u64, firing: bool) -> (WakerKind, u64) {
    match doing {
        // Rule 6: firing timers wins over what the thread was doing.
        _ if firing => (WakerKind::Timer, 0),
        DOING_NOTHING => (WakerKind::Outside, 0),
        DOING_BLOCK_ON => (WakerKind::BlockOn, 0),
        DOING_PARKED => (WakerKind::Io, 0),
        id => (WakerKind::Task, id),
    }
}
