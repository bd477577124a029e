//! The one door to concurrency primitives.
//!
//! Every atomic, `UnsafeCell`, `Arc`, `Mutex` and thread used by the runtime
//! is imported from here, never from `std` directly. Under `--cfg loom` this
//! module re-exports loom's model-checked versions, so the loom models in the
//! crate run the real code; otherwise it re-exports `std`, wrapped where the two
//! APIs differ:
//!
//! - `UnsafeCell` exposes loom's closure API (`with`, `with_mut`) in both
//!   builds, so that loom can track every access.
//! - `Mutex::lock` returns the guard directly. A poisoned lock is recovered:
//!   the runtime's own critical sections never panic half-way, and user code
//!   never runs while the runtime holds one of its locks. `RwLock` likewise.

// The shim offers the whole toolbox; not every build uses every tool.
#![allow(unused_imports, dead_code)]

#[cfg(not(loom))]
pub(crate) use self::std_impl::*;

#[cfg(loom)]
pub(crate) use self::loom_impl::*;

#[cfg(not(loom))]
mod std_impl {
    pub(crate) mod sync {
        pub(crate) use std::sync::{Arc, Weak};

        pub(crate) mod atomic {
            pub(crate) use std::sync::atomic::{
                fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
            };
        }

        /// `std::sync::Mutex` without poisoning.
        #[derive(Debug, Default)]
        pub(crate) struct Mutex<T: ?Sized>(std::sync::Mutex<T>);

        pub(crate) type MutexGuard<'a, T> = std::sync::MutexGuard<'a, T>;

        impl<T> Mutex<T> {
            pub(crate) const fn new(value: T) -> Mutex<T> {
                Mutex(std::sync::Mutex::new(value))
            }

            pub(crate) fn into_inner(self) -> T {
                self.0.into_inner().unwrap_or_else(|e| e.into_inner())
            }
        }

        impl<T: ?Sized> Mutex<T> {
            pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
                self.0.lock().unwrap_or_else(|e| e.into_inner())
            }

            pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
                match self.0.try_lock() {
                    Ok(guard) => Some(guard),
                    Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
                    Err(std::sync::TryLockError::WouldBlock) => None,
                }
            }
        }

        /// `std::sync::RwLock` without poisoning.
        #[derive(Debug, Default)]
        pub(crate) struct RwLock<T: ?Sized>(std::sync::RwLock<T>);

        pub(crate) type RwLockReadGuard<'a, T> = std::sync::RwLockReadGuard<'a, T>;
        pub(crate) type RwLockWriteGuard<'a, T> = std::sync::RwLockWriteGuard<'a, T>;

        impl<T> RwLock<T> {
            pub(crate) const fn new(value: T) -> RwLock<T> {
                RwLock(std::sync::RwLock::new(value))
            }
        }

        impl<T: ?Sized> RwLock<T> {
            pub(crate) fn read(&self) -> RwLockReadGuard<'_, T> {
                self.0.read().unwrap_or_else(|e| e.into_inner())
            }

            pub(crate) fn write(&self) -> RwLockWriteGuard<'_, T> {
                self.0.write().unwrap_or_else(|e| e.into_inner())
            }
        }

        /// `std::sync::Condvar` without poisoning.
        #[derive(Debug, Default)]
        pub(crate) struct Condvar(std::sync::Condvar);

        impl Condvar {
            pub(crate) const fn new() -> Condvar {
                Condvar(std::sync::Condvar::new())
            }

            pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
                self.0.wait(guard).unwrap_or_else(|e| e.into_inner())
            }

            pub(crate) fn wait_timeout<'a, T>(
                &self,
                guard: MutexGuard<'a, T>,
                dur: std::time::Duration,
            ) -> MutexGuard<'a, T> {
                match self.0.wait_timeout(guard, dur) {
                    Ok((guard, _)) => guard,
                    Err(e) => e.into_inner().0,
                }
            }

            pub(crate) fn notify_one(&self) {
                self.0.notify_one()
            }

            pub(crate) fn notify_all(&self) {
                self.0.notify_all()
            }
        }
    }

    pub(crate) mod cell {
        /// `std::cell::UnsafeCell` with loom's access API.
        #[derive(Debug, Default)]
        #[repr(transparent)]
        pub(crate) struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

        impl<T> UnsafeCell<T> {
            pub(crate) const fn new(data: T) -> UnsafeCell<T> {
                UnsafeCell(std::cell::UnsafeCell::new(data))
            }

            pub(crate) fn into_inner(self) -> T {
                self.0.into_inner()
            }
        }

        impl<T: ?Sized> UnsafeCell<T> {
            #[inline(always)]
            pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
                f(self.0.get())
            }

            #[inline(always)]
            pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
                f(self.0.get())
            }
        }
    }

    pub(crate) mod thread {
        pub(crate) use std::thread::{
            current, park, park_timeout, spawn, yield_now, Builder, JoinHandle, Thread,
        };
    }

    /// Busy-wait hint; a no-op under loom.
    #[inline(always)]
    pub(crate) fn spin_loop() {
        std::hint::spin_loop()
    }
}

#[cfg(loom)]
mod loom_impl {
    pub(crate) mod sync {
        pub(crate) use loom::sync::{Arc, Condvar as LoomCondvar, MutexGuard};

        /// loom's `Arc` has no `Weak`; the runtime only uses `Weak` outside the
        /// modelled protocols, so loom builds use std's.
        pub(crate) use std::sync::Weak;

        pub(crate) mod atomic {
            pub(crate) use loom::sync::atomic::{
                fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
            };
        }

        #[derive(Debug)]
        pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

        impl<T> Mutex<T> {
            pub(crate) fn new(value: T) -> Mutex<T> {
                Mutex(loom::sync::Mutex::new(value))
            }

            pub(crate) fn into_inner(self) -> T {
                self.0.into_inner().unwrap()
            }

            pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
                self.0.lock().unwrap()
            }

            pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
                self.0.try_lock().ok()
            }
        }

        impl<T: Default> Default for Mutex<T> {
            fn default() -> Self {
                Mutex::new(T::default())
            }
        }

        #[derive(Debug)]
        pub(crate) struct RwLock<T>(loom::sync::RwLock<T>);

        pub(crate) use loom::sync::{RwLockReadGuard, RwLockWriteGuard};

        impl<T> RwLock<T> {
            pub(crate) fn new(value: T) -> RwLock<T> {
                RwLock(loom::sync::RwLock::new(value))
            }

            pub(crate) fn read(&self) -> RwLockReadGuard<'_, T> {
                self.0.read().unwrap()
            }

            pub(crate) fn write(&self) -> RwLockWriteGuard<'_, T> {
                self.0.write().unwrap()
            }
        }

        #[derive(Debug, Default)]
        pub(crate) struct Condvar(LoomCondvar);

        impl Condvar {
            pub(crate) fn new() -> Condvar {
                Condvar(LoomCondvar::new())
            }

            pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
                self.0.wait(guard).unwrap()
            }

            pub(crate) fn wait_timeout<'a, T>(
                &self,
                guard: MutexGuard<'a, T>,
                dur: std::time::Duration,
            ) -> MutexGuard<'a, T> {
                self.0.wait_timeout(guard, dur).unwrap().0
            }

            pub(crate) fn notify_one(&self) {
                self.0.notify_one()
            }

            pub(crate) fn notify_all(&self) {
                self.0.notify_all()
            }
        }
    }

    pub(crate) mod cell {
        pub(crate) use loom::cell::UnsafeCell;
    }

    pub(crate) mod thread {
        pub(crate) use loom::thread::{
            current, park, spawn, yield_now, Builder, JoinHandle, Thread,
        };

        pub(crate) fn park_timeout(_dur: std::time::Duration) {
            loom::thread::park()
        }
    }

    pub(crate) fn spin_loop() {
        loom::thread::yield_now()
    }

    pub(crate) use loom::model;
}
