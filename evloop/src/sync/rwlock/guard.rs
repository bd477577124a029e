//! The guards of a borrowed [`RwLock`]: shared ([`RwLockReadGuard`]),
//! exclusive ([`RwLockWriteGuard`]) and exclusive over a part
//! ([`RwLockMappedWriteGuard`]). The rules are those of the parent module.

use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

use crate::sync::batch_semaphore as ll;

/// Shared access to the data of a [`RwLock`](super::RwLock).
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    pub(super) sem: &'a ll::Semaphore,
    pub(super) data: *const T,
    pub(super) _marker: PhantomData<&'a T>,
}

/// Exclusive access to the data of a [`RwLock`](super::RwLock).
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    pub(super) sem: &'a ll::Semaphore,
    /// Every permit of the lock (rule 1).
    pub(super) permits: u32,
    pub(super) data: *mut T,
    pub(super) _marker: PhantomData<&'a mut T>,
}

/// Exclusive access to a part of the data, made by
/// [`RwLockWriteGuard::map`].
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    sem: &'a ll::Semaphore,
    permits: u32,
    data: *mut T,
    _marker: PhantomData<&'a mut T>,
}

// SAFETY: a read guard is a `&T` (rule 1).
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}
// SAFETY: a write guard is a `&mut T` (rule 1).
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockWriteGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockWriteGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockMappedWriteGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockMappedWriteGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// Narrows the guard to a part of the data.
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data = f(&*this) as *const U;
        let this = ManuallyDrop::new(this);
        RwLockReadGuard {
            sem: this.sem,
            data,
            _marker: PhantomData,
        }
    }

    /// Narrows the guard to a part of the data if `f` finds one; gives the
    /// guard back otherwise.
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let Some(data) = f(&*this).map(|d| d as *const U) else {
            return Err(this);
        };
        let this = ManuallyDrop::new(this);
        Ok(RwLockReadGuard {
            sem: this.sem,
            data,
            _marker: PhantomData,
        })
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: rule 1 — the guard holds a read permit, no writer exists.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Narrows the guard to a part of the data.
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data = f(&mut *this) as *mut U;
        let this = ManuallyDrop::new(this);
        RwLockMappedWriteGuard {
            sem: this.sem,
            permits: this.permits,
            data,
            _marker: PhantomData,
        }
    }

    /// Narrows the guard to a part of the data if `f` finds one; gives the
    /// guard back otherwise.
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(data) = f(&mut *this).map(|d| d as *mut U) else {
            return Err(this);
        };
        let this = ManuallyDrop::new(this);
        Ok(RwLockMappedWriteGuard {
            sem: this.sem,
            permits: this.permits,
            data,
            _marker: PhantomData,
        })
    }

    /// The same access as a [`RwLockMappedWriteGuard`] over the whole data.
    pub fn into_mapped(this: Self) -> RwLockMappedWriteGuard<'a, T> {
        RwLockWriteGuard::map(this, |data| data)
    }

    /// Turns exclusive access into shared access without letting a writer
    /// in between: the other reader slots are released, one is kept.
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let data = self.data as *const T;
        self.downgrade_to(data)
    }

    /// Narrows the guard to a part of the data and turns it into shared
    /// access, atomically (no writer gets in between).
    pub fn downgrade_map<U: ?Sized, F>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data = f(&*this) as *const U;
        this.downgrade_to(data)
    }

    /// As [`downgrade_map`](Self::downgrade_map) if `f` finds a part; gives
    /// the write guard back otherwise.
    pub fn try_downgrade_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        match f(&*this).map(|d| d as *const U) {
            Some(data) => Ok(this.downgrade_to(data)),
            None => Err(this),
        }
    }

    /// Keeps one permit of the writer's (rule 1) and returns the rest.
    fn downgrade_to<U: ?Sized>(self, data: *const U) -> RwLockReadGuard<'a, U> {
        let this = ManuallyDrop::new(self);
        this.sem.release(this.permits as usize - 1);
        RwLockReadGuard {
            sem: this.sem,
            data,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: rule 1 — the guard holds every permit.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: rule 1 — the guard holds every permit.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(self.permits as usize);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// Narrows the guard further.
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data = f(&mut *this) as *mut U;
        let this = ManuallyDrop::new(this);
        RwLockMappedWriteGuard {
            sem: this.sem,
            permits: this.permits,
            data,
            _marker: PhantomData,
        }
    }

    /// Narrows the guard further if `f` finds a part; gives the guard back
    /// otherwise.
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(data) = f(&mut *this).map(|d| d as *mut U) else {
            return Err(this);
        };
        let this = ManuallyDrop::new(this);
        Ok(RwLockMappedWriteGuard {
            sem: this.sem,
            permits: this.permits,
            data,
            _marker: PhantomData,
        })
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: rule 1 — the guard holds every permit.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: rule 1 — the guard holds every permit.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for RwLockMappedWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(self.permits as usize);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
