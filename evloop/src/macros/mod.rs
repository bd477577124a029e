//! Declarative macros: [`join!`](crate::join), [`try_join!`](crate::try_join)
//! and [`select!`](crate::select), and the types their expansions use.
//!
//! The macros are exported at the crate root; the helper types are reached
//! through `evloop::__private`, which is not part of the public API. Every
//! expansion pins its futures on the stack of the calling task and polls
//! them from one `poll_fn`: no allocation, no spawned task.
//!
//! - `slots`: the `(name index)` pairs a declarative macro needs to name and
//!   number its branches;
//! - `pin`: `pin!`, pinning locals on the caller's stack;
//! - `join`: `join!` and `try_join!`, over `maybe_done`'s cells;
//! - `select`: `select!`, whose result crosses out of the polling scope in
//!   `select_output`'s enum.

mod join;
mod pin;
mod select;
mod slots;

pub(crate) mod maybe_done;
pub(crate) mod select_output;
