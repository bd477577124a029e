//! The work-stealing scheduler: N worker threads, each with its own run queue.
//!
//! # Glossary
//!
//! - **worker**: one OS thread running the scheduler loop. Its owned state
//!   (the `Local` end of its run queue, its tick counter, whether it is
//!   searching) is its *core*.
//! - **local queue** ([`queue`]): a bounded ring of runnable tasks owned by one
//!   worker, plus a *LIFO slot* holding the task the running task woke most
//!   recently. Other workers take from it through its `Steal` end.
//! - **inject queue** ([`inject`]): the one shared queue. Tasks spawned or woken
//!   from outside the runtime land here, and so does the overflow of a full
//!   local queue.
//! - **searching**: a worker that ran out of local work and is looking for some
//!   in the inject queue and in the other workers' queues ([`idle`]).
//! - **parked**: a worker asleep, either on the shared driver (epoll + timer
//!   wheel) or on its own condvar ([`park`]).
//!
//! # Design
//!
//! Spawning and waking from a worker thread pushes to that worker's local
//! queue: no lock and no contended atomic on the fast path. Idle workers steal
//! half of a victim's queue at once, so work spreads in a few steals instead of
//! one task per steal. The number of searching workers is capped at half the
//! workers, and a wake unparks a sleeper only when nobody is searching
//! already, so a burst of wakes does not stampede every sleeper awake.
//!
//! # Files
//!
//! - `worker.rs`: the worker loop (find a task, run it, steal, park) and
//!   the per-worker `Core`;
//! - `handoff.rs`: `block_in_place`, handing a core to another thread;
//! - `handle.rs`: the shared state, `spawn`, where a woken task goes, shutdown;
//! - `run_queue/`, `inject.rs`, `idle.rs`, `park.rs`: the concurrency building
//!   blocks, generic over the item so each has its own loom models.
//!
//! Rejected: one shared queue for all workers (simple and fair, but every push
//! and pop contends on the same lock or cache line; it is kept only as the
//! inject queue, visited every few ticks); one queue per worker without
//! stealing (a worker with a long backlog keeps it while the others sleep).

mod handle;
mod handoff;
pub(crate) mod idle;
pub(crate) mod inject;
pub(crate) mod park;
pub(crate) mod run_queue;
mod worker;

#[cfg(all(test, loom))]
mod loom_tests;

pub(crate) use handle::{Config, MultiThreadHandle};
pub(crate) use handoff::block_in_place;
pub(crate) use worker::WorkerContext;
