//! The channel shared by the bounded and unbounded flavours: the block list,
//! the receiver's waker, the sender count and the capacity semaphore.
//!
//! # Rules
//!
//! 1. `tx_count` counts live senders. The sender that brings it to 0 closes
//!    the list (rule 5 of `block`) and wakes the receiver. A `WeakSender`
//!    upgrades only by incrementing a non-zero count. `tx_weak_count` counts
//!    weak handles ([`Weak`]) and is only reported, never acted on.
//! 2. The receiver's list end and `rx_closed` live in `rx_fields` and are
//!    touched only through the receiver (`&mut Rx`) or by `Drop` of the
//!    channel (rule 6 of `block`).
//! 3. Every message holds one unit of the semaphore from before it is pushed
//!    until it is popped; the receiver returns the unit after popping. Closing
//!    the receiver closes the semaphore, so later sends fail; messages already
//!    in the list are still delivered, and the receiver reports the end once
//!    the list is empty and no unit is outstanding (`is_idle`).
//! 4. Every push is followed by `rx_waker.wake_if_registered()`; the
//!    receiver registers its waker (`register_fenced`) and then pops again
//!    before returning `Pending`, so a message pushed in between is never
//!    missed (rules 5 and 6 of `atomic_waker`). While the receiver is busy
//!    no waker is stored, and a push only reads the waker's state.
//! 5. A unit reserved but not used for a message (a dropped `Permit`, a
//!    reservation cancelled after it was granted) goes back through
//!    [`Chan::release_unused`], which wakes the receiver if it is closed:
//!    a closed receiver waits for the last outstanding unit (rule 3), and
//!    nobody else would wake it. The release is an RMW on the word that
//!    holds `CLOSED`, so either the releaser sees `CLOSED` and wakes, or the
//!    receiver, which closed after it, sees the unit back.
//! 6. The receiver's waker is taken out and dropped when the receiver
//!    drops: senders may live on, and the waker must not (it can keep a
//!    task's memory alive).
//! 7. Dropping the receiver drops every queued message on the spot; if one
//!    message's `Drop` panics, the rest are still dropped before the panic
//!    goes on (as a `Vec` does).

use std::fmt;
use std::task::{Context, Poll};

use crate::coop;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{
    AtomicUsize,
    Ordering::{AcqRel, Acquire, Relaxed},
};
use crate::loom::sync::Arc;
use crate::sync::mpsc::block::{self, Read};
use crate::sync::Notify;
use crate::util::atomic_waker::AtomicWaker;
use crate::util::CachePadded;

/// The capacity accounting of a flavour (rule 3).
pub(crate) trait Semaphore {
    /// No unit is outstanding: nothing is in flight.
    fn is_idle(&self) -> bool;
    /// Returns the unit of a popped message.
    fn add_permit(&self);
    fn close(&self);
    fn is_closed(&self) -> bool;
}

///
/// The senders' tail, the receiver's waker slot, the capacity and the
/// receiver's own fields each sit on their own cache lines: on a
/// multi-thread runtime senders and the receiver run on different cores,
/// and a line shared between the two sides would move between the cores on
/// every message.
pub(crate) struct Chan<T, S> {
    tx: CachePadded<block::Tx<T>>,
    rx_waker: CachePadded<AtomicWaker>,
    /// Woken when the receiver closes (for `Sender::closed`).
    notify_rx_closed: Notify,
    pub(crate) semaphore: CachePadded<S>,
    /// Rule 1.
    tx_count: AtomicUsize,
    /// Rule 1.
    tx_weak_count: AtomicUsize,
    /// Rule 2.
    rx_fields: CachePadded<UnsafeCell<RxFields<T>>>,
}

struct RxFields<T> {
    list: block::Rx<T>,
    rx_closed: bool,
}

// SAFETY: rule 2 — `rx_fields` is only touched by the single receiver; the
// rest is `Sync` by construction (atomics, lock-free list for `T: Send`).
unsafe impl<T: Send, S: Send> Send for Chan<T, S> {}
// SAFETY: as above.
unsafe impl<T: Send, S: Sync> Sync for Chan<T, S> {}
// A panic while a handle is borrowed leaves the channel consistent: every
// operation that runs user code (a message's or a waker's drop) does so
// after the channel's own state is updated, as tokio's channel also
// promises.
impl<T, S> std::panic::RefUnwindSafe for Chan<T, S> {}
impl<T, S> std::panic::UnwindSafe for Chan<T, S> {}

/// A weak handle on the channel: keeps the memory, not the channel, alive
/// (counted, rule 1).
pub(crate) struct Weak<T, S> {
    inner: Arc<Chan<T, S>>,
}

/// A sender's handle on the channel (counted, rule 1).
pub(crate) struct Tx<T, S> {
    inner: Arc<Chan<T, S>>,
}

/// The receiver's handle.
pub(crate) struct Rx<T, S: Semaphore> {
    inner: Arc<Chan<T, S>>,
}

pub(crate) fn channel<T, S: Semaphore>(semaphore: S) -> (Tx<T, S>, Rx<T, S>) {
    let (tx, rx) = block::list();
    let chan = Arc::new(Chan {
        tx: CachePadded::new(tx),
        rx_waker: CachePadded::new(AtomicWaker::new()),
        notify_rx_closed: Notify::new(),
        semaphore: CachePadded::new(semaphore),
        tx_count: AtomicUsize::new(1),
        tx_weak_count: AtomicUsize::new(0),
        rx_fields: CachePadded::new(UnsafeCell::new(RxFields {
            list: rx,
            rx_closed: false,
        })),
    });
    (
        Tx {
            inner: chan.clone(),
        },
        Rx { inner: chan },
    )
}

impl<T, S: Semaphore> Chan<T, S> {
    /// Gives back a unit that no message used (rule 5).
    pub(crate) fn release_unused(&self) {
        self.semaphore.add_permit();
        if self.semaphore.is_closed() {
            self.rx_waker.wake();
        }
    }

    /// After a reservation was dropped: wakes the receiver if it is closed
    /// (rule 5), as the reservation may have given a unit back.
    pub(crate) fn wake_rx_if_closed(&self) {
        if self.semaphore.is_closed() {
            self.rx_waker.wake();
        }
    }
}

impl<T, S> Tx<T, S> {
    pub(crate) fn chan(&self) -> &Arc<Chan<T, S>> {
        &self.inner
    }

    /// Pushes a message whose semaphore unit the caller holds (rule 3).
    pub(crate) fn send(&self, value: T) {
        self.inner.tx.push(value);
        self.inner.rx_waker.wake_if_registered();
    }

    pub(crate) fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// A weak handle on this channel.
    pub(crate) fn downgrade(&self) -> Weak<T, S> {
        self.inner.tx_weak_count.fetch_add(1, Relaxed);
        Weak {
            inner: self.inner.clone(),
        }
    }

    pub(crate) fn weak_count(&self) -> usize {
        self.inner.tx_weak_count.load(Acquire)
    }

    /// Rule 1: makes a new sender from a weak handle if any sender lives.
    fn upgrade(chan: &Arc<Chan<T, S>>) -> Option<Tx<T, S>> {
        let mut n = chan.tx_count.load(Relaxed);
        loop {
            if n == 0 {
                return None;
            }
            match chan
                .tx_count
                .compare_exchange_weak(n, n + 1, AcqRel, Relaxed)
            {
                Ok(_) => {
                    return Some(Tx {
                        inner: chan.clone(),
                    })
                }
                Err(actual) => n = actual,
            }
        }
    }

    pub(crate) fn strong_count(&self) -> usize {
        self.inner.tx_count.load(Acquire)
    }

    /// Waits until the receiver closes.
    pub(crate) async fn closed(&self)
    where
        S: Semaphore,
    {
        loop {
            let notified = self.inner.notify_rx_closed.notified();
            if self.inner.semaphore.is_closed() {
                return;
            }
            notified.await;
        }
    }
}

impl<T, S> Weak<T, S> {
    /// A sender, if any sender is still alive (rule 1).
    pub(crate) fn upgrade(&self) -> Option<Tx<T, S>> {
        Tx::upgrade(&self.inner)
    }

    pub(crate) fn strong_count(&self) -> usize {
        self.inner.tx_count.load(Acquire)
    }

    pub(crate) fn weak_count(&self) -> usize {
        self.inner.tx_weak_count.load(Acquire)
    }
}

impl<T, S> Clone for Weak<T, S> {
    fn clone(&self) -> Self {
        self.inner.tx_weak_count.fetch_add(1, Relaxed);
        Weak {
            inner: self.inner.clone(),
        }
    }
}

impl<T, S> Drop for Weak<T, S> {
    fn drop(&mut self) {
        self.inner.tx_weak_count.fetch_sub(1, Relaxed);
    }
}

impl<T, S> Clone for Tx<T, S> {
    fn clone(&self) -> Self {
        self.inner.tx_count.fetch_add(1, Relaxed);
        Tx {
            inner: self.inner.clone(),
        }
    }
}

impl<T, S> Drop for Tx<T, S> {
    fn drop(&mut self) {
        if self.inner.tx_count.fetch_sub(1, AcqRel) != 1 {
            return;
        }
        // Rule 1: the last sender closes the list.
        self.inner.tx.close();
        self.inner.rx_waker.wake();
    }
}

impl<T, S: Semaphore> Rx<T, S> {
    pub(crate) fn chan(&self) -> &Arc<Chan<T, S>> {
        &self.inner
    }

    /// Runs `f` with the receiver's fields (rule 2: `&mut self` is the
    /// receiver).
    fn with_fields<R>(&mut self, f: impl FnOnce(&mut RxFields<T>, &Chan<T, S>) -> R) -> R {
        let chan = &*self.inner;
        // SAFETY: rule 2 — only the receiver (we hold `&mut Rx`) accesses
        // the fields.
        chan.rx_fields.with_mut(|p| f(unsafe { &mut *p }, chan))
    }

    /// Shared-access version of `with_fields`.
    fn with_fields_ref<R>(&self, f: impl FnOnce(&RxFields<T>, &Chan<T, S>) -> R) -> R {
        let chan = &*self.inner;
        // SAFETY: rule 2 — `&Rx` excludes `&mut Rx`, so nobody writes the
        // fields while we read them.
        chan.rx_fields.with(|p| f(unsafe { &*p }, chan))
    }

    /// Closes the receiving side (rule 3).
    pub(crate) fn close(&mut self) {
        let newly = self.with_fields(|rx, _| !std::mem::replace(&mut rx.rx_closed, true));
        if newly {
            self.inner.semaphore.close();
            self.inner.notify_rx_closed.notify_waiters();
        }
    }

    /// Live senders.
    pub(crate) fn sender_strong_count(&self) -> usize {
        self.inner.tx_count.load(Acquire)
    }

    /// Live weak handles.
    pub(crate) fn sender_weak_count(&self) -> usize {
        self.inner.tx_weak_count.load(Acquire)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.with_fields_ref(|rx, chan| rx.rx_closed || chan.tx_count.load(Acquire) == 0)
    }

    /// One attempt: a message, the end of the channel, or nothing yet.
    fn pop(rx: &mut RxFields<T>, chan: &Chan<T, S>) -> Poll<Option<T>> {
        match rx.list.pop(&chan.tx) {
            Read::Value(v) => {
                chan.semaphore.add_permit();
                Poll::Ready(Some(v))
            }
            Read::Closed => Poll::Ready(None),
            Read::Empty if rx.rx_closed && chan.semaphore.is_idle() => Poll::Ready(None),
            Read::Empty => Poll::Pending,
        }
    }

    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let restore = std::task::ready!(coop::poll_proceed(cx));
        let res = self.with_fields(|rx, chan| {
            if let Poll::Ready(v) = Self::pop(rx, chan) {
                return Poll::Ready(v);
            }
            // Rule 4.
            chan.rx_waker.register_fenced(cx.waker());
            Self::pop(rx, chan)
        });
        if res.is_ready() {
            restore.made_progress();
        }
        res
    }

    /// Pops up to `limit` messages into `buf`; waits only if none is ready.
    pub(crate) fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let first = std::task::ready!(self.poll_recv(cx));
        let Some(first) = first else {
            return Poll::Ready(0);
        };
        buf.push(first);
        let mut n = 1;
        self.with_fields(|rx, chan| {
            while n < limit {
                match Self::pop(rx, chan) {
                    Poll::Ready(Some(v)) => {
                        buf.push(v);
                        n += 1;
                    }
                    _ => break,
                }
            }
        });
        Poll::Ready(n)
    }

    /// `Ok(Some)` a message, `Ok(None)` nothing yet, `Err(())` the end.
    pub(crate) fn try_recv(&mut self) -> Result<Option<T>, ()> {
        self.with_fields(|rx, chan| loop {
            match Self::pop(rx, chan) {
                Poll::Ready(Some(v)) => return Ok(Some(v)),
                Poll::Ready(None) => return Err(()),
                Poll::Pending => {
                    // The last sender may be pushing the close marker right
                    // now (rule 1); wait for it rather than report "empty"
                    // for a channel with no sender.
                    if chan.tx_count.load(Acquire) == 0 {
                        crate::loom::thread::yield_now();
                        continue;
                    }
                    return Ok(None);
                }
            }
        })
    }

    /// Messages in the channel (a snapshot; counts messages being written).
    pub(crate) fn len(&self) -> usize {
        self.with_fields_ref(|rx, chan| {
            let tail = chan.tx.tail_position();
            let closed_marker = usize::from(chan.tx_count.load(Acquire) == 0);
            tail.saturating_sub(rx.list.index())
                .saturating_sub(closed_marker)
        })
    }
}

impl<T, S: Semaphore> Rx<T, S> {
    /// Drops every queued message, returning their units.
    fn drain(&mut self) {
        /// Rule 7: if a message's `Drop` panics, carries on with the rest.
        struct Rest<'a, T, S: Semaphore>(&'a mut Rx<T, S>);
        impl<T, S: Semaphore> Drop for Rest<'_, T, S> {
            fn drop(&mut self) {
                self.0.drain();
            }
        }
        let rest = Rest(self);
        loop {
            let next = rest.0.with_fields(|rx, chan| match rx.list.pop(&chan.tx) {
                Read::Value(v) => {
                    chan.semaphore.add_permit();
                    Some(v)
                }
                Read::Empty | Read::Closed => None,
            });
            match next {
                Some(v) => drop(v),
                None => break,
            }
        }
        std::mem::forget(rest);
    }
}

impl<T, S: Semaphore> Drop for Rx<T, S> {
    fn drop(&mut self) {
        self.close();
        // Rule 6.
        drop(self.inner.rx_waker.take());
        // Drop queued messages now, on the receiver side, returning their
        // units (senders waiting for capacity were failed by `close`).
        self.drain();
    }
}

impl<T, S> Drop for Chan<T, S> {
    fn drop(&mut self) {
        let tx = &self.tx;
        // SAFETY: `&mut self` — no sender or receiver is left (block rule 6).
        self.rx_fields
            .with_mut(|p| unsafe { (*p).list.free_all(tx) });
    }
}

impl<T, S> fmt::Debug for Chan<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chan")
            .field("tx_count", &self.tx_count.load(Relaxed))
            .finish_non_exhaustive()
    }
}

impl<T, S> fmt::Debug for Tx<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tx").field("chan", &self.inner).finish()
    }
}

impl<T, S: Semaphore> fmt::Debug for Rx<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rx").field("chan", &self.inner).finish()
    }
}
