//! A single-value channel where receivers see the latest value.
//!
//! [`channel`] returns a [`Sender`] and a [`Receiver`], both cloneable. The
//! channel holds exactly one value; sending replaces it. A receiver does not
//! see every value: it sees the *latest* one, and [`Receiver::changed`] tells
//! it when there is a value it has not marked seen yet. Use it for
//! configuration, status, shutdown flags — state whose current value is what
//! matters.
//!
//! ```
//! # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use evloop::sync::watch;
//!
//! let (tx, mut rx) = watch::channel("starting");
//! let task = evloop::spawn(async move {
//!     while rx.changed().await.is_ok() {
//!         if *rx.borrow_and_update() == "ready" {
//!             return true;
//!         }
//!     }
//!     false
//! });
//! tx.send("loading").unwrap();
//! tx.send("ready").unwrap();
//! assert!(task.await.unwrap());
//! # });
//! ```
//!
//! # Design
//!
//! `Shared` holds the value in a read-write lock, a state word, two
//! [`Notify`]s (one wakes receivers, one wakes `Sender::closed`) and the two
//! handle counts. The state word is `version << 1 | CLOSED`.
//!
//! # Rules
//!
//! 1. The version is bumped (by 2, so `CLOSED` is untouched) only while the
//!    value's write lock is held, after the value was changed. A version read
//!    while a read lock is held is therefore the version of the value under
//!    that lock.
//! 2. Each receiver keeps the version it has seen. It has a change to report
//!    exactly when the shared version differs from it; reporting one (or
//!    `borrow_and_update`) stores the shared version. So `changed()` never
//!    misses an update (the version moved) and never reports one twice (the
//!    receiver's version caught up).
//! 3. A waiter creates its `Notified` *before* checking the version. Every
//!    send bumps the version first and calls `notify_waiters` after, which
//!    completes every `Notified` created before it (rule 2 of `Notify`): a
//!    send that the check missed always wakes the waiter.
//! 4. `CLOSED` is set when the last sender is dropped, followed by a
//!    `notify_waiters`; a receiver reports an unseen value before it reports
//!    the closed channel.
//! 5. `Sender::closed` waits on its own `Notify`, notified when the receiver
//!    count drops to zero; the count is checked after the `Notified` is made
//!    (as in rule 3).
//!
//! Nothing here is cancellation-sensitive: all the progress a waiter makes is
//! the version it stores on `Ready`, so dropping a `changed()` future at its
//! await point loses nothing.

use std::fmt;
use std::ops::Deref;

use crate::coop;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, RwLock, RwLockReadGuard};
use crate::sync::notify::Notify;

/// Errors returned by the watch channel.
pub mod error {
    use std::fmt;

    /// Returned by [`Sender::send`](super::Sender::send) when every receiver
    /// is gone; holds the value that was not sent.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct SendError<T>(pub T);

    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SendError").finish_non_exhaustive()
        }
    }

    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl<T> std::error::Error for SendError<T> {}

    /// Returned by the receiver's waiting methods when every sender is gone.
    #[derive(Debug, PartialEq, Eq, Clone)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}
}

use error::{RecvError, SendError};

const CLOSED: usize = 1;
const VERSION_ONE: usize = 2;

fn version(state: usize) -> usize {
    state & !CLOSED
}

struct Shared<T> {
    value: RwLock<T>,
    /// `version << 1 | CLOSED` (rules 1, 4).
    state: AtomicUsize,
    /// Woken on every send and when the last sender goes (rule 3).
    notify_rx: Notify,
    /// Woken when the last receiver goes (rule 5).
    notify_tx: Notify,
    rx_count: AtomicUsize,
    tx_count: AtomicUsize,
}

/// The sending half; cloneable. Dropping the last one closes the channel.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving half; cloneable. Each clone tracks what it has seen.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// Rule 2: the version this receiver has seen.
    version: usize,
}

/// A read guard on the channel's value, returned by `borrow`.
///
/// Holds a read lock: sends wait until it is dropped. Do not keep it across
/// an `.await` or while calling into the same channel's sender.
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether the value was unseen by the receiver when it was borrowed
    /// (always `false` for [`Sender::borrow`]).
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Creates a watch channel holding `init`. The receiver starts with `init`
/// marked seen.
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Shared::new(init, 1);
    let rx = Receiver {
        shared: shared.clone(),
        version: 0,
    };
    (Sender { shared }, rx)
}

impl<T> Shared<T> {
    /// A channel with one sender and `rx_count` receivers.
    fn new(init: T, rx_count: usize) -> Arc<Shared<T>> {
        Arc::new(Shared {
            value: RwLock::new(init),
            state: AtomicUsize::new(0),
            notify_rx: Notify::new(),
            notify_tx: Notify::new(),
            rx_count: AtomicUsize::new(rx_count),
            tx_count: AtomicUsize::new(1),
        })
    }
}

impl<T> Sender<T> {
    /// Creates a channel holding `init` with no receiver yet; receivers
    /// come from [`subscribe`](Self::subscribe). [`send`](Self::send) fails
    /// until one exists, [`send_replace`](Self::send_replace) always stores.
    ///
    /// ```
    /// let tx = evloop::sync::watch::Sender::new(1);
    /// assert!(tx.send(2).is_err());
    /// let rx = tx.subscribe();
    /// tx.send(3).unwrap();
    /// assert_eq!(*rx.borrow(), 3);
    /// ```
    pub fn new(init: T) -> Sender<T> {
        Sender {
            shared: Shared::new(init, 0),
        }
    }

    /// Replaces the value and notifies the receivers, or returns the value
    /// in [`SendError`] if there is no receiver left (the stored value is
    /// then unchanged).
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.shared.rx_count.load(SeqCst) == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value, notifies the receivers and returns the old value.
    /// Works with no receiver too (a later `subscribe` sees the new value).
    pub fn send_replace(&self, mut value: T) -> T {
        self.send_modify(|old| std::mem::swap(old, &mut value));
        value
    }

    /// Modifies the value in place and notifies the receivers, whether or
    /// not there are any.
    ///
    /// The closure runs under the write lock: it must not borrow this
    /// channel. If it panics the receivers are not notified.
    pub fn send_modify<F: FnOnce(&mut T)>(&self, modify: F) {
        self.send_if_modified(|v| {
            modify(v);
            true
        });
    }

    /// Runs `modify` on the value; notifies the receivers only if it
    /// returns `true`. Returns what `modify` returned.
    ///
    /// ```
    /// let (tx, rx) = evloop::sync::watch::channel(0);
    /// assert!(!tx.send_if_modified(|v| std::mem::replace(v, 0) != 0));
    /// assert!(!rx.has_changed().unwrap());
    /// assert!(tx.send_if_modified(|v| std::mem::replace(v, 1) != 1));
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn send_if_modified<F: FnOnce(&mut T) -> bool>(&self, modify: F) -> bool {
        {
            let mut guard = self.shared.value.write();
            if !modify(&mut guard) {
                return false;
            }
            // Rule 1: bump under the write lock.
            self.shared.state.fetch_add(VERSION_ONE, SeqCst);
        }
        // Rule 3: wake after the bump.
        self.shared.notify_rx.notify_waiters();
        true
    }

    /// Borrows the current value. [`Ref::has_changed`] is always `false`.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.value.read(),
            has_changed: false,
        }
    }

    /// Whether every receiver has been dropped.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Completes when every receiver has been dropped.
    ///
    /// **Cancel safety:** cancel-safe; it only observes the receiver count.
    pub async fn closed(&self) {
        // Ready on every call once closed: spend budget (rule 3 of `coop`).
        coop::cooperative(async {
            loop {
                // Rule 5: the Notified exists before the check.
                let notified = self.shared.notify_tx.notified();
                if self.is_closed() {
                    return;
                }
                notified.await;
            }
        })
        .await
    }

    /// Creates a new receiver that has seen the current value.
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.rx_count.fetch_add(1, SeqCst);
        // Read the version under the read lock (rule 1).
        let _value = self.shared.value.read();
        let version = version(self.shared.state.load(SeqCst));
        drop(_value);
        Receiver {
            shared: self.shared.clone(),
            version,
        }
    }

    /// The number of receivers alive.
    pub fn receiver_count(&self) -> usize {
        self.shared.rx_count.load(SeqCst)
    }

    /// The number of senders alive.
    pub fn sender_count(&self) -> usize {
        self.shared.tx_count.load(SeqCst)
    }

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.tx_count.fetch_add(1, SeqCst);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T: Default> Default for Sender<T> {
    fn default() -> Self {
        Sender::new(T::default())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.tx_count.fetch_sub(1, SeqCst) == 1 {
            // Rule 4.
            self.shared.state.fetch_or(CLOSED, SeqCst);
            self.shared.notify_rx.notify_waiters();
        }
    }
}

impl<T> Receiver<T> {
    /// Borrows the current value without marking it seen.
    /// [`Ref::has_changed`] says whether it was unseen.
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = self.shared.value.read();
        // Rule 1: this version belongs to the value under the lock.
        let current = version(self.shared.state.load(SeqCst));
        Ref {
            guard,
            has_changed: current != self.version,
        }
    }

    /// Borrows the current value and marks it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.value.read();
        let current = version(self.shared.state.load(SeqCst));
        let has_changed = current != self.version;
        self.version = current;
        Ref { guard, has_changed }
    }

    /// Whether there is a value this receiver has not seen, or
    /// [`RecvError`] if every sender is gone.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let state = self.shared.state.load(SeqCst);
        if state & CLOSED != 0 {
            return Err(RecvError(()));
        }
        Ok(version(state) != self.version)
    }

    /// Marks the current value unseen: the next `changed()` completes at
    /// once.
    pub fn mark_changed(&mut self) {
        // Any version other than the current one will do; versions only grow
        // by VERSION_ONE, so this one is never current again.
        self.version = version(self.shared.state.load(SeqCst)).wrapping_sub(VERSION_ONE);
    }

    /// Marks the current value seen.
    pub fn mark_unchanged(&mut self) {
        let _value = self.shared.value.read();
        self.version = version(self.shared.state.load(SeqCst));
    }

    /// Completes when there is a value this receiver has not seen, and marks
    /// it seen. Returns [`RecvError`] once every sender is gone and the last
    /// value was seen.
    ///
    /// **Cancel safety:** cancel-safe. Dropping it before completion leaves
    /// the receiver's seen version untouched, so the update is reported by
    /// the next call.
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        // Rule 3 of `coop`: a loop on an ever-changing value must yield.
        coop::cooperative(changed_impl(&self.shared, &mut self.version)).await
    }

    /// Waits until `f` returns `true` for the value, and returns a guard on
    /// that value (marked seen). The current value is checked first.
    /// Returns [`RecvError`] if every sender goes before that.
    ///
    /// **Cancel safety:** cancel-safe: values it looked at are marked seen,
    /// and nothing else changes.
    ///
    /// ```
    /// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (tx, mut rx) = evloop::sync::watch::channel(0);
    /// evloop::spawn(async move {
    ///     for i in 1..=5 {
    ///         tx.send(i).unwrap();
    ///         evloop::task::yield_now().await;
    ///     }
    /// });
    /// assert_eq!(*rx.wait_for(|v| *v >= 3).await.unwrap() >= 3, true);
    /// # });
    /// ```
    pub async fn wait_for(
        &mut self,
        mut f: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        let shared = &*self.shared;
        let seen = &mut self.version;
        // Rule 3 of `coop`: a match found at once must still spend budget.
        coop::cooperative(async move {
            let mut closed = false;
            loop {
                {
                    let guard = shared.value.read();
                    let state = shared.state.load(SeqCst);
                    let has_changed = version(state) != *seen;
                    *seen = version(state);
                    // After closure, only a value not looked at yet can match.
                    if (!closed || has_changed) && f(&guard) {
                        return Ok(Ref { guard, has_changed });
                    }
                }
                if closed {
                    return Err(RecvError(()));
                }
                closed = changed_impl(shared, seen).await.is_err();
            }
        })
        .await
    }

    /// Whether both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Whether every sender is gone (rule 4). The last value can still be
    /// borrowed.
    ///
    /// ```
    /// let (tx, rx) = evloop::sync::watch::channel(1);
    /// assert!(!rx.is_closed());
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// assert_eq!(*rx.borrow(), 1);
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.state.load(SeqCst) & CLOSED != 0
    }
}

/// Rules 2 and 4: a pending change first, then closure.
fn maybe_changed<T>(shared: &Shared<T>, seen: &mut usize) -> Option<Result<(), RecvError>> {
    let state = shared.state.load(SeqCst);
    if version(state) != *seen {
        *seen = version(state);
        return Some(Ok(()));
    }
    if state & CLOSED != 0 {
        return Some(Err(RecvError(())));
    }
    None
}

async fn changed_impl<T>(shared: &Shared<T>, seen: &mut usize) -> Result<(), RecvError> {
    loop {
        // Rule 3: create the Notified before the check.
        let notified = shared.notify_rx.notified();
        if let Some(result) = maybe_changed(shared, seen) {
            return result;
        }
        notified.await;
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.rx_count.fetch_add(1, SeqCst);
        Receiver {
            shared: self.shared.clone(),
            version: self.version,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.shared.rx_count.fetch_sub(1, SeqCst) == 1 {
            // Rule 5.
            self.shared.notify_tx.notify_waiters();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("version", &(version(self.shared.state.load(SeqCst)) >> 1))
            .field("receivers", &self.receiver_count())
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("seen_version", &(self.version >> 1))
            .field("version", &(version(self.shared.state.load(SeqCst)) >> 1))
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
