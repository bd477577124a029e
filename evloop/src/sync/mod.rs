//! Channels and synchronization primitives for tasks.
//!
//! Everything here is runtime-agnostic: it needs only a `Waker`, so it works
//! under any executor (and from plain threads through the `blocking_*`
//! methods).
//!
//! - [`oneshot`]: a single value from one task to another.
//! - [`broadcast`]: every value to every receiver, with a bounded backlog.
//! - [`CancellationToken`]: a tree of cancellation signals to wait for.
//! - [`watch`]: one value, many readers that see the latest version.

pub mod broadcast;
pub mod futures;
pub mod mpsc;
pub mod oneshot;
pub mod watch;

mod barrier;
mod cancellation_token;
mod mutex;
mod notify;
mod once_cell;
mod rwlock;
mod semaphore;
mod set_once;

pub use barrier::{Barrier, BarrierWaitResult};
pub use cancellation_token::{
    CancellationToken, DropGuard, WaitForCancellationFuture, WaitForCancellationFutureOwned,
};
pub use mutex::{
    MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, TryLockError,
};
pub use notify::{Notified, Notify, OwnedNotified};
pub use once_cell::{OnceCell, SetError};
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};
pub use set_once::{SetOnce, SetOnceError};

mod batch_semaphore;
mod block_on;
mod waiters;

#[cfg(all(test, not(loom)))]
mod test_util;

#[cfg(all(test, loom))]
mod loom_util;
