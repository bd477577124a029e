//! A multi-producer, multi-consumer channel where every receiver sees every
//! value.
//!
//! [`channel`] returns a [`Sender`] and a [`Receiver`]; more receivers come
//! from [`Sender::subscribe`] (or [`Receiver::resubscribe`]) and see the
//! values sent after they subscribed. The channel keeps the last `capacity`
//! values; a receiver that falls further behind is told how many values it
//! missed ([`error::RecvError::Lagged`]) and continues from the oldest value
//! still kept. Senders never wait.
//!
//! ```
//! # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use evloop::sync::broadcast;
//!
//! let (tx, mut rx1) = broadcast::channel(16);
//! let mut rx2 = tx.subscribe();
//! tx.send("hello").unwrap();
//! tx.send("world").unwrap();
//! assert_eq!(rx1.recv().await.unwrap(), "hello");
//! assert_eq!(rx2.recv().await.unwrap(), "hello");
//! assert_eq!(rx2.recv().await.unwrap(), "world");
//! # });
//! ```
//!
//! # Design
//!
//! A ring of `capacity` (a power of two) slots, each behind its own
//! read-write lock, and a `Tail` behind a mutex: the position of the next
//! send, the receiver count, the closed flag and the intrusive list of
//! waiting receivers. Positions are `u64` and never wrap in practice; the
//! value sent at position `p` lives in slot `p & mask` until position
//! `p + capacity` overwrites it. Each slot records the position it holds and
//! `rem`, the number of receivers that have yet to read it.
//!
//! # Rules
//!
//! 1. **Lock order:** tail, then a slot. A receiver holding a slot lock that
//!    needs the tail drops the slot lock first and re-reads the slot after.
//! 2. A slot is written only by a sender holding the tail lock: it takes
//!    position `tail.pos`, stores `pos`, `rem = rx_cnt` and the value, and
//!    bumps `tail.pos`. So, under the tail lock, slot `p & mask` holds
//!    position `p` for every `tail.pos - capacity <= p < tail.pos`.
//! 3. A receiver's `next` is the position it reads next; it was set from
//!    `tail.pos` when the receiver was made, under the tail lock, so every
//!    later send counts it in `rem`. It reads each position at most once and
//!    decrements that slot's `rem` once after reading. The reader that takes
//!    `rem` to zero drops the value (under the slot's write lock, if the slot
//!    still holds that position); a sender overwriting a slot drops the value
//!    still there. Either way a value is dropped exactly once, when every
//!    receiver counted has read it or when it is overwritten.
//! 4. Under the tail lock, a receiver whose slot does not hold `next` is
//!    either *caught up* (`next == tail.pos`: wait or report `Closed`) or
//!    *lagged* (`next < tail.pos - capacity`: it jumps to the oldest kept
//!    position and reports how many it skipped).
//! 5. A dropped receiver leaves `rx_cnt` under the tail lock, noting
//!    `tail.pos`, and then reads (without cloning) every position below it
//!    that it still owes, so the `rem` counts stay exact.
//! 6. **Waiters.** A `Recv` future embeds a `Waiter` node, linked into
//!    `tail.waiters` under the tail lock when it finds nothing to read (rule
//!    4, checked under that same lock), and accessed only under it. Every
//!    send and the close wake and unlink every node, in batches of
//!    `WakeList::CAPACITY` with the lock released before waking. A woken
//!    future simply tries again; a dropped one unlinks its node if still
//!    linked. A waiter never consumes anything on behalf of its receiver, so
//!    dropping it loses nothing.
//! 7. No waker is woken or dropped, and no value is dropped, while the tail
//!    or a slot lock is held: either may run user code that sends on, or
//!    receives from, this very channel.
//! 8. **`T: Send` is enough.** A value is cloned only under its slot's
//!    `cloning` mutex, so no two threads ever hold a `&T` to it at once:
//!    receivers on different threads reading the same slot take turns. Every
//!    other access to a value (write, take, drop) is under the slot's write
//!    lock. The value is thus used like the contents of a `Mutex<T>`, which
//!    is why `Sender` and `Receiver` are `Send + Sync` for `T: Send`, as
//!    tokio's are, rather than also requiring `T: Sync`.

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{ready, Context, Poll, Waker};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use crate::sync::waiters::{Waiter, WaiterList, WakeList};
use crate::task::coop;

pub mod error;

use error::{RecvError, SendError, TryRecvError};

struct Shared<T> {
    buffer: Box<[RwLock<Slot<T>>]>,
    mask: usize,
    tail: Mutex<Tail>,
    num_tx: AtomicUsize,
}

struct Tail {
    /// Position of the next send (rule 2).
    pos: u64,
    rx_cnt: usize,
    closed: bool,
    /// Rule 6.
    waiters: WaiterList<()>,
}

struct Slot<T> {
    /// Receivers that have yet to read this position (rule 3).
    rem: AtomicUsize,
    /// The position held; `u64::MAX` before the first write.
    pos: u64,
    val: Option<T>,
    /// Held while `val` is cloned (rule 8).
    cloning: Mutex<()>,
}

/// The sending half; cloneable. The channel closes when the last one goes.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving half. Not cloneable: use [`Receiver::resubscribe`] or
/// [`Sender::subscribe`].
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// Rule 3.
    next: u64,
}

/// Creates a channel keeping the last `capacity` values, rounded up to a
/// power of two.
///
/// # Panics
///
/// If `capacity` is 0 or larger than `usize::MAX / 2`.
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "broadcast channel capacity must be at least 1"
    );
    assert!(
        capacity <= usize::MAX >> 1,
        "broadcast channel capacity is too large"
    );
    let capacity = capacity.next_power_of_two();
    let buffer = (0..capacity)
        .map(|_| {
            RwLock::new(Slot {
                rem: AtomicUsize::new(0),
                pos: u64::MAX,
                val: None,
                cloning: Mutex::new(()),
            })
        })
        .collect::<Vec<_>>()
        .into_boxed_slice();
    let shared = Arc::new(Shared {
        buffer,
        mask: capacity - 1,
        tail: Mutex::new(Tail {
            pos: 0,
            rx_cnt: 1,
            closed: false,
            waiters: WaiterList::new(),
        }),
        num_tx: AtomicUsize::new(1),
    });
    let rx = Receiver {
        shared: shared.clone(),
        next: 0,
    };
    (Sender { shared }, rx)
}

impl<T> Shared<T> {
    fn capacity(&self) -> u64 {
        self.buffer.len() as u64
    }

    fn new_receiver(this: &Arc<Self>) -> Receiver<T> {
        let mut tail = this.tail.lock();
        tail.rx_cnt = tail.rx_cnt.checked_add(1).expect("too many receivers");
        let next = tail.pos;
        drop(tail);
        Receiver {
            shared: this.clone(),
            next,
        }
    }

    /// Wakes and unlinks every waiter (rule 6); consumes the guard.
    fn wake_all<'a>(&'a self, mut tail: MutexGuard<'a, Tail>) {
        loop {
            let mut wakers = WakeList::new();
            while wakers.can_push() {
                let Some(node) = tail.waiters.pop_front() else {
                    break;
                };
                // SAFETY: rule 6 — we hold the tail lock and the node was
                // linked, so its future is alive (rule 2 of `waiters`).
                wakers.push(unsafe { (*node.as_ptr()).waker.take() });
            }
            let more = !tail.waiters.is_empty();
            drop(tail);
            wakers.wake_all();
            if !more {
                return;
            }
            tail = self.tail.lock();
        }
    }
}

impl<T> Sender<T> {
    /// Sends `value` to every current receiver, without waiting. Returns how
    /// many receivers will see it, or the value back in [`SendError`] if
    /// there are none. When the ring is full, the oldest value is
    /// overwritten: receivers that had not read it will see
    /// [`RecvError::Lagged`].
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let shared = &*self.shared;
        let mut tail = shared.tail.lock();
        if tail.rx_cnt == 0 {
            return Err(SendError(value));
        }
        // Rule 2.
        let pos = tail.pos;
        let rem = tail.rx_cnt;
        tail.pos = pos.wrapping_add(1);
        let old = {
            let mut slot = shared.buffer[pos as usize & shared.mask].write();
            slot.pos = pos;
            slot.rem.store(rem, SeqCst);
            slot.val.replace(value)
        };
        shared.wake_all(tail);
        // Rule 3: an overwritten value is dropped here, outside the locks.
        drop(old);
        Ok(rem)
    }

    /// Creates a receiver that sees the values sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        Shared::new_receiver(&self.shared)
    }

    /// The number of receivers alive.
    pub fn receiver_count(&self) -> usize {
        self.shared.tail.lock().rx_cnt
    }

    /// The number of kept values that some receiver has not read yet.
    ///
    /// Looks at every slot: O(capacity).
    pub fn len(&self) -> usize {
        let _tail = self.shared.tail.lock();
        self.shared
            .buffer
            .iter()
            .filter(|slot| slot.read().rem.load(SeqCst) > 0)
            .count()
    }

    /// Whether every kept value has been read by every receiver.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

// SAFETY: rule 8: a `T` is only ever reached by one thread at a time (under
// the slot's write lock or its `cloning` mutex), so sharing the channel
// between threads needs only `T: Send`.
unsafe impl<T: Send> Send for Sender<T> {}
// SAFETY: as for `Send` (rule 8); `&Sender` only sends and subscribes.
unsafe impl<T: Send> Sync for Sender<T> {}
// SAFETY: as for `Sender` (rule 8).
unsafe impl<T: Send> Send for Receiver<T> {}
// SAFETY: as for `Sender` (rule 8); `&Receiver` gives access to no value.
unsafe impl<T: Send> Sync for Receiver<T> {}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.num_tx.fetch_add(1, SeqCst);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.num_tx.fetch_sub(1, SeqCst) == 1 {
            let mut tail = self.shared.tail.lock();
            tail.closed = true;
            self.shared.wake_all(tail);
        }
    }
}

/// A read of one position: holds the slot's read lock; dropping it counts
/// the read (rule 3).
struct RecvGuard<'a, T> {
    slot: Option<RwLockReadGuard<'a, Slot<T>>>,
    shared: &'a Shared<T>,
}

impl<T: Clone> RecvGuard<'_, T> {
    fn clone_value(&self) -> T {
        let slot = self.slot.as_ref().expect("guard used after drop");
        // Rule 8: one `&T` at a time, even between receivers.
        let _cloning = slot.cloning.lock();
        slot.val.clone().expect("a slot being read holds its value")
    }
}

impl<T> Drop for RecvGuard<'_, T> {
    fn drop(&mut self) {
        let Some(slot) = self.slot.take() else { return };
        let pos = slot.pos;
        let last = slot.rem.fetch_sub(1, SeqCst) == 1;
        drop(slot);
        if last {
            // Rule 3: the last reader drops the value, unless a sender has
            // overwritten the slot in the meantime (it then dropped it).
            let taken = {
                let mut slot = self.shared.buffer[pos as usize & self.shared.mask].write();
                if slot.pos == pos && slot.rem.load(SeqCst) == 0 {
                    slot.val.take()
                } else {
                    None
                }
            };
            drop(taken);
        }
    }
}

type WaiterCell = UnsafeCell<Waiter<()>>;

impl<T> Receiver<T> {
    /// Reads position `next`, or says why not; with `waiter`, links the
    /// node when caught up (rule 6).
    fn recv_ref(
        &mut self,
        waiter: Option<(&WaiterCell, &Waker)>,
    ) -> Result<RecvGuard<'_, T>, TryRecvError> {
        let shared = &*self.shared;
        let idx = self.next as usize & shared.mask;
        let slot = shared.buffer[idx].read();
        if slot.pos == self.next {
            self.next = self.next.wrapping_add(1);
            return Ok(RecvGuard {
                slot: Some(slot),
                shared,
            });
        }
        // Rule 1: drop the slot lock, take the tail, look again.
        drop(slot);
        let mut tail = shared.tail.lock();
        let slot = shared.buffer[idx].read();
        if slot.pos == self.next {
            drop(tail);
            self.next = self.next.wrapping_add(1);
            return Ok(RecvGuard {
                slot: Some(slot),
                shared,
            });
        }
        drop(slot);
        // Rule 4.
        if tail.pos == self.next {
            if tail.closed {
                return Err(TryRecvError::Closed);
            }
            let mut replaced = None;
            if let Some((cell, waker)) = waiter {
                // SAFETY: `UnsafeCell` never yields a null pointer.
                let node = cell.with_mut(|p| unsafe { NonNull::new_unchecked(p) });
                // SAFETY: rule 6 — node fields are accessed under the tail
                // lock, held here. The node lives in a pinned `Recv` whose
                // `Drop` unlinks it (rule 2 of `waiters`).
                unsafe {
                    let w = &mut *node.as_ptr();
                    replaced = w.set_waker(waker);
                    if !w.is_queued() {
                        tail.waiters.push_back(node);
                    }
                }
            }
            // Rule 7: the replaced waker is dropped after the tail lock.
            drop(tail);
            drop(replaced);
            return Err(TryRecvError::Empty);
        }
        let oldest = tail.pos.wrapping_sub(shared.capacity());
        debug_assert!(oldest > self.next, "slot overwritten but not lagging");
        let missed = oldest.wrapping_sub(self.next);
        self.next = oldest;
        Err(TryRecvError::Lagged(missed))
    }

    /// The number of values sent that this receiver has not read yet
    /// (may exceed the capacity when it lags).
    pub fn len(&self) -> usize {
        let pos = self.shared.tail.lock().pos;
        pos.wrapping_sub(self.next) as usize
    }

    /// Whether this receiver has read every value sent.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// A new receiver on the same channel that sees the values sent from now
    /// on (not the ones this receiver has yet to read).
    pub fn resubscribe(&self) -> Receiver<T> {
        Shared::new_receiver(&self.shared)
    }
}

impl<T: Clone> Receiver<T> {
    /// Receives the next value without waiting.
    ///
    /// ```
    /// use evloop::sync::broadcast::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel(2);
    /// for i in 0..3 {
    ///     tx.send(i).unwrap();
    /// }
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Ok(2));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let guard = self.recv_ref(None)?;
        Ok(guard.clone_value())
    }

    /// Receives the next value, waiting for one if needed.
    ///
    /// Returns [`RecvError::Lagged`] if values this receiver had not read
    /// were overwritten (the next call returns the oldest value kept), and
    /// [`RecvError::Closed`] once every sender is gone and every value was
    /// read.
    ///
    /// **Cancel safety:** cancel-safe. A value is taken only in the poll that
    /// returns it, so dropping the future at its await point loses nothing.
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        Recv {
            receiver: self,
            node: UnsafeCell::new(Waiter::new(())),
            linked: false,
            _pin: PhantomPinned,
        }
        .await
    }

    /// Receives the next value, blocking the thread while waiting.
    ///
    /// # Panics
    ///
    /// When called on a thread that drives a runtime.
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        crate::sync::block_on::block_on("Receiver::blocking_recv", self.recv())
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // Rule 5.
        let until = {
            let mut tail = self.shared.tail.lock();
            tail.rx_cnt -= 1;
            tail.pos
        };
        while self.next < until {
            match self.recv_ref(None) {
                Ok(guard) => drop(guard),
                Err(TryRecvError::Lagged(_)) => {}
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
    }
}

/// The future behind [`Receiver::recv`].
struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    /// Rule 6: only accessed under the tail lock.
    node: WaiterCell,
    /// Whether the node may be linked (it was linked at least once).
    linked: bool,
    _pin: PhantomPinned,
}

// SAFETY: the node is only accessed under the tail lock (rule 6); the rest
// is a `&mut Receiver`, which is `Send` when `T` is.
unsafe impl<T: Send> Send for Recv<'_, T> {}
// SAFETY: `&Recv` gives access to nothing.
unsafe impl<T: Send> Sync for Recv<'_, T> {}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let restore = ready!(coop::poll_proceed(cx));
        // SAFETY: nothing is moved out of the pinned future.
        let this = unsafe { self.get_unchecked_mut() };
        let result = match this.receiver.recv_ref(Some((&this.node, cx.waker()))) {
            Ok(guard) => Ok(guard.clone_value()),
            Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
            Err(TryRecvError::Closed) => Err(RecvError::Closed),
            Err(TryRecvError::Empty) => {
                this.linked = true;
                return Poll::Pending;
            }
        };
        restore.made_progress();
        Poll::Ready(result)
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if !self.linked {
            return;
        }
        let mut tail = self.receiver.shared.tail.lock();
        // SAFETY: `UnsafeCell` never yields a null pointer.
        let node = self.node.with_mut(|p| unsafe { NonNull::new_unchecked(p) });
        // SAFETY: rule 6 — tail lock held; if linked, the node is in this
        // channel's list.
        unsafe { tail.waiters.remove(node) };
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.shared.buffer.len())
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("next", &self.next)
            .field("capacity", &self.shared.buffer.len())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
