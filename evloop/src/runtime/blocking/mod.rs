//! The blocking pool: threads for work that would stall the event loop.
//!
//! A closure given to `spawn_blocking` (a file read, a DNS lookup, a
//! CPU-heavy computation, a call into a synchronous library) must not run on
//! the thread that polls tasks: while it runs, no other task, timer or socket
//! of that runtime would make progress. The pool runs such closures on
//! separate threads, started on demand and retired after a period of
//! idleness, and hands the result back through an ordinary `JoinHandle`.
//!
//! Each closure is a task in the same task cell as `spawn`'s: its future
//! ([`BlockingTask`]) calls the closure once on its first poll, and its
//! scheduler ([`BlockingSchedule`]) puts it on the pool's queue instead of a
//! run queue. So `JoinHandle`, `abort` and panics-as-`JoinError` behave as
//! for any task: an abort before a thread picks the closure up cancels it;
//! once started, a closure always runs to completion.
//!
//! - `pool.rs`: the queue, the threads, their life cycle and shutdown;
//! - `schedule.rs`: [`BlockingSchedule`], the `Schedule` impl of pool tasks;
//! - `task.rs`: [`BlockingTask`], the future that runs the closure.

mod pool;
mod schedule;
mod task;

pub(crate) use pool::{Config, Spawner};
pub(crate) use schedule::BlockingSchedule;
pub(crate) use task::BlockingTask;
