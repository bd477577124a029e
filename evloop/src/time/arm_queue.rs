//! Lazily armed timers: one queue per scheduler worker of timers that were
//! polled but are not yet in the wheel.
//!
//! Most timeouts are cancelled long before they fire, usually before the
//! worker that armed them goes to sleep. So arming a timer from a worker
//! does not take the driver lock: the entry is stored in a slot of the
//! worker's queue (one `Release` store), and cancelling it takes it back out
//! (one CAS on the slot). Only the timers still armed when the worker next
//! visits the driver are moved into the wheel, under the lock, in one batch.
//!
//! # Ownership
//!
//! A queue has one *owner* at a time: the thread running its worker (a
//! multi-thread worker thread, or the thread holding the current-thread
//! core), which installed it with `local::enter_queue`. Only the owner pushes, and only
//! the owner touches `owner` (the fill level and the earliest deadline).
//! Anyone may take an entry out of a slot, with a CAS or a swap.
//!
//! # Rules
//!
//! 1. A slot holds null or a pointer to a live, pinned entry whose state is
//!    `UNREGISTERED` and which is in no wheel list. The owner stores the
//!    pointer (`Release`) only once the entry's deadline and waker are
//!    written; nothing else stores a non-null pointer.
//! 2. Whoever moves a slot from the entry's pointer to null owns the entry's
//!    next step: the entry's owner (a successful CAS in `remove`, the entry
//!    is then unreachable and may be freed) or a *flusher* (a swap, with the
//!    driver lock held, after which it links the entry in the wheel or fires
//!    it, still under the lock). An owner whose CAS fails therefore takes the
//!    driver lock before it looks at the entry again: the flusher is done.
//! 3. Flushing: the owner moves every live entry to the wheel when it is
//!    about to block in the driver or on its condvar, when one of its
//!    entries may be due (`earliest <= now`) at a non-blocking visit of the
//!    driver (every `event_interval` polls), and when the queue is full
//!    (rule 9); then it resets the fill level. Driver shutdown drains every slot of
//!    every queue (firing the entries with the shutdown flag).
//! 4. Nothing is pushed once the driver is shut down (`push` checks the
//!    flag; the runtime shuts the driver down only from an owner thread or
//!    after every worker stopped polling).
//!
//! So a timer armed on a worker reaches the wheel before that worker sleeps,
//! and a due one fires at the worker's next visit of the driver. A worker
//! stuck inside one long poll does not visit: its timers are taken over by
//! whichever thread runs the driver meanwhile (the watch, below). Timers
//! armed off a worker (a `block_on` thread waiting for the core, a blocking
//! thread) go straight to the wheel.
//!
//! # The watch
//!
//! 12. `watch` is set by the owner when it pushes into a queue whose watch
//!     is clear, and cleared by the owner when it resets the queue (its own
//!     flush); `watched` is the owner's copy, so a push reads no shared
//!     word. `visits` counts the owner's driver visits (`note_visit`); only
//!     the owner writes either.
//! 13. While a queue is watched, the thread running the driver (parked in
//!     it, or visiting it between batches) looks at `visits`: if it has
//!     not moved for `driver::STALL` since the last look, the owner is
//!     stuck in a poll, and the driver thread flushes the queue itself
//!     (*takes it over*): with the driver lock held, it swaps every slot
//!     (rule 2: a flusher), closes the open epoch from outside (rule 6),
//!     and links or fires each entry. It touches no owner state: the
//!     owner's fill level and `earliest` stay valid upper and lower bounds,
//!     and its next own flush scans slots that are null.
//! 14. The driver thread's side of the watch is in `driver` (rule 7 there):
//!     a parked driver sleeps at most `STALL` while another queue is
//!     watched, and a push that sets `watch` wakes a driver that parked for
//!     longer. Both go through one word of the driver (`Inner::watch`: the
//!     number of watched queues and the parker's `SLEEPING` bit), changed
//!     only by read-modify-writes, so either the pusher's increment sees
//!     the parker's bit or the parker's bit-set sees the count.
//!
//! # Epochs
//!
//! A timer created by `sleep(d)` on the owner's thread (real clock) does
//! not read the clock: it joins the queue's open *epoch* and stores `d`.
//! The owner closes the epoch at its next driver visit (or flush) with the
//! clock reading it takes there, which is never earlier than the creation
//! of any of the epoch's timers (all created on this thread before it), and
//! each timer's deadline is then `epoch start + d`: never early, late by at
//! most the time until that visit (as for a lazily armed timer).
//!
//! 5. Only the owner adds timers to its open epoch (`open_epoch`), and only
//!    while [`Epoch::start`] is still open; it detaches the epoch when it
//!    closes it, so a closed epoch never gains a timer.
//! 6. An epoch's start is set once: by the owner with a clock reading
//!    taken after every creation in it, or by another thread that claims
//!    it first (epoch rule 1, `time::epoch`).
//! 7. A queued timer whose deadline is unresolved belongs to the queue's
//!    open epoch when pushed (`Handle::queue` resolves any other first);
//!    `pending_delay` holds the smallest such delay, folded into `earliest`
//!    when the epoch closes.
//! 8. An epoch holds its driver's handle and the driver holds its queues,
//!    so an attached epoch would keep the driver alive for ever. A thread
//!    closes and detaches the open epoch of the queue it owns whenever it
//!    stops owning it (`Handle::switch_worker`, and the worker guard's drop): an epoch is
//!    attached only while a thread runs the queue's worker.
//! 9. Once every slot was used since the last flush, the owner reuses a
//!    slot that is null again (its entry was taken back by its owner): only
//!    the owner stores non-null pointers, so a null slot it reads stays
//!    null until it stores. The queue is full, and flushed, only when a few
//!    slots after the last one reused are all taken. `len` stays the
//!    high-water mark a flush scans, and `earliest` only ever decreases
//!    until the flush, so it stays a lower bound.
//! 10. `spare` is empty or one strong reference to the attached epoch (never
//!     to another): a timer of that epoch dropped on the owner's thread
//!     hands its reference back there (`recycle`) instead of releasing it,
//!     and the next `open_epoch` hands it out again instead of cloning, so
//!     a timer created and dropped on its worker costs no reference-count
//!     atomics. Whoever detaches the epoch empties `spare` with it.
//! 11. `spare_waker` is empty or the waker of a timer taken back out of a
//!     slot of this queue by its owner on the owner's thread (`recycle_waker`):
//!     the next timer pushed here whose waker would wake the same task takes
//!     it instead of a clone (`waker_like`), so a task arming and cancelling
//!     timers costs no reference-count atomics on its waker. It is dropped
//!     at every driver visit of the owner (`flush_current`) and when the
//!     owner stops owning the queue (like the epoch, rule 8), so it keeps a
//!     task alive no longer than an epoch keeps its timers' driver; and it
//!     is only ever dropped outside the owner state's borrow (a waker's drop
//!     may run a task's destructors).
//!
//! Rejected: a lock per queue (two more atomic RMWs per timer); an intrusive
//! list per queue (a cancel from another thread cannot unlink safely without
//! a lock).

use std::fmt;
use std::ptr::{self, NonNull};
use std::task::Waker;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use crate::loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32};
use crate::loom::sync::Arc;
use crate::time::entry::TimerShared;
use crate::time::epoch::{DriverRef, Epoch};

/// Slots the owner looks at for an emptied one before it flushes (rule 9).
const REUSE_PROBES: usize = 4;

/// Slots per queue. A full queue is flushed, so this bounds the batch.
#[cfg(not(loom))]
pub(crate) const QUEUE_LEN: usize = 256;
#[cfg(loom)]
pub(crate) const QUEUE_LEN: usize = 2;

/// One worker's queue. Aligned so that two workers' queues never share a
/// cache line.
#[repr(align(128))]
pub(crate) struct Queue {
    /// Index in the driver's queue array (stored in the entries).
    index: u16,
    slots: [AtomicPtr<TimerShared>; QUEUE_LEN],
    /// Rule 12: the queue may hold entries the owner has not flushed.
    watch: AtomicBool,
    /// Rule 12: the owner's driver visits, wrapping.
    visits: AtomicU32,
    owner: UnsafeCell<OwnerState>,
}

/// The owner's bookkeeping (ownership rule).
struct OwnerState {
    /// Slots `len..` are null and unused since the last flush.
    len: usize,
    /// Where the next search for an emptied slot starts (rule 9).
    reuse: usize,
    /// The earliest (encoded) deadline pushed since the last flush.
    earliest: Option<u64>,
    /// The open epoch, if a timer joined it (rule 5).
    epoch: Option<Arc<Epoch>>,
    /// A spare reference to `epoch` (rule 10).
    spare: Option<Arc<Epoch>>,
    /// A recycled waker (rule 11).
    spare_waker: Option<Waker>,
    /// The smallest delay of an unresolved timer pushed in `epoch` (rule 7).
    pending_delay: Option<u64>,
    /// The owner's copy of `watch` (rule 12).
    watched: bool,
}

impl OwnerState {
    /// Rule 7: the detached epoch started at `start`.
    fn fold_pending(&mut self, start: u64) {
        if let Some(delay) = self.pending_delay.take() {
            let d = start.saturating_add(delay);
            if self.earliest.is_none_or(|e| d < e) {
                self.earliest = Some(d);
            }
        }
    }
}

// SAFETY: `slots` are atomics; `owner` is only touched by the queue's
// current owner, one thread at a time (ownership rule, `local::enter_queue`).
unsafe impl Send for Queue {}
// SAFETY: as above.
unsafe impl Sync for Queue {}

/// What `push` says.
pub(crate) enum Push {
    /// Stored in this slot.
    Queued(u8),
    /// The queue is full: flush it, then push again.
    Full,
}

impl Queue {
    pub(crate) fn new(index: u16) -> Queue {
        Queue {
            index,
            slots: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
            watch: AtomicBool::new(false),
            visits: AtomicU32::new(0),
            owner: UnsafeCell::new(OwnerState {
                len: 0,
                reuse: 0,
                earliest: None,
                epoch: None,
                spare: None,
                spare_waker: None,
                pending_delay: None,
                watched: false,
            }),
        }
    }

    pub(crate) fn index(&self) -> u16 {
        self.index
    }

    /// Stores `entry` in the next free slot (rule 1).
    ///
    /// # Safety
    ///
    /// Called by the owner; `entry` is pinned, `UNREGISTERED`, in no wheel
    /// list and no slot, and its owner calls [`Queue::remove`] (and, if that
    /// fails, the driver's cancel) before freeing it.
    /// `deadline` is the encoded deadline, or `Err(delay)` for a timer of
    /// the open epoch whose deadline is unresolved (rule 7).
    #[inline]
    pub(crate) unsafe fn push(
        &self,
        entry: NonNull<TimerShared>,
        deadline: Result<u64, u64>,
    ) -> Push {
        // SAFETY: owner only (caller).
        self.owner.with_mut(|owner| unsafe {
            let owner = &mut *owner;
            let slot = if owner.len < QUEUE_LEN {
                owner.len += 1;
                owner.len - 1
            } else {
                // Rule 9: reuse a slot emptied since, if one is near.
                let mut found = None;
                for _ in 0..REUSE_PROBES {
                    let i = owner.reuse;
                    owner.reuse = (i + 1) % QUEUE_LEN;
                    if self.slots[i].load(Relaxed).is_null() {
                        found = Some(i);
                        break;
                    }
                }
                match found {
                    Some(i) => i,
                    None => return Push::Full,
                }
            };
            match deadline {
                Ok(d) => {
                    if owner.earliest.is_none_or(|e| d < e) {
                        owner.earliest = Some(d);
                    }
                }
                Err(delay) => {
                    if owner.pending_delay.is_none_or(|e| delay < e) {
                        owner.pending_delay = Some(delay);
                    }
                }
            }
            self.slots[slot].store(entry.as_ptr(), Release);
            Push::Queued(slot as u8)
        })
    }

    /// Takes `entry` back out of `slot`. False if a flusher took it first
    /// (rule 2: take the driver lock before touching the entry again).
    #[inline]
    pub(crate) fn remove(&self, slot: u8, entry: NonNull<TimerShared>) -> bool {
        self.slots[slot as usize]
            .compare_exchange(entry.as_ptr(), ptr::null_mut(), AcqRel, Relaxed)
            .is_ok()
    }

    /// Whether an entry pushed since the last flush may be due at `now`.
    ///
    /// # Safety
    ///
    /// Called by the owner.
    pub(crate) unsafe fn may_be_due(&self, now: u64) -> bool {
        // SAFETY: owner only (caller).
        self.owner
            .with(|owner| unsafe { (*owner).earliest.is_some_and(|e| e <= now) })
    }

    /// Whether anything was pushed since the last flush.
    ///
    /// # Safety
    ///
    /// Called by the owner.
    pub(crate) unsafe fn is_empty(&self) -> bool {
        // SAFETY: owner only (caller).
        self.owner.with(|owner| unsafe { (*owner).len == 0 })
    }

    /// Takes the next live entry out of the slots from `*cursor` on, up to
    /// `end` (rule 2, flusher side).
    ///
    /// # Safety
    ///
    /// The driver lock is held.
    pub(crate) unsafe fn take_next(
        &self,
        cursor: &mut usize,
        end: usize,
    ) -> Option<NonNull<TimerShared>> {
        while *cursor < end {
            let slot = &self.slots[*cursor];
            *cursor += 1;
            // Only the owner stores non-null, so a null slot stays null for
            // the owner's flush; the swap decides any race with `remove`.
            if slot.load(Relaxed).is_null() {
                continue;
            }
            if let Some(entry) = NonNull::new(slot.swap(ptr::null_mut(), Acquire)) {
                return Some(entry);
            }
        }
        None
    }

    /// The fill level, for the owner's flush.
    ///
    /// # Safety
    ///
    /// Called by the owner.
    pub(crate) unsafe fn len(&self) -> usize {
        // SAFETY: owner only (caller).
        self.owner.with(|owner| unsafe { (*owner).len })
    }

    /// Marks the queue empty after the owner flushed slots `..len` (rule 3).
    /// Returns true if that cleared the watch (rule 12: the caller counts
    /// it out of the driver's word).
    ///
    /// # Safety
    ///
    /// Called by the owner, after `take_next` returned `None` for `..len`.
    pub(crate) unsafe fn reset(&self) -> bool {
        // SAFETY: owner only (caller).
        self.owner.with_mut(|owner| unsafe {
            let owner = &mut *owner;
            owner.len = 0;
            owner.reuse = 0;
            owner.earliest = None;
            if owner.watched {
                // Rule 12.
                owner.watched = false;
                self.watch.store(false, Release);
                return true;
            }
            false
        })
    }

    /// Rule 12, after a push: sets the watch if it is clear. Returns true
    /// if it was (the caller then counts it into the driver's word and
    /// wakes a driver parked for long, rule 14).
    ///
    /// # Safety
    ///
    /// Called by the owner.
    #[inline]
    pub(crate) unsafe fn mark_watched(&self) -> bool {
        // SAFETY: owner only (caller).
        self.owner.with_mut(|owner| unsafe {
            let owner = &mut *owner;
            if owner.watched {
                return false;
            }
            owner.watched = true;
            self.watch.store(true, Release);
            true
        })
    }

    /// Rule 12: the owner visits the driver.
    ///
    /// # Safety
    ///
    /// Called by the owner.
    #[inline]
    pub(crate) unsafe fn note_visit(&self) {
        // The owner is the only writer: no read-modify-write needed.
        let v = self.visits.load(Relaxed);
        self.visits.store(v.wrapping_add(1), Relaxed);
    }

    /// Rule 13, from any thread: whether the queue is watched.
    #[inline]
    pub(crate) fn is_watched(&self) -> bool {
        self.watch.load(Acquire)
    }

    /// Rule 13, from any thread: the owner's visit count.
    #[inline]
    pub(crate) fn visits(&self) -> u32 {
        self.visits.load(Relaxed)
    }

    /// The open epoch, for a timer created now on the owner's thread
    /// (rule 5): a new one (of the driver `driver` gives, this queue's) if
    /// the last was closed.
    ///
    /// # Safety
    ///
    /// Called by the owner.
    #[inline]
    pub(crate) unsafe fn open_epoch(&self, driver: impl FnOnce() -> DriverRef) -> Arc<Epoch> {
        // SAFETY: owner only (caller).
        self.owner.with_mut(|owner| unsafe {
            let owner = &mut *owner;
            match &owner.epoch {
                // Rule 10: the spare reference, if any, is to `e`.
                Some(e) if e.is_open() => owner.spare.take().unwrap_or_else(|| e.clone()),
                _ => {
                    // Closed by another thread (`Epoch::close`): detach it
                    // first, so its delays fold into its own start.
                    owner.spare = None;
                    if let Some(old) = owner.epoch.take() {
                        owner.fold_pending(old.wait_closed());
                    }
                    let e = Arc::new(Epoch::new(driver(), self as *const Queue as usize));
                    owner.epoch = Some(e.clone());
                    e
                }
            }
        })
    }

    /// Whether `epoch` is this queue's open epoch (rule 7).
    ///
    /// # Safety
    ///
    /// Called by the owner.
    #[inline]
    pub(crate) unsafe fn is_open_epoch(&self, epoch: &Epoch) -> bool {
        // SAFETY: owner only (caller).
        self.owner.with(|owner| unsafe {
            (*owner)
                .epoch
                .as_ref()
                .is_some_and(|e| std::ptr::eq(&**e, epoch) && e.is_open())
        })
    }

    /// Whether an epoch is attached (it may need closing).
    ///
    /// # Safety
    ///
    /// Called by the owner.
    #[inline]
    pub(crate) unsafe fn has_epoch(&self) -> bool {
        // SAFETY: owner only (caller).
        self.owner.with(|owner| unsafe { (*owner).epoch.is_some() })
    }

    /// Closes and detaches the attached epoch, if any, reading the clock
    /// with `now` only then (rule 6: the reading comes after every creation
    /// in the epoch).
    ///
    /// # Safety
    ///
    /// Called by the owner.
    #[inline]
    pub(crate) unsafe fn close_epoch_if_any(&self, now: impl FnOnce() -> u64) {
        // SAFETY: owner (caller).
        unsafe {
            if self.has_epoch() {
                self.close_epoch(now());
            }
        }
    }

    /// Closes and detaches the open epoch with `now` (an encoded clock
    /// reading taken after every creation in it, rule 6), folding the
    /// unresolved delays into `earliest` (rule 7).
    ///
    /// # Safety
    ///
    /// Called by the owner.
    pub(crate) unsafe fn close_epoch(&self, now: u64) {
        // SAFETY: owner only (caller).
        self.owner.with_mut(|owner| unsafe {
            let owner = &mut *owner;
            let Some(epoch) = owner.epoch.take() else {
                return;
            };
            owner.spare = None;
            owner.fold_pending(epoch.close_owner(now));
        });
    }
}

impl Queue {
    /// Keeps a timer's reference to this queue's attached epoch as the
    /// spare (rule 10); gives it back if the epoch is another one or the
    /// spare is taken.
    ///
    /// # Safety
    ///
    /// Called by the owner.
    #[inline]
    pub(crate) unsafe fn recycle_epoch(&self, epoch: Arc<Epoch>) -> Option<Arc<Epoch>> {
        // SAFETY: owner only (caller).
        self.owner.with_mut(|owner| unsafe {
            let owner = &mut *owner;
            let attached = owner.epoch.as_ref().is_some_and(|e| Arc::ptr_eq(e, &epoch));
            if attached && owner.spare.is_none() {
                owner.spare = Some(epoch);
                None
            } else {
                Some(epoch)
            }
        })
    }
}

#[cfg(all(test, not(loom)))]
impl Queue {
    /// The attached epoch's strong count and whether `spare` is set.
    ///
    /// # Safety
    ///
    /// Called by the owner.
    pub(crate) unsafe fn epoch_refs(&self) -> Option<(usize, bool)> {
        // SAFETY: owner only (caller).
        self.owner.with(|owner| unsafe {
            let owner = &*owner;
            let e = owner.epoch.as_ref()?;
            Some((Arc::strong_count(e), owner.spare.is_some()))
        })
    }
}

impl Queue {
    /// The spare waker, if it would wake the same task as `waker` (rule 11).
    ///
    /// # Safety
    ///
    /// Called by the owner.
    #[inline]
    pub(crate) unsafe fn waker_like(&self, waker: &Waker) -> Option<Waker> {
        // SAFETY: owner only (caller).
        self.owner.with_mut(|owner| unsafe {
            let owner = &mut *owner;
            match &owner.spare_waker {
                Some(w) if w.will_wake(waker) => owner.spare_waker.take(),
                _ => None,
            }
        })
    }

    /// Keeps `waker` as the spare if there is none; gives it back otherwise
    /// (rule 11: the caller drops it).
    ///
    /// # Safety
    ///
    /// Called by the owner.
    #[inline]
    pub(crate) unsafe fn recycle_waker(&self, waker: Waker) -> Option<Waker> {
        // SAFETY: owner only (caller).
        self.owner.with_mut(|owner| unsafe {
            let owner = &mut *owner;
            if owner.spare_waker.is_none() {
                owner.spare_waker = Some(waker);
                None
            } else {
                Some(waker)
            }
        })
    }

    /// Takes the spare waker out, for the caller to drop (rule 11).
    ///
    /// # Safety
    ///
    /// Called by the owner.
    #[inline]
    pub(crate) unsafe fn take_spare_waker(&self) -> Option<Waker> {
        // SAFETY: owner only (caller).
        self.owner
            .with_mut(|owner| unsafe { (*owner).spare_waker.take() })
    }
}

impl fmt::Debug for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}
