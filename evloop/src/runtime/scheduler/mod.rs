//! The schedulers behind one handle.
//!
//! `SchedulerHandle` is what the thread-local context stores and what `spawn` uses;
//! `SchedulerContext` is the per-thread state of a running scheduler loop, installed
//! with `context::set_scheduler` so wakes can find their local queue.

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use crate::runtime::blocking;
use crate::runtime::drivers;
use crate::runtime::metrics::Hooks;
use crate::runtime::task::moved::Moved;
use crate::runtime::task::{Id, JoinHandle, RawTask, SpawnMeta};

mod countdown;
pub(crate) mod current_thread;
pub(crate) mod multi_thread;
pub(crate) mod sim;

pub(crate) use countdown::countdown_due;

#[derive(Debug, Clone)]
pub(crate) enum SchedulerHandle {
    CurrentThread(Arc<current_thread::CurrentThreadHandle>),
    MultiThread(Arc<multi_thread::MultiThreadHandle>),
    /// A deterministic simulation (`evloop::sim`).
    Sim(Arc<sim::SimHandle>),
}

pub(crate) enum SchedulerContext {
    CurrentThread(current_thread::CurrentThreadContext),
    MultiThread(multi_thread::WorkerContext),
    /// Boxed: the simulation's core is large, and this enum sits on the
    /// stack of every scheduler loop.
    Sim(Box<sim::SimContext>),
}

impl SchedulerContext {
    /// `runtime::worker_index`: the current-thread loop is worker 0 on the
    /// thread that runs it (the only one with its context set).
    pub(crate) fn worker_index(&self) -> Option<usize> {
        match self {
            SchedulerContext::CurrentThread(_) => Some(0),
            SchedulerContext::MultiThread(cx) => cx.worker_index(),
            SchedulerContext::Sim(cx) => cx.with_core(|c| c.running.map(|(w, _)| w)).flatten(),
        }
    }
}

impl SchedulerHandle {
    #[allow(dead_code)] // read by the time and I/O resources
    pub(crate) fn driver(&self) -> &drivers::DriverHandle {
        match self {
            SchedulerHandle::CurrentThread(h) => &h.driver,
            SchedulerHandle::MultiThread(h) => &h.driver,
            SchedulerHandle::Sim(h) => &h.driver,
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
            SchedulerHandle::CurrentThread(h) => {
                current_thread::CurrentThreadHandle::spawn(h, future, id, meta.into())
            }
            SchedulerHandle::MultiThread(h) => {
                multi_thread::MultiThreadHandle::spawn(h, future, id, meta.into())
            }
            SchedulerHandle::Sim(h) => sim::SimHandle::spawn(h, future, id, meta.into()),
        }
    }

    #[track_caller]
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        match self {
            SchedulerHandle::CurrentThread(h) => {
                current_thread::CurrentThreadHandle::block_on(h, self, future)
            }
            SchedulerHandle::MultiThread(_) => {
                multi_thread::MultiThreadHandle::block_on(self, future)
            }
            SchedulerHandle::Sim(_) => panic!(
                "cannot `block_on` a simulation's handle: a simulation is driven only by the \
                 `evloop::sim::Builder` that started it; `.await` the future instead"
            ),
        }
    }

    /// The blocking pool of this runtime.
    pub(crate) fn blocking_spawner(&self) -> &blocking::Spawner {
        match self {
            SchedulerHandle::CurrentThread(h) => &h.blocking_spawner,
            SchedulerHandle::MultiThread(h) => &h.blocking_spawner,
            SchedulerHandle::Sim(h) => &h.blocking_spawner,
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
        if let SchedulerHandle::Sim(h) = self {
            return sim::spawn_blocking(h, func, spawned_at);
        }
        self.blocking_spawner()
            .spawn_blocking(self, func, spawned_at)
    }

    pub(crate) fn num_alive_tasks(&self) -> usize {
        match self {
            SchedulerHandle::CurrentThread(h) => h.num_alive_tasks(),
            SchedulerHandle::MultiThread(h) => h.num_alive_tasks(),
            SchedulerHandle::Sim(h) => h.num_alive_tasks(),
        }
    }

    // ---- observability (metrics, dumps, traces) ----

    pub(crate) fn hooks(&self) -> &Hooks {
        match self {
            SchedulerHandle::CurrentThread(h) => h.hooks(),
            SchedulerHandle::MultiThread(h) => h.hooks(),
            SchedulerHandle::Sim(h) => h.hooks(),
        }
    }

    pub(crate) fn spawned_tasks_count(&self) -> u64 {
        match self {
            SchedulerHandle::CurrentThread(h) => h.spawned_tasks_count(),
            SchedulerHandle::MultiThread(h) => h.spawned_tasks_count(),
            SchedulerHandle::Sim(h) => h.spawned_tasks_count(),
        }
    }

    pub(crate) fn global_queue_depth(&self) -> usize {
        match self {
            SchedulerHandle::CurrentThread(h) => h.global_queue_depth(),
            SchedulerHandle::MultiThread(h) => h.global_queue_depth(),
            SchedulerHandle::Sim(h) => h.global_queue_depth(),
        }
    }

    pub(crate) fn for_each_task(&self, f: &mut dyn FnMut(RawTask)) {
        match self {
            SchedulerHandle::CurrentThread(h) => h.for_each_task(f),
            SchedulerHandle::MultiThread(h) => h.for_each_task(f),
            SchedulerHandle::Sim(h) => h.for_each_task(f),
        }
    }
}
