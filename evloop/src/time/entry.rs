//! Timer entries: the part of a `Sleep` that the timing wheel links to.
//!
//! A [`TimerShared`] lives *inside* the `Sleep` future (wrapped by its
//! owner's handle on it, `time::timer::TimerEntry`), which is pinned, so the
//! wheel can point at it without any allocation: arming a timer is linking
//! the entry into a slot list, cancelling it is unlinking it, both O(1).
//! All its fields live in one flat struct (the owner's private fields next
//! to the ones the driver thread touches), so that the small ones share a
//! word (with the waker's state byte) and a `Sleep` is 56 bytes, within one
//! cache line.
//!
//! This file is the bottom of the timer layers: the wheel and the queues
//! link entries, the driver fires them, and the owner (`time::timer`) arms,
//! resets and cancels them through the driver. So it names none of those:
//! its deadline encoding is `time::deadline`, its anchor `time::anchor`.
//!
//! Arming is lazy on a scheduler worker: the first poll stores the entry in
//! the worker's queue (see `time::arm_queue`) without taking the driver lock,
//! and the entry only reaches the wheel if it is still armed when the
//! worker next visits the driver. Off a worker, the first poll links it in
//! the wheel at once.
//!
//! # The shared state
//!
//! - links (`prev`, `next`, `level`, `slot`): the entry's place in the
//!   wheel.
//! - `deadline`: when the timer is due, encoded as a `u64` (see
//!   `time::deadline`), or *unresolved*: `UNRESOLVED | delay` for a
//!   timer created by `sleep` that did not read the clock, whose deadline
//!   is the start of its epoch plus the delay (`time::epoch`).
//!   The wheel keeps no tick of its own: a linked entry's tick is its
//!   deadline rounded up to a tick, recomputed when it cascades.
//! - `anchor`: the driver, or the epoch (which holds the driver) of an
//!   unresolved deadline; one word, set at creation (`time::anchor`).
//! - `state`: one of `UNREGISTERED`, `PENDING`, `FIRING`, `FIRED`, plus the
//!   `SHUTDOWN` flag.
//! - `waker_slot` + `waker_state`: the waiting task's waker and its
//!   atomic-waker state byte, used together through `waker()` (an
//!   [`atomic_waker::Split`]).
//! - `site`: where the timer was created (the `#[track_caller]` location
//!   of `sleep`, `timeout`, `interval`, ...), named when the waker it fires
//!   panics (`util::wake`). Recorded in debug builds only: in release
//!   builds it would cost every `Sleep` a word (56 bytes to 64), and the
//!   report says the site was not recorded.
//!
//! | from           | to             | by                                   |
//! |----------------|----------------|--------------------------------------|
//! | `UNREGISTERED` | `PENDING`      | owner, first poll (`register`), or a flusher moving it from a queue |
//! | `PENDING`      | `UNREGISTERED` | owner, drop or reset (`cancel`)      |
//! | `PENDING`      | `FIRING`       | driver, deadline reached             |
//! | `FIRING`       | `FIRED`        | driver, after taking the waker       |
//! | `FIRED`        | `PENDING`      | owner, `reset` to a new deadline     |
//! | any            | `FIRED\|SHUTDOWN` | driver shutdown                   |
//!
//! # Rules
//!
//! 1. The links are read and written only by a thread holding the driver
//!    lock (i.e. through `&mut Wheel`).
//! 2. Every write of `state` happens with the driver lock held, or by the
//!    owner while the entry was never armed (no other thread can reach it:
//!    a first poll that finds the deadline already passed marks it `FIRED`
//!    without arming it, rule 9); reads may be lock-free (`Acquire`). While
//!    the entry sits in a worker queue its state stays `UNREGISTERED`
//!    (arm_queue rule 1).
//! 3. An entry is linked in the wheel if and only if its state is `PENDING`;
//!    it is then in exactly one slot list (the one `level`/`slot` name), and
//!    its deadline is resolved or its epoch closed.
//! 4. The driver reaches an entry only through the wheel, with the lock held.
//!    When it fires one, it unlinks it, stores `FIRING`, takes the waker
//!    (the condition is published before the take: atomic-waker rule 5) and
//!    stores `FIRED` (`Release`) as its *last* access to the entry; the waker
//!    is woken after the lock is released.
//! 5. The owner frees the entry (drops the `Sleep`) only after either taking
//!    it back out of its queue slot (arm_queue rule 2), seeing `FIRED` with
//!    `Acquire` (the driver is done with it, rule 4), or taking the lock and
//!    unlinking a `PENDING` entry (no pointer to it remains, rule 3).
//!    `FIRING` is only ever visible outside the lock to lock-free readers,
//!    who then take the lock and wait for the driver to finish.
//! 6. Only the owner registers a waker (it holds `Pin<&mut>`), which is the
//!    single-registrant rule of the atomic waker. The first waker of a queued
//!    entry is stored before the entry is published (no other thread can
//!    see it yet), so arming costs no atomic read-modify-write but the
//!    slot's.
//! 7. `deadline` is written by the owner only, either with the driver lock
//!    held or while the entry is in no queue slot and not linked; it is read
//!    by the owner, by a flusher (lock held) for an entry it took out of a
//!    slot, or by the wheel (lock held) for a linked entry. An
//!    unresolved deadline is resolved by reading the epoch's start (closing
//!    the epoch if it is still open), never by writing it elsewhere; the
//!    anchor is set at creation and never changes.
//! 8. `flags`, `queue` and `queue_slot` are the owner's: only the thread
//!    holding `Pin<&mut>` of the entry (polling, resetting or dropping it)
//!    reads or writes them.
//! 9. A deadline that has already passed at the first poll completes that
//!    poll: the entry is marked `FIRED` and never armed (no queue slot, no
//!    wheel, no driver turn). Already passed means: a resolved deadline at
//!    or before the clock's reading, or an unresolved one of delay zero
//!    (`sleep(Duration::ZERO)`), which is due whenever its epoch starts. A
//!    timer of a driver that has shut down takes the usual path (and
//!    panics).
//!
//! Rejected: a heap-allocated, reference-counted entry per timer (one
//! allocation per `timeout`, and two atomic ops per clone); a slab of entries
//! indexed by key (a lookup per operation and a shared free list).

use std::fmt;
use std::marker::PhantomPinned;
use std::panic::Location;
use std::ptr::NonNull;
use std::task::Waker;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::AtomicU8;
use crate::loom::sync::atomic::Ordering::{Acquire, Release};
use crate::time::anchor::Anchor;
use crate::time::deadline::{self, UNRESOLVED};
use crate::time::epoch::Epoch;
use crate::util::atomic_waker::{self, Split, WakerSlot};

/// Not known to the driver.
pub(crate) const UNREGISTERED: u8 = 0;
/// Linked in the wheel (rule 3).
pub(crate) const PENDING: u8 = 1;
/// Unlinked by the driver, which is taking the waker (rule 4).
pub(crate) const FIRING: u8 = 2;
/// The driver is done with the entry; the deadline was reached.
pub(crate) const FIRED: u8 = 3;
/// Flag: fired because the driver shut down.
pub(crate) const SHUTDOWN: u8 = 0b100;
const PHASE: u8 = 0b011;

type Link = Option<NonNull<TimerShared>>;

/// An empty waker slot, copied from a constant: built in place, its
/// `Option<Waker>` (one word undefined) goes through a stack temporary whose
/// copy stalls on the stores that just filled it (store forwarding), which
/// cost `sleep` a fifth of its time.
#[cfg(not(loom))]
#[inline(always)]
fn new_waker() -> WakerSlot {
    #[allow(clippy::declare_interior_mutable_const)] // copied, never shared
    const EMPTY: WakerSlot = WakerSlot::EMPTY;
    EMPTY
}

#[cfg(loom)]
fn new_waker() -> WakerSlot {
    WakerSlot::new()
}

/// A timer: the owner's fields and the fields the driver thread touches,
/// in one flat struct so that the small fields share one word (a `Sleep`
/// is this struct and nothing else).
pub(crate) struct TimerShared {
    /// The wheel list neighbours (rule 1).
    prev: UnsafeCell<Link>,
    next: UnsafeCell<Link>,
    /// Rule 7.
    deadline: UnsafeCell<u64>,
    /// The driver, or the epoch an unresolved deadline counts from (which
    /// holds the driver). Never changes (anchor rule 2).
    anchor: Anchor,
    /// The waiting task's waker; its atomic-waker state byte is
    /// `waker_state` (`waker()` joins them).
    waker_slot: WakerSlot,
    state: AtomicU8,
    /// The wheel level and slot the entry is linked in (rule 1).
    level: UnsafeCell<u8>,
    slot: UnsafeCell<u8>,
    /// Owner only (rule 8): `REGISTERED`, `QUEUED`.
    flags: UnsafeCell<u8>,
    /// Owner only (rule 8): while `QUEUED`, the queue and slot the entry was
    /// stored in.
    queue_slot: UnsafeCell<u8>,
    queue: UnsafeCell<u16>,
    /// The state byte of `waker_slot`. It also fills the small fields' word:
    /// with a hole in it, the compiler initialises them with two
    /// overlapping stores, and the move of the new entry that follows
    /// stalls on them (store forwarding).
    waker_state: AtomicU8,
    /// Where the timer was created (empty in release builds). Never changes.
    site: Site,
    _pinned: PhantomPinned,
}

/// Where a timer was created: the `#[track_caller]` location of the call
/// that made it. Recorded in debug builds only (see the module docs); a
/// zero-sized type otherwise.
#[derive(Clone, Copy)]
pub(crate) struct Site {
    #[cfg(debug_assertions)]
    location: &'static Location<'static>,
}

impl Site {
    /// The caller's location (of the outermost `#[track_caller]` frame).
    #[track_caller]
    #[inline(always)]
    pub(crate) fn caller() -> Site {
        Site {
            #[cfg(debug_assertions)]
            location: Location::caller(),
        }
    }

    /// The recorded location, if this build records it.
    pub(crate) fn location(&self) -> Option<&'static Location<'static>> {
        #[cfg(debug_assertions)]
        return Some(self.location);
        #[cfg(not(debug_assertions))]
        None
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location() {
            Some(loc) => write!(f, "the timer created at {loc}"),
            None => f.write_str("a timer (its site is recorded in debug builds only)"),
        }
    }
}

impl fmt::Debug for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A fired timer's waker, to wake once the driver lock is released, and
/// the timer's site for a report if it panics.
pub(crate) struct Fired {
    pub(crate) waker: Waker,
    pub(crate) site: Site,
}

impl Fired {
    /// Wakes the waker; a panic is caught and reported (`util::wake`).
    #[inline]
    pub(crate) fn wake(self) {
        crate::util::wake::wake(self.waker, &self.site);
    }
}

// SAFETY: the links are only accessed under the driver lock (rule 1), the
// owner fields only by the owner (rule 8), `deadline` by rule 7; `state` and
// `waker` are synchronised on their own, and the anchor is immutable.
unsafe impl Send for TimerShared {}
// SAFETY: as above.
unsafe impl Sync for TimerShared {}

impl TimerShared {
    /// An entry with an encoded `deadline` (`UNRESOLVED | delay` needs an
    /// epoch anchor).
    #[inline(always)]
    pub(crate) fn new(deadline: u64, anchor: Anchor, site: Site) -> TimerShared {
        debug_assert!(deadline & UNRESOLVED == 0 || anchor.as_epoch().is_some());
        TimerShared {
            prev: UnsafeCell::new(None),
            next: UnsafeCell::new(None),
            deadline: UnsafeCell::new(deadline),
            anchor,
            waker_slot: new_waker(),
            state: AtomicU8::new(UNREGISTERED),
            level: UnsafeCell::new(0),
            slot: UnsafeCell::new(0),
            flags: UnsafeCell::new(0),
            queue_slot: UnsafeCell::new(0),
            queue: UnsafeCell::new(0),
            waker_state: AtomicU8::new(atomic_waker::WAITING),
            site,
            _pinned: PhantomPinned,
        }
    }

    /// The waker slot with its state byte.
    #[inline]
    pub(crate) fn waker(&self) -> Split<'_> {
        // SAFETY: `waker_state` is the slot's state byte, and the slot is
        // reached only through this method.
        unsafe { Split::new(&self.waker_state, &self.waker_slot) }
    }

    /// The wheel list neighbours.
    ///
    /// # Safety
    ///
    /// The caller holds the driver lock (rule 1).
    #[inline]
    pub(crate) unsafe fn links(&self) -> (Link, Link) {
        // SAFETY: lock held (caller, rule 1).
        unsafe { (self.prev.with(|p| *p), self.next.with(|n| *n)) }
    }

    /// # Safety
    ///
    /// As [`TimerShared::links`].
    #[inline]
    pub(crate) unsafe fn set_prev(&self, prev: Link) {
        // SAFETY: lock held (caller, rule 1).
        self.prev.with_mut(|p| unsafe { *p = prev });
    }

    /// # Safety
    ///
    /// As [`TimerShared::links`].
    #[inline]
    pub(crate) unsafe fn set_next(&self, next: Link) {
        // SAFETY: lock held (caller, rule 1).
        self.next.with_mut(|n| unsafe { *n = next });
    }

    /// The wheel level and slot the entry is linked in.
    ///
    /// # Safety
    ///
    /// As [`TimerShared::links`].
    #[inline]
    pub(crate) unsafe fn position(&self) -> (u8, u8) {
        // SAFETY: lock held (caller, rule 1).
        unsafe { (self.level.with(|l| *l), self.slot.with(|s| *s)) }
    }

    /// # Safety
    ///
    /// As [`TimerShared::links`].
    #[inline]
    pub(crate) unsafe fn set_position(&self, level: u8, slot: u8) {
        // SAFETY: lock held (caller, rule 1).
        unsafe {
            self.level.with_mut(|l| *l = level);
            self.slot.with_mut(|s| *s = slot);
        }
    }

    /// The tick the timer is due at: its deadline rounded up to a tick.
    ///
    /// # Safety
    ///
    /// The caller holds the driver lock and the entry is linked (so its
    /// deadline is resolved, or its epoch closed: rule 7).
    #[inline]
    pub(crate) unsafe fn tick(&self) -> u64 {
        deadline::deadline_to_tick(
            self.deadline(|| unreachable!("linked timer with an open epoch")),
        )
    }

    /// What the timer holds on to (the driver, or its epoch).
    #[inline]
    pub(crate) fn anchor(&self) -> &Anchor {
        &self.anchor
    }

    /// The deadline (rule 7: the caller is the owner, or a flusher holding
    /// the lock for an entry it took out of a queue slot, or holds the lock
    /// while the entry is linked).
    #[inline]
    pub(crate) fn deadline_raw(&self) -> u64 {
        // SAFETY: rule 7 — no write can run concurrently with this read.
        self.deadline.with(|d| unsafe { *d })
    }

    /// The encoded deadline, resolving an unresolved one from its epoch
    /// (closing the epoch with `now` if it is still open, epoch rule 1).
    /// Same caller rule as [`TimerShared::deadline_raw`].
    #[inline]
    pub(crate) fn deadline(&self, now: impl FnOnce() -> u64) -> u64 {
        let raw = self.deadline_raw();
        if raw & UNRESOLVED == 0 {
            return raw;
        }
        let epoch = self.epoch().expect("unresolved deadline without epoch");
        let start = epoch.start().unwrap_or_else(|| epoch.close(now));
        start.saturating_add(raw & !UNRESOLVED).min(UNRESOLVED - 1)
    }

    /// The epoch of an unresolved deadline.
    #[inline]
    pub(crate) fn epoch(&self) -> Option<&Epoch> {
        self.anchor.as_epoch()
    }

    /// Sets the deadline.
    ///
    /// # Safety
    ///
    /// Called by the owner, with the driver lock held or while the entry is
    /// in no queue slot and not linked (rule 7).
    #[inline]
    pub(crate) unsafe fn set_deadline(&self, deadline: u64) {
        // SAFETY: rule 7 (caller).
        self.deadline.with_mut(|d| unsafe { *d = deadline });
    }

    /// Stores the first waker of an entry that is not published yet
    /// (rule 6).
    ///
    /// # Safety
    ///
    /// Called by the owner before the entry is stored in a queue slot; the
    /// entry was never armed.
    #[inline]
    pub(crate) unsafe fn set_first_waker(&self, waker: Waker) {
        // SAFETY: unpublished, so no other thread can reach the cell.
        unsafe { self.waker().set_unshared(waker) };
    }

    #[inline]
    pub(crate) fn state(&self) -> u8 {
        self.state.load(Acquire)
    }

    /// Sets the state; the caller holds the driver lock (rule 2).
    #[inline]
    pub(crate) fn set_state(&self, state: u8) {
        self.state.store(state, Release);
    }

    /// Driver side of rule 4, for an entry already unlinked, lock held.
    /// Returns the waker to wake once the lock is released.
    #[must_use]
    pub(crate) fn fire(&self, shutdown: bool) -> Option<Fired> {
        let flag = if shutdown { SHUTDOWN } else { 0 };
        let site = self.site;
        self.state.store(FIRING | flag, Release);
        let waker = self.waker().take();
        // Last access to the entry by the driver (rule 4).
        self.state.store(FIRED | flag, Release);
        waker.map(|waker| Fired { waker, site })
    }

    /// Rule 9: whether the deadline has already passed at `now` (an
    /// encoded clock reading, taken only for a resolved deadline), for a
    /// first poll.
    #[inline]
    pub(crate) fn expired_at_first_poll(&self, now: impl FnOnce() -> u64) -> bool {
        let raw = self.deadline_raw();
        if raw & UNRESOLVED == 0 {
            raw <= now()
        } else {
            raw == UNRESOLVED
        }
    }

    /// The owner's flags (rule 8: owner only).
    #[inline]
    pub(crate) fn flags(&self) -> u8 {
        // SAFETY: rule 8 — only the owner, which is the caller, touches it.
        self.flags.with(|f| unsafe { *f })
    }

    #[inline]
    pub(crate) fn set_flags(&self, flags: u8) {
        // SAFETY: rule 8, as above.
        self.flags.with_mut(|f| unsafe { *f = flags });
    }

    /// Where the entry was queued (rule 8: owner only).
    #[inline]
    pub(crate) fn queued_at(&self) -> (u16, u8) {
        // SAFETY: rule 8, as above.
        unsafe { (self.queue.with(|q| *q), self.queue_slot.with(|s| *s)) }
    }

    #[inline]
    pub(crate) fn set_queued_at(&self, queue: u16, slot: u8) {
        // SAFETY: rule 8, as above.
        unsafe {
            self.queue.with_mut(|q| *q = queue);
            self.queue_slot.with_mut(|s| *s = slot);
        }
    }
}

/// `FIRING` or `FIRED`: the deadline was reached (a poll may complete).
#[inline]
pub(crate) fn is_fired(state: u8) -> bool {
    state & PHASE >= FIRING
}

/// `FIRED`: the driver will not touch the entry again (rule 4).
#[inline]
pub(crate) fn is_done(state: u8) -> bool {
    state & PHASE == FIRED
}

impl fmt::Debug for TimerShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerShared")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}
