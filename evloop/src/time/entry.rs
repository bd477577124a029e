//! Timer entries: the part of a `Sleep` that the timing wheel links to.
//!
//! A [`TimerEntry`] lives *inside* the `Sleep` future, which is pinned, so the
//! wheel can point at it without any allocation: arming a timer is linking
//! the entry into a slot list, cancelling it is unlinking it, both O(1).
//! The entry is split in two: the owner's private fields (driver handle,
//! whether it was ever armed, where it is queued) and [`TimerShared`], the
//! fields the driver thread also touches.
//!
//! Arming is lazy on a scheduler worker: the first poll stores the entry in
//! the worker's queue (see `time::queue`) without taking the driver lock,
//! and the entry only reaches the wheel if it is still armed when the
//! worker next visits the driver. Off a worker, the first poll links it in
//! the wheel at once.
//!
//! # The shared state
//!
//! - `links` (`prev`, `next`, `when`, `level`, `slot`): the entry's place in
//!   the wheel.
//! - `deadline`: when the timer is due, encoded as a `u64` (see
//!   `driver::Inner::encode`; rounded up to a tick when it is linked), or
//!   *unresolved*: `UNRESOLVED | delay` for a timer created by `sleep` that
//!   did not read the clock, whose deadline is the start of its `epoch`
//!   plus the delay (see `time::queue`, epochs).
//! - `state`: one of `UNREGISTERED`, `PENDING`, `FIRING`, `FIRED`, plus the
//!   `SHUTDOWN` flag.
//! - `waker`: the waiting task's waker, an [`AtomicWaker`].
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
//! 1. `links` is read and written only by a thread holding the driver lock
//!    (i.e. through `&mut Wheel`).
//! 2. Every write of `state` happens with the driver lock held; reads may be
//!    lock-free (`Acquire`). While the entry sits in a worker queue its state
//!    stays `UNREGISTERED` (queue rule 1).
//! 3. An entry is linked in the wheel if and only if its state is `PENDING`;
//!    it is then in exactly one slot list (the one `links.level/slot` name).
//! 4. The driver reaches an entry only through the wheel, with the lock held.
//!    When it fires one, it unlinks it, stores `FIRING`, takes the waker
//!    (the condition is published before the take: atomic-waker rule 5) and
//!    stores `FIRED` (`Release`) as its *last* access to the entry; the waker
//!    is woken after the lock is released.
//! 5. The owner frees the entry (drops the `Sleep`) only after either taking
//!    it back out of its queue slot (queue rule 2), seeing `FIRED` with
//!    `Acquire` (the driver is done with it, rule 4), or taking the lock and
//!    unlinking a `PENDING` entry (no pointer to it remains, rule 3).
//!    `FIRING` is only ever visible outside the lock to lock-free readers,
//!    who then take the lock and wait for the driver to finish.
//! 6. Only the owner registers a waker (it holds `Pin<&mut>`), which is the
//!    single-registrant rule of [`AtomicWaker`]. The first waker of a queued
//!    entry is stored before the entry is published (no other thread can
//!    see it yet), so arming costs no atomic read-modify-write but the
//!    slot's.
//! 7. `deadline` is written by the owner only, either with the driver lock
//!    held or while the entry is in no queue slot; it is read by the owner,
//!    or by a flusher (lock held) for an entry it took out of a slot. An
//!    unresolved deadline is resolved by reading the epoch's start (closing
//!    the epoch if it is still open), never by writing it elsewhere; `epoch`
//!    is set at creation and never changes.
//!
//! Rejected: a heap-allocated, reference-counted entry per timer (one
//! allocation per `timeout`, and two atomic ops per clone); a slab of entries
//! indexed by key (a lookup per operation and a shared free list).

use std::fmt;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant as StdInstant};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::AtomicU8;
use crate::loom::sync::atomic::Ordering::{Acquire, Release};
use crate::loom::sync::Arc;
use crate::time::driver::{self, Handle};
use crate::time::queue::Epoch;
use crate::util::atomic_waker::AtomicWaker;

/// Flag of an unresolved deadline; the low bits hold the delay (rule 7).
pub(crate) const UNRESOLVED: u64 = 1 << 63;

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

/// The entry's place in the wheel (rule 1).
#[derive(Debug)]
pub(crate) struct Links {
    pub(crate) prev: Option<NonNull<TimerShared>>,
    pub(crate) next: Option<NonNull<TimerShared>>,
    /// The tick (ms since the driver started) the timer fires at.
    pub(crate) when: u64,
    pub(crate) level: u8,
    pub(crate) slot: u8,
}

/// The fields of an entry that the driver thread touches.
pub(crate) struct TimerShared {
    links: UnsafeCell<Links>,
    /// Rule 7.
    deadline: UnsafeCell<u64>,
    /// The epoch an unresolved deadline counts from (rule 7).
    epoch: Option<Arc<Epoch>>,
    state: AtomicU8,
    waker: AtomicWaker,
    _pinned: PhantomPinned,
}

// SAFETY: `links` is only accessed under the driver lock (rule 1), `state`
// and `waker` are synchronised on their own.
unsafe impl Send for TimerShared {}
// SAFETY: as above.
unsafe impl Sync for TimerShared {}

impl TimerShared {
    /// An entry with an encoded `deadline` (`UNRESOLVED | delay` needs
    /// `epoch`).
    pub(crate) fn new(deadline: u64, epoch: Option<Arc<Epoch>>) -> TimerShared {
        debug_assert!(deadline & UNRESOLVED == 0 || epoch.is_some());
        TimerShared {
            deadline: UnsafeCell::new(deadline),
            epoch,
            links: UnsafeCell::new(Links {
                prev: None,
                next: None,
                when: 0,
                level: 0,
                slot: 0,
            }),
            state: AtomicU8::new(UNREGISTERED),
            waker: AtomicWaker::new(),
            _pinned: PhantomPinned,
        }
    }

    /// Runs `f` on the links.
    ///
    /// # Safety
    ///
    /// The caller holds the driver lock (rule 1) and no other reference to
    /// these links is live.
    #[inline]
    pub(crate) unsafe fn with_links<R>(&self, f: impl FnOnce(&mut Links) -> R) -> R {
        // SAFETY: exclusive access guaranteed by the caller (rule 1).
        self.links.with_mut(|links| f(unsafe { &mut *links }))
    }

    /// The deadline (rule 7: the caller is the owner, or a flusher holding
    /// the lock for an entry it took out of a queue slot).
    #[inline]
    pub(crate) fn deadline_raw(&self) -> u64 {
        // SAFETY: rule 7 — no write can run concurrently with this read.
        self.deadline.with(|d| unsafe { *d })
    }

    /// The encoded deadline, resolving an unresolved one from its epoch
    /// (closing the epoch with `now` if it is still open, epoch rule 6).
    /// Same caller rule as [`TimerShared::deadline_raw`].
    #[inline]
    pub(crate) fn deadline(&self, now: impl FnOnce() -> u64) -> u64 {
        let raw = self.deadline_raw();
        if raw & UNRESOLVED == 0 {
            return raw;
        }
        let epoch = self
            .epoch
            .as_ref()
            .expect("unresolved deadline without epoch");
        let start = epoch.start().unwrap_or_else(|| epoch.close(now));
        start.saturating_add(raw & !UNRESOLVED).min(UNRESOLVED - 1)
    }

    /// The epoch of an unresolved deadline.
    #[inline]
    pub(crate) fn epoch(&self) -> Option<&Epoch> {
        self.epoch.as_deref()
    }

    /// Sets the deadline.
    ///
    /// # Safety
    ///
    /// Called by the owner, with the driver lock held or while the entry is
    /// in no queue slot (rule 7).
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
    pub(crate) unsafe fn set_first_waker(&self, waker: &Waker) {
        // SAFETY: unpublished, so no other thread can reach the cell.
        unsafe { self.waker.set_unshared(waker) };
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
    pub(crate) fn fire(&self, shutdown: bool) -> Option<Waker> {
        let flag = if shutdown { SHUTDOWN } else { 0 };
        self.state.store(FIRING | flag, Release);
        let waker = self.waker.take();
        // Last access to the entry by the driver (rule 4).
        self.state.store(FIRED | flag, Release);
        waker
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

/// A timer owned by a future (`Sleep`). Must be pinned before its first poll.
pub(crate) struct TimerEntry {
    handle: Handle,
    shared: TimerShared,
    /// `REGISTERED`, `QUEUED`.
    flags: u8,
    /// While `QUEUED`: the slot in queue `queue` the entry was stored in.
    slot: u8,
    queue: u16,
}

/// The entry was armed (polled) at least once.
const REGISTERED: u8 = 0b01;
/// The entry was stored in a worker queue and not taken back since (it may
/// have been moved to the wheel by a flusher meanwhile).
const QUEUED: u8 = 0b10;

impl TimerEntry {
    pub(crate) fn new(handle: Handle, deadline: StdInstant) -> TimerEntry {
        let deadline = handle.encode(deadline);
        TimerEntry::new_raw(handle, deadline, None)
    }

    /// An entry due `delay` after the start of `epoch` (rule 7).
    pub(crate) fn new_after(handle: Handle, epoch: Arc<Epoch>, delay: Duration) -> TimerEntry {
        let nanos = driver::nanos(delay).min(UNRESOLVED - 1);
        TimerEntry::new_raw(handle, UNRESOLVED | nanos, Some(epoch))
    }

    fn new_raw(handle: Handle, deadline: u64, epoch: Option<Arc<Epoch>>) -> TimerEntry {
        TimerEntry {
            handle,
            shared: TimerShared::new(deadline, epoch),
            flags: 0,
            slot: 0,
            queue: 0,
        }
    }

    /// The deadline; resolving an unresolved one may read the clock (if
    /// its epoch is still open, this closes it).
    pub(crate) fn deadline(&self) -> StdInstant {
        let h = &self.handle;
        h.decode(self.shared.deadline(|| h.now_encoded()))
    }

    /// True once the driver fired the timer (and it was not reset since).
    pub(crate) fn is_elapsed(&self) -> bool {
        self.flags & REGISTERED != 0 && is_fired(self.shared.state())
    }

    /// Takes the entry back out of its queue slot, if it is still there.
    /// Returns true if it was (the entry is then unreachable by the driver).
    #[inline]
    fn unqueue(&mut self) -> bool {
        if self.flags & QUEUED == 0 {
            return false;
        }
        self.flags &= !QUEUED;
        // A flusher that took the entry set its state first thing (under
        // the lock): skip the CAS that would fail anyway.
        self.shared.state() == UNREGISTERED
            && self
                .handle
                .unqueue(self.queue, self.slot, NonNull::from(&self.shared))
    }

    /// Moves the deadline. If the entry was already armed it is re-linked at
    /// once (and fires at once if `deadline` has passed); otherwise it is
    /// armed on the next poll.
    pub(crate) fn reset(self: Pin<&mut Self>, deadline: StdInstant) {
        // SAFETY: only `shared` is structurally pinned, and it is not moved.
        let this = unsafe { self.get_unchecked_mut() };
        this.unqueue();
        let ptr = NonNull::from(&this.shared);
        if this.flags & REGISTERED != 0 {
            // SAFETY: the entry is pinned and `Drop` cancels it, so it stays
            // valid while linked (entry rule 5); only the owner registers.
            // `register` writes the deadline under the lock (rule 7).
            unsafe { this.handle.register(ptr, this.handle.encode(deadline)) };
        } else {
            // SAFETY: never armed, so in no slot (rule 7).
            unsafe { this.shared.set_deadline(this.handle.encode(deadline)) };
        }
    }

    /// Polls for the deadline: arms the entry on first call, then waits for
    /// the driver to fire it.
    ///
    /// # Panics
    ///
    /// If the timer driver has shut down.
    #[track_caller]
    #[inline]
    pub(crate) fn poll_elapsed(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: only `shared` is structurally pinned, and it is not moved.
        let this = unsafe { self.get_unchecked_mut() };
        if this.flags & REGISTERED == 0 {
            this.flags |= REGISTERED;
            let ptr = NonNull::from(&this.shared);
            // SAFETY: pinned, taken back or cancelled on drop (entry rule 5),
            // owner only, never armed before (so in no slot or list).
            if let Some((queue, slot)) = unsafe { this.handle.queue(ptr, cx.waker()) } {
                this.flags |= QUEUED;
                this.queue = queue;
                this.slot = slot;
                return Poll::Pending;
            }
            let h = &this.handle;
            let deadline = this.shared.deadline(|| h.now_encoded());
            // SAFETY: as above.
            unsafe { this.handle.register(ptr, deadline) };
        }
        if let Some(ready) = this.check_fired() {
            return ready;
        }
        // Atomic-waker rule 5: register, then check again.
        this.shared.waker.register(cx.waker());
        this.check_fired().unwrap_or(Poll::Pending)
    }

    #[track_caller]
    fn check_fired(&self) -> Option<Poll<()>> {
        let state = self.shared.state();
        if state & SHUTDOWN != 0 {
            panic!(
                "the timer driver has shut down: a `Sleep` (or `timeout`, `interval`) was \
                 polled after its runtime shut down"
            );
        }
        is_fired(state).then_some(Poll::Ready(()))
    }
}

impl Drop for TimerEntry {
    #[inline]
    fn drop(&mut self) {
        if self.unqueue() {
            return;
        }
        if self.flags & REGISTERED != 0 {
            // SAFETY: entry rule 5 — `cancel` returns only once the driver can
            // no longer reach the entry.
            unsafe { self.handle.cancel(NonNull::from(&self.shared)) };
        }
    }
}

impl fmt::Debug for TimerEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerEntry")
            .field("deadline", &self.deadline())
            .field("armed", &(self.flags & REGISTERED != 0))
            .field("state", &self.shared.state())
            .finish()
    }
}
