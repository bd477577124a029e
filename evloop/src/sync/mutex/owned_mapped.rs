//! [`OwnedMappedMutexGuard`]: a part of the data of an `Arc<Mutex<T>>`,
//! made by [`OwnedMutexGuard::map`]. Rule 1 of the parent module applies:
//! the guard holds the mutex's one permit until it is dropped.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
// The guard comes from an `OwnedMutexGuard`, which holds std's `Arc` (the
// type users hold).
use std::sync::Arc;

use super::{Mutex, OwnedMutexGuard};

/// Exclusive access to a part `U` of the data of an `Arc<Mutex<T>>`; keeps
/// the mutex alive and unlocks it on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<Mutex<T>>,
    data: *mut U,
}

// SAFETY: a `&mut U` into the data plus the `Arc` (rule 1): sending it
// moves the unlock and the `U` access to another thread.
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}
// SAFETY: `&guard` gives only `&U`.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

/// Moves the `Arc` out of a guard whose `Drop` must not run.
fn take_lock<G, T: ?Sized>(
    guard: ManuallyDrop<G>,
    lock: impl FnOnce(&G) -> &Arc<Mutex<T>>,
) -> Arc<Mutex<T>> {
    // SAFETY: the guard is never used or dropped again, so the `Arc` is
    // moved out exactly once and its reference count stays exact.
    unsafe { std::ptr::read(lock(&guard)) }
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// Narrows the guard to a part of the data.
    ///
    /// ```
    /// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use evloop::sync::{Mutex, OwnedMutexGuard};
    ///
    /// let m = Arc::new(Mutex::new((1, 2)));
    /// let mut second = OwnedMutexGuard::map(m.clone().lock_owned().await, |p| &mut p.1);
    /// *second = 5;
    /// drop(second);
    /// assert_eq!(*m.lock().await, (1, 5));
    /// # });
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data = f(&mut *this) as *mut U;
        let lock = take_lock(ManuallyDrop::new(this), |g| &g.lock);
        OwnedMappedMutexGuard { lock, data }
    }

    /// Like [`map`](Self::map), but `f` may decline, returning the guard.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(data) = f(&mut *this).map(|d| d as *mut U) else {
            return Err(this);
        };
        let lock = take_lock(ManuallyDrop::new(this), |g| &g.lock);
        Ok(OwnedMappedMutexGuard { lock, data })
    }
}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    /// Narrows the guard further.
    pub fn map<V: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let data = f(&mut *this) as *mut V;
        let lock = take_lock(ManuallyDrop::new(this), |g| &g.lock);
        OwnedMappedMutexGuard { lock, data }
    }

    /// Like [`map`](Self::map), but `f` may decline, returning the guard.
    pub fn try_map<V: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        let Some(data) = f(&mut *this).map(|d| d as *mut V) else {
            return Err(this);
        };
        let lock = take_lock(ManuallyDrop::new(this), |g| &g.lock);
        Ok(OwnedMappedMutexGuard { lock, data })
    }

    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: rule 1 — the guard holds the permit; the `Arc` keeps the
        // data alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
