//! Asynchronous I/O: the reactor and the I/O traits.

mod driver;

pub(crate) use driver::{Driver, Handle};
