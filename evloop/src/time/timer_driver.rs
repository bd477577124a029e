//! The time driver: the wheel behind a lock, parked on by the scheduler.
//!
//! # Glossary
//!
//! - *tick*: milliseconds since the driver was created (`start`). A deadline
//!   is rounded *up* to a tick, so a timer never fires early.
//! - *parked_until*: the tick the parked driver thread will wake at by
//!   itself (`u64::MAX`: no timer, it sleeps until unparked), or `None`
//!   while the driver is not parked.
//!
//! # Rules
//!
//! 1. `Locked` (wheel, `parked_until`, `is_shutdown`) is only touched with
//!    the lock held; entry links and state writes also need it (entry rules
//!    1 and 2). Critical sections are short: no allocation, no syscall, no
//!    waking (wakers are collected and woken after unlocking).
//! 2. Park protocol, driver side: (a) lock, read the next deadline, store it
//!    in `parked_until`, unlock; (b) park the I/O stack with that timeout;
//!    (c) lock, clear `parked_until`, fire every due timer.
//!    Insert side: lock, link, and if the new tick is earlier than
//!    `parked_until`, call `unpark` after unlocking. An unpark that lands
//!    between (a) and (b) is not lost: both unparkers (mio waker, condvar
//!    parker) make the next park return at once.
//! 3. Auto-advance: when the clock is paused, the scheduler is idle
//!    (`limit == None`), auto-advance is not inhibited and a timer is linked,
//!    the driver polls the I/O stack without blocking first. If that poll
//!    delivered anything (an I/O event or an unpark: a task may be runnable
//!    now), the clock stays where it is and the driver returns, so a task
//!    woken by ready I/O runs at the same virtual instant. Otherwise it moves
//!    the clock to that timer's tick and fires as usual.
//! 4. Shutdown sets `is_shutdown` and fires every linked or queued timer
//!    with the `SHUTDOWN` flag; a timer registered afterwards is fired the
//!    same way at once. Polling a `SHUTDOWN` timer panics ("the timer driver
//!    has shut down").
//! 5. Lazy arming (see `time::arm_queue`): each scheduler worker owns one queue.
//!    Before the driver parks it flushes the parking thread's queue: all of
//!    it if it may block, only if something may be due if it just polls
//!    (`limit == Some(ZERO)`). A worker that sleeps on its own condvar
//!    flushes through [`TimeHandle::flush_current`] first. `process` (used by
//!    `advance`) flushes the calling thread's queue too, so a paused-time
//!    jump sees every armed timer.
//! 6. Fired timers' wakers are woken after the lock is released, one by
//!    one, through [`Fired::wake`] (`util::wake`): a waker whose `wake()`
//!    panics is reported with its timer's site and the rest of the batch
//!    is still woken. The panic never leaves the driver, so the scheduler
//!    that parked in it keeps its core, its driver and its thread.
//! 7. The watch (arm_queue rules 12-14), so that a worker stuck in a long poll
//!    does not hold back the timers it armed lazily: at every visit
//!    (`park`, blocking or not) the driver thread looks at the other
//!    workers' watched queues and takes over each one whose owner has not
//!    visited the driver for [`STALL`] since the driver thread last saw
//!    its visit count move (`Driver::seen`). `watch` counts the watched
//!    queues (in steps of `WATCHED`) next to the `SLEEPING` bit. Before it
//!    blocks for longer than `STALL`, the driver thread sets `SLEEPING`
//!    (`fetch_or`); if the count it replaced is not zero, it clears the bit
//!    again and blocks for `STALL` only (its own queue is not watched: it
//!    was flushed at the start of `park`). A push that sets a queue's watch
//!    adds `WATCHED` (`fetch_add`); if `SLEEPING` was set, it clears it
//!    (`fetch_and`, so that one pusher only) and unparks the driver. The
//!    owner's flush that clears the watch subtracts `WATCHED`. All of them
//!    are read-modify-writes of one word: either the push sees the bit or
//!    the parker sees the count. So a timer
//!    armed on a worker that then stalls reaches the wheel within about
//!    two `STALL`s whenever some thread runs the driver (a parked worker,
//!    or a busy one between batches), and an idle runtime, whose queues
//!    were all flushed before their workers slept, still sleeps without a
//!    timeout.

use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::{self, NonNull};
use std::task::Waker;
use std::time::{Duration, Instant as StdInstant};

use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize};
use crate::loom::sync::MutexGuard;
use crate::loom::sync::{Arc, Mutex};
use crate::time::anchor::Anchor;
use crate::time::arm_queue::{self, Queue, QUEUE_LEN};
use crate::time::clock::Clock;
use crate::time::deadline::{self, deadline_to_tick, UNRESOLVED};
use crate::time::entry::{self, TimerShared};
use crate::time::epoch::{DriverRef, Epoch};
use crate::time::local;
use crate::time::wake_list::WakeList;
use crate::time::wheel::Wheel;
use crate::time::Unpark;

/// How long a worker holding lazily armed timers may go without visiting
/// the driver before the driver thread takes its queue over (rule 7), in
/// ticks. It bounds the extra lateness of such a timer (about twice this)
/// and the wake-up rate of a parked driver while another worker is busy
/// with timers armed (once per `STALL`).
pub(crate) const STALL: u64 = 2;

/// Owned by the thread that parks.
#[derive(Debug)]
pub(crate) struct Driver {
    /// Rule 7: per worker queue, its visit count at the driver's last look
    /// and the tick of the look that first saw that count (`NOT_SEEN`: the
    /// queue was not watched then).
    seen: Box<[(u32, u64)]>,
}

/// See [`Driver::seen`].
const NOT_SEEN: u64 = u64::MAX;

/// Shared by every timer of the runtime; cheap to clone.
#[derive(Clone)]
pub(crate) struct TimeHandle {
    inner: Arc<TimerDriverShared>,
}

pub(crate) struct TimerDriverShared {
    clock: Clock,
    /// Tick 0.
    start: StdInstant,
    unpark: Unpark,
    locked: Mutex<Locked>,
    /// A lock-free copy of `Locked::is_shutdown` for `TimeHandle::queue`.
    is_shutdown: AtomicBool,
    /// One per scheduler worker (rule 5).
    queues: Box<[Queue]>,
    /// Rule 7: `WATCHED` times the number of watched queues, plus
    /// `SLEEPING` while the driver thread blocks for longer than `STALL`.
    watch: AtomicUsize,
}

/// See [`TimerDriverShared::watch`].
const SLEEPING: usize = 1;
const WATCHED: usize = 2;

struct Locked {
    wheel: Wheel,
    /// Rule 2.
    parked_until: Option<u64>,
    /// Rule 4.
    is_shutdown: bool,
}

impl Driver {
    /// A driver for a scheduler with `workers` workers (each gets a queue).
    pub(crate) fn new(clock: Clock, unpark: Unpark, workers: usize) -> (Driver, TimeHandle) {
        let workers = u16::try_from(workers).expect("too many workers for the timer driver");
        let start = clock.now();
        let handle = TimeHandle {
            inner: Arc::new(TimerDriverShared {
                clock,
                start,
                unpark,
                locked: Mutex::new(Locked {
                    wheel: Wheel::new(),
                    parked_until: None,
                    is_shutdown: false,
                }),
                is_shutdown: AtomicBool::new(false),
                queues: (0..workers).map(Queue::new).collect(),
                watch: AtomicUsize::new(0),
            }),
        };
        let seen = vec![(0, NOT_SEEN); usize::from(workers)].into_boxed_slice();
        (Driver { seen }, handle)
    }

    /// Parks the I/O stack until the next timer is due (capped by `limit`),
    /// then fires every due timer (rule 2).
    pub(crate) fn park(
        &mut self,
        handle: &TimeHandle,
        limit: Option<Duration>,
        park_io: &mut dyn FnMut(Option<Duration>) -> bool,
    ) {
        let inner = &*handle.inner;
        // Rule 5. A timer fired by the flush woke a task: do not block.
        let mut limit = limit;
        if handle.flush_current(limit != Some(Duration::ZERO)) {
            limit = Some(Duration::ZERO);
        }
        // Rule 7: stalled workers' timers go to the wheel now.
        if self.take_over_stalled(inner) > 0 {
            limit = Some(Duration::ZERO);
        }
        let mut locked = inner.locked.lock();
        let next = locked.wheel.next_deadline();

        // Rule 3.
        if let (Some(_), None) = (next, limit) {
            if inner.clock.can_auto_advance() {
                drop(locked);
                if park_io(Some(Duration::ZERO)) {
                    // Rule 3: something may be runnable; time stands still.
                    let _ = inner.process();
                    return;
                }
                // A far timer's slot starts before its deadline: keep jumping
                // (cascading it down the levels) until something fires.
                loop {
                    let next = inner.locked.lock().wheel.next_deadline();
                    let Some(tick) = next else { break };
                    inner.clock.advance_to(inner.tick_to_instant(tick));
                    if inner.process() > 0 {
                        break;
                    }
                }
                return;
            }
        }

        let mut timeout = match next {
            None => limit,
            Some(tick) => {
                let until = inner
                    .tick_to_instant(tick)
                    .saturating_duration_since(inner.clock.now());
                Some(limit.map_or(until, |limit| limit.min(until)))
            }
        };
        // Rule 7: a long sleep watches the other queues first.
        let stall = Duration::from_millis(STALL);
        let sleeping = inner.queues.len() > 1 && timeout.is_none_or(|t| t > stall);
        if sleeping && inner.watch.fetch_or(SLEEPING, SeqCst) >= WATCHED {
            inner.watch.fetch_and(!SLEEPING, SeqCst);
            timeout = Some(stall);
        }
        // Rule 2a.
        locked.parked_until = Some(next.unwrap_or(u64::MAX));
        drop(locked);
        // Rule 2b.
        let _ = park_io(timeout);
        if sleeping {
            inner.watch.fetch_and(!SLEEPING, SeqCst);
        }
        // Rule 2c.
        let _ = inner.process();
    }

    /// Rule 7: takes over every other worker's watched queue whose visit
    /// count has not moved for `STALL`. Returns how many timers fired.
    fn take_over_stalled(&mut self, inner: &TimerDriverShared) -> usize {
        if inner.queues.len() < 2 || inner.watch.load(Relaxed) < WATCHED {
            // A `seen` entry left here is stale, not wrong: the flush that
            // cleared its queue's watch moved the visit count.
            return 0;
        }
        let own = local::queue();
        let mut now = None;
        let mut fired = 0;
        for (q, seen) in inner.queues.iter().zip(self.seen.iter_mut()) {
            if ptr::eq(q, own) || !q.is_watched() {
                seen.1 = NOT_SEEN;
                continue;
            }
            let visits = q.visits();
            let now = *now.get_or_insert_with(|| inner.now_tick());
            if seen.1 == NOT_SEEN || seen.0 != visits {
                *seen = (visits, now);
            } else if now >= seen.1.saturating_add(STALL) {
                fired += inner.take_over(q);
                // Look again a `STALL` from now.
                seen.1 = now;
            }
        }
        fired
    }

    /// Fires every timer with the shutdown flag (rule 4).
    pub(crate) fn shutdown(&mut self, handle: &TimeHandle) {
        let inner = &*handle.inner;
        let mut wakers = WakeList::new();
        let mut locked = inner.locked.lock();
        locked.is_shutdown = true;
        inner.is_shutdown.store(true, Release);
        for q in inner.queues.iter() {
            let mut cursor = 0;
            // SAFETY: lock held; every slot (arm_queue rule 3: shutdown drains
            // all of them, the owners' fill levels do not matter any more).
            while let Some(entry) = unsafe { q.take_next(&mut cursor, QUEUE_LEN) } {
                // SAFETY: taken from a slot, so alive and ours (arm_queue rules
                // 1 and 2); lock held.
                wakers.push(unsafe { entry.as_ref() }.fire(true));
                if wakers.is_full() {
                    drop(locked);
                    wakers.wake_all();
                    locked = inner.locked.lock();
                }
            }
        }
        // SAFETY: lock held.
        while let Some(entry) = unsafe { locked.wheel.pop_any() } {
            // SAFETY: it was linked, so alive (entry rule 5); lock held.
            wakers.push(unsafe { entry.as_ref() }.fire(true));
            if wakers.is_full() {
                drop(locked);
                wakers.wake_all();
                locked = inner.locked.lock();
            }
        }
        drop(locked);
        wakers.wake_all();
    }
}

impl TimeHandle {
    /// The handle as an anchor that owns its reference (anchor rule 1).
    #[inline]
    pub(crate) fn into_anchor(self) -> Anchor {
        let raw = Arc::into_raw(self.inner).cast::<()>();
        // SAFETY: `Arc::into_raw` of our shared state; the anchor owns it.
        unsafe { Anchor::driver(raw) }
    }

    /// The handle an anchor or `DriverRef` held.
    ///
    /// # Safety
    ///
    /// `raw` is one strong reference to a driver's shared state, erased
    /// (`into_anchor`, `driver_ref`), which the caller gives up.
    #[inline]
    pub(crate) unsafe fn from_raw(raw: *const ()) -> TimeHandle {
        TimeHandle {
            // SAFETY: caller.
            inner: unsafe { Arc::from_raw(raw.cast::<TimerDriverShared>()) },
        }
    }

    /// One erased strong reference, for an epoch to hold (epoch rule 2).
    pub(crate) fn driver_ref(&self) -> DriverRef {
        /// # Safety
        ///
        /// `raw` is a reference made by `driver_ref`, released once.
        unsafe fn release(raw: NonNull<()>) {
            // SAFETY: caller.
            drop(unsafe { TimeHandle::from_raw(raw.as_ptr()) });
        }
        let raw = Arc::into_raw(self.inner.clone()).cast_mut().cast::<()>();
        // SAFETY: `Arc::into_raw` never returns null; the `DriverRef` owns
        // the reference and `release` gives it back once.
        unsafe { DriverRef::new(NonNull::new_unchecked(raw), release) }
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// `t` as an encoded deadline (see [`TimerDriverShared::encode`]).
    #[inline]
    pub(crate) fn encode(&self, t: StdInstant) -> u64 {
        self.inner.encode(t)
    }

    /// The instant of an encoded (resolved) deadline.
    pub(crate) fn decode(&self, d: u64) -> StdInstant {
        self.inner.decode(d)
    }

    /// The clock's current time, encoded.
    pub(crate) fn now_encoded(&self) -> u64 {
        self.inner.now_encoded()
    }

    /// Whether the driver has shut down (rule 4).
    #[inline]
    pub(crate) fn is_shutdown(&self) -> bool {
        self.inner.is_shutdown.load(Acquire)
    }

    /// The open epoch of this thread's queue, for a timer created now that
    /// may skip reading the clock (`time::arm_queue`, epochs): only on one of
    /// this driver's workers, with the clock not paused (paused time jumps,
    /// so its timers read it at creation).
    #[inline]
    pub(crate) fn open_epoch(&self) -> Option<Arc<Epoch>> {
        let q = self.current_queue()?;
        if self.inner.clock.is_paused() {
            return None;
        }
        // SAFETY: this thread owns `q` (`current_queue`), one of ours.
        Some(unsafe { q.open_epoch(|| self.driver_ref()) })
    }

    /// Fires every timer due at the clock's current time (used after the
    /// clock was advanced by hand), including those armed lazily on this
    /// thread (rule 5).
    pub(crate) fn process(&self) {
        let _ = self.flush_current(true);
        self.inner.process();
    }

    /// Makes this thread the owner of worker `index`'s queue (rule 5), or of
    /// none yet, until the guard drops.
    ///
    /// # Panics
    ///
    /// If `index` is not a worker of this driver.
    ///
    /// # Safety
    ///
    /// No other thread runs worker `index` (owns its queue) meanwhile.
    pub(crate) unsafe fn enter_worker(&self, index: Option<usize>) -> WorkerGuard {
        let q = index.map_or(std::ptr::null(), |i| &self.inner.queues[i] as *const Queue);
        WorkerGuard {
            // SAFETY: exclusive (caller); the handle stored next to the
            // guard keeps the queue alive, and is dropped after it.
            enter: unsafe { local::enter_queue(q) },
            handle: self.clone(),
        }
    }

    /// Makes this thread the owner of worker `index`'s queue, or of none,
    /// inside an [`TimeHandle::enter_worker`] scope: the worker's core moved to
    /// or from this thread (`block_in_place`).
    ///
    /// # Safety
    ///
    /// As [`TimeHandle::enter_worker`]; an `enter_worker` guard of this driver
    /// is live on this thread (it keeps the queue alive).
    pub(crate) unsafe fn switch_worker(&self, index: Option<usize>) {
        self.detach_epoch();
        let q = index.map_or(std::ptr::null(), |i| &self.inner.queues[i] as *const Queue);
        // SAFETY: exclusive ownership (caller).
        unsafe { local::switch_queue(q) };
    }

    /// Queue rule 8: closes and detaches the open epoch of the queue this
    /// thread owns, which it is about to stop owning.
    fn detach_epoch(&self) {
        if let Some(q) = self.current_queue() {
            // SAFETY: this thread owns `q` (`current_queue`).
            let spare = unsafe {
                q.close_epoch_if_any(|| self.now_encoded());
                q.take_spare_waker()
            };
            // Queue rule 11, dropped outside the owner state.
            drop(spare);
        }
    }

    /// The queue this thread owns, if it is one of this driver's.
    #[inline]
    fn current_queue(&self) -> Option<&Queue> {
        let q = local::queue();
        if self.inner.queues.as_ptr_range().contains(&q) {
            // SAFETY: `q` points into our own queue array, alive as long as
            // `self`; this thread owns it (`local::enter_queue`).
            Some(unsafe { &*q })
        } else {
            None
        }
    }

    /// Moves this thread's lazily armed timers into the wheel (rule 5): all
    /// of them if `blocking` (the worker is about to sleep), otherwise only
    /// if one of them may be due now. Returns true if that fired a timer
    /// (and so woke a task: the caller must not sleep before running it).
    pub(crate) fn flush_current(&self, blocking: bool) -> bool {
        let Some(q) = self.current_queue() else {
            return false;
        };
        // Queue rule 12: count the visit.
        // SAFETY: this thread owns `q` (`current_queue`).
        unsafe { q.note_visit() };
        // Queue rule 11: a driver visit drops the spare waker.
        // SAFETY: as above.
        drop(unsafe { q.take_spare_waker() });
        // SAFETY: as above.
        unsafe {
            let has_epoch = q.has_epoch();
            if q.is_empty() && !has_epoch {
                return false;
            }
            // A driver visit closes the open epoch (epoch rule 1): this
            // reading comes after every creation in it.
            let now = if has_epoch || !blocking {
                let now = self.now_encoded();
                q.close_epoch(now);
                now
            } else {
                0
            };
            if q.is_empty() || !(blocking || q.may_be_due(now)) {
                return false;
            }
            self.inner.flush_queue(q) > 0
        }
    }

    /// Arms `entry` lazily in this thread's queue, if the thread runs one of
    /// this driver's workers (and the driver still runs). Stores `waker` as
    /// the entry's first waker. Returns the queue and slot.
    ///
    /// # Safety
    ///
    /// As [`TimeHandle::register`]; also, `entry` was never armed (it is in no
    /// slot and no list, and no other thread can reach it).
    #[inline]
    pub(crate) unsafe fn queue(
        &self,
        entry: NonNull<TimerShared>,
        waker: &Waker,
    ) -> Option<(u16, u8)> {
        let q = self.current_queue()?;
        // Queue rule 4.
        if self.inner.is_shutdown.load(Acquire) {
            return None;
        }
        // SAFETY: alive and unpublished (caller).
        let shared = unsafe { entry.as_ref() };
        // SAFETY: this thread owns `q`.
        let waker = unsafe { q.waker_like(waker) }.unwrap_or_else(|| waker.clone());
        // SAFETY: unpublished (caller): entry rule 6.
        unsafe { shared.set_first_waker(waker) };
        let raw = shared.deadline_raw();
        let deadline = if raw & UNRESOLVED == 0 {
            Ok(raw)
        } else {
            let epoch = shared.epoch().expect("unresolved deadline without epoch");
            // SAFETY: this thread owns `q`.
            if unsafe { q.is_open_epoch(epoch) } {
                // Queue rule 7: resolved when the epoch closes.
                Err(raw & !UNRESOLVED)
            } else {
                // Another queue's or a closed epoch: resolve now. The entry
                // is unpublished, so the owner may write it (entry rule 7).
                let d = shared.deadline(|| self.now_encoded());
                // SAFETY: as above.
                unsafe { shared.set_deadline(d) };
                Ok(d)
            }
        };
        loop {
            // SAFETY: this thread owns `q`; the entry qualifies (caller).
            match unsafe { q.push(entry, deadline) } {
                arm_queue::Push::Queued(slot) => {
                    // Rule 7, push side: the first push since the owner's
                    // last flush sets the watch, and wakes a driver that
                    // blocks for long without watching.
                    // SAFETY: this thread owns `q`.
                    if self.inner.queues.len() > 1 && unsafe { q.mark_watched() } {
                        self.inner.wake_watcher();
                    }
                    return Some((q.index(), slot));
                }
                arm_queue::Push::Full => {
                    // SAFETY: this thread owns `q`.
                    let _ = unsafe { self.inner.flush_queue(q) };
                }
            }
        }
    }

    /// Takes a lazily armed entry back out of its slot (arm_queue rule 2).
    /// False if a flusher took it first.
    #[inline]
    pub(crate) fn unqueue(&self, queue: u16, slot: u8, entry: NonNull<TimerShared>) -> bool {
        self.inner.queues[queue as usize].remove(slot, entry)
    }

    /// Disposes of the waker of a timer its owner took back out of queue
    /// `queue`: kept as that queue's spare if this thread owns it (queue
    /// rule 11), else dropped.
    #[inline]
    pub(crate) fn recycle_waker(&self, queue: u16, waker: Waker) {
        let q = &self.inner.queues[queue as usize];
        if !std::ptr::eq(local::queue(), q) {
            return drop(waker);
        }
        // SAFETY: this thread owns `q` (`local::queue`).
        if let Some(waker) = unsafe { q.recycle_waker(waker) } {
            drop(waker);
        }
    }

    /// The strong count of this thread's queue's attached epoch and whether
    /// the queue holds a spare reference to it (arm_queue rule 10), if attached.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn current_epoch_refs(&self) -> Option<(usize, bool)> {
        let q = self.current_queue()?;
        // SAFETY: this thread owns `q` (`current_queue`).
        unsafe { q.epoch_refs() }
    }

    /// How many handles share this driver (tests: leak checks).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn handle_count(&self) -> usize {
        Arc::strong_count(&self.inner)
    }

    /// Takes over worker `index`'s queue as a stalled one (tests: queue
    /// rule 13). Returns how many timers fired.
    #[cfg(all(test, loom))]
    pub(crate) fn take_over_queue(&self, index: usize) -> usize {
        self.inner.take_over(&self.inner.queues[index])
    }

    /// The tick the wheel must be polled at next (tests; a simulation,
    /// to tell an idle run from a deadlocked one).
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.inner.locked.lock().wheel.next_deadline()
    }

    /// Links `entry` to fire at `deadline`, first unlinking it if it is
    /// linked; fires it at once if the deadline has passed or the driver shut
    /// down. Unparks the driver if it sleeps past the new tick (rule 2).
    ///
    /// # Safety
    ///
    /// `entry` is pinned, its owner calls [`TimeHandle::cancel`] before freeing
    /// it, and only its owner calls `register`/`cancel` (entry rules 5, 6).
    /// `deadline` is encoded and resolved.
    pub(crate) unsafe fn register(&self, entry: NonNull<TimerShared>, deadline: u64) {
        let inner = &*self.inner;
        let tick = deadline_to_tick(deadline);
        // SAFETY: pinned and alive (caller).
        let shared = unsafe { entry.as_ref() };
        let mut locked = inner.locked.lock();
        if shared.state() == entry::PENDING {
            // SAFETY: lock held; PENDING means linked (entry rule 3).
            unsafe { locked.wheel.remove(entry) };
        }
        // SAFETY: owner with the lock held (entry rule 7).
        unsafe { shared.set_deadline(deadline) };
        let fired = if locked.is_shutdown {
            shared.fire(true)
        } else {
            // SAFETY: lock held; unlinked above; kept alive until cancelled.
            match unsafe { locked.wheel.insert(entry, tick) } {
                Ok(()) => {
                    shared.set_state(entry::PENDING);
                    let unpark = locked.parked_until.is_some_and(|until| tick < until);
                    if unpark {
                        // Rule 2: the sleeping driver must recompute its timeout.
                        locked.parked_until = Some(tick);
                    }
                    drop(locked);
                    if unpark {
                        (inner.unpark)();
                    }
                    return;
                }
                Err(()) => shared.fire(false),
            }
        };
        drop(locked);
        if let Some(fired) = fired {
            fired.wake();
        }
    }

    /// Makes sure the driver can no longer reach `entry` (entry rule 5).
    ///
    /// # Safety
    ///
    /// Called by the entry's owner only; `entry` is alive.
    pub(crate) unsafe fn cancel(&self, entry: NonNull<TimerShared>) {
        // SAFETY: alive (caller).
        let shared = unsafe { entry.as_ref() };
        // Entry rule 5: FIRED seen with Acquire means the driver is done.
        if entry::is_done(shared.state()) {
            return;
        }
        let mut locked = self.inner.locked.lock();
        if shared.state() == entry::PENDING {
            // SAFETY: lock held; PENDING means linked (entry rule 3).
            unsafe { locked.wheel.remove(entry) };
            shared.set_state(entry::UNREGISTERED);
        }
    }
}

impl TimerDriverShared {
    /// Rule 7, push side, after a queue's watch was set: counts it, and
    /// unparks the driver if it blocks for long without watching.
    #[cold]
    fn wake_watcher(&self) {
        if self.watch.fetch_add(WATCHED, SeqCst) & SLEEPING != 0
            && self.watch.fetch_and(!SLEEPING, SeqCst) & SLEEPING != 0
        {
            (self.unpark)();
        }
    }

    /// Moves every live entry of `q` into the wheel (or fires it, if due or
    /// shut down), then marks `q` empty (arm_queue rule 3). Returns how many
    /// timers fired.
    ///
    /// # Safety
    ///
    /// This thread owns `q`.
    unsafe fn flush_queue(&self, q: &Queue) -> usize {
        // SAFETY: owner (caller).
        let len = unsafe { q.len() };
        // Queue rule 7: the unresolved entries need their epoch closed.
        // SAFETY: owner (caller).
        unsafe { q.close_epoch_if_any(|| self.now_encoded()) };
        let fired = self.move_to_wheel(q, len);
        // SAFETY: owner, every slot below `len` was emptied (`move_to_wheel`).
        if unsafe { q.reset() } {
            // Rule 7: the queue is no longer watched. A flush counts as a
            // visit (it may come from a full queue, not a driver visit).
            self.watch.fetch_sub(WATCHED, SeqCst);
            // SAFETY: owner (caller).
            unsafe { q.note_visit() };
        }
        fired
    }

    /// Queue rule 13: takes over the queue of a stalled worker: moves every
    /// entry of `q` into the wheel (or fires it), resolving unresolved
    /// deadlines by closing their epoch from this thread (epoch rule 1).
    /// Returns how many timers fired.
    fn take_over(&self, q: &Queue) -> usize {
        self.move_to_wheel(q, QUEUE_LEN)
    }

    /// Takes every entry out of slots `..end` of `q` (arm_queue rule 2, as a
    /// flusher) and links it in the wheel, or fires it if it is due or the
    /// driver shut down. Returns how many timers fired.
    fn move_to_wheel(&self, q: &Queue, end: usize) -> usize {
        let mut wakers = WakeList::new();
        let mut fired = 0;
        let mut unpark = false;
        let mut cursor = 0;
        let mut locked = self.locked.lock();
        // SAFETY: lock held.
        while let Some(entry) = unsafe { q.take_next(&mut cursor, end) } {
            // SAFETY: taken out of a slot under the lock: alive, ours until
            // we link or fire it (arm_queue rules 1 and 2).
            let shared = unsafe { entry.as_ref() };
            if locked.is_shutdown {
                fired += 1;
                wakers.push(shared.fire(true));
            } else {
                // The owner closed its epoch before flushing; a taker-over
                // closes it here if it is still open (epoch rule 1).
                let deadline = shared.deadline(|| self.now_encoded());
                let tick = deadline_to_tick(deadline);
                // SAFETY: lock held; in no list (arm_queue rule 1); its owner
                // cancels it before freeing it (entry rule 5).
                match unsafe { locked.wheel.insert(entry, tick) } {
                    Ok(()) => {
                        shared.set_state(entry::PENDING);
                        if locked.parked_until.is_some_and(|until| tick < until) {
                            locked.parked_until = Some(tick);
                            unpark = true;
                        }
                    }
                    Err(()) => {
                        fired += 1;
                        wakers.push(shared.fire(false));
                    }
                }
            }
            if wakers.is_full() {
                locked = self.relock(locked, &mut wakers);
            }
        }
        drop(locked);
        if unpark {
            // Rule 2: the sleeping driver must recompute its timeout.
            (self.unpark)();
        }
        wakers.wake_all();
        fired
    }

    /// Wakes a full batch outside the lock, then locks again.
    fn relock<'a>(
        &'a self,
        locked: MutexGuard<'a, Locked>,
        wakers: &mut WakeList,
    ) -> MutexGuard<'a, Locked> {
        drop(locked);
        wakers.wake_all();
        self.locked.lock()
    }

    /// Encodes `t` as a deadline (`time::deadline`).
    #[inline]
    fn encode(&self, t: StdInstant) -> u64 {
        deadline::encode(self.start, t)
    }

    /// The clock's current time, encoded.
    fn now_encoded(&self) -> u64 {
        self.encode(self.clock.now())
    }

    fn decode(&self, d: u64) -> StdInstant {
        deadline::decode(self.start, d, || self.tick_to_instant(u64::MAX))
    }

    fn now_tick(&self) -> u64 {
        let since = self.clock.now().saturating_duration_since(self.start);
        let sub_ms = u64::from(since.subsec_nanos()) / 1_000_000;
        since.as_secs().saturating_mul(1000).saturating_add(sub_ms)
    }

    fn tick_to_instant(&self, tick: u64) -> StdInstant {
        self.start
            .checked_add(Duration::from_millis(tick))
            .unwrap_or_else(|| self.start + Duration::from_secs(86_400 * 365 * 30))
    }

    /// Rule 2c: fire everything due now, waking outside the lock. Returns
    /// how many timers fired.
    fn process(&self) -> usize {
        let mut fired = 0;
        let now = self.now_tick();
        let mut wakers = WakeList::new();
        let mut locked = self.locked.lock();
        locked.parked_until = None;
        // SAFETY: lock held.
        while let Some(entry) = unsafe { locked.wheel.poll(now) } {
            fired += 1;
            // SAFETY: it was linked, so alive (entry rule 5); lock held.
            wakers.push(unsafe { entry.as_ref() }.fire(false));
            if wakers.is_full() {
                drop(locked);
                wakers.wake_all();
                locked = self.locked.lock();
            }
        }
        drop(locked);
        wakers.wake_all();
        fired
    }
}

/// Keeps this thread the owner of a worker's timer queue (rule 5).
pub(crate) struct WorkerGuard {
    /// Dropped first: clears the thread's queue before the handle goes.
    enter: local::EnterGuard,
    handle: TimeHandle,
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        // Queue rule 8: this thread stops owning its queue.
        self.handle.detach_epoch();
    }
}

/// Makes `handle` (the time driver of the runtime `context::set_current`
/// makes current, if it has one) this thread's current driver until the
/// guard drops.
pub(crate) fn set_current(handle: Option<&TimeHandle>) -> CurrentGuard {
    let new = handle.map_or(ptr::null(), |h| Arc::into_raw(h.inner.clone()).cast());
    let prev = local::replace_driver(new);
    CurrentGuard { prev }
}

/// Runs `f` with this thread's current time driver, or `none` if there is
/// no current runtime or it has no time driver. (Not an `Option`: a timer
/// entry returned by `f` is then written straight into the caller's slot.)
#[inline(always)]
pub(crate) fn with_current<R>(f: impl FnOnce(&TimeHandle) -> R, none: impl FnOnce() -> R) -> R {
    let raw = local::driver();
    if raw.is_null() {
        return none();
    }
    // SAFETY: the cell owns a strong reference to the non-null `raw`
    // (`time::local`); only a guard's drop replaces it, and none runs
    // inside `f` (the runtime's own code, which drops no guard of this
    // thread).
    let handle = unsafe { HandleRef::from_raw(raw) };
    f(&handle)
}

/// Whether this thread has a current time driver (what `with_current`
/// tests first; callers that must panic at their own caller's line test it
/// themselves, since a closure cannot pass the caller's location on).
#[inline(always)]
pub(crate) fn has_current() -> bool {
    !local::driver().is_null()
}

/// Restores the previous current driver. Every non-null value is owned by
/// exactly one place, the cell or one guard: `set_current` moves the old
/// value into the guard, the drop moves it back and releases the value it
/// replaces (so guards dropped out of order leak or release nothing twice).
pub(crate) struct CurrentGuard {
    prev: *const (),
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        let cur = local::replace_driver(self.prev);
        if !cur.is_null() {
            // SAFETY: the cell owned this strong reference (see above).
            drop(unsafe { TimeHandle::from_raw(cur) });
        }
    }
}

/// A borrowed driver handle made from a raw, erased pointer to the shared
/// state that something else keeps alive for `'a` (no reference count is
/// touched): the current driver's cell, or a timer's anchor.
pub(crate) struct HandleRef<'a> {
    handle: ManuallyDrop<TimeHandle>,
    _borrow: PhantomData<&'a TimeHandle>,
}

impl<'a> HandleRef<'a> {
    /// # Safety
    ///
    /// `raw` is a driver's shared state (`TimeHandle::into_anchor`,
    /// `driver_ref`, `set_current`) whose strong reference outlives `'a`.
    #[inline]
    pub(crate) unsafe fn from_raw(raw: *const ()) -> HandleRef<'a> {
        HandleRef {
            // SAFETY: caller; `ManuallyDrop` never releases the reference
            // this does not own.
            handle: ManuallyDrop::new(unsafe { TimeHandle::from_raw(raw) }),
            _borrow: PhantomData,
        }
    }
}

impl Deref for HandleRef<'_> {
    type Target = TimeHandle;

    #[inline]
    fn deref(&self) -> &TimeHandle {
        &self.handle
    }
}

impl fmt::Debug for CurrentGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurrentGuard").finish_non_exhaustive()
    }
}

impl fmt::Debug for WorkerGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerGuard")
            .field("enter", &self.enter)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for TimeHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("time::TimeHandle")
            .field("clock", &self.inner.clock)
            .finish_non_exhaustive()
    }
}
