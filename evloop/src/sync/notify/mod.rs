//! `Notify`: wake one task or all tasks, without data.
//!
//! # State
//!
//! `state` packs a mode in bits 0-1 and a generation counter above them:
//!
//! | mode       | meaning                                               |
//! |------------|-------------------------------------------------------|
//! | `EMPTY`    | nobody waits, no permit stored                        |
//! | `WAITING`  | the waiter list is non-empty                          |
//! | `NOTIFIED` | nobody waits; one permit is stored for the next waiter |
//!
//! The generation counts `notify_waiters` calls.
//!
//! # Rules
//!
//! 1. Transitions into and out of `WAITING` happen only under the list's
//!    mutex, and `WAITING` holds exactly when the list is non-empty.
//!    `EMPTY → NOTIFIED` (by `notify_one`) and `NOTIFIED → EMPTY` (a waiter
//!    consuming the permit) may happen without the lock, by CAS.
//! 2. A `Notified` future records the generation when it is *created*; any
//!    later `notify_waiters` completes it, even if it was never polled.
//! 3. A queued node records the generation it was queued in. `notify_waiters`
//!    bumps the generation under the lock and completes every node queued
//!    with an older one; nodes are queued at the back and a node whose future
//!    saw a newer generation never queues, so the older nodes form a prefix
//!    of the list and can be taken in batches, dropping the lock in between
//!    to wake them.
//! 4. `notify_one` with waiters pops the front node (FIFO), `notify_last`
//!    the back node (LIFO), and marks it `One` with that end. If that future
//!    is dropped before it returns `Ready`, its `Drop` passes the
//!    notification on (to the waiter at the same end, or as the stored
//!    permit), so a `notify_one`/`notify_last` is never lost to
//!    cancellation. Without waiters both store the one permit.
//! 5. Node fields are accessed only under the mutex (rule 1 of `waiters`).

use std::fmt;
use std::task::Waker;

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::{Mutex, MutexGuard};
use crate::sync::waiters::{WaiterList, WakeList};

// `notified_owned` takes `self: Arc<Self>`, which must be std's `Arc` (the
// type users hold); no atomic protocol of ours lives in it.
use std::sync::Arc;

const EMPTY: usize = 0;
const WAITING: usize = 1;
const NOTIFIED: usize = 2;
const MODE: usize = 0b11;
const GEN_ONE: usize = 0b100;

fn generation(state: usize) -> usize {
    state >> 2
}

/// How a queued waiter was completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notification {
    None,
    /// By `notify_one` or `notify_last` (rule 4).
    One(End),
    /// By `notify_waiters`.
    All,
}

/// Which waiter a single notification goes to (rule 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The longest-waiting one (`notify_one`).
    Front,
    /// The most recent one (`notify_last`).
    Back,
}

#[derive(Debug)]
struct NodeData {
    notified: Notification,
    /// Rule 3.
    generation: usize,
}

/// Notifies one task, or all waiting tasks, of an event.
///
/// `notify_one` wakes the longest-waiting task; if nobody waits it stores a
/// single permit, so the next `notified().await` completes at once (several
/// `notify_one` calls with nobody waiting still store only one permit).
/// `notify_waiters` wakes every task waiting right now and stores nothing.
///
/// ```
/// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use evloop::sync::Notify;
///
/// let notify = Arc::new(Notify::new());
/// let n = notify.clone();
/// let waiter = evloop::spawn(async move {
///     n.notified().await;
///     "notified"
/// });
/// notify.notify_one();
/// assert_eq!(waiter.await.unwrap(), "notified");
/// # });
/// ```
pub struct Notify {
    state: AtomicUsize,
    waiters: Mutex<WaiterList<NodeData>>,
}

impl Notify {
    /// Creates a `Notify` with no stored permit.
    pub fn new() -> Notify {
        Notify {
            state: AtomicUsize::new(EMPTY),
            waiters: Mutex::new(WaiterList::new()),
        }
    }

    /// Creates a `Notify` in a `const` context.
    #[cfg(not(loom))]
    pub const fn const_new() -> Notify {
        Notify {
            state: AtomicUsize::new(EMPTY),
            waiters: Mutex::new(WaiterList::new()),
        }
    }

    /// Returns a future that completes when notified.
    ///
    /// It already counts for `notify_waiters` once created (rule 2); for
    /// `notify_one` it counts once polled or [`enable`](Notified::enable)d.
    pub fn notified(&self) -> Notified<'_> {
        Notified::new(self)
    }

    /// Like [`notified`](Self::notified), but the future holds the `Notify`
    /// through an `Arc` instead of borrowing it, so it is `'static` and can
    /// be stored or moved into a spawned task.
    ///
    /// ```
    /// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use evloop::sync::Notify;
    ///
    /// let notify = Arc::new(Notify::new());
    /// let fut = notify.clone().notified_owned();
    /// let waiter = evloop::spawn(fut);
    /// evloop::task::yield_now().await;
    /// notify.notify_one();
    /// waiter.await.unwrap();
    /// # });
    /// ```
    pub fn notified_owned(self: Arc<Self>) -> OwnedNotified {
        OwnedNotified::new(self)
    }

    /// Generation now (rule 2).
    fn current_generation(&self) -> usize {
        generation(self.state.load(Ordering::SeqCst))
    }

    /// Wakes the longest-waiting task, or stores one permit if none waits.
    pub fn notify_one(&self) {
        self.notify_at(End::Front);
    }

    /// Wakes the task that started waiting most recently (LIFO), or stores
    /// one permit if none waits.
    ///
    /// ```
    /// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::pin::pin;
    /// use evloop::sync::Notify;
    ///
    /// let notify = Notify::new();
    /// let mut first = pin!(notify.notified());
    /// let mut second = pin!(notify.notified());
    /// first.as_mut().enable();
    /// second.as_mut().enable();
    /// notify.notify_last();
    /// second.await; // the newer waiter got it; `first` still waits
    /// # });
    /// ```
    pub fn notify_last(&self) {
        self.notify_at(End::Back);
    }

    fn notify_at(&self, end: End) {
        let mut cur = self.state.load(Ordering::SeqCst);
        // Rule 1: without waiters, store the permit with a CAS.
        while cur & MODE != WAITING {
            let next = (cur & !MODE) | NOTIFIED;
            match self
                .state
                .compare_exchange(cur, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
        let list = self.waiters.lock();
        let waker = self.notify_locked(list, end);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// `notify_one`/`notify_last` with the lock held; returns the waker to
    /// wake after the guard is gone (the guard is consumed).
    fn notify_locked(
        &self,
        mut list: MutexGuard<'_, WaiterList<NodeData>>,
        end: End,
    ) -> Option<Waker> {
        let cur = self.state.load(Ordering::SeqCst);
        if cur & MODE == WAITING {
            let node = match end {
                End::Front => list.pop_front(),
                End::Back => list.pop_back(),
            }
            .expect("WAITING with an empty list");
            // SAFETY: rule 5 — we hold the lock; the node was linked, so its
            // future is alive (rule 2 of `waiters`).
            let w = unsafe { &mut *node.as_ptr() };
            w.data.notified = Notification::One(end);
            let waker = w.waker.take();
            if list.is_empty() {
                // Rule 1: leave WAITING under the lock.
                self.state.store(cur & !MODE, Ordering::SeqCst);
            }
            drop(list);
            return waker;
        }
        // No waiter: store the permit (rule 1, racing only with lock-free
        // CASes).
        let mut cur = cur;
        loop {
            let next = (cur & !MODE) | NOTIFIED;
            match self
                .state
                .compare_exchange(cur, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return None,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Wakes every task waiting now. Stores no permit.
    ///
    /// ```
    /// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let notify = evloop::sync::Notify::new();
    /// let a = notify.notified();
    /// let b = notify.notified();
    /// notify.notify_waiters();
    /// a.await;
    /// b.await;
    /// # });
    /// ```
    pub fn notify_waiters(&self) {
        let mut list = self.waiters.lock();
        // Rule 3: bump the generation under the lock.
        let new_gen = generation(self.state.fetch_add(GEN_ONE, Ordering::SeqCst)) + 1;
        loop {
            let mut wakers = WakeList::new();
            while wakers.can_push() {
                let Some(node) = list.front() else { break };
                // SAFETY: rule 5 — lock held, node linked and alive.
                let w = unsafe { &mut *node.as_ptr() };
                if w.data.generation >= new_gen {
                    break;
                }
                list.pop_front();
                w.data.notified = Notification::All;
                wakers.push(w.waker.take());
            }
            let done = wakers.can_push() || list.is_empty();
            if list.is_empty() {
                let cur = self.state.load(Ordering::SeqCst);
                if cur & MODE == WAITING {
                    self.state.store(cur & !MODE, Ordering::SeqCst);
                }
            }
            drop(list);
            wakers.wake_all();
            if done {
                return;
            }
            list = self.waiters.lock();
        }
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cur = self.state.load(Ordering::SeqCst);
        let mode = match cur & MODE {
            EMPTY => "empty",
            WAITING => "waiting",
            _ => "notified",
        };
        f.debug_struct("Notify")
            .field("state", &mode)
            .field("generation", &generation(cur))
            .finish()
    }
}

mod notified;

pub use notified::{Notified, OwnedNotified};

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
