//! Channels and synchronization primitives for tasks.
//!
//! Everything here is runtime-agnostic: it needs only a `Waker`, so it works
//! under any executor (and from plain threads through the `blocking_*`
//! methods).
//!
//! # What `sync` may import
//!
//! 1. `loom` and `util` (including the condvar parker, `util/park.rs`,
//!    that the `blocking_*` methods park on).
//! 2. `coop`: operations that can be ready on every call spend the coop
//!    budget of the task polling them. Off an evloop runtime the budget is
//!    unconstrained, so this costs other executors nothing.
//! 3. `thread_state`, only to read whether the thread drives a runtime: a
//!    `blocking_*` method called there panics instead of stalling it
//!    (`block_on.rs`).
//! 4. `time`, for `mpsc::Sender::send_timeout` alone: it needs a timer,
//!    and takes the current runtime's (only that method needs a runtime
//!    with time enabled).
//!
//! Nothing else: no `runtime`, no `context`, no scheduler or task cell.
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
