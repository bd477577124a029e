//! An asynchronous mutex: fair (FIFO), built on a one-permit semaphore.
//!
//! # Rules
//!
//! 1. Whoever holds the semaphore's single permit has exclusive access to
//!    `data`; each guard type holds the permit and gives it back on drop.
//! 2. The permit's acquire/release pair (AcqRel on the semaphore's state word,
//!    or its mutex when waiters are queued) orders every access of one holder
//!    before every access of the next.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use crate::loom::cell::UnsafeCell;
// The `*_owned` methods take `self: Arc<Self>`, which must be std's `Arc`
// (the type users hold); no atomic protocol of ours lives in it.
use crate::sync::batch_semaphore as ll;
use std::sync::Arc;

mod owned_mapped;

pub use owned_mapped::OwnedMappedMutexGuard;

/// An asynchronous mutual-exclusion lock.
///
/// Unlike `std::sync::Mutex`, its guard may be held across `.await`. Tasks
/// get the lock in the order they asked for it.
///
/// ```
/// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use evloop::sync::Mutex;
///
/// let count = Arc::new(Mutex::new(0));
/// let c = count.clone();
/// evloop::spawn(async move { *c.lock().await += 1 }).await.unwrap();
/// assert_eq!(*count.lock().await, 1);
/// # });
/// ```
pub struct Mutex<T: ?Sized> {
    sem: ll::Semaphore,
    data: UnsafeCell<T>,
}

// SAFETY: the mutex hands out `&mut T` to one holder at a time (rule 1), so
// sharing it across threads needs only `T: Send`.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// SAFETY: owning the mutex is owning the `T`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}

/// Exclusive access to the data of a [`Mutex`]; unlocks on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
}

/// A [`MutexGuard`] for an `Arc<Mutex<T>>`, with no borrow lifetime.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedMutexGuard<T: ?Sized> {
    lock: Arc<Mutex<T>>,
}

/// A guard for a part of the locked data, made by [`MutexGuard::map`].
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    sem: &'a ll::Semaphore,
    data: *mut T,
    _marker: PhantomData<&'a mut T>,
}

// SAFETY: the guards give `&T`/`&mut T` access to one thread at a time; they
// are `Sync` when `T: Sync` (shared refs through `&guard`) and `Send` when
// `T: Send` (the unlock can happen anywhere).
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for OwnedMutexGuard<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for MappedMutexGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send> Send for MappedMutexGuard<'_, T> {}

/// [`Mutex::try_lock`] failed: the lock is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryLockError(pub(super) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}

impl std::error::Error for TryLockError {}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex holding `value`.
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            sem: ll::Semaphore::new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// Creates an unlocked mutex in a `const` context.
    ///
    /// ```
    /// static M: evloop::sync::Mutex<u32> = evloop::sync::Mutex::const_new(1);
    /// assert_eq!(*M.try_lock().unwrap(), 1);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> Mutex<T> {
        Mutex {
            sem: ll::Semaphore::const_new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex, returning the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock.
    ///
    /// **Cancel safety:** cancel-safe; dropping the future leaves the queue
    /// without taking the lock (and passes it on if it had just been handed
    /// to this waiter).
    #[track_caller]
    pub fn lock(&self) -> impl Future<Output = MutexGuard<'_, T>> + '_ {
        // The caller's line: where the task waits, for the trace.
        let acquire = self.sem.acquire_at(1, std::panic::Location::caller());
        async move {
            if acquire.await.is_err() {
                unreachable!("a mutex's semaphore is never closed");
            }
            MutexGuard { lock: self }
        }
    }

    /// Waits for the lock of a shared mutex.
    ///
    /// **Cancel safety:** cancel-safe, as [`lock`](Self::lock).
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        if self.sem.acquire(1).await.is_err() {
            unreachable!("a mutex's semaphore is never closed");
        }
        OwnedMutexGuard { lock: self }
    }

    /// Blocks the current thread until the lock is taken. For synchronous
    /// code only.
    ///
    /// # Panics
    ///
    /// If called on a thread that drives a runtime.
    ///
    /// ```
    /// let m = evloop::sync::Mutex::new(1);
    /// *m.blocking_lock() += 1;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        super::block_on::block_on("Mutex::blocking_lock", self.lock())
    }

    /// Blocking version of [`lock_owned`](Self::lock_owned).
    ///
    /// # Panics
    ///
    /// If called on a thread that drives a runtime.
    #[track_caller]
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        super::block_on::block_on("Mutex::blocking_lock_owned", self.lock_owned())
    }

    /// Takes the lock if it is free (and nobody is queued for it).
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire(1) {
            Ok(()) => Ok(MutexGuard { lock: self }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Takes the lock of a shared mutex if it is free.
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        match self.sem.try_acquire(1) {
            Ok(()) => Ok(OwnedMutexGuard { lock: self }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Direct access through `&mut self`: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` proves no guard exists.
        self.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Narrows the guard to a part of the data.
    ///
    /// ```
    /// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use evloop::sync::{Mutex, MutexGuard};
    ///
    /// let m = Mutex::new((1, 2));
    /// let mut second = MutexGuard::map(m.lock().await, |pair| &mut pair.1);
    /// *second = 5;
    /// drop(second);
    /// assert_eq!(*m.lock().await, (1, 5));
    /// # });
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data = f(&mut *this) as *mut U;
        let sem = &this.lock.sem;
        std::mem::forget(this);
        MappedMutexGuard {
            sem,
            data,
            _marker: PhantomData,
        }
    }

    /// Like [`map`](Self::map), but `f` may decline, returning the guard.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data = match f(&mut *this) {
            Some(data) => data as *mut U,
            None => return Err(this),
        };
        let sem = &this.lock.sem;
        std::mem::forget(this);
        Ok(MappedMutexGuard {
            sem,
            data,
            _marker: PhantomData,
        })
    }

    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.lock
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: rule 1 — the guard holds the permit.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: rule 1 — the guard holds the permit.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: rule 1 — the guard holds the permit.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: rule 1 — the guard holds the permit.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<'a, T: ?Sized> MappedMutexGuard<'a, T> {
    /// Narrows the guard further.
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data = f(&mut *this) as *mut U;
        let sem = this.sem;
        std::mem::forget(this);
        MappedMutexGuard {
            sem,
            data,
            _marker: PhantomData,
        }
    }

    /// Like [`map`](Self::map), but `f` may decline, returning the guard.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(data) = f(&mut *this).map(|d| d as *mut U) else {
            return Err(this);
        };
        let sem = this.sem;
        std::mem::forget(this);
        Ok(MappedMutexGuard {
            sem,
            data,
            _marker: PhantomData,
        })
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: rule 1 — the guard holds the permit; `data` points into the
        // locked value, which outlives `'a`.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::test_util::spawn;

    #[test]
    fn fifo_handoff_and_cancel() {
        let m = Mutex::new(0);
        let g = m.try_lock().unwrap();
        let mut a = spawn(async {
            *m.lock().await += 1;
        });
        let mut b = spawn(async {
            *m.lock().await += 10;
        });
        a.expect_pending();
        b.expect_pending();
        assert!(m.try_lock().is_err());
        drop(g);
        // a is first in line; cancel it after it was handed the lock.
        assert!(a.is_woken() && !b.is_woken());
        a.cancel();
        assert!(b.is_woken());
        b.expect_ready();
        assert_eq!(*m.try_lock().unwrap(), 10);
    }

    #[test]
    fn map_and_owned() {
        let m = Arc::new(Mutex::new(vec![1, 2, 3]));
        {
            let g = m.try_lock().unwrap();
            let mut first = MutexGuard::map(g, |v| &mut v[0]);
            *first = 7;
            assert!(m.try_lock().is_err());
        }
        let mut t = spawn(m.clone().lock_owned());
        let mut g = t.expect_ready();
        g.push(4);
        assert!(m.clone().try_lock_owned().is_err());
        drop(g);
        assert_eq!(*m.blocking_lock(), vec![7, 2, 3, 4]);
    }

    #[test]
    fn get_mut_and_into_inner() {
        let mut m = Mutex::new(String::from("a"));
        m.get_mut().push('b');
        assert_eq!(format!("{m:?}"), "Mutex { data: \"ab\" }");
        assert_eq!(m.into_inner(), "ab");
    }

    #[test]
    fn threads_increment() {
        let per_thread = if cfg!(miri) { 50 } else { 5_000 };
        let m = Arc::new(Mutex::new(0u64));
        let ths: Vec<_> = (0..4)
            .map(|_| {
                let m = m.clone();
                std::thread::spawn(move || {
                    for _ in 0..per_thread {
                        *m.blocking_lock() += 1;
                    }
                })
            })
            .collect();
        for t in ths {
            t.join().unwrap();
        }
        assert_eq!(*m.blocking_lock(), 4 * per_thread);
    }
}
