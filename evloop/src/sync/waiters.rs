//! An intrusive FIFO list of waiting futures, shared by `Notify`,
//! `Semaphore` (and through it `Mutex`, `RwLock`, bounded `mpsc`).
//!
//! A future that has to wait embeds a [`Waiter`] node in itself (it is `!Unpin`
//! and pinned, so the node does not move) and links it into the primitive's
//! [`WaiterList`]. Waiting therefore never allocates, and a future dropped
//! while waiting unlinks its own node in O(1).
//!
//! # Rules
//!
//! 1. A `WaiterList` always lives inside a `Mutex`. Every field of every node
//!    that is linked — or that may have been linked — is read and written only
//!    while that mutex is held, by the future owning the node or by whoever
//!    holds the lock to pop/wake waiters.
//! 2. A node is linked only while its future is pinned and alive: the future's
//!    `Drop` takes the lock and unlinks the node if `queued` is set. A node is
//!    never moved while linked (`PhantomPinned`).
//! 3. `queued` is true exactly while the node is in a list; `push_back` sets
//!    it, `pop_front`/`remove` clear it. The owner uses it to learn, under the
//!    lock, whether a notifier already took the node out.
//! 4. Wakers are taken out of the nodes under the lock and woken after it is
//!    released ([`WakeList`]); a waker replaced by a newer one
//!    ([`Waiter::set_waker`]) is likewise dropped only after the lock is
//!    released. Waking or dropping a waker runs user code, which may call
//!    back into the same primitive (a waker whose drop sends on the channel
//!    it waited on): doing it under the lock would deadlock.

use std::marker::PhantomPinned;
use std::ptr::NonNull;
use std::task::Waker;

/// A node embedded in a waiting future.
#[derive(Debug)]
pub(crate) struct Waiter<D> {
    prev: Option<NonNull<Waiter<D>>>,
    next: Option<NonNull<Waiter<D>>>,
    /// Rule 3.
    queued: bool,
    /// The waiting task.
    pub(crate) waker: Option<Waker>,
    /// Per-primitive state (permits still needed, notification kind, ...).
    pub(crate) data: D,
    _pin: PhantomPinned,
}

impl<D> Waiter<D> {
    pub(crate) const fn new(data: D) -> Waiter<D> {
        Waiter {
            prev: None,
            next: None,
            queued: false,
            waker: None,
            data,
            _pin: PhantomPinned,
        }
    }

    /// Rule 3: whether the node is in a list.
    pub(crate) fn is_queued(&self) -> bool {
        self.queued
    }

    /// Stores `waker` unless the stored one already wakes the same task.
    /// Returns the waker it replaced, which the caller drops after releasing
    /// the lock (rule 4).
    #[must_use = "drop the replaced waker after releasing the lock"]
    pub(crate) fn set_waker(&mut self, waker: &Waker) -> Option<Waker> {
        match &mut self.waker {
            Some(w) if w.will_wake(waker) => None,
            slot => slot.replace(waker.clone()),
        }
    }
}

/// A doubly linked FIFO of [`Waiter`]s.
#[derive(Debug)]
pub(crate) struct WaiterList<D> {
    head: Option<NonNull<Waiter<D>>>,
    tail: Option<NonNull<Waiter<D>>>,
}

// SAFETY: rule 1 — the list and the nodes it points to are only accessed
// under the mutex that owns the list, so moving the list (inside that mutex)
// between threads is fine as long as the node data may move too.
unsafe impl<D: Send> Send for WaiterList<D> {}
// SAFETY: as above; shared access goes through the owning mutex.
unsafe impl<D: Send> Sync for WaiterList<D> {}

impl<D> WaiterList<D> {
    pub(crate) const fn new() -> WaiterList<D> {
        WaiterList {
            head: None,
            tail: None,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// Links `node` at the back.
    ///
    /// # Safety
    ///
    /// `node` is valid, not queued, pinned, and stays valid until it is
    /// popped or removed (rule 2).
    pub(crate) unsafe fn push_back(&mut self, node: NonNull<Waiter<D>>) {
        // SAFETY: the caller guarantees `node` is valid; rule 1 gives us
        // exclusive access to it and to the tail.
        unsafe {
            let n = &mut *node.as_ptr();
            debug_assert!(!n.queued, "waiter linked twice");
            n.queued = true;
            n.next = None;
            n.prev = self.tail;
            match self.tail {
                Some(tail) => (*tail.as_ptr()).next = Some(node),
                None => self.head = Some(node),
            }
        }
        self.tail = Some(node);
    }

    /// The first node, if any.
    pub(crate) fn front(&self) -> Option<NonNull<Waiter<D>>> {
        self.head
    }

    /// Unlinks and returns the first node.
    pub(crate) fn pop_front(&mut self) -> Option<NonNull<Waiter<D>>> {
        let head = self.head?;
        // SAFETY: linked nodes are valid (rule 2) and ours under the lock
        // (rule 1).
        unsafe { self.unlink(head) };
        Some(head)
    }

    /// Unlinks and returns the last node.
    pub(crate) fn pop_back(&mut self) -> Option<NonNull<Waiter<D>>> {
        let tail = self.tail?;
        // SAFETY: linked nodes are valid (rule 2) and ours under the lock
        // (rule 1).
        unsafe { self.unlink(tail) };
        Some(tail)
    }

    /// Unlinks `node` if it is queued; returns whether it was.
    ///
    /// # Safety
    ///
    /// `node` is valid, and if queued it is queued in *this* list.
    pub(crate) unsafe fn remove(&mut self, node: NonNull<Waiter<D>>) -> bool {
        // SAFETY: the caller guarantees validity; rule 1.
        if !unsafe { (*node.as_ptr()).queued } {
            return false;
        }
        // SAFETY: queued in this list, per the caller.
        unsafe { self.unlink(node) };
        true
    }

    /// # Safety
    ///
    /// `node` is queued in this list.
    unsafe fn unlink(&mut self, node: NonNull<Waiter<D>>) {
        // SAFETY: the node and its neighbours are linked, hence valid
        // (rule 2), and ours under the lock (rule 1).
        unsafe {
            let n = &mut *node.as_ptr();
            match n.prev {
                Some(prev) => (*prev.as_ptr()).next = n.next,
                None => self.head = n.next,
            }
            match n.next {
                Some(next) => (*next.as_ptr()).prev = n.prev,
                None => self.tail = n.prev,
            }
            n.prev = None;
            n.next = None;
            n.queued = false;
        }
    }
}

/// Wakers collected under a lock, woken after it is released (rule 4).
pub(crate) struct WakeList {
    wakers: [Option<Waker>; WakeList::CAPACITY],
    len: usize,
}

impl WakeList {
    pub(crate) const CAPACITY: usize = 32;

    pub(crate) fn new() -> WakeList {
        WakeList {
            wakers: [const { None }; WakeList::CAPACITY],
            len: 0,
        }
    }

    pub(crate) fn can_push(&self) -> bool {
        self.len < WakeList::CAPACITY
    }

    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        debug_assert!(self.can_push());
        if let Some(w) = waker {
            self.wakers[self.len] = Some(w);
            self.len += 1;
        }
    }

    pub(crate) fn wake_all(&mut self) {
        for slot in &mut self.wakers[..self.len] {
            if let Some(w) = slot.take() {
                w.wake();
            }
        }
        self.len = 0;
    }
}

impl Drop for WakeList {
    fn drop(&mut self) {
        self.wake_all();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn node(v: u32) -> Box<Waiter<u32>> {
        Box::new(Waiter::new(v))
    }

    fn ptr(n: &mut Waiter<u32>) -> NonNull<Waiter<u32>> {
        NonNull::from(n)
    }

    fn drain(list: &mut WaiterList<u32>) -> Vec<u32> {
        let mut out = vec![];
        while let Some(n) = list.pop_front() {
            // SAFETY: test nodes outlive the list operations.
            out.push(unsafe { (*n.as_ptr()).data });
        }
        out
    }

    #[test]
    fn fifo_and_remove_anywhere() {
        let mut list = WaiterList::new();
        let mut nodes: Vec<_> = (0..5).map(node).collect();
        for n in &mut nodes {
            // SAFETY: boxed nodes do not move and outlive the list use.
            unsafe { list.push_back(ptr(n)) };
        }
        // SAFETY: as above.
        unsafe {
            assert!(list.remove(ptr(&mut nodes[0])));
            assert!(list.remove(ptr(&mut nodes[2])));
            assert!(list.remove(ptr(&mut nodes[4])));
            assert!(!list.remove(ptr(&mut nodes[4])));
        }
        assert!(!nodes[2].is_queued());
        assert!(nodes[1].is_queued());
        assert_eq!(drain(&mut list), vec![1, 3]);
        assert!(list.is_empty());
        // Re-link after removal.
        // SAFETY: as above.
        unsafe {
            list.push_back(ptr(&mut nodes[4]));
            list.push_back(ptr(&mut nodes[0]));
        }
        assert_eq!(drain(&mut list), vec![4, 0]);
    }

    #[test]
    fn pop_back_takes_the_newest() {
        let mut list = WaiterList::new();
        let mut nodes: Vec<_> = (0..3).map(node).collect();
        for n in &mut nodes {
            // SAFETY: boxed nodes do not move and outlive the list use.
            unsafe { list.push_back(ptr(n)) };
        }
        // SAFETY: as above.
        let last = list.pop_back().map(|n| unsafe { (*n.as_ptr()).data });
        assert_eq!(last, Some(2));
        assert!(!nodes[2].is_queued());
        assert_eq!(drain(&mut list), vec![0, 1]);
        assert!(list.pop_back().is_none());
    }
}
