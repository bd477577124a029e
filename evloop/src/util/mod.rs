//! Small internal helpers.

pub(crate) mod atomic_waker;
mod cache_padded;
pub(crate) mod park;
pub(crate) mod rand;
pub(crate) mod shutdown_error;
mod sync_wrapper;
pub(crate) mod wake;

pub(crate) use cache_padded::CachePadded;
pub(crate) use sync_wrapper::SyncWrapper;
