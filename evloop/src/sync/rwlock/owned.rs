//! The guards of a [`RwLock`] held through an `Arc`: they keep the lock
//! alive, so they are `'static` when `T` is and can move into spawned
//! tasks. Same rules as the parent module; each guard holds one strong
//! reference to the lock and releases its permits on drop.

use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
// The owned guards come from `self: Arc<Self>` methods, which must take
// std's `Arc` (the type users hold); no atomic protocol of ours lives in it.
use std::sync::Arc;

use super::RwLock;

/// Shared access to (a part `U` of) the data of an `Arc<RwLock<T>>`.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    data: *const U,
    _marker: PhantomData<T>,
}

/// Exclusive access to the data of an `Arc<RwLock<T>>`.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
    data: *mut T,
}

/// Exclusive access to a part `U` of the data of an `Arc<RwLock<T>>`, made
/// by [`OwnedRwLockWriteGuard::map`].
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockMappedWriteGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    data: *mut U,
}

// SAFETY: the guard shares `&U` and holds an `Arc<RwLock<T>>` (which is
// `Send` when `T: Send + Sync`); rule 1.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedRwLockReadGuard<T, U> {}
// SAFETY: a write guard is a `&mut T` plus the `Arc` (rule 1).
unsafe impl<T: ?Sized + Send + Sync> Send for OwnedRwLockWriteGuard<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedRwLockWriteGuard<T> {}
// SAFETY: a `&mut U` into the data plus the `Arc` (rule 1).
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Send
    for OwnedRwLockMappedWriteGuard<T, U>
{
}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync
    for OwnedRwLockMappedWriteGuard<T, U>
{
}

/// Moves the `Arc` out of a guard whose `Drop` must not run.
fn take_lock<G, T: ?Sized>(
    guard: ManuallyDrop<G>,
    lock: impl FnOnce(&G) -> &Arc<RwLock<T>>,
) -> Arc<RwLock<T>> {
    // SAFETY: the guard is never used or dropped again, so the `Arc` is
    // moved out exactly once and its reference count stays exact.
    unsafe { std::ptr::read(lock(&guard)) }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared access to a shared lock; the guard keeps the lock
    /// alive. Queues behind any waiting writer.
    ///
    /// **Cancel safety:** cancel-safe, as [`read`](Self::read).
    ///
    /// ```
    /// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use evloop::sync::RwLock;
    ///
    /// let lock = Arc::new(RwLock::new(1));
    /// let guard = lock.clone().read_owned().await;
    /// let task = evloop::spawn(async move { *guard + 1 });
    /// assert_eq!(task.await.unwrap(), 2);
    /// # });
    /// ```
    pub async fn read_owned(self: Arc<Self>) -> OwnedRwLockReadGuard<T> {
        if self.sem.acquire(1).await.is_err() {
            unreachable!("a RwLock's semaphore is never closed");
        }
        OwnedRwLockReadGuard::new(self)
    }

    /// Waits for exclusive access to a shared lock; the guard keeps the lock
    /// alive.
    ///
    /// **Cancel safety:** cancel-safe, as [`write`](Self::write).
    pub async fn write_owned(self: Arc<Self>) -> OwnedRwLockWriteGuard<T> {
        if self.sem.acquire(self.max_readers as usize).await.is_err() {
            unreachable!("a RwLock's semaphore is never closed");
        }
        OwnedRwLockWriteGuard::new(self)
    }

    /// Takes shared access to a shared lock if possible without waiting.
    pub fn try_read_owned(
        self: Arc<Self>,
    ) -> Result<OwnedRwLockReadGuard<T>, crate::sync::TryLockError> {
        match self.sem.try_acquire(1) {
            Ok(()) => Ok(OwnedRwLockReadGuard::new(self)),
            Err(_) => Err(crate::sync::TryLockError(())),
        }
    }

    /// Takes exclusive access to a shared lock if possible without waiting.
    pub fn try_write_owned(
        self: Arc<Self>,
    ) -> Result<OwnedRwLockWriteGuard<T>, crate::sync::TryLockError> {
        match self.sem.try_acquire(self.max_readers as usize) {
            Ok(()) => Ok(OwnedRwLockWriteGuard::new(self)),
            Err(_) => Err(crate::sync::TryLockError(())),
        }
    }
}

impl<T: ?Sized> OwnedRwLockReadGuard<T> {
    /// Wraps a read permit the caller holds.
    fn new(lock: Arc<RwLock<T>>) -> OwnedRwLockReadGuard<T> {
        let data = lock.data.with(|p| p);
        OwnedRwLockReadGuard {
            lock,
            data,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
    /// Narrows the guard to a part of the data.
    pub fn map<V: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, V>
    where
        F: FnOnce(&U) -> &V,
    {
        let data = f(&*this) as *const V;
        let lock = take_lock(ManuallyDrop::new(this), |g| &g.lock);
        OwnedRwLockReadGuard {
            lock,
            data,
            _marker: PhantomData,
        }
    }

    /// Narrows the guard to a part of the data if `f` finds one; gives the
    /// guard back otherwise.
    pub fn try_map<V: ?Sized, F>(this: Self, f: F) -> Result<OwnedRwLockReadGuard<T, V>, Self>
    where
        F: FnOnce(&U) -> Option<&V>,
    {
        let Some(data) = f(&*this).map(|d| d as *const V) else {
            return Err(this);
        };
        let lock = take_lock(ManuallyDrop::new(this), |g| &g.lock);
        Ok(OwnedRwLockReadGuard {
            lock,
            data,
            _marker: PhantomData,
        })
    }

    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// Wraps every permit of the lock, which the caller holds.
    fn new(lock: Arc<RwLock<T>>) -> OwnedRwLockWriteGuard<T> {
        let data = lock.data.with_mut(|p| p);
        OwnedRwLockWriteGuard { lock, data }
    }

    /// Narrows the guard to a part of the data.
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data = f(&mut *this) as *mut U;
        let lock = take_lock(ManuallyDrop::new(this), |g| &g.lock);
        OwnedRwLockMappedWriteGuard { lock, data }
    }

    /// Narrows the guard to a part of the data if `f` finds one; gives the
    /// guard back otherwise.
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(data) = f(&mut *this).map(|d| d as *mut U) else {
            return Err(this);
        };
        let lock = take_lock(ManuallyDrop::new(this), |g| &g.lock);
        Ok(OwnedRwLockMappedWriteGuard { lock, data })
    }

    /// The same access as an [`OwnedRwLockMappedWriteGuard`] over the whole
    /// data.
    pub fn into_mapped(this: Self) -> OwnedRwLockMappedWriteGuard<T> {
        OwnedRwLockWriteGuard::map(this, |data| data)
    }

    /// Turns exclusive access into shared access without letting a writer
    /// in between.
    pub fn downgrade(self) -> OwnedRwLockReadGuard<T> {
        let data = self.data as *const T;
        self.downgrade_to(data)
    }

    /// Narrows the guard to a part of the data and turns it into shared
    /// access, atomically.
    pub fn downgrade_map<U: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data = f(&*this) as *const U;
        this.downgrade_to(data)
    }

    /// As [`downgrade_map`](Self::downgrade_map) if `f` finds a part; gives
    /// the write guard back otherwise.
    pub fn try_downgrade_map<U: ?Sized, F>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockReadGuard<T, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        match f(&*this).map(|d| d as *const U) {
            Some(data) => Ok(this.downgrade_to(data)),
            None => Err(this),
        }
    }

    /// Keeps one of the writer's permits (rule 1) and returns the rest.
    fn downgrade_to<U: ?Sized>(self, data: *const U) -> OwnedRwLockReadGuard<T, U> {
        let lock = take_lock(ManuallyDrop::new(self), |g| &g.lock);
        lock.sem.release(lock.max_readers as usize - 1);
        OwnedRwLockReadGuard {
            lock,
            data,
            _marker: PhantomData,
        }
    }

    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockMappedWriteGuard<T, U> {
    /// Narrows the guard further.
    pub fn map<V: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let data = f(&mut *this) as *mut V;
        let lock = take_lock(ManuallyDrop::new(this), |g| &g.lock);
        OwnedRwLockMappedWriteGuard { lock, data }
    }

    /// Narrows the guard further if `f` finds a part; gives the guard back
    /// otherwise.
    pub fn try_map<V: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        let Some(data) = f(&mut *this).map(|d| d as *mut V) else {
            return Err(this);
        };
        let lock = take_lock(ManuallyDrop::new(this), |g| &g.lock);
        Ok(OwnedRwLockMappedWriteGuard { lock, data })
    }

    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: rule 1 — the guard holds a read permit, no writer exists;
        // the `Arc` keeps the data alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: rule 1 — the guard holds every permit.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: rule 1 — the guard holds every permit.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockMappedWriteGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: rule 1 — the guard holds every permit.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedRwLockMappedWriteGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: rule 1 — the guard holds every permit.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockReadGuard<T, U> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        self.lock.sem.release(self.lock.max_readers as usize);
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockMappedWriteGuard<T, U> {
    fn drop(&mut self) {
        self.lock.sem.release(self.lock.max_readers as usize);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
