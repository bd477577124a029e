//! The two schedulers behind one handle.

use std::sync::Arc;

use crate::runtime::driver;

pub(crate) mod current_thread;
pub(crate) mod multi_thread;

#[derive(Debug, Clone)]
pub(crate) enum Handle {
    CurrentThread(Arc<current_thread::Handle>),
}

pub(crate) enum Context {
    CurrentThread(current_thread::Context),
}

impl Handle {
    pub(crate) fn driver(&self) -> &driver::Handle {
        match self {
            Handle::CurrentThread(h) => &h.driver,
        }
    }
}
