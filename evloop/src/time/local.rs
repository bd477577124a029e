//! The time layers' thread-local: which timer driver and which worker
//! queue this thread stands on.
//!
//! Two questions a timer asks on every arm and every drop, answered with one
//! plain thread-local load each:
//!
//! - **driver**: the time driver of this thread's current runtime, so that
//!   `sleep` finds it without borrowing `context`'s `RefCell` (the time
//!   layer sits below `context` and does not import it). Set by
//!   `driver::set_current`, which `context::set_current` calls; the cell owns
//!   one strong reference (erased: this file sits below the driver).
//! - **queue**: the worker queue this thread owns, if it runs a worker (queue
//!   ownership rule): where a lazily armed timer goes, and whose spare an
//!   epoch reference or a waker goes back to.
//!
//! One struct of plain cells, no destructor (a timer dropped by another
//! thread-local's destructor still finds it). Under loom each model thread
//! needs its own (arm_queue rules 10 and 11 depend on the owner's identity), and
//! loom runs them all on one OS thread, so there it is a loom thread-local.

use std::cell::Cell;
use std::fmt;
use std::ptr;

use crate::loom::sync::Arc;
use crate::time::arm_queue::Queue;
use crate::time::epoch::Epoch;

struct Local {
    /// `Arc::into_raw` of the current driver's shared state (erased), owned
    /// by the cell; null if none.
    driver: Cell<*const ()>,
    /// The queue this thread owns; null if none.
    queue: Cell<*const Queue>,
}

#[cfg(not(loom))]
thread_local! {
    static LOCAL: Local = const {
        Local {
            driver: Cell::new(ptr::null()),
            queue: Cell::new(ptr::null()),
        }
    };
}

#[cfg(loom)]
loom::thread_local! {
    static LOCAL: Local = Local {
        driver: Cell::new(ptr::null()),
        queue: Cell::new(ptr::null()),
    };
}

/// The current driver's shared state (erased; null if none).
#[inline(always)]
pub(crate) fn driver() -> *const () {
    LOCAL.with(|l| l.driver.get())
}

/// Replaces the current driver, returning the previous one (ownership of
/// both references moves: see `driver::set_current`).
pub(crate) fn replace_driver(driver: *const ()) -> *const () {
    LOCAL.with(|l| l.driver.replace(driver))
}

/// The queue this thread owns (null if none). Only compared by the caller,
/// which dereferences it only if it is one of its own driver's queues (then
/// it is alive: the driver owns it).
#[inline]
pub(crate) fn queue() -> *const Queue {
    LOCAL.try_with(|l| l.queue.get()).unwrap_or(ptr::null())
}

/// Makes this thread the owner of `queue` (null: of none) until the guard
/// drops.
///
/// # Safety
///
/// No other thread owns `queue` meanwhile (the caller runs its worker), and
/// `queue` outlives the guard.
pub(crate) unsafe fn enter_queue(queue: *const Queue) -> EnterGuard {
    let prev = LOCAL.with(|l| l.queue.replace(queue));
    EnterGuard { prev }
}

/// Makes this thread the owner of `queue` (or of none), without a guard:
/// for a thread whose worker core changes hands mid-run; an outer
/// [`enter_queue`] guard still restores the original value.
///
/// # Safety
///
/// As [`enter_queue`].
pub(crate) unsafe fn switch_queue(queue: *const Queue) {
    let _ = LOCAL.try_with(|l| l.queue.set(queue));
}

/// Restores the previously owned queue.
pub(crate) struct EnterGuard {
    prev: *const Queue,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let _ = LOCAL.try_with(|l| l.queue.set(self.prev));
    }
}

impl fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// Releases a timer's reference to `epoch`: into the spare of this thread's
/// queue if that queue holds the epoch (arm_queue rule 10), else by dropping it.
#[inline]
pub(crate) fn release_epoch(epoch: Arc<Epoch>) {
    let q = queue();
    if q.is_null() || q as usize != epoch.queue() {
        return drop(epoch);
    }
    // SAFETY: `q` is the epoch's queue, which this thread owns
    // (`enter_queue`); the epoch's driver owns the queue and outlives the
    // call (we hold the epoch, which holds the driver; once stored, the
    // queue's attached epoch does).
    if let Some(epoch) = unsafe { (*q).recycle_epoch(epoch) } {
        drop(epoch);
    }
}
