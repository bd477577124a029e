//! `TimerEntry`: a timer's owner's handle on its entry, the top of the timer
//! layers (what `Sleep` holds).
//!
//! The entry itself (`time::entry`) sits below the wheel, the queues and
//! the driver; the owner arms it (lazily into its worker's queue, or
//! straight into the wheel), resets it and cancels it through the driver it
//! reaches by the entry's anchor (`time::anchor`), and releases that anchor
//! as the last step of its drop (anchor rule 3). Every rule cited here is
//! one of `time::entry`'s, `time::arm_queue`'s or `time::anchor`'s.

use std::fmt;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};
use std::time::{Duration, Instant as StdInstant};

use crate::time::anchor::{Anchor, Held};
use crate::time::deadline::{self, UNRESOLVED};
use crate::time::entry::{is_fired, Site, TimerShared, FIRED, SHUTDOWN, UNREGISTERED};
use crate::time::local;
use crate::time::timer_driver::{HandleRef, TimeHandle};

/// A timer owned by a future (`Sleep`). Must be pinned before its first poll.
pub(crate) struct TimerEntry {
    shared: TimerShared,
}

/// The entry was armed (polled) at least once.
const REGISTERED: u8 = 0b01;
/// The entry was stored in a worker queue and not taken back since (it may
/// have been moved to the wheel by a flusher meanwhile).
const QUEUED: u8 = 0b10;

impl TimerEntry {
    /// An entry due at `deadline`, created at the caller's site.
    #[track_caller]
    pub(crate) fn new(handle: TimeHandle, deadline: StdInstant) -> TimerEntry {
        let deadline = handle.encode(deadline);
        TimerEntry {
            shared: TimerShared::new(deadline, handle.into_anchor(), Site::caller()),
        }
    }

    /// An entry due `delay` from now (for `sleep`). On one of `handle`'s
    /// workers with the clock not paused it joins the open epoch instead of
    /// reading the clock (arm_queue rule 7). The entry is built in one place, so that
    /// it is written straight into the caller's slot.
    #[inline]
    pub(crate) fn after(handle: &TimeHandle, delay: Duration, site: Site) -> TimerEntry {
        /// Longer delays take the clock path, which caps them at ~30 years.
        const MAX_LAZY: Duration = Duration::from_secs(86_400 * 365 * 30);
        let epoch = if delay <= MAX_LAZY {
            handle.open_epoch()
        } else {
            None
        };
        let (deadline, anchor) = match epoch {
            Some(epoch) => {
                let nanos = deadline::nanos(delay).min(UNRESOLVED - 1);
                (UNRESOLVED | nanos, Anchor::epoch(epoch))
            }
            None => after_clock(handle, delay),
        };
        TimerEntry {
            shared: TimerShared::new(deadline, anchor, site),
        }
    }

    /// The deadline; resolving an unresolved one may read the clock (if
    /// its epoch is still open, this closes it).
    pub(crate) fn deadline(&self) -> StdInstant {
        let h = self.handle();
        h.decode(self.shared.deadline(|| h.now_encoded()))
    }

    /// The driver (anchor rule 1: the anchor keeps it alive while `self`
    /// is borrowed).
    #[inline]
    fn handle(&self) -> HandleRef<'_> {
        // SAFETY: a timer's anchor always holds a driver (`new`, `after`),
        // alive while the anchor is (anchor rule 1).
        unsafe { HandleRef::from_raw(self.shared.anchor().driver_ptr()) }
    }

    /// True once the driver fired the timer (and it was not reset since).
    pub(crate) fn is_elapsed(&self) -> bool {
        self.shared.flags() & REGISTERED != 0 && is_fired(self.shared.state())
    }

    /// Takes the entry back out of its queue slot, if it is still there.
    /// Returns true if it was (the entry is then unreachable by the driver).
    #[inline]
    fn unqueue(&mut self) -> bool {
        let flags = self.shared.flags();
        if flags & QUEUED == 0 {
            return false;
        }
        self.shared.set_flags(flags & !QUEUED);
        // A flusher that took the entry set its state first thing (under
        // the lock): skip the CAS that would fail anyway.
        if self.shared.state() != UNREGISTERED {
            return false;
        }
        let (queue, slot) = self.shared.queued_at();
        self.handle()
            .unqueue(queue, slot, NonNull::from(&self.shared))
    }

    /// Moves the deadline. If the entry was already armed it is re-linked at
    /// once (and fires at once if `deadline` has passed); otherwise it is
    /// armed on the next poll.
    pub(crate) fn reset(self: Pin<&mut Self>, deadline: StdInstant) {
        // SAFETY: only `shared` is structurally pinned, and it is not moved.
        let this = unsafe { self.get_unchecked_mut() };
        this.unqueue();
        let ptr = NonNull::from(&this.shared);
        let handle = this.handle();
        let deadline = handle.encode(deadline);
        if this.shared.flags() & REGISTERED != 0 {
            // SAFETY: the entry is pinned and `Drop` cancels it, so it stays
            // valid while linked (entry rule 5); only the owner registers.
            // `register` writes the deadline under the lock (entry rule 7).
            unsafe { handle.register(ptr, deadline) };
        } else {
            // SAFETY: never armed, so in no slot and not linked (entry rule 7).
            unsafe { this.shared.set_deadline(deadline) };
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
        let flags = this.shared.flags();
        if flags & REGISTERED == 0 {
            let ptr = NonNull::from(&this.shared);
            let handle = this.handle();
            let expired = this.shared.expired_at_first_poll(|| handle.now_encoded());
            if expired && !handle.is_shutdown() {
                // Entry rule 9: never armed, so no other thread can reach the
                // entry; the state write needs no lock (entry rule 2).
                this.shared.set_flags(REGISTERED);
                this.shared.set_state(FIRED);
                return Poll::Ready(());
            }
            // SAFETY: pinned, taken back or cancelled on drop (entry rule 5),
            // owner only, never armed before (so in no slot or list).
            if let Some((queue, slot)) = unsafe { handle.queue(ptr, cx.waker()) } {
                this.shared.set_flags(REGISTERED | QUEUED);
                this.shared.set_queued_at(queue, slot);
                return Poll::Pending;
            }
            this.shared.set_flags(REGISTERED);
            let deadline = this.shared.deadline(|| handle.now_encoded());
            // SAFETY: as above.
            unsafe { handle.register(ptr, deadline) };
        }
        if let Some(ready) = this.check_fired() {
            return ready;
        }
        // Atomic-waker rule 5: register, then check again.
        this.shared.waker().register(cx.waker());
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

/// [`TimerEntry::after`] off a worker: reads the clock.
#[cold]
fn after_clock(handle: &TimeHandle, delay: Duration) -> (u64, Anchor) {
    let deadline = handle
        .clock()
        .now()
        .checked_add(delay)
        .unwrap_or_else(|| crate::time::Instant::far_future().into_std());
    (handle.encode(deadline), handle.clone().into_anchor())
}

impl Drop for TimerEntry {
    #[inline]
    fn drop(&mut self) {
        self.disarm();
        // Anchor rule 3: the entry's last use, after the driver let go.
        // SAFETY: taken once, here, and never read again.
        match unsafe { self.shared.anchor().take() } {
            Held::Epoch(epoch) => local::release_epoch(epoch),
            // SAFETY: the anchor owned this reference (anchor rule 1).
            Held::Driver(raw) => drop(unsafe { TimeHandle::from_raw(raw) }),
            Held::Nothing => {}
        }
    }
}

impl TimerEntry {
    /// Makes sure the driver can no longer reach the entry (entry rule 5).
    #[inline]
    fn disarm(&mut self) {
        if self.unqueue() {
            // Taken back out of its slot: the waker is ours alone (entry rule 5).
            // SAFETY: as said; and this is the entry's last use of it.
            if let Some(waker) = unsafe { self.shared.waker().take_unshared() } {
                let (queue, _) = self.shared.queued_at();
                self.handle().recycle_waker(queue, waker);
            }
            return;
        }
        if self.shared.flags() & REGISTERED != 0 {
            // SAFETY: entry rule 5 — `cancel` returns only once the driver can
            // no longer reach the entry.
            unsafe { self.handle().cancel(NonNull::from(&self.shared)) };
        }
    }
}

impl fmt::Debug for TimerEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerEntry")
            .field("deadline", &self.deadline())
            .field("armed", &(self.shared.flags() & REGISTERED != 0))
            .field("state", &self.shared.state())
            .finish()
    }
}
