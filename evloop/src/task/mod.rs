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
//! - `task_local.rs`: `task_local!`, `LocalKey` and `TaskLocalFuture`;

//! - `builder.rs`: `task::Builder`, to name a task before spawning it.

mod block_in_place;
mod blocking;
mod builder;
mod join_set;
mod local;
mod spawn;
mod task_local;
mod yield_now;

pub use crate::coop::{consume_budget, unconstrained, Unconstrained};

/// Cooperative scheduling: the per-poll budget that keeps one always-ready
/// task from starving the others, timers and I/O on its thread.
pub mod coop {
    pub use crate::coop::{
        consume_budget, cooperative, has_budget_remaining, poll_proceed, unconstrained, Coop,
        RestoreOnPending, Unconstrained,
    };
}
pub use crate::runtime::task::abort::AbortHandle;
pub use crate::runtime::task::error::JoinError;
pub use crate::runtime::task::id::{id, try_id, Id};
pub use crate::runtime::task::join::JoinHandle;
pub use block_in_place::block_in_place;
pub use blocking::spawn_blocking;
pub use builder::Builder;
pub use join_set::JoinSet;
pub use local::{spawn_local, LocalEnterGuard, LocalSet};
pub use spawn::spawn;
pub use task_local::{AccessError, LocalKey};
pub use yield_now::{yield_now, YieldNow};

/// Futures the task module's functions return.
pub mod futures {
    pub use super::task_local::TaskLocalFuture;
}
