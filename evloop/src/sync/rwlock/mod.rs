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
        RwLock::const_with_max_readers(value, MAX_READS)
    }

    /// Creates an unlocked lock allowing at most `max_readers` concurrent
    /// readers, in a `const` context.
    ///
    /// # Panics
    ///
    /// If `max_readers` is 0 or above `u32::MAX >> 3` (at compile time in a
    /// `static`).
    ///
    /// ```
    /// static LOCK: evloop::sync::RwLock<u8> = evloop::sync::RwLock::const_with_max_readers(0, 2);
    /// let a = LOCK.try_read().unwrap();
    /// let b = LOCK.try_read().unwrap();
    /// assert!(LOCK.try_read().is_err());
    /// # drop((a, b));
    /// ```
    #[cfg(not(loom))]
    pub const fn const_with_max_readers(value: T, max_readers: u32) -> RwLock<T> {
        assert!(
            max_readers > 0 && max_readers <= MAX_READS,
            "max_readers must be in 1..=u32::MAX >> 3"
        );
        RwLock {
            max_readers,
            sem: ll::Semaphore::const_new(max_readers as usize),
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

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

mod guard;
mod owned;

pub use guard::{RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard};
pub use owned::{OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard};

#[cfg(all(test, not(loom)))]
mod tests;
