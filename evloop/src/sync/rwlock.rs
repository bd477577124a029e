//! An asynchronous reader-writer lock, write-preferring and fair (FIFO),
//! built on a semaphore with `max_readers` permits.
//!
//! # Rules
//!
//! 1. A reader holds 1 permit, a writer holds all `max_readers`: so a writer
//!    excludes everybody, and readers exclude only writers.
//! 2. The semaphore serves waiters in FIFO order and never lets a later
//!    acquire overtake a queued one, so a waiting writer blocks readers that
//!    arrive after it (write preference, no writer starvation).
//! 3. Accesses of successive holders are ordered by the semaphore's
//!    acquire/release, as for `Mutex`.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use crate::loom::cell::UnsafeCell;
use crate::sync::batch_semaphore as ll;

/// The largest number of concurrent readers (`u32::MAX >> 3`).
const MAX_READS: u32 = u32::MAX >> 3;

/// An asynchronous reader-writer lock.
///
/// ```
/// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let lock = evloop::sync::RwLock::new(5);
/// {
///     let r1 = lock.read().await;
///     let r2 = lock.read().await;
///     assert_eq!(*r1 + *r2, 10);
/// }
/// *lock.write().await += 1;
/// assert_eq!(*lock.read().await, 6);
/// # });
/// ```
pub struct RwLock<T: ?Sized> {
    max_readers: u32,
    sem: ll::Semaphore,
    data: UnsafeCell<T>,
}

// SAFETY: readers share `&T` across threads (needs `T: Sync`), a writer gets
// `&mut T` possibly on another thread (needs `T: Send`); rule 1.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}
// SAFETY: owning the lock is owning the `T`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}

/// Shared access to the data of a [`RwLock`].
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    sem: &'a ll::Semaphore,
    data: *const T,
    _marker: PhantomData<&'a T>,
}

/// Exclusive access to the data of a [`RwLock`].
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    sem: &'a ll::Semaphore,
    permits: u32,
    data: *mut T,
    _marker: PhantomData<&'a mut T>,
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

impl<T> RwLock<T> {
    /// Creates an unlocked lock holding `value`.
    pub fn new(value: T) -> RwLock<T> {
        RwLock::with_max_readers(value, MAX_READS)
    }

    /// Creates a lock allowing at most `max_readers` concurrent readers.
    ///
    /// # Panics
    ///
    /// If `max_readers` is 0 or above `u32::MAX >> 3`.
    pub fn with_max_readers(value: T, max_readers: u32) -> RwLock<T> {
        assert!(
            max_readers > 0 && max_readers <= MAX_READS,
            "max_readers must be in 1..={MAX_READS}"
        );
        RwLock {
            max_readers,
            sem: ll::Semaphore::new(max_readers as usize),
            data: UnsafeCell::new(value),
        }
    }

    /// Creates an unlocked lock in a `const` context.
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> RwLock<T> {
        RwLock {
            max_readers: MAX_READS,
            sem: ll::Semaphore::const_new(MAX_READS as usize),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock, returning the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared access. Queues behind any waiting writer.
    ///
    /// **Cancel safety:** cancel-safe; dropping the future leaves the queue.
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        if self.sem.acquire(1).await.is_err() {
            unreachable!("a RwLock's semaphore is never closed");
        }
        self.read_guard()
    }

    /// Waits for exclusive access.
    ///
    /// **Cancel safety:** cancel-safe; dropping the future leaves the queue
    /// and returns any reader slots already reserved for it.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        if self.sem.acquire(self.max_readers as usize).await.is_err() {
            unreachable!("a RwLock's semaphore is never closed");
        }
        self.write_guard()
    }

    /// Takes shared access if possible without waiting.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, super::TryLockError> {
        match self.sem.try_acquire(1) {
            Ok(()) => Ok(self.read_guard()),
            Err(_) => Err(super::TryLockError(())),
        }
    }

    /// Takes exclusive access if possible without waiting.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, super::TryLockError> {
        match self.sem.try_acquire(self.max_readers as usize) {
            Ok(()) => Ok(self.write_guard()),
            Err(_) => Err(super::TryLockError(())),
        }
    }

    /// Blocking version of [`read`](Self::read), for synchronous code.
    ///
    /// # Panics
    ///
    /// If called on a thread that drives a runtime.
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        super::block_on::block_on("RwLock::blocking_read", self.read())
    }

    /// Blocking version of [`write`](Self::write), for synchronous code.
    ///
    /// # Panics
    ///
    /// If called on a thread that drives a runtime.
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        super::block_on::block_on("RwLock::blocking_write", self.write())
    }

    /// Direct access through `&mut self`.
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` proves no guard exists.
        self.data.with_mut(|p| unsafe { &mut *p })
    }

    fn read_guard(&self) -> RwLockReadGuard<'_, T> {
        RwLockReadGuard {
            sem: &self.sem,
            data: self.data.with(|p| p),
            _marker: PhantomData,
        }
    }

    fn write_guard(&self) -> RwLockWriteGuard<'_, T> {
        RwLockWriteGuard {
            sem: &self.sem,
            permits: self.max_readers,
            data: self.data.with_mut(|p| p),
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// Narrows the guard to a part of the data.
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data = f(&*this) as *const U;
        let sem = this.sem;
        std::mem::forget(this);
        RwLockReadGuard {
            sem,
            data,
            _marker: PhantomData,
        }
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

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Narrows the guard to a part of the data.
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data = f(&mut *this) as *mut U;
        let (sem, permits) = (this.sem, this.permits);
        std::mem::forget(this);
        RwLockMappedWriteGuard {
            sem,
            permits,
            data,
            _marker: PhantomData,
        }
    }

    /// Turns exclusive access into shared access without letting a writer
    /// in between: the other reader slots are released, one is kept.
    pub fn downgrade(this: Self) -> RwLockReadGuard<'a, T> {
        let (sem, permits, data) = (this.sem, this.permits, this.data);
        std::mem::forget(this);
        sem.release(permits as usize - 1);
        RwLockReadGuard {
            sem,
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

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// Narrows the guard further.
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data = f(&mut *this) as *mut U;
        let (sem, permits) = (this.sem, this.permits);
        std::mem::forget(this);
        RwLockMappedWriteGuard {
            sem,
            permits,
            data,
            _marker: PhantomData,
        }
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::test_util::spawn;

    #[test]
    fn readers_share_writer_excludes() {
        let l = RwLock::new(1);
        let r1 = l.try_read().unwrap();
        let r2 = l.try_read().unwrap();
        assert!(l.try_write().is_err());
        drop((r1, r2));
        let w = l.try_write().unwrap();
        assert!(l.try_read().is_err());
        drop(w);
    }

    #[test]
    fn waiting_writer_blocks_new_readers() {
        let l = RwLock::with_max_readers(0, 4);
        let r = l.try_read().unwrap();
        let mut w = spawn(async {
            *l.write().await += 1;
        });
        w.expect_pending();
        // Write preference: a new reader queues behind the writer.
        assert!(l.try_read().is_err());
        let mut r2 = spawn(async { *l.read().await });
        r2.expect_pending();
        drop(r);
        assert!(w.is_woken());
        w.expect_ready();
        assert!(r2.is_woken());
        assert_eq!(r2.expect_ready(), 1);
    }

    #[test]
    fn cancelled_writer_returns_reserved_slots() {
        let l = RwLock::with_max_readers(0, 4);
        let r = l.try_read().unwrap();
        let mut w = spawn(l.write());
        w.expect_pending();
        w.cancel();
        let more: Vec<_> = (0..3).map(|_| l.try_read().unwrap()).collect();
        drop(more);
        drop(r);
        assert!(l.try_write().is_ok());
    }

    #[test]
    fn map_and_downgrade() {
        let l = RwLock::new((1, String::from("x")));
        {
            let w = l.try_write().unwrap();
            let mut s = RwLockWriteGuard::map(w, |v| &mut v.1);
            s.push('y');
        }
        let w = l.try_write().unwrap();
        let r = RwLockWriteGuard::downgrade(w);
        let other = l.try_read().unwrap();
        assert!(l.try_write().is_err());
        let name = RwLockReadGuard::map(other, |v| &v.1);
        assert_eq!(&*name, "xy");
        drop((r, name));
        assert!(l.try_write().is_ok());
    }
}
