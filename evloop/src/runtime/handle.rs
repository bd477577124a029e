use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;

use crate::context::{self, SetCurrentGuard, TryCurrentError};
use crate::runtime::scheduler;
use crate::runtime::task::moved::moved;
use crate::runtime::task::{Id, JoinHandle};
use crate::runtime::{Dump, Id as RuntimeId, RuntimeFlavor, RuntimeMetrics};
use crate::task::LocalEnterGuard;
use crate::trace::TraceSnapshot;

/// A cheap, cloneable reference to a runtime: spawn on it, block on it, or
/// make it current, from any thread.
///
/// ```
/// let rt = evloop::runtime::Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// let out = std::thread::spawn(move || handle.block_on(async { 40 + 2 }))
///     .join()
///     .unwrap();
/// assert_eq!(out, 42);
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: scheduler::SchedulerHandle,
}

/// Keeps a runtime current on this thread; see [`Handle::enter`].
#[must_use = "the runtime is current only while the guard lives"]
pub struct EnterGuard<'a> {
    _guard: SetCurrentGuard,
    /// A `LocalRuntime`'s set, current too.
    _local: Option<LocalEnterGuard<'a>>,
    _p: PhantomData<&'a Handle>,
}

impl<'a> EnterGuard<'a> {
    /// Also keeps `local` current (for `LocalRuntime::enter`).
    pub(crate) fn with_local(mut self, local: LocalEnterGuard<'a>) -> EnterGuard<'a> {
        self._local = Some(local);
        self
    }
}

impl Handle {
    /// The I/O driver this runtime runs on: [`IoDriver::Uring`] or
    /// [`IoDriver::Epoll`] (see [`Builder::io_driver`](super::Builder::io_driver));
    /// [`IoDriver::Auto`] for a runtime built without I/O.
    pub fn io_driver(&self) -> super::IoDriver {
        self.inner.driver().io_driver()
    }

    /// The handle of the current runtime.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime; see [`try_current`](Self::try_current).
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(e) => panic!("{e}"),
        }
    }

    /// The handle of the current runtime, or an error outside one.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::with_current(|inner| Handle {
            inner: inner.clone(),
        })
    }

    /// Makes this runtime current on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _guard: context::set_current(&self.inner),
            _local: None,
            _p: PhantomData,
        }
    }

    /// Spawns a task on this runtime.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        moved!(future);
        self.inner.spawn(future, Id::next(), Location::caller())
    }

    /// Runs `func` on this runtime's blocking pool; see
    /// [`task::spawn_blocking`](crate::task::spawn_blocking).
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, func: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.spawn_blocking(func, Location::caller())
    }

    /// Runs `future` to completion on this thread. On the current-thread
    /// runtime this drives the loop exactly like `Runtime::block_on`
    /// (only one thread drives it at a time; others wait, polling their own
    /// future meanwhile).
    ///
    /// # Panics
    ///
    /// Panics if called from a thread already driving a runtime.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.inner.block_on(future)
    }

    /// Number of tasks alive on the runtime (spawned, not yet completed or
    /// cancelled).
    pub fn num_alive_tasks(&self) -> usize {
        self.inner.num_alive_tasks()
    }

    /// The runtime's counters and histograms.
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::new(self.inner.clone())
    }

    /// Which scheduler this runtime runs.
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        match self.inner {
            scheduler::SchedulerHandle::CurrentThread(_) => RuntimeFlavor::CurrentThread,
            scheduler::SchedulerHandle::MultiThread(_) => RuntimeFlavor::MultiThread,
            // A simulation models the multi_thread scheduler's semantics.
            scheduler::SchedulerHandle::Sim(_) => RuntimeFlavor::MultiThread,
        }
    }

    /// This runtime's id: equal for every handle of one runtime, different
    /// between runtimes.
    pub fn id(&self) -> RuntimeId {
        self.inner.hooks().info.id
    }

    /// The name given with [`Builder::name`](crate::runtime::Builder::name),
    /// if any.
    pub fn name(&self) -> Option<&str> {
        self.inner.hooks().info.name.as_deref()
    }

    /// Every live task: id, name, spawn site, state, time since its last
    /// poll. `Display` prints it as a readable list. See [`Dump`].
    pub fn dump(&self) -> Dump {
        Dump::collect(|f| self.inner.for_each_task(f))
    }

    /// What the trace recorder holds so far; `None` if recording is off
    /// (see [`Builder::trace`](crate::runtime::Builder::trace)).
    pub fn trace_snapshot(&self) -> Option<TraceSnapshot> {
        self.inner.hooks().trace_snapshot()
    }

    /// Writes what the trace recorder holds so far to its output file
    /// (a timeline page or Chrome JSON, as at the runtime's drop); the way
    /// to write a flight recording
    /// ([`TraceConfig::flight`](crate::trace::TraceConfig::flight)) on
    /// demand. `None` if recording is off or has no output file.
    pub fn write_trace(&self) -> Option<std::io::Result<()>> {
        self.inner.hooks().write_trace()
    }
}

// A handle is shared state behind `Arc`s whose invariants a caught panic
// cannot break (every lock recovers from poisoning), as tokio's is.
impl std::panic::UnwindSafe for Handle {}
impl std::panic::RefUnwindSafe for Handle {}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("inner", &self.inner)
            .finish()
    }
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}
