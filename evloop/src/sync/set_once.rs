//! `SetOnce`: a value set at most once, that tasks can wait for.
//!
//! Unlike [`OnceCell`](super::OnceCell) nobody *initializes* it on demand:
//! one party calls `set`, any number of others `wait` for the value.
//!
//! # Rules
//!
//! 1. The value cell is written only by a `set` holding `lock`, and only
//!    while `value_set` is false. A `set` that finds `value_set` true under
//!    the lock gives its value back. Holding the lock across the write makes
//!    a losing `set` return only after the winner's value is visible.
//! 2. After writing, the writer stores `value_set = true` (SeqCst), then
//!    calls `notify.notify_waiters()`.
//! 3. The value is read only after a load saw `value_set == true` (acquire or
//!    stronger); from then on it is written again only through `&mut self`
//!    or by value (`into_inner`, `Drop`).
//! 4. `wait` creates its `Notified` *before* loading `value_set` (SeqCst).
//!    If the load misses the store of rule 2, then in the single order of
//!    SeqCst operations the future's generation read precedes the writer's
//!    `notify_waiters`, which therefore completes it (rule 2 of `notify`):
//!    the wake cannot be lost.

use std::error::Error;
use std::fmt;
use std::mem::MaybeUninit;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::sync::Mutex;
use crate::sync::Notify;

/// A thread-safe cell that is set once and can be waited for.
///
/// ```
/// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use evloop::sync::SetOnce;
///
/// let ready = Arc::new(SetOnce::new());
/// let r = ready.clone();
/// let waiter = evloop::spawn(async move { *r.wait().await });
/// ready.set(42).unwrap();
/// assert_eq!(waiter.await.unwrap(), 42);
/// assert!(ready.set(7).is_err());
/// # });
/// ```
pub struct SetOnce<T> {
    value_set: AtomicBool,
    value: UnsafeCell<MaybeUninit<T>>,
    /// Rule 1.
    lock: Mutex<()>,
    /// Rules 2 and 4.
    notify: Notify,
}

// SAFETY: `&SetOnce` hands out `&T` on any thread (needs `Sync`) and lets any
// thread store the value (needs `Send`); rules 1–3 exclude data races.
unsafe impl<T: Sync + Send> Sync for SetOnce<T> {}
// SAFETY: owning the cell is owning the `T`.
unsafe impl<T: Send> Send for SetOnce<T> {}

/// Error of [`SetOnce::set`]: the cell was already set. Gives the value back.
#[derive(Debug, PartialEq, Eq)]
pub struct SetOnceError<T>(pub T);

impl<T> fmt::Display for SetOnceError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SetOnce value already set")
    }
}

impl<T: fmt::Debug> Error for SetOnceError<T> {}

impl<T> SetOnce<T> {
    /// Creates an empty cell.
    pub fn new() -> SetOnce<T> {
        SetOnce {
            value_set: AtomicBool::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            lock: Mutex::new(()),
            notify: Notify::new(),
        }
    }

    /// Creates an empty cell in a `const` context (e.g. a `static`).
    ///
    /// ```
    /// static READY: evloop::sync::SetOnce<u32> = evloop::sync::SetOnce::const_new();
    /// assert!(READY.get().is_none());
    /// READY.set(1).unwrap();
    /// assert_eq!(READY.get(), Some(&1));
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new() -> SetOnce<T> {
        SetOnce {
            value_set: AtomicBool::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            lock: Mutex::new(()),
            notify: Notify::const_new(),
        }
    }

    /// Creates a cell holding `value` if it is `Some`, empty otherwise.
    pub fn new_with(value: Option<T>) -> SetOnce<T> {
        let cell = SetOnce::new();
        if let Some(v) = value {
            // A fresh cell is empty: this cannot fail.
            let _ = cell.set(v);
        }
        cell
    }

    /// Creates a cell already holding `value`, in a `const` context.
    ///
    /// ```
    /// static NAME: evloop::sync::SetOnce<&str> = evloop::sync::SetOnce::const_new_with("evloop");
    /// assert_eq!(NAME.get(), Some(&"evloop"));
    /// assert!(NAME.set("other").is_err());
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new_with(value: T) -> SetOnce<T> {
        SetOnce {
            value_set: AtomicBool::new(true),
            value: UnsafeCell::new(MaybeUninit::new(value)),
            lock: Mutex::new(()),
            notify: Notify::const_new(),
        }
    }

    /// Returns `true` once the value is set.
    pub fn initialized(&self) -> bool {
        self.value_set.load(Ordering::Acquire)
    }

    /// The value, if set. Never waits.
    pub fn get(&self) -> Option<&T> {
        if self.initialized() {
            // SAFETY: rule 3 — `value_set` was seen true with acquire.
            Some(unsafe { self.get_unchecked() })
        } else {
            None
        }
    }

    /// # Safety
    ///
    /// `value_set` must have been observed true (rule 3).
    unsafe fn get_unchecked(&self) -> &T {
        // SAFETY: guaranteed by the caller.
        self.value.with(|p| unsafe { (*p).assume_init_ref() })
    }

    /// Sets the value and wakes every task in [`wait`](Self::wait).
    ///
    /// Fails, giving `value` back, if the cell is already set. When two
    /// calls race, the loser returns only once the winner's value can be
    /// read with [`get`](Self::get).
    pub fn set(&self, value: T) -> Result<(), SetOnceError<T>> {
        if self.initialized() {
            return Err(SetOnceError(value));
        }
        let guard = self.lock.lock();
        if self.value_set.load(Ordering::Acquire) {
            return Err(SetOnceError(value));
        }
        // SAFETY: rule 1 — we hold the lock and `value_set` is false, so no
        // one reads or writes the cell.
        self.value.with_mut(|p| unsafe { (*p).write(value) });
        // Rule 2.
        self.value_set.store(true, Ordering::SeqCst);
        drop(guard);
        self.notify.notify_waiters();
        Ok(())
    }

    /// Consumes the cell, returning the value if set.
    pub fn into_inner(self) -> Option<T> {
        if !self.initialized() {
            return None;
        }
        // Clearing the flag first keeps `Drop` from dropping the value again.
        self.value_set.store(false, Ordering::Relaxed);
        // SAFETY: rule 3 — the value was set; we own the cell and move the
        // value out exactly once.
        Some(self.value.with(|p| unsafe { (*p).assume_init_read() }))
    }

    /// Waits until the value is set and returns it; at once if it is set
    /// already.
    ///
    /// **Cancel safety:** cancel-safe: it holds no place in any queue that
    /// matters, dropping it loses nothing.
    pub async fn wait(&self) -> &T {
        loop {
            // Rule 4: the future first, then the load.
            let notified = self.notify.notified();
            if self.value_set.load(Ordering::SeqCst) {
                // SAFETY: rule 3 — seen true with a SeqCst load.
                return unsafe { self.get_unchecked() };
            }
            notified.await;
        }
    }
}

impl<T> Drop for SetOnce<T> {
    fn drop(&mut self) {
        if self.initialized() {
            // SAFETY: rule 3; `&mut self`, dropped once.
            self.value.with_mut(|p| unsafe { (*p).assume_init_drop() });
        }
    }
}

impl<T> Default for SetOnce<T> {
    fn default() -> Self {
        SetOnce::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for SetOnce<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetOnce")
            .field("value", &self.get())
            .finish()
    }
}

impl<T: Clone> Clone for SetOnce<T> {
    fn clone(&self) -> Self {
        SetOnce::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for SetOnce<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for SetOnce<T> {}

impl<T> From<T> for SetOnce<T> {
    fn from(value: T) -> Self {
        SetOnce::new_with(Some(value))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::test_util::spawn;

    #[test]
    fn wait_is_woken_by_set_and_drops_once() {
        let v = std::sync::Arc::new(());
        let cell = SetOnce::new();
        let mut a = spawn(cell.wait());
        let mut b = spawn(cell.wait());
        a.expect_pending();
        b.expect_pending();
        cell.set(v.clone()).unwrap();
        assert!(a.is_woken() && b.is_woken());
        assert!(std::sync::Arc::ptr_eq(a.expect_ready(), &v));
        b.expect_ready();
        let back = cell.set(v.clone()).unwrap_err();
        drop(back);
        assert_eq!(std::sync::Arc::strong_count(&v), 2);
        drop((a, b));
        drop(cell);
        assert_eq!(std::sync::Arc::strong_count(&v), 1);
    }

    #[test]
    fn wait_created_before_set_but_polled_after() {
        let cell = SetOnce::new();
        let mut w = spawn(cell.wait());
        cell.set(3u8).unwrap();
        assert_eq!(*w.expect_ready(), 3);
        assert_eq!(
            SetOnce::from(String::from("x")).into_inner().as_deref(),
            Some("x")
        );
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::Arc;
    use crate::loom::thread;
    use loom::future::block_on;

    #[test]
    fn loom_set_once_set_vs_wait() {
        loom::model(|| {
            let cell = Arc::new(SetOnce::new());
            let c2 = cell.clone();
            let th = thread::spawn(move || c2.set(7).is_ok());
            assert_eq!(*block_on(cell.wait()), 7);
            assert!(th.join().unwrap());
        });
    }

    #[test]
    fn loom_set_once_two_setters() {
        loom::model(|| {
            let cell = Arc::new(SetOnce::new());
            let c2 = cell.clone();
            let th = thread::spawn(move || match c2.set(1) {
                Ok(()) => 1,
                // Rule 1: the loser sees the winner's value.
                Err(_) => *c2.get().expect("loser returned before the value"),
            });
            let mine = match cell.set(2) {
                Ok(()) => 2,
                Err(_) => *cell.get().expect("loser returned before the value"),
            };
            assert_eq!(th.join().unwrap(), mine);
        });
    }
}
