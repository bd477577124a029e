//! Tasks: spawned futures, their handles and ids.
//!
//! A task is a future that the runtime owns and polls: [`spawn`] turns an
//! `async` block into one and returns a [`JoinHandle`], itself a future of
//! the task's output. While the task waits (`.await` returns `Pending`), it
//! costs nothing but its memory; when what it waits on is ready, its
//! `Waker` puts it back in the run queue.
//!
//! # Layout of a task
//!
//! One allocation (`core.rs`): a 32-byte header (state word, vtable, id,
//! last-poll stamp, owned-list slot), then the scheduler handle and the
//! future — which is replaced in place by its output, with no tag — then a
//! trailer (the join waker, the spawn site or a side record for named
//! tasks). A `Waker` is a pointer to the header; cloning and dropping it is
//! one atomic add on the state word's ref count (`state.rs` documents every
//! bit and transition).
//!
//! # Files
//!
//! - `state.rs`: the state word and its transitions;
//! - `core.rs`: the cell layout; `raw.rs`: the type-erased pointer and vtable;
//! - `harness.rs`: poll, complete, cancel, read output, free;
//! - `waker.rs`: the waker vtable;
//! - `refs.rs`: `Task`, `Notified`, and the `Schedule` trait schedulers implement;
//! - `list.rs`: the owned-task list shutdown walks;
//! - `meta.rs`: spawn site, name and wake stamp (one word in the cell);
//! - `moved.rs`: `Moved`, how a future reaches its cell with one copy;
//! - `join.rs`, `abort.rs`, `error.rs`, `id.rs`: the public handles;
//! - `local.rs`: `LocalSet` and `spawn_local` for `!Send` futures;
//! - `blocking.rs`: `spawn_blocking` (the pool itself is in `runtime/blocking/`);
//! - `block_in_place.rs`: `block_in_place`, blocking on a worker thread;

//! - `builder.rs`: `task::Builder`, to name a task before spawning it.

mod abort;
mod block_in_place;
mod blocking;
mod builder;
pub mod coop;
mod core;
mod error;
mod harness;
mod id;
mod join;
mod join_set;
pub(crate) mod list;
mod local;
mod meta;
pub(crate) mod moved;
mod raw;
mod refs;
mod spawn;
mod state;
mod waker;
mod yield_now;

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(test)]
mod test_sched;

pub use abort::AbortHandle;
pub use block_in_place::block_in_place;
pub use blocking::spawn_blocking;
pub use builder::Builder;
pub use coop::{consume_budget, unconstrained, Unconstrained};
pub use error::JoinError;
pub use id::{id, try_id, Id};
pub use join::JoinHandle;
pub use join_set::JoinSet;
pub use local::{spawn_local, LocalEnterGuard, LocalSet};
pub use spawn::spawn;
pub use yield_now::{yield_now, YieldNow};

pub(crate) use harness::PollOutcome;
pub(crate) use raw::RawTask;
pub(crate) use refs::{new_task, Notified, Schedule, Task};
pub(crate) use spawn::SpawnMeta;
pub(crate) use state::Snapshot;

/// The output of a task as its `JoinHandle` returns it.
pub(crate) type Result<T> = std::result::Result<T, JoinError>;
