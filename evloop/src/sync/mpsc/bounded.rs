//! The bounded flavour: capacity enforced by the fair semaphore, so waiting
//! senders queue in FIFO order inside their own futures (no allocation per
//! waiting sender).

use std::fmt;
use std::task::{Context, Poll};

use crate::sync::batch_semaphore as ll;
use crate::sync::mpsc::chan::{self, Chan};
use crate::sync::mpsc::error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
use crate::sync::mpsc::PermitIterator;

/// The capacity semaphore (rule 3 of `chan`).
#[derive(Debug)]
pub(crate) struct Bounded {
    sem: ll::Semaphore,
    bound: usize,
}

impl Bounded {
    /// Gives back `n` units no message used (see `PermitIterator`).
    pub(super) fn release_many(&self, n: usize) {
        self.sem.release(n);
    }
}

impl chan::Semaphore for Bounded {
    fn is_idle(&self) -> bool {
        self.sem.available_permits() == self.bound
    }

    fn add_permit(&self) {
        self.sem.release(1);
    }

    fn close(&self) {
        self.sem.close();
    }

    fn is_closed(&self) -> bool {
        self.sem.is_closed()
    }
}

/// Creates a channel holding at most `buffer` messages.
///
/// # Panics
///
/// If `buffer` is 0 or above `Semaphore::MAX_PERMITS`.
///
/// ```
/// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (tx, mut rx) = evloop::sync::mpsc::channel(16);
/// evloop::spawn(async move {
///     for i in 0..3 {
///         tx.send(i).await.unwrap();
///     }
/// });
/// let mut got = vec![];
/// while let Some(i) = rx.recv().await {
///     got.push(i);
/// }
/// assert_eq!(got, [0, 1, 2]);
/// # });
/// ```
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    let (tx, rx) = chan::channel(Bounded {
        sem: ll::Semaphore::new(buffer),
        bound: buffer,
    });
    (Sender { chan: tx }, Receiver { chan: rx })
}

/// Sends messages to a [`Receiver`]. Cheap to clone.
pub struct Sender<T> {
    chan: chan::Tx<T, Bounded>,
}

/// A sender that does not keep the channel open; see [`Sender::downgrade`].
pub struct WeakSender<T> {
    chan: chan::Weak<T, Bounded>,
}

/// Receives messages from [`Sender`]s.
pub struct Receiver<T> {
    chan: chan::Rx<T, Bounded>,
}

/// A reserved slot in the channel: [`send`](Permit::send) cannot fail or
/// wait. Dropping it gives the slot back.
pub struct Permit<'a, T> {
    pub(super) chan: &'a chan::Tx<T, Bounded>,
}

/// A reserved slot that owns its sender; see [`Sender::reserve_owned`].
pub struct OwnedPermit<T> {
    chan: Option<chan::Tx<T, Bounded>>,
}

impl<T> Sender<T> {
    fn sem(&self) -> &Bounded {
        &self.chan.chan().semaphore
    }

    /// Waits for one unit of capacity (see [`Reserve`]).
    fn acquire(&self) -> Reserve<'_, T> {
        let chan = self.chan.chan();
        Reserve {
            acquire: chan.semaphore.sem.acquire(1),
            on_drop: WakeRxIfClosed { chan, armed: true },
        }
    }

    /// Sends `value`, waiting for capacity.
    ///
    /// **Cancel safety:** if the future is dropped before it completes, the
    /// value is not sent (it is dropped with the future) and the place in
    /// the queue of waiting senders is given up. Use
    /// [`reserve`](Self::reserve) to wait without risking the value.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.acquire().await {
            Ok(()) => {
                self.chan.send(value);
                Ok(())
            }
            Err(()) => Err(SendError(value)),
        }
    }

    /// Sends `value`, waiting at most `timeout` for capacity. On timeout or
    /// closure the value is handed back in the error.
    ///
    /// **Cancel safety:** as [`send`](Self::send): dropping the future drops
    /// the value unsent.
    ///
    /// Needs a runtime with the time driver enabled.
    ///
    /// ```
    /// # evloop::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// use std::time::Duration;
    /// use evloop::sync::mpsc::{self, error::SendTimeoutError};
    ///
    /// let (tx, _rx) = mpsc::channel(1);
    /// tx.send(1).await.unwrap();
    /// let err = tx.send_timeout(2, Duration::from_millis(10)).await.unwrap_err();
    /// assert!(matches!(err, SendTimeoutError::Timeout(2)));
    /// # });
    /// ```
    pub async fn send_timeout(
        &self,
        value: T,
        timeout: std::time::Duration,
    ) -> Result<(), SendTimeoutError<T>> {
        match crate::time::timeout(timeout, self.acquire()).await {
            Ok(Ok(())) => {
                self.chan.send(value);
                Ok(())
            }
            Ok(Err(())) => Err(SendTimeoutError::Closed(value)),
            Err(_elapsed) => Err(SendTimeoutError::Timeout(value)),
        }
    }

    /// Sends `value` if there is capacity right now.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.sem().sem.try_acquire(1) {
            Ok(()) => {
                self.chan.send(value);
                Ok(())
            }
            Err(ll::TryAcquireError::Closed) => Err(TrySendError::Closed(value)),
            Err(ll::TryAcquireError::NoPermits) => Err(TrySendError::Full(value)),
        }
    }

    /// Blocks the thread until `value` is sent. For synchronous code.
    ///
    /// # Panics
    ///
    /// If called on a thread that drives a runtime.
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        crate::sync::block_on::block_on("Sender::blocking_send", self.send(value))
    }

    /// Waits for capacity and reserves one slot.
    ///
    /// **Cancel safety:** cancel-safe: dropping the future gives up its place
    /// in the queue, and a slot already handed to it goes back to the channel.
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        self.acquire().await.map_err(|()| SendError(()))?;
        Ok(Permit { chan: &self.chan })
    }

    /// Waits for capacity for `n` messages and reserves all `n` slots at
    /// once; the [`PermitIterator`] yields one [`Permit`] per slot. Slots not
    /// taken from the iterator go back when it is dropped.
    ///
    /// Fails if the channel is closed, or if `n` exceeds
    /// [`max_capacity`](Self::max_capacity) (it could never be granted).
    ///
    /// **Cancel safety:** cancel-safe, as [`reserve`](Self::reserve): the
    /// slots are taken all together in the poll that returns them.
    ///
    /// ```
    /// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (tx, mut rx) = evloop::sync::mpsc::channel(4);
    /// let permits = tx.reserve_many(3).await.unwrap();
    /// assert_eq!(tx.capacity(), 1);
    /// for (i, permit) in permits.enumerate() {
    ///     permit.send(i);
    /// }
    /// assert_eq!(rx.recv().await, Some(0));
    /// assert!(tx.reserve_many(5).await.is_err());
    /// # });
    /// ```
    pub async fn reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, SendError<()>> {
        if n > self.max_capacity() {
            return Err(SendError(()));
        }
        let chan = self.chan.chan();
        Reserve {
            acquire: chan.semaphore.sem.acquire(n),
            on_drop: WakeRxIfClosed { chan, armed: true },
        }
        .await
        .map_err(|()| SendError(()))?;
        Ok(PermitIterator::new(&self.chan, n))
    }

    /// Reserves `n` slots if there is capacity for all of them right now.
    ///
    /// Fails with [`TrySendError::Closed`] if the channel is closed (also
    /// for `n == 0`), with [`TrySendError::Full`] if fewer than `n` slots are
    /// free or `n` exceeds [`max_capacity`](Self::max_capacity).
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        if n > self.max_capacity() {
            return Err(if self.is_closed() {
                TrySendError::Closed(())
            } else {
                TrySendError::Full(())
            });
        }
        match self.sem().sem.try_acquire(n) {
            Ok(()) => Ok(PermitIterator::new(&self.chan, n)),
            Err(ll::TryAcquireError::Closed) => Err(TrySendError::Closed(())),
            Err(ll::TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
        }
    }

    /// Like [`reserve`](Self::reserve), consuming the sender into the permit.
    ///
    /// **Cancel safety:** cancel-safe, as `reserve` (the sender is dropped
    /// with the future).
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        self.acquire().await.map_err(|()| SendError(()))?;
        Ok(OwnedPermit {
            chan: Some(self.chan),
        })
    }

    /// Reserves a slot if there is capacity right now.
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.sem().sem.try_acquire(1) {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(ll::TryAcquireError::Closed) => Err(TrySendError::Closed(())),
            Err(ll::TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
        }
    }

    /// Owned version of [`try_reserve`](Self::try_reserve); hands the sender
    /// back on failure.
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.sem().sem.try_acquire(1) {
            Ok(()) => Ok(OwnedPermit {
                chan: Some(self.chan),
            }),
            Err(ll::TryAcquireError::Closed) => Err(TrySendError::Closed(self)),
            Err(ll::TryAcquireError::NoPermits) => Err(TrySendError::Full(self)),
        }
    }

    /// Waits until the receiver is dropped or closed.
    ///
    /// **Cancel safety:** cancel-safe.
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// Returns `true` if the receiver is dropped or closed.
    pub fn is_closed(&self) -> bool {
        self.sem().sem.is_closed()
    }

    /// Free slots right now.
    pub fn capacity(&self) -> usize {
        self.sem().sem.available_permits()
    }

    /// The bound given to [`channel`].
    pub fn max_capacity(&self) -> usize {
        self.sem().bound
    }

    /// A handle that does not keep the channel open.
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender {
            chan: self.chan.downgrade(),
        }
    }

    /// Returns `true` if both senders feed the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.chan.same_channel(&other.chan)
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

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> WeakSender<T> {
    /// A sender, if any sender is still alive.
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.chan.upgrade().map(|chan| Sender { chan })
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

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Permit<'_, T> {
    /// Sends `value` into the reserved slot.
    pub fn send(self, value: T) {
        self.chan.send(value);
        std::mem::forget(self);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        // Unused: give the slot back (rule 5 of `chan`).
        self.chan.chan().release_unused();
    }
}

impl<T> OwnedPermit<T> {
    /// Sends `value` into the reserved slot and returns the sender.
    pub fn send(mut self, value: T) -> Sender<T> {
        let chan = self.chan.take().expect("permit used once");
        chan.send(value);
        Sender { chan }
    }

    /// Returns `true` if both permits reserve slots of the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        match (&self.chan, &other.chan) {
            (Some(a), Some(b)) => a.same_channel(b),
            _ => false,
        }
    }

    /// Returns `true` if this permit reserves a slot of `sender`'s channel.
    pub fn same_channel_as_sender(&self, sender: &Sender<T>) -> bool {
        self.chan
            .as_ref()
            .is_some_and(|chan| chan.same_channel(&sender.chan))
    }

    /// Gives the slot back without sending; returns the sender.
    pub fn release(mut self) -> Sender<T> {
        let chan = self.chan.take().expect("permit used once");
        chan.chan().release_unused();
        Sender { chan }
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(chan) = self.chan.take() {
            chan.chan().release_unused();
        }
    }
}

pin_project_lite::pin_project! {
    /// Waits for one unit of capacity. Dropped before it completes, it
    /// gives back what it was granted (rule 4 of `batch_semaphore`) and then
    /// wakes a closed receiver, which may be waiting for that very unit
    /// (rule 5 of `chan`).
    struct Reserve<'a, T> {
        #[pin]
        acquire: ll::Acquire<'a>,
        // Fields drop in order: the wake comes after the unit went back.
        on_drop: WakeRxIfClosed<'a, T>,
    }
}

struct WakeRxIfClosed<'a, T> {
    chan: &'a Chan<T, Bounded>,
    /// Cleared once the reservation completed (nothing goes back then).
    armed: bool,
}

impl<T> Drop for WakeRxIfClosed<'_, T> {
    fn drop(&mut self) {
        if self.armed {
            self.chan.wake_rx_if_closed();
        }
    }
}

impl<T> std::future::Future for Reserve<'_, T> {
    type Output = Result<(), ()>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        let this = self.project();
        let res = std::task::ready!(this.acquire.poll(cx));
        this.on_drop.armed = false;
        Poll::Ready(res.map_err(|ll::AcquireError| ()))
    }
}

impl<T> Receiver<T> {
    /// Receives the next message; `None` once every sender is gone (or the
    /// receiver was closed) and the channel is empty.
    ///
    /// **Cancel safety:** cancel-safe: a message is removed from the channel
    /// only in the poll that returns it, so dropping the future (e.g. in a
    /// `select!`) loses nothing.
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
    /// first; returns how many were added (0: the channel ended, or `limit`
    /// was 0).
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
        crate::sync::block_on::block_on("Receiver::blocking_recv", self.recv())
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
            "Receiver::blocking_recv_many",
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

    /// Stops accepting messages: waiting and later sends fail. Messages
    /// already sent (or sent through permits reserved before) can still be
    /// received.
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

    /// Free slots right now.
    pub fn capacity(&self) -> usize {
        self.chan.chan().semaphore.sem.available_permits()
    }

    /// The bound given to [`channel`].
    pub fn max_capacity(&self) -> usize {
        self.chan.chan().semaphore.bound
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("chan", &self.chan).finish()
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("chan", &self.chan)
            .finish()
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit").finish_non_exhaustive()
    }
}
