//! A channel for sending a single value between tasks.
//!
//! [`channel`] returns a [`Sender`] / [`Receiver`] pair. The sender sends at
//! most one value with [`Sender::send`] (which never waits); the receiver is a
//! future resolving to that value, or to [`error::RecvError`] if the sender
//! was dropped without sending.
//!
//! ```
//! use evloop::sync::oneshot;
//!
//! let (tx, rx) = oneshot::channel();
//! std::thread::spawn(move || tx.send(7).unwrap());
//! assert_eq!(rx.blocking_recv(), Ok(7));
//! ```
//!
//! # Design
//!
//! The channel is one allocation, `OneshotShared`: a state word, a cell for the value
//! and one waker cell per side. The state word's bits:
//!
//! | bit          | set by                        | meaning                                              |
//! |--------------|-------------------------------|------------------------------------------------------|
//! | `COMPLETE`   | sender (send or drop)          | the sender is done; it touches nothing any more     |
//! | `VALUE_SENT` | sender, together with COMPLETE | the value cell holds the sent value                 |
//! | `CLOSED`     | receiver (close or drop)       | the receiver wants no value; `send` fails           |
//! | `RX_WAKER`   | receiver                       | `rx_waker` holds a waker the sender must wake       |
//! | `TX_WAKER`   | sender                         | `tx_waker` holds a waker the receiver must wake     |
//!
//! Transitions (`-` = no change):
//!
//! | actor    | operation           | requires      | sets                    | then                                   |
//! |----------|---------------------|---------------|-------------------------|----------------------------------------|
//! | sender   | `send` (CAS)        | `!CLOSED`     | `COMPLETE \| VALUE_SENT` | wake rx if `RX_WAKER`                  |
//! | sender   | `send` (CAS fails)  | `CLOSED`      | -                       | take value back, return `Err(value)`   |
//! | sender   | drop without send   | -             | `COMPLETE`              | wake rx if `RX_WAKER && !CLOSED`       |
//! | receiver | `close` / drop      | -             | `CLOSED`                | wake tx if `TX_WAKER && !COMPLETE`     |
//! | receiver | register waker      | `!COMPLETE`   | clear, then set `RX_WAKER` | re-check `COMPLETE` after setting   |
//! | sender   | register waker      | `!CLOSED`     | clear, then set `TX_WAKER` | re-check `CLOSED` after setting     |
//!
//! # Rules
//!
//! 1. **Value cell.** Before `COMPLETE` is set, only the sender accesses it:
//!    it writes the value there, then tries the `send` CAS. If the CAS fails
//!    (the receiver closed) the sender takes the value back, so a value that
//!    was not delivered is returned to the caller, never dropped by the
//!    receiver side. Once `VALUE_SENT` is set (release), only the receiver
//!    accesses the cell (after an acquire load that saw `VALUE_SENT`); the
//!    receiver drops an unreceived value when it is dropped. Whatever is left
//!    is dropped with `OneshotShared`, by the last of the two handles.
//! 2. **Waker cells.** `rx_waker` belongs to the receiver while `RX_WAKER` is
//!    clear. While it is set, the sender may read it (to wake) if it was the
//!    one to set `COMPLETE`; the receiver changes the waker only after clearing
//!    `RX_WAKER` with a CAS that fails once `COMPLETE` is set — after that the
//!    cell is frozen until `OneshotShared` is dropped. `tx_waker` is the mirror image,
//!    with `CLOSED` in place of `COMPLETE`.
//! 3. A waiter that set its waker bit re-reads the state from that same RMW:
//!    if the other side finished before, it did not see the bit and will not
//!    wake, so the waiter completes without sleeping. Each side therefore
//!    either sees the other's bit or the other sees its own: no lost wake-up.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use crate::coop;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{
    AtomicUsize,
    Ordering::{AcqRel, Acquire},
};
use crate::loom::sync::Arc;

/// Errors returned by the receiving half.
pub mod error {
    use std::fmt;

    /// The sender was dropped without sending a value (returned by awaiting
    /// a [`Receiver`](super::Receiver)).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed: the sender was dropped without sending a value")
        }
    }

    impl std::error::Error for RecvError {}

    /// Error returned by [`Receiver::try_recv`](super::Receiver::try_recv).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TryRecvError {
        /// No value has been sent yet; the sender is still alive.
        Empty,
        /// The sender was dropped without sending, the receiver was closed,
        /// or the value was already received.
        Closed,
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use self::error::{RecvError, TryRecvError};

const COMPLETE: usize = 0b0_0001;
const VALUE_SENT: usize = 0b0_0010;
const CLOSED: usize = 0b0_0100;
const RX_WAKER: usize = 0b0_1000;
const TX_WAKER: usize = 0b1_0000;

struct OneshotShared<T> {
    state: AtomicUsize,
    /// Rule 1.
    value: UnsafeCell<Option<T>>,
    /// Rule 2.
    rx_waker: UnsafeCell<Option<Waker>>,
    /// Rule 2.
    tx_waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the value moves from the sender's thread to the receiver's (hence
// `T: Send`); the cells are only accessed under rules 1 and 2, which give each
// access exactly one owner at a time.
unsafe impl<T: Send> Send for OneshotShared<T> {}
// SAFETY: as above; no `&T` is ever handed out, so `T: Sync` is not needed.
unsafe impl<T: Send> Sync for OneshotShared<T> {}

/// Creates a new one-shot channel.
///
/// One allocation holds the state and the value.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(OneshotShared {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
        tx_waker: UnsafeCell::new(None),
    });
    (
        Sender {
            inner: Some(inner.clone()),
        },
        Receiver { inner: Some(inner) },
    )
}

/// Sends a value to the paired [`Receiver`].
pub struct Sender<T> {
    /// `None` once the value was sent.
    inner: Option<Arc<OneshotShared<T>>>,
}

/// Receives the value from the paired [`Sender`].
///
/// Awaiting the receiver yields `Ok(value)`, or `Err(RecvError)` if the
/// sender was dropped without sending.
///
/// **Cancel safety:** the receiver itself is the future, so dropping a
/// `select!` branch that polls `&mut rx` loses nothing: the value stays in the
/// channel and a later poll (or `try_recv`) still gets it.
pub struct Receiver<T> {
    /// `None` once the value (or the error) was returned.
    inner: Option<Arc<OneshotShared<T>>>,
}

impl<T> OneshotShared<T> {
    /// Wakes the receiver's waker (rule 2: the caller set `COMPLETE` and saw
    /// `RX_WAKER`).
    fn wake_rx(&self) {
        // SAFETY: rule 2 — `RX_WAKER` was set when this thread set
        // `COMPLETE`, so the receiver no longer writes the cell.
        self.rx_waker.with(|w| unsafe {
            if let Some(w) = &*w {
                w.wake_by_ref();
            }
        });
    }

    /// Mirror of `wake_rx` for the sender's waker.
    fn wake_tx(&self) {
        // SAFETY: rule 2 — `TX_WAKER` was set when this thread set `CLOSED`,
        // so the sender no longer writes the cell.
        self.tx_waker.with(|w| unsafe {
            if let Some(w) = &*w {
                w.wake_by_ref();
            }
        });
    }

    /// Sets `CLOSED`, waking a sender waiting in `closed()`. Returns the
    /// previous state.
    fn close(&self) -> usize {
        let prev = self.state.fetch_or(CLOSED, AcqRel);
        if prev & (TX_WAKER | COMPLETE | CLOSED) == TX_WAKER {
            self.wake_tx();
        }
        prev
    }

    /// Takes the value (rule 1: the caller saw `VALUE_SENT` with acquire).
    ///
    /// # Safety
    ///
    /// Only the receiver may call it, after observing `VALUE_SENT`.
    unsafe fn take_value(&self) -> Option<T> {
        // SAFETY: rule 1, guaranteed by the caller.
        self.value.with_mut(|v| unsafe { (*v).take() })
    }

    /// Stores `waker` in the cell named by `bit`, following rule 2: `done` is
    /// the bit that freezes the cell. Returns `true` if `done` is set (the
    /// caller must not wait).
    fn register(
        &self,
        cell: &UnsafeCell<Option<Waker>>,
        bit: usize,
        done: usize,
        waker: &Waker,
    ) -> bool {
        let mut state = self.state.load(Acquire);
        if state & done != 0 {
            return true;
        }
        if state & bit != 0 {
            // SAFETY: rule 2 — reading our own cell while the other side may
            // also only read it is fine (shared access).
            let same = cell.with(|w| unsafe { (*w).as_ref().is_some_and(|w| w.will_wake(waker)) });
            if same {
                return false;
            }
            // Take the cell back (rule 2): clear the bit unless `done` is set.
            loop {
                if state & done != 0 {
                    return true;
                }
                match self
                    .state
                    .compare_exchange(state, state & !bit, AcqRel, Acquire)
                {
                    Ok(_) => break,
                    Err(actual) => state = actual,
                }
            }
        }
        // SAFETY: rule 2 — the bit is clear, so the cell is ours alone.
        cell.with_mut(|w| unsafe { *w = Some(waker.clone()) });
        // Rule 3: publish the waker and re-check in one RMW.
        let prev = self.state.fetch_or(bit, AcqRel);
        prev & done != 0
    }
}

impl<T> Sender<T> {
    /// Sends `value` to the receiver, consuming the sender.
    ///
    /// Returns `Err(value)` if the receiver was dropped or closed: the value
    /// is handed back, never dropped inside the channel. `Ok` means the value
    /// is in the channel; it may still be dropped unreceived if the receiver
    /// is dropped before reading it.
    ///
    /// ```
    /// use evloop::sync::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel::<u8>();
    /// drop(rx);
    /// assert_eq!(tx.send(3), Err(3));
    /// ```
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self.inner.take().expect("sender used after send");
        // SAFETY: rule 1 — `COMPLETE` is not set (we are the sender and have
        // not completed), so the value cell is ours.
        inner.value.with_mut(|v| unsafe { *v = Some(value) });
        let mut state = inner.state.load(Acquire);
        loop {
            if state & CLOSED != 0 {
                // SAFETY: rule 1 — the CAS did not happen, the cell is still
                // ours; hand the value back.
                let value = inner.value.with_mut(|v| unsafe { (*v).take() });
                return Err(value.expect("value written above"));
            }
            match inner.state.compare_exchange(
                state,
                state | COMPLETE | VALUE_SENT,
                AcqRel,
                Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if state & RX_WAKER != 0 {
            inner.wake_rx();
        }
        Ok(())
    }

    /// Returns `true` if the receiver was dropped or closed.
    pub fn is_closed(&self) -> bool {
        match &self.inner {
            Some(inner) => inner.state.load(Acquire) & CLOSED != 0,
            None => true,
        }
    }

    /// Waits until the receiver is dropped or closed.
    ///
    /// **Cancel safety:** cancel-safe; it only observes the channel.
    ///
    /// ```
    /// use evloop::sync::oneshot;
    ///
    /// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (mut tx, rx) = oneshot::channel::<()>();
    /// evloop::spawn(async move { drop(rx) });
    /// tx.closed().await;
    /// assert!(tx.is_closed());
    /// # });
    /// ```
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// Polls whether the receiver is dropped or closed, registering the
    /// task's waker to be woken when it is.
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let restore = ready!(coop::poll_proceed(cx));
        let inner = self.inner.as_ref().expect("sender used after send");
        if inner.register(&inner.tx_waker, TX_WAKER, CLOSED, cx.waker()) {
            restore.made_progress();
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let prev = inner.state.fetch_or(COMPLETE, AcqRel);
            if prev & (RX_WAKER | CLOSED) == RX_WAKER {
                inner.wake_rx();
            }
        }
    }
}

impl<T> Receiver<T> {
    /// Closes the channel without dropping the receiver: a later `send`
    /// fails and returns its value. A value sent before `close` can still be
    /// received.
    pub fn close(&mut self) {
        if let Some(inner) = &self.inner {
            inner.close();
        }
    }

    /// Returns `true` if the channel is empty and the sender is gone
    /// (or the value was already received).
    pub fn is_terminated(&self) -> bool {
        self.inner.is_none()
    }

    /// Returns `true` if no value is waiting to be received: none was sent
    /// yet, or it was already taken.
    pub fn is_empty(&self) -> bool {
        match &self.inner {
            Some(inner) => inner.state.load(Acquire) & VALUE_SENT == 0,
            None => true,
        }
    }

    /// Receives the value if it was sent, without waiting.
    ///
    /// ```
    /// use evloop::sync::oneshot::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send("hi").unwrap();
    /// assert_eq!(rx.try_recv(), Ok("hi"));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = &self.inner else {
            return Err(TryRecvError::Closed);
        };
        let state = inner.state.load(Acquire);
        if state & VALUE_SENT != 0 {
            // SAFETY: rule 1 — we are the receiver and saw `VALUE_SENT`.
            let value = unsafe { inner.take_value() };
            self.inner = None;
            return value.ok_or(TryRecvError::Closed);
        }
        if state & (COMPLETE | CLOSED) != 0 {
            self.inner = None;
            return Err(TryRecvError::Closed);
        }
        Err(TryRecvError::Empty)
    }

    /// Blocks the current thread until the value arrives.
    ///
    /// # Panics
    ///
    /// If called on a thread that drives a runtime.
    ///
    /// ```
    /// use evloop::sync::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel::<u8>();
    /// drop(tx);
    /// assert!(rx.blocking_recv().is_err());
    /// ```
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        super::block_on::block_on("oneshot::Receiver::blocking_recv", self)
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let restore = ready!(coop::poll_proceed(cx));
        let inner = self
            .inner
            .as_ref()
            .expect("oneshot::Receiver polled after completion");
        let ready = inner.register(&inner.rx_waker, RX_WAKER, COMPLETE, cx.waker())
            || inner.state.load(Acquire) & CLOSED != 0;
        if !ready {
            let at = std::panic::Location::caller();
            crate::trace::suspend::note(crate::trace::Resource::OneshotRecv, at);
            return Poll::Pending;
        }
        restore.made_progress();
        let state = inner.state.load(Acquire);
        let out = if state & VALUE_SENT != 0 {
            // SAFETY: rule 1 — we are the receiver and saw `VALUE_SENT`.
            unsafe { inner.take_value() }.ok_or(RecvError(()))
        } else {
            Err(RecvError(()))
        };
        self.inner = None;
        Poll::Ready(out)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let prev = inner.close();
            if prev & VALUE_SENT != 0 {
                // Rule 1: drop an unreceived value here, on the receiver side.
                // SAFETY: rule 1 — we are the receiver and saw `VALUE_SENT`
                // (the `fetch_or` in `close` is an acquire).
                drop(unsafe { inner.take_value() });
            }
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.as_ref().map(|i| i.state.load(Acquire));
        f.debug_struct("Receiver").field("state", &state).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
