//! The schedulers behind one handle.
//!
//! `Handle` is what the thread-local context stores and what `spawn` uses;
//! `Context` is the per-thread state of a running scheduler loop, installed
//! with `context::set_scheduler` so wakes can find their local queue.

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use crate::runtime::blocking;
use crate::runtime::driver;
use crate::runtime::metrics::Hooks;
use crate::runtime::task::moved::Moved;
use crate::runtime::task::{Id, JoinHandle, RawTask, SpawnMeta};

mod countdown;
pub(crate) mod current_thread;
pub(crate) mod multi_thread;
pub(crate) mod sim;

pub(crate) use countdown::countdown_due;

#[derive(Debug, Clone)]
pub(crate) enum Handle {
    CurrentThread(Arc<current_thread::Handle>),
    MultiThread(Arc<multi_thread::Handle>),
    /// A deterministic simulation (`evloop::sim`).
    Sim(Arc<sim::Handle>),
}

pub(crate) enum Context {
    CurrentThread(current_thread::Context),
    MultiThread(multi_thread::Context),
    /// Boxed: the simulation's core is large, and this enum sits on the
    /// stack of every scheduler loop.
    Sim(Box<sim::Context>),
}

impl Context {
    /// `runtime::worker_index`: the current-thread loop is worker 0 on the
    /// thread that runs it (the only one with its context set).
    pub(crate) fn worker_index(&self) -> Option<usize> {
        match self {
            Context::CurrentThread(_) => Some(0),
            Context::MultiThread(cx) => cx.worker_index(),
            Context::Sim(cx) => cx.with_core(|c| c.running.map(|(w, _)| w)).flatten(),
        }
    }
}

impl Handle {
    #[allow(dead_code)] // read by the time and I/O resources
    pub(crate) fn driver(&self) -> &driver::Handle {
        match self {
            Handle::CurrentThread(h) => &h.driver,
            Handle::MultiThread(h) => &h.driver,
            Handle::Sim(h) => &h.driver,
        }
    }

    #[inline]
    pub(crate) fn spawn<'m, F>(
        &self,
        future: Moved<'_, F>,
        id: Id,
        meta: impl Into<SpawnMeta<'m>>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Handle::CurrentThread(h) => current_thread::Handle::spawn(h, future, id, meta.into()),
            Handle::MultiThread(h) => multi_thread::Handle::spawn(h, future, id, meta.into()),
            Handle::Sim(h) => sim::Handle::spawn(h, future, id, meta.into()),
        }
    }

    #[track_caller]
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        match self {
            Handle::CurrentThread(h) => current_thread::Handle::block_on(h, self, future),
            Handle::MultiThread(_) => multi_thread::Handle::block_on(self, future),
            Handle::Sim(_) => panic!(
                "cannot `block_on` a simulation's handle: a simulation is driven only by the \
                 `evloop::sim::Builder` that started it; `.await` the future instead"
            ),
        }
    }

    /// The blocking pool of this runtime.
    pub(crate) fn blocking_spawner(&self) -> &blocking::Spawner {
        match self {
            Handle::CurrentThread(h) => &h.blocking_spawner,
            Handle::MultiThread(h) => &h.blocking_spawner,
            Handle::Sim(h) => &h.blocking_spawner,
        }
    }

    /// Runs `func` on the blocking pool.
    pub(crate) fn spawn_blocking<F, R>(
        &self,
        func: F,
        spawned_at: &'static Location<'static>,
    ) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        if let Handle::Sim(h) = self {
            return sim::spawn_blocking(h, func, spawned_at);
        }
        self.blocking_spawner()
            .spawn_blocking(self, func, spawned_at)
    }

    pub(crate) fn num_alive_tasks(&self) -> usize {
        match self {
            Handle::CurrentThread(h) => h.num_alive_tasks(),
            Handle::MultiThread(h) => h.num_alive_tasks(),
            Handle::Sim(h) => h.num_alive_tasks(),
        }
    }

    // ---- observability (metrics, dumps, traces) ----

    pub(crate) fn hooks(&self) -> &Hooks {
        match self {
            Handle::CurrentThread(h) => h.hooks(),
            Handle::MultiThread(h) => h.hooks(),
            Handle::Sim(h) => h.hooks(),
        }
    }

    pub(crate) fn spawned_tasks_count(&self) -> u64 {
        match self {
            Handle::CurrentThread(h) => h.spawned_tasks_count(),
            Handle::MultiThread(h) => h.spawned_tasks_count(),
            Handle::Sim(h) => h.spawned_tasks_count(),
        }
    }

    pub(crate) fn global_queue_depth(&self) -> usize {
        match self {
            Handle::CurrentThread(h) => h.global_queue_depth(),
            Handle::MultiThread(h) => h.global_queue_depth(),
            Handle::Sim(h) => h.global_queue_depth(),
        }
    }

    pub(crate) fn for_each_task(&self, f: &mut dyn FnMut(RawTask)) {
        match self {
            Handle::CurrentThread(h) => h.for_each_task(f),
            Handle::MultiThread(h) => h.for_each_task(f),
            Handle::Sim(h) => h.for_each_task(f),
        }
    }
}
