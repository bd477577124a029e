//! Small internal helpers.

pub(crate) mod atomic_waker;
pub(crate) mod rand;
mod sync_wrapper;

pub(crate) use sync_wrapper::SyncWrapper;
