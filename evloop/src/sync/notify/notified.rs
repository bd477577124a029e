//! The futures that wait on a [`Notify`]: [`Notified`] borrows it,
//! [`OwnedNotified`] holds it through an `Arc`. Both run the same waiting
//! logic ([`Wait`]); the rules are those of the parent module.

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::{generation, NodeData, Notification, Notify, MODE, NOTIFIED, WAITING};
use crate::coop;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::Ordering;
use crate::sync::waiters::Waiter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Init,
    Waiting,
    Done,
}

/// The waiting half shared by both futures; every method is handed the
/// `Notify` it belongs to.
struct Wait {
    state: State,
    /// Rule 2.
    generation: usize,
    /// Rule 5.
    node: UnsafeCell<Waiter<NodeData>>,
    _pin: PhantomPinned,
}

impl Wait {
    fn new(notify: &Notify) -> Wait {
        Wait {
            state: State::Init,
            generation: notify.current_generation(),
            node: UnsafeCell::new(Waiter::new(NodeData {
                notified: Notification::None,
                generation: 0,
            })),
            _pin: PhantomPinned,
        }
    }

    fn node_ptr(&self) -> NonNull<Waiter<NodeData>> {
        // SAFETY: `UnsafeCell` never yields a null pointer.
        self.node.with_mut(|p| unsafe { NonNull::new_unchecked(p) })
    }

    /// Tries to consume the stored permit or see a newer generation.
    fn try_complete(&self, notify: &Notify, mut cur: usize) -> Result<(), usize> {
        loop {
            if generation(cur) != self.generation {
                return Ok(());
            }
            if cur & MODE != NOTIFIED {
                return Err(cur);
            }
            match notify.state.compare_exchange(
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

    /// Polls with `waker`, or registers without one (`enable`).
    ///
    /// The caller keeps `self` pinned: once it returns `Pending` the node is
    /// linked (rule 2 of `waiters`).
    fn poll(&mut self, notify: &Notify, waker: Option<&Waker>) -> Poll<()> {
        match self.state {
            State::Done => Poll::Ready(()),
            State::Init => {
                let cur = notify.state.load(Ordering::SeqCst);
                if self.try_complete(notify, cur).is_ok() {
                    self.state = State::Done;
                    return Poll::Ready(());
                }
                let mut list = notify.waiters.lock();
                let mut cur = notify.state.load(Ordering::SeqCst);
                loop {
                    cur = match self.try_complete(notify, cur) {
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
                // a `!Unpin` future whose `Drop` unlinks it (rule 2 of
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

    /// `Future::poll` of both futures.
    fn poll_future(&mut self, notify: &Notify, cx: &mut Context<'_>) -> Poll<()> {
        // A stored permit makes it ready at once, every time: it spends
        // budget (rule 3 of `coop`).
        let restore = std::task::ready!(coop::poll_proceed(cx));
        let res = self.poll(notify, Some(cx.waker()));
        if res.is_ready() {
            restore.made_progress();
        }
        res
    }

    /// Leaves the list when the future is dropped while waiting; a single
    /// notification it had received is passed on (rule 4).
    fn cancel(&mut self, notify: &Notify) {
        if self.state != State::Waiting {
            return;
        }
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
        if let Notification::One(end) = notified {
            // Rule 4: pass the unconsumed notification on.
            if let Some(w) = notify.notify_locked(list, end) {
                w.wake();
            }
        }
    }
}

/// Future returned by [`Notify::notified`].
///
/// **Cancel safety:** cancel-safe. Dropping it gives up its place; if it had
/// already been picked by `notify_one` or `notify_last`, the notification
/// passes on to the next waiter (or is stored), so nothing is lost.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Notified<'a> {
    notify: &'a Notify,
    wait: Wait,
}

/// Future returned by [`Notify::notified_owned`]: a [`Notified`] that keeps
/// its `Notify` alive through an `Arc`.
///
/// **Cancel safety:** cancel-safe, as [`Notified`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct OwnedNotified {
    notify: Arc<Notify>,
    wait: Wait,
}

// SAFETY: the node is only accessed under the notify's mutex (rule 5).
unsafe impl Send for Notified<'_> {}
// SAFETY: `&Notified` gives access to nothing.
unsafe impl Sync for Notified<'_> {}
// SAFETY: as for `Notified`; `Arc<Notify>` is itself `Send + Sync`.
unsafe impl Send for OwnedNotified {}
// SAFETY: `&OwnedNotified` gives access to nothing.
unsafe impl Sync for OwnedNotified {}

impl<'a> Notified<'a> {
    pub(super) fn new(notify: &'a Notify) -> Notified<'a> {
        Notified {
            notify,
            wait: Wait::new(notify),
        }
    }

    /// Registers the future for `notify_one` without a waker, so it keeps its
    /// place in the queue before it is first polled. Returns `true` if it is
    /// already notified (the next poll returns `Ready`).
    pub fn enable(self: Pin<&mut Self>) -> bool {
        // SAFETY: we do not move out of the future; `wait` stays pinned.
        let this = unsafe { self.get_unchecked_mut() };
        this.wait.poll(this.notify, None).is_ready()
    }
}

impl OwnedNotified {
    pub(super) fn new(notify: Arc<Notify>) -> OwnedNotified {
        let wait = Wait::new(&notify);
        OwnedNotified { notify, wait }
    }

    /// Registers the future for `notify_one` without a waker, as
    /// [`Notified::enable`]. Returns `true` if it is already notified.
    pub fn enable(self: Pin<&mut Self>) -> bool {
        // SAFETY: we do not move out of the future; `wait` stays pinned.
        let this = unsafe { self.get_unchecked_mut() };
        this.wait.poll(&this.notify, None).is_ready()
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: we do not move out of the future; `wait` stays pinned.
        let this = unsafe { self.get_unchecked_mut() };
        this.wait.poll_future(this.notify, cx)
    }
}

impl Future for OwnedNotified {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: we do not move out of the future; `wait` stays pinned.
        let this = unsafe { self.get_unchecked_mut() };
        this.wait.poll_future(&this.notify, cx)
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        self.wait.cancel(self.notify);
    }
}

impl Drop for OwnedNotified {
    fn drop(&mut self) {
        // The node is unlinked here, before the fields (and with them the
        // `Arc` keeping the list alive) are dropped.
        self.wait.cancel(&self.notify);
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("state", &self.wait.state)
            .finish()
    }
}

impl fmt::Debug for OwnedNotified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedNotified")
            .field("state", &self.wait.state)
            .finish()
    }
}
