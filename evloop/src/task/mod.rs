//! Tasks: spawned futures, their handles and ids.

pub(crate) mod coop;
mod id;

pub use coop::{consume_budget, unconstrained, Unconstrained};
pub use id::{id, try_id, Id};
