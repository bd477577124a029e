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
//!    the driver moves the clock to that timer's tick, polls the I/O stack
//!    without blocking, then fires as usual.
//! 4. Shutdown sets `is_shutdown` and fires every linked timer with the
//!    `SHUTDOWN` flag; a timer registered afterwards is fired the same way at
//!    once. Polling a `SHUTDOWN` timer panics ("the timer driver has shut
//!    down").

use std::fmt;
use std::ptr::NonNull;
use std::task::Waker;
use std::time::{Duration, Instant as StdInstant};

use crate::loom::sync::{Arc, Mutex};
use crate::time::clock::Clock;
use crate::time::entry::{self, TimerShared};
use crate::time::wheel::Wheel;
use crate::time::Unpark;

/// Owned by the thread that parks.
#[derive(Debug)]
pub(crate) struct Driver {
    _private: (),
}

/// Shared by every timer of the runtime; cheap to clone.
#[derive(Clone)]
pub(crate) struct Handle {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Clock,
    /// Tick 0.
    start: StdInstant,
    unpark: Unpark,
    locked: Mutex<Locked>,
}

struct Locked {
    wheel: Wheel,
    /// Rule 2.
    parked_until: Option<u64>,
    /// Rule 4.
    is_shutdown: bool,
}

impl Driver {
    pub(crate) fn new(clock: Clock, unpark: Unpark) -> (Driver, Handle) {
        let start = clock.now();
        let handle = Handle {
            inner: Arc::new(Inner {
                clock,
                start,
                unpark,
                locked: Mutex::new(Locked {
                    wheel: Wheel::new(),
                    parked_until: None,
                    is_shutdown: false,
                }),
            }),
        };
        (Driver { _private: () }, handle)
    }

    /// Parks the I/O stack until the next timer is due (capped by `limit`),
    /// then fires every due timer (rule 2).
    pub(crate) fn park(
        &mut self,
        handle: &Handle,
        limit: Option<Duration>,
        park_io: &mut dyn FnMut(Option<Duration>),
    ) {
        let inner = &*handle.inner;
        let mut locked = inner.locked.lock();
        let next = locked.wheel.next_deadline();

        // Rule 3.
        if let (Some(_), None) = (next, limit) {
            if inner.clock.can_auto_advance() {
                drop(locked);
                park_io(Some(Duration::ZERO));
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

        let timeout = match next {
            None => limit,
            Some(tick) => {
                let until = inner
                    .tick_to_instant(tick)
                    .saturating_duration_since(inner.clock.now());
                Some(limit.map_or(until, |limit| limit.min(until)))
            }
        };
        // Rule 2a.
        locked.parked_until = Some(next.unwrap_or(u64::MAX));
        drop(locked);
        // Rule 2b.
        park_io(timeout);
        // Rule 2c.
        let _ = inner.process();
    }

    /// Fires every timer with the shutdown flag (rule 4).
    pub(crate) fn shutdown(&mut self, handle: &Handle) {
        let inner = &*handle.inner;
        let mut wakers = WakeList::new();
        let mut locked = inner.locked.lock();
        locked.is_shutdown = true;
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

impl Handle {
    pub(crate) fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Fires every timer due at the clock's current time (used after the
    /// clock was advanced by hand).
    pub(crate) fn process(&self) {
        self.inner.process();
    }

    /// The tick the wheel must be polled at next (tests).
    #[cfg(test)]
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.inner.locked.lock().wheel.next_deadline()
    }

    /// Links `entry` to fire at `deadline`, first unlinking it if it is
    /// linked; fires it at once if the deadline has passed or the driver shut
    /// down. Unparks the driver if it sleeps past the new tick (rule 2).
    ///
    /// # Safety
    ///
    /// `entry` is pinned, its owner calls [`Handle::cancel`] before freeing
    /// it, and only its owner calls `register`/`cancel` (entry rules 5, 6).
    pub(crate) unsafe fn register(&self, entry: NonNull<TimerShared>, deadline: StdInstant) {
        let inner = &*self.inner;
        let tick = inner.deadline_to_tick(deadline);
        // SAFETY: pinned and alive (caller).
        let shared = unsafe { entry.as_ref() };
        let mut locked = inner.locked.lock();
        if shared.state() == entry::PENDING {
            // SAFETY: lock held; PENDING means linked (entry rule 3).
            unsafe { locked.wheel.remove(entry) };
        }
        let waker = if locked.is_shutdown {
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
        if let Some(waker) = waker {
            waker.wake();
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

impl Inner {
    fn deadline_to_tick(&self, deadline: StdInstant) -> u64 {
        let since = deadline.saturating_duration_since(self.start);
        // Round up: never fire early. (u64 arithmetic: a u128 division
        // would be the most expensive step of arming a timer.)
        let sub_ms = u64::from(since.subsec_nanos()).div_ceil(1_000_000);
        since.as_secs().saturating_mul(1000).saturating_add(sub_ms)
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

/// A fixed batch of wakers, so firing never allocates.
struct WakeList {
    wakers: [Option<Waker>; 32],
    len: usize,
}

impl WakeList {
    fn new() -> WakeList {
        WakeList {
            wakers: Default::default(),
            len: 0,
        }
    }

    fn push(&mut self, waker: Option<Waker>) {
        if let Some(w) = waker {
            self.wakers[self.len] = Some(w);
            self.len += 1;
        }
    }

    fn is_full(&self) -> bool {
        self.len == self.wakers.len()
    }

    /// Wakes every collected waker. The observability hooks bracket the
    /// batch, so the trace recorder marks a timer event and attributes these
    /// wakes to timers.
    fn wake_all(&mut self) {
        if self.len == 0 {
            return;
        }
        let fired = self.len as u64;
        let _ = crate::context::with_current(|h| h.hooks().timers_firing(fired));
        for slot in &mut self.wakers[..self.len] {
            if let Some(w) = slot.take() {
                w.wake();
            }
        }
        self.len = 0;
        let _ = crate::context::with_current(|h| h.hooks().timers_done());
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("time::Handle")
            .field("clock", &self.inner.clock)
            .finish_non_exhaustive()
    }
}
