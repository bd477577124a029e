//! Timers: `sleep`, `timeout`, `interval` on a hierarchical timing wheel.
//!
//! (The wheel lands with the time driver; this module currently only
//! provides the driver interface the runtime composes.)

use std::sync::Arc;
use std::time::Duration;

/// Callback that wakes the parked driver thread.
pub(crate) type Unpark = Arc<dyn Fn() + Send + Sync>;

#[derive(Debug, Clone)]
pub(crate) struct Clock {
    _enable_pausing: bool,
}

impl Clock {
    pub(crate) fn new(enable_pausing: bool, _start_paused: bool) -> Clock {
        Clock {
            _enable_pausing: enable_pausing,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Driver;

#[derive(Clone)]
pub(crate) struct Handle {
    _unpark: Unpark,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

impl Driver {
    pub(crate) fn new(_clock: Clock, unpark: Unpark) -> (Driver, Handle) {
        (Driver, Handle { _unpark: unpark })
    }

    pub(crate) fn park(
        &mut self,
        _handle: &Handle,
        limit: Option<Duration>,
        park_io: &mut dyn FnMut(Option<Duration>),
    ) {
        park_io(limit)
    }

    pub(crate) fn shutdown(&mut self, _handle: &Handle) {}
}
