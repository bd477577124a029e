//! The runtime: builder, handle, schedulers and drivers.

pub(crate) mod driver;
pub(crate) mod park;
pub(crate) mod scheduler;

pub use crate::context::TryCurrentError;
