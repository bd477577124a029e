//! The single-threaded event loop.

use crate::runtime::driver;

#[derive(Debug)]
pub(crate) struct Handle {
    pub(crate) driver: driver::Handle,
}

pub(crate) struct Context {}
