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
pub mod mpsc;
pub mod oneshot;
pub mod watch;

/// The named futures of this module's primitives, at the path tokio gives them.
pub mod futures {
    pub use super::notify::Notified;
}

mod barrier;
mod cancellation_token;
mod mutex;
mod notify;
mod once_cell;
mod rwlock;
mod semaphore;

pub use barrier::{Barrier, BarrierWaitResult};
pub use cancellation_token::{
    CancellationToken, DropGuard, WaitForCancellationFuture, WaitForCancellationFutureOwned,
};
pub use mutex::{MappedMutexGuard, Mutex, MutexGuard, OwnedMutexGuard, TryLockError};
pub use notify::{Notified, Notify};
pub use once_cell::{OnceCell, SetError};
pub use rwlock::{RwLock, RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};

mod batch_semaphore;
mod block_on;
mod waiters;

#[cfg(all(test, not(loom)))]
mod test_util;

#[cfg(all(test, loom))]
mod loom_util;
