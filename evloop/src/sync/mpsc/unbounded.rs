//! The unbounded flavour: sending never waits.

use std::fmt;
use std::task::{Context, Poll};

use crate::loom::sync::atomic::{
    AtomicUsize,
    Ordering::{AcqRel, Acquire},
};
use crate::sync::mpsc::chan;
use crate::sync::mpsc::error::{SendError, TryRecvError};

/// Messages in flight `<< 1`, plus `CLOSED` in bit 0 (rule 3 of `chan`).
#[derive(Debug)]
pub(crate) struct Unbounded(AtomicUsize);

const CLOSED: usize = 1;

impl chan::Semaphore for Unbounded {
    fn is_idle(&self) -> bool {
        self.0.load(Acquire) >> 1 == 0
    }

    fn add_permit(&self) {
        self.0.fetch_sub(2, AcqRel);
    }

    fn close(&self) {
        self.0.fetch_or(CLOSED, AcqRel);
    }

    fn is_closed(&self) -> bool {
        self.0.load(Acquire) & CLOSED != 0
    }
}

impl Unbounded {
    fn try_acquire(&self) -> bool {
        let mut cur = self.0.load(Acquire);
        loop {
            if cur & CLOSED != 0 {
                return false;
            }
            assert!(cur < usize::MAX - 2, "unbounded channel overflow");
            match self.0.compare_exchange(cur, cur + 2, AcqRel, Acquire) {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }
}

/// Creates an unbounded channel: `send` never waits and never fails for
/// lack of space.
///
/// Memory grows with the backlog in blocks of 32 messages and is given back
/// as the receiver drains it (a few spare blocks are kept).
///
/// ```
/// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (tx, mut rx) = evloop::sync::mpsc::unbounded_channel();
/// tx.send("a").unwrap();
/// drop(tx);
/// assert_eq!(rx.recv().await, Some("a"));
/// assert_eq!(rx.recv().await, None);
/// # });
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let (tx, rx) = chan::channel(Unbounded(AtomicUsize::new(0)));
    (UnboundedSender { chan: tx }, UnboundedReceiver { chan: rx })
}

/// Sends messages to an [`UnboundedReceiver`]. Cheap to clone.
pub struct UnboundedSender<T> {
    chan: chan::Tx<T, Unbounded>,
}

/// A sender that does not keep the channel open; see
/// [`UnboundedSender::downgrade`].
pub struct WeakUnboundedSender<T> {
    chan: chan::Weak<T, Unbounded>,
}

/// Receives messages from [`UnboundedSender`]s.
pub struct UnboundedReceiver<T> {
    chan: chan::Rx<T, Unbounded>,
}

impl<T> UnboundedSender<T> {
    /// Sends `value` without waiting; fails only if the receiver is gone or
    /// closed (the value is handed back).
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if !self.chan.chan().semaphore.try_acquire() {
            return Err(SendError(value));
        }
        self.chan.send(value);
        Ok(())
    }

    /// Waits until the receiver is dropped or closed.
    ///
    /// **Cancel safety:** cancel-safe.
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// Returns `true` if the receiver is dropped or closed.
    pub fn is_closed(&self) -> bool {
        chan::Semaphore::is_closed(&*self.chan.chan().semaphore)
    }

    /// Returns `true` if both senders feed the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.chan.same_channel(&other.chan)
    }

    /// A handle that does not keep the channel open.
    pub fn downgrade(&self) -> WeakUnboundedSender<T> {
        WeakUnboundedSender {
            chan: self.chan.downgrade(),
        }
    }

    /// Number of live senders.
    pub fn strong_count(&self) -> usize {
        self.chan.strong_count()
    }

    /// Number of live weak senders.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> WeakUnboundedSender<T> {
    /// A sender, if any sender is still alive.
    pub fn upgrade(&self) -> Option<UnboundedSender<T>> {
        self.chan.upgrade().map(|chan| UnboundedSender { chan })
    }

    /// Number of live senders.
    pub fn strong_count(&self) -> usize {
        self.chan.strong_count()
    }

    /// Number of live weak senders.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for WeakUnboundedSender<T> {
    fn clone(&self) -> Self {
        WeakUnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> UnboundedReceiver<T> {
    /// Receives the next message; `None` once every sender is gone (or the
    /// receiver was closed) and the channel is empty.
    ///
    /// **Cancel safety:** cancel-safe: a message is removed from the channel
    /// only in the poll that returns it.
    #[track_caller]
    pub fn recv(&mut self) -> impl std::future::Future<Output = Option<T>> + '_ {
        // The caller's line: where the task waits, for the trace.
        let at = std::panic::Location::caller();
        // An `async` block, as an `async fn` would be (not `Unpin`).
        async move {
            std::future::poll_fn(|cx| {
                let res = self.chan.poll_recv(cx);
                if res.is_pending() {
                    crate::trace::suspend::note(crate::trace::Resource::MpscRecv, at);
                }
                res
            })
            .await
        }
    }

    /// Receives up to `limit` messages into `buffer`, waiting only for the
    /// first; returns how many were added (0 means the channel ended, or
    /// `limit` was 0).
    ///
    /// **Cancel safety:** cancel-safe.
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        std::future::poll_fn(|cx| self.chan.poll_recv_many(cx, buffer, limit)).await
    }

    /// Receives a message if one is ready.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.chan.try_recv() {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(TryRecvError::Empty),
            Err(()) => Err(TryRecvError::Disconnected),
        }
    }

    /// Blocks the thread for the next message. For synchronous code.
    ///
    /// # Panics
    ///
    /// If called on a thread that drives a runtime.
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        crate::sync::block_on::block_on("UnboundedReceiver::blocking_recv", self.recv())
    }

    /// Blocking version of [`recv_many`](Self::recv_many), for synchronous
    /// code.
    ///
    /// # Panics
    ///
    /// If called on a thread that drives a runtime.
    #[track_caller]
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        crate::sync::block_on::block_on(
            "UnboundedReceiver::blocking_recv_many",
            self.recv_many(buffer, limit),
        )
    }

    /// Polls for up to `limit` messages into `buffer` (for hand-written
    /// futures): `Pending` only while nothing is ready; `Ready(0)` once the
    /// channel ended or when `limit` is 0.
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        self.chan.poll_recv_many(cx, buffer, limit)
    }

    /// Number of live senders.
    pub fn sender_strong_count(&self) -> usize {
        self.chan.sender_strong_count()
    }

    /// Number of live weak senders.
    pub fn sender_weak_count(&self) -> usize {
        self.chan.sender_weak_count()
    }

    /// Polls for the next message (for hand-written futures).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// Stops accepting messages; those already sent can still be received.
    pub fn close(&mut self) {
        self.chan.close();
    }

    /// Returns `true` if no sender is left or the receiver was closed.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Number of queued messages.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Returns `true` if no message is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender")
            .field("chan", &self.chan)
            .finish()
    }
}

impl<T> fmt::Debug for WeakUnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakUnboundedSender")
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver")
            .field("chan", &self.chan)
            .finish()
    }
}
