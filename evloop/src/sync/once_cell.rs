//! `OnceCell`: a value initialized at most once, asynchronously.
//!
//! # Rules
//!
//! 1. The value cell is written only by the holder of the semaphore's single
//!    permit, and only while `value_set` is false.
//! 2. After writing, the writer stores `value_set = true` (release) and
//!    *closes* the semaphore instead of returning the permit: every waiting
//!    and future initializer then fails to acquire and reads the value.
//! 3. The value is read only after an acquire load saw `value_set == true`;
//!    from then on it is never written again except through `&mut self`.
//! 4. An initializer that fails, panics or is cancelled drops its permit,
//!    which returns it: the next waiter (FIFO) tries its own initializer.

use std::fmt;
use std::future::Future;
use std::mem::MaybeUninit;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::sync::batch_semaphore as ll;

/// A thread-safe cell written once, with asynchronous initialization.
///
/// ```
/// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use evloop::sync::OnceCell;
///
/// static CONFIG: OnceCell<String> = OnceCell::const_new();
/// let v = CONFIG.get_or_init(|| async { String::from("loaded") }).await;
/// assert_eq!(v, "loaded");
/// assert_eq!(CONFIG.get().map(String::as_str), Some("loaded"));
/// # });
/// ```
pub struct OnceCell<T> {
    value_set: AtomicBool,
    value: UnsafeCell<MaybeUninit<T>>,
    semaphore: ll::Semaphore,
}

// SAFETY: `&OnceCell` hands out `&T` on any thread (needs `Sync`) and lets any
// thread store the value (needs `Send`); rules 1–3 exclude data races.
unsafe impl<T: Sync + Send> Sync for OnceCell<T> {}
// SAFETY: owning the cell is owning the `T`.
unsafe impl<T: Send> Send for OnceCell<T> {}

/// Error of [`OnceCell::set`]; gives the value back.
#[derive(Debug, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell was already initialized.
    AlreadyInitializedError(T),
    /// Another task is initializing the cell right now.
    InitializingError(T),
}

impl<T> SetError<T> {
    /// `true` for [`SetError::AlreadyInitializedError`].
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// `true` for [`SetError::InitializingError`].
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => f.write_str("cell already initialized"),
            SetError::InitializingError(_) => f.write_str("cell is being initialized"),
        }
    }
}

impl<T: fmt::Debug> std::error::Error for SetError<T> {}

/// Returns the permit on drop unless defused (rule 4).
struct PermitGuard<'a>(&'a ll::Semaphore, bool);

impl Drop for PermitGuard<'_> {
    fn drop(&mut self) {
        if self.1 {
            self.0.release(1);
        }
    }
}

impl<T> OnceCell<T> {
    /// Creates an empty cell.
    pub fn new() -> OnceCell<T> {
        OnceCell {
            value_set: AtomicBool::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            semaphore: ll::Semaphore::new(1),
        }
    }

    /// Creates an empty cell in a `const` context.
    #[cfg(not(loom))]
    pub const fn const_new() -> OnceCell<T> {
        OnceCell {
            value_set: AtomicBool::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            semaphore: ll::Semaphore::const_new(1),
        }
    }

    /// Creates a cell already holding `value`, in a `const` context.
    ///
    /// ```
    /// static NAME: evloop::sync::OnceCell<&str> = evloop::sync::OnceCell::const_new_with("evloop");
    /// assert_eq!(NAME.get(), Some(&"evloop"));
    /// assert!(NAME.set("other").unwrap_err().is_already_init_err());
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new_with(value: T) -> OnceCell<T> {
        // Rule 2: a set cell's semaphore is closed, so no initializer runs.
        OnceCell {
            value_set: AtomicBool::new(true),
            value: UnsafeCell::new(MaybeUninit::new(value)),
            semaphore: ll::Semaphore::const_closed(),
        }
    }

    /// Creates a cell holding `value` if it is `Some`.
    pub fn new_with(value: Option<T>) -> OnceCell<T> {
        let cell = OnceCell::new();
        if let Some(v) = value {
            let _ = cell.set(v);
        }
        cell
    }

    /// Returns `true` once the value is set.
    pub fn initialized(&self) -> bool {
        self.value_set.load(Ordering::Acquire)
    }

    /// The value, if set.
    pub fn get(&self) -> Option<&T> {
        if self.initialized() {
            // SAFETY: rule 3 — `value_set` was seen true with acquire.
            Some(unsafe { self.get_unchecked() })
        } else {
            None
        }
    }

    /// Mutable access to the value, if set.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        if self.initialized() {
            // SAFETY: rule 3; `&mut self` excludes every other access.
            Some(self.value.with_mut(|p| unsafe { (*p).assume_init_mut() }))
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

    /// Stores `value` while holding the permit (rules 1 and 2).
    fn store(&self, value: T, mut permit: PermitGuard<'_>) -> &T {
        // SAFETY: rule 1 — we hold the permit and `value_set` is false.
        self.value.with_mut(|p| unsafe { (*p).write(value) });
        self.value_set.store(true, Ordering::Release);
        permit.1 = false;
        self.semaphore.close();
        // SAFETY: rule 3 — we just set it.
        unsafe { self.get_unchecked() }
    }

    /// Sets the value if the cell is empty and nobody is initializing it.
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        match self.semaphore.try_acquire(1) {
            Ok(()) => {
                self.store(value, PermitGuard(&self.semaphore, true));
                Ok(())
            }
            Err(ll::TryAcquireError::Closed) => Err(SetError::AlreadyInitializedError(value)),
            Err(ll::TryAcquireError::NoPermits) => Err(SetError::InitializingError(value)),
        }
    }

    /// Returns the value, running `f` to initialize it first if needed. If
    /// several tasks call this at once, one runs its `f` and the others wait.
    ///
    /// **Cancel safety:** cancel-safe: if the initializing future is dropped,
    /// the next waiter runs its own `f`.
    pub async fn get_or_init<F, Fut>(&self, f: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        match self
            .get_or_try_init(|| async { Ok::<T, std::convert::Infallible>(f().await) })
            .await
        {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// Like [`get_or_init`](Self::get_or_init), but `f` may fail; the error
    /// is returned and the cell stays empty for the next caller.
    ///
    /// **Cancel safety:** cancel-safe, as `get_or_init`.
    pub async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(v) = self.get() {
            return Ok(v);
        }
        match self.semaphore.acquire(1).await {
            Ok(()) => {
                let permit = PermitGuard(&self.semaphore, true);
                // A racing `set` cannot have happened: we hold the permit.
                let value = f().await?;
                Ok(self.store(value, permit))
            }
            // Rule 2: closed means initialized.
            Err(_) => {
                // SAFETY: rule 2 — the semaphore is closed only after
                // `value_set` was stored; the semaphore's lock orders it.
                Ok(unsafe { self.get_unchecked() })
            }
        }
    }

    /// Takes the value out, leaving the cell empty.
    pub fn take(&mut self) -> Option<T> {
        std::mem::take(self).into_inner()
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
}

impl<T> Drop for OnceCell<T> {
    fn drop(&mut self) {
        if self.initialized() {
            // SAFETY: rule 3; `&mut self`, dropped once.
            self.value.with_mut(|p| unsafe { (*p).assume_init_drop() });
        }
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.get())
            .finish()
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    fn clone(&self) -> Self {
        OnceCell::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for OnceCell<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for OnceCell<T> {}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> Self {
        OnceCell::new_with(Some(value))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::test_util::spawn;

    #[test]
    fn one_initializer_others_wait() {
        let cell = OnceCell::new();
        let gate = crate::sync::Notify::new();
        let mut a = spawn(cell.get_or_init(|| async {
            gate.notified().await;
            1
        }));
        let mut b = spawn(cell.get_or_init(|| async { 2 }));
        a.expect_pending();
        b.expect_pending();
        assert!(cell.set(3).unwrap_err().is_initializing_err());
        gate.notify_one();
        assert_eq!(*a.expect_ready(), 1);
        assert!(b.is_woken());
        assert_eq!(*b.expect_ready(), 1);
        assert!(cell.set(4).unwrap_err().is_already_init_err());
    }

    #[test]
    fn cancelled_or_failed_initializer_passes_on() {
        let cell = OnceCell::new();
        let gate = crate::sync::Notify::new();
        let mut a = spawn(cell.get_or_init(|| async {
            gate.notified().await;
            1
        }));
        let mut b = spawn(cell.get_or_try_init(|| async { Err::<i32, _>("nope") }));
        let mut c = spawn(cell.get_or_init(|| async { 3 }));
        a.expect_pending();
        b.expect_pending();
        c.expect_pending();
        a.cancel();
        assert!(b.is_woken());
        assert_eq!(b.expect_ready(), Err("nope"));
        assert!(c.is_woken());
        assert_eq!(*c.expect_ready(), 3);
        assert!(cell.initialized());
    }

    #[test]
    fn take_into_inner_drop() {
        let v = std::sync::Arc::new(());
        let mut cell = OnceCell::new_with(Some(v.clone()));
        assert_eq!(std::sync::Arc::strong_count(&v), 2);
        assert!(cell.take().is_some());
        assert!(!cell.initialized());
        cell.set(v.clone()).unwrap();
        let inner = cell.into_inner().unwrap();
        drop(inner);
        let cell = OnceCell::from(v.clone());
        drop(cell);
        assert_eq!(std::sync::Arc::strong_count(&v), 1);
        assert!(OnceCell::<u8>::new().into_inner().is_none());
    }
}
