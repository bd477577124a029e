//! The schedulers behind one handle.
//!
//! `Handle` is what the thread-local context stores and what `spawn` uses;
//! `Context` is the per-thread state of a running scheduler loop, installed
//! with `context::set_scheduler` so wakes can find their local queue.

use std::future::Future;
use std::sync::Arc;

use crate::runtime::driver;
use crate::runtime::metrics::Hooks;
use crate::task::{Id, JoinHandle, RawTask, SpawnMeta};

pub(crate) mod current_thread;

#[derive(Debug, Clone)]
pub(crate) enum Handle {
    CurrentThread(Arc<current_thread::Handle>),
}

pub(crate) enum Context {
    CurrentThread(current_thread::Context),
}

impl Handle {
    #[allow(dead_code)] // read by the time and I/O resources
    pub(crate) fn driver(&self) -> &driver::Handle {
        match self {
            Handle::CurrentThread(h) => &h.driver,
        }
    }

    pub(crate) fn spawn<'m, F>(
        &self,
        future: F,
        id: Id,
        meta: impl Into<SpawnMeta<'m>>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Handle::CurrentThread(h) => current_thread::Handle::spawn(h, future, id, meta.into()),
        }
    }

    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        match self {
            Handle::CurrentThread(h) => current_thread::Handle::block_on(h, self, future),
        }
    }

    pub(crate) fn num_alive_tasks(&self) -> usize {
        match self {
            Handle::CurrentThread(h) => h.num_alive_tasks(),
        }
    }

    // ---- observability (metrics, dumps, traces) ----

    pub(crate) fn hooks(&self) -> &Hooks {
        match self {
            Handle::CurrentThread(h) => h.hooks(),
        }
    }

    pub(crate) fn spawned_tasks_count(&self) -> u64 {
        match self {
            Handle::CurrentThread(h) => h.spawned_tasks_count(),
        }
    }

    pub(crate) fn global_queue_depth(&self) -> usize {
        match self {
            Handle::CurrentThread(h) => h.global_queue_depth(),
        }
    }

    pub(crate) fn for_each_task(&self, f: &mut dyn FnMut(RawTask)) {
        match self {
            Handle::CurrentThread(h) => h.for_each_task(f),
        }
    }
}
