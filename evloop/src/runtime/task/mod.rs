//! The task cell: what the schedulers own, queue and poll.
//!
//! One allocation per task (`core.rs`): a 32-byte header (state word,
//! vtable, id, last-poll stamp, owned-list slot), then the scheduler handle
//! and the future — replaced in place by its output, with no tag — then a
//! trailer (the join waker, the spawn site or a side record for named
//! tasks). A `Waker` is a pointer to the header; cloning and dropping it is
//! one atomic add on the state word's ref count (`state.rs` documents every
//! bit and transition).
//!
//! This layer sits below the schedulers and knows none of them: a
//! scheduler implements [`Schedule`] and holds [`Task`]s and
//! [`Notified`]s. The public `task` module (spawn, `JoinSet`, `LocalSet`,
//! `Builder`, `block_in_place`, ...) is built on top of the runtime and
//! re-exports the handles defined here.
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
//! - `join.rs`, `abort.rs`, `error.rs`, `id.rs`: the handles and the
//!   task's id and error, re-exported by the public `task` module.

pub(crate) mod abort;
pub(crate) mod core;
pub(crate) mod error;
pub(crate) mod harness;
pub(crate) mod id;
pub(crate) mod join;
pub(crate) mod list;
pub(crate) mod meta;
pub(crate) mod moved;
pub(crate) mod raw;
pub(crate) mod refs;
pub(crate) mod state;
pub(crate) mod waker;

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(test)]
pub(crate) mod test_sched;

pub use abort::AbortHandle;
pub use error::JoinError;
pub use id::Id;
pub use join::JoinHandle;

pub(crate) use harness::PollOutcome;
pub(crate) use meta::SpawnMeta;
pub(crate) use raw::RawTask;
pub(crate) use refs::{new_task, Notified, Schedule, Task};
pub(crate) use state::Snapshot;

/// The output of a task as its `JoinHandle` returns it.
pub(crate) type Result<T> = std::result::Result<T, JoinError>;
