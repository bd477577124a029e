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
//! 4. `notify_one` with waiters pops the front node (FIFO) and marks it
//!    `ONE`. If that future is dropped before it returns `Ready`, its `Drop`
//!    passes the notification on (to the next waiter, or as the stored
//!    permit), so a `notify_one` is never lost to cancellation.
//! 5. Node fields are accessed only under the mutex (rule 1 of `waiters`).

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::{Mutex, MutexGuard};
use crate::sync::waiters::{Waiter, WaiterList, WakeList};
use crate::task::coop;

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
    /// By `notify_one` (rule 4).
    One,
    /// By `notify_waiters`.
    All,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Init,
    Waiting,
    Done,
}

/// Future returned by [`Notify::notified`].
///
/// **Cancel safety:** cancel-safe. Dropping it gives up its place; if it had
/// already been picked by `notify_one`, the notification passes on to the
/// next waiter (or is stored), so nothing is lost.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Notified<'a> {
    notify: &'a Notify,
    state: State,
    /// Rule 2.
    generation: usize,
    /// Rule 5.
    node: UnsafeCell<Waiter<NodeData>>,
    _pin: PhantomPinned,
}

// SAFETY: the node is only accessed under the notify's mutex (rule 5).
unsafe impl Send for Notified<'_> {}
// SAFETY: `&Notified` gives access to nothing.
unsafe impl Sync for Notified<'_> {}

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
        Notified {
            notify: self,
            state: State::Init,
            generation: generation(self.state.load(Ordering::SeqCst)),
            node: UnsafeCell::new(Waiter::new(NodeData {
                notified: Notification::None,
                generation: 0,
            })),
            _pin: PhantomPinned,
        }
    }

    /// Wakes the longest-waiting task, or stores one permit if none waits.
    pub fn notify_one(&self) {
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
        let waker = self.notify_one_locked(list);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// `notify_one` with the lock held; returns the waker to wake after the
    /// guard is gone (the guard is consumed).
    fn notify_one_locked(&self, mut list: MutexGuard<'_, WaiterList<NodeData>>) -> Option<Waker> {
        let cur = self.state.load(Ordering::SeqCst);
        if cur & MODE == WAITING {
            let node = list.pop_front().expect("WAITING with an empty list");
            // SAFETY: rule 5 — we hold the lock; the node was linked, so its
            // future is alive (rule 2 of `waiters`).
            let w = unsafe { &mut *node.as_ptr() };
            w.data.notified = Notification::One;
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

impl Notified<'_> {
    fn node_ptr(&self) -> NonNull<Waiter<NodeData>> {
        // SAFETY: `UnsafeCell` never yields a null pointer.
        self.node.with_mut(|p| unsafe { NonNull::new_unchecked(p) })
    }

    /// Registers the future for `notify_one` without a waker, so it keeps its
    /// place in the queue before it is first polled. Returns `true` if it is
    /// already notified (the next poll returns `Ready`).
    pub fn enable(self: Pin<&mut Self>) -> bool {
        // SAFETY: we do not move out of the future.
        let this = unsafe { self.get_unchecked_mut() };
        this.poll_inner(None).is_ready()
    }

    /// Tries to consume the stored permit or see a newer generation.
    fn try_complete(&self, mut cur: usize) -> Result<(), usize> {
        loop {
            if generation(cur) != self.generation {
                return Ok(());
            }
            if cur & MODE != NOTIFIED {
                return Err(cur);
            }
            match self.notify.state.compare_exchange(
                cur,
                cur & !MODE,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => cur = actual,
            }
        }
    }

    fn poll_inner(&mut self, waker: Option<&Waker>) -> Poll<()> {
        let notify = self.notify;
        match self.state {
            State::Done => Poll::Ready(()),
            State::Init => {
                let cur = notify.state.load(Ordering::SeqCst);
                if self.try_complete(cur).is_ok() {
                    self.state = State::Done;
                    return Poll::Ready(());
                }
                let mut list = notify.waiters.lock();
                let mut cur = notify.state.load(Ordering::SeqCst);
                loop {
                    cur = match self.try_complete(cur) {
                        Ok(()) => {
                            self.state = State::Done;
                            return Poll::Ready(());
                        }
                        Err(cur) => cur,
                    };
                    if cur & MODE == WAITING {
                        break;
                    }
                    // EMPTY → WAITING (rule 1); may race with a lock-free
                    // `notify_one` storing a permit.
                    match notify.state.compare_exchange(
                        cur,
                        cur | WAITING,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    ) {
                        Ok(_) => break,
                        Err(actual) => cur = actual,
                    }
                }
                let node = self.node_ptr();
                // SAFETY: rule 5 — we hold the lock. The node is pinned inside
                // this `!Unpin` future and `Drop` unlinks it (rule 2 of
                // `waiters`).
                unsafe {
                    let w = &mut *node.as_ptr();
                    w.data.generation = self.generation;
                    if let Some(waker) = waker {
                        let prev = w.set_waker(waker);
                        debug_assert!(
                            prev.is_none(),
                            "a node that was never queued holds no waker"
                        );
                    }
                    list.push_back(node);
                }
                self.state = State::Waiting;
                Poll::Pending
            }
            State::Waiting => {
                let mut list = notify.waiters.lock();
                let node = self.node_ptr();
                // SAFETY: rule 5 — we hold the lock.
                let w = unsafe { &mut *node.as_ptr() };
                if w.data.notified != Notification::None {
                    self.state = State::Done;
                    return Poll::Ready(());
                }
                let cur = notify.state.load(Ordering::SeqCst);
                if generation(cur) != self.generation {
                    // A `notify_waiters` is running and has not reached us
                    // yet: complete now and leave the list.
                    // SAFETY: rule 5; the node is in this list if queued.
                    unsafe { list.remove(node) };
                    if list.is_empty() && cur & MODE == WAITING {
                        notify.state.store(cur & !MODE, Ordering::SeqCst);
                    }
                    self.state = State::Done;
                    return Poll::Ready(());
                }
                let replaced = waker.and_then(|waker| w.set_waker(waker));
                // Rule 4 of `waiters`: the old waker goes after the lock.
                drop(list);
                drop(replaced);
                Poll::Pending
            }
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // A stored permit makes it ready at once, every time: it spends
        // budget (rule 3 of `coop`).
        let restore = std::task::ready!(coop::poll_proceed(cx));
        // SAFETY: we do not move out of the future.
        let this = unsafe { self.get_unchecked_mut() };
        let res = this.poll_inner(Some(cx.waker()));
        if res.is_ready() {
            restore.made_progress();
        }
        res
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        if self.state != State::Waiting {
            return;
        }
        let notify = self.notify;
        let mut list = notify.waiters.lock();
        let node = self.node_ptr();
        // SAFETY: rule 5 — lock held; if queued, the node is in this list.
        let notified = unsafe {
            list.remove(node);
            (*node.as_ptr()).data.notified
        };
        if list.is_empty() {
            let cur = notify.state.load(Ordering::SeqCst);
            if cur & MODE == WAITING {
                notify.state.store(cur & !MODE, Ordering::SeqCst);
            }
        }
        if notified == Notification::One {
            // Rule 4: pass the unconsumed notification on.
            if let Some(w) = notify.notify_one_locked(list) {
                w.wake();
            }
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("state", &self.state)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
