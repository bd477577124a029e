use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::runtime::scheduler;
use crate::runtime::task::JoinHandle;
use crate::runtime::{EnterGuard, Handle};

/// The runtime: a scheduler, its drivers (reactor, timers) and its tasks.
///
/// Build one with [`Builder`](crate::runtime::Builder), or let
/// `#[evloop::main]` do it.
///
/// ```
/// let rt = evloop::runtime::Builder::new_current_thread()
///     .enable_all()
///     .build()
///     .unwrap();
/// let handle = rt.spawn(async { 7 });
/// assert_eq!(rt.block_on(handle).unwrap(), 7);
/// ```
///
/// # Drop
///
/// Dropping the runtime cancels every task it still owns, fires every timer
/// with a shutdown error and closes every I/O resource it registered. On
/// the current-thread runtime the tasks' destructors run on the dropping
/// thread, with this runtime current; on the multi-thread runtime they run
/// on the worker threads, which the drop waits for. Then it cancels
/// `spawn_blocking` closures that have not started and waits, without a
/// limit, for those that have (see
/// [`shutdown_timeout`](Self::shutdown_timeout) to bound the wait).
///
/// Where the drop happens matters:
///
/// - **On one of its own blocking-pool threads** (inside a `spawn_blocking`
///   closure): as above, except that the drop does not wait for the closure
///   it runs in; that thread exits once the closure returns.
/// - **Inside one of its own tasks, multi-thread runtime**: the drop starts
///   the shutdown and returns without waiting for the workers (one of them
///   is the caller); they cancel the remaining tasks and exit once the
///   calling task's poll ends.
/// - **Inside its own loop, current-thread runtime** (in one of its tasks,
///   a `LocalSet` task it drives, or the future given to `block_on`): the
///   drop **panics**. The thread holds the scheduler that the shutdown must
///   stop, so the drop could only wait for itself. Drop the runtime after
///   `block_on` has returned, or on another thread. (Inside a task the
///   panic ends that task with a panic [`JoinError`](crate::task::JoinError);
///   the runtime is then not shut down.)
/// - **While another thread drives the current-thread loop** (inside
///   [`Handle::block_on`]): the drop waits for that `block_on` to return,
///   since the shutdown needs the loop. So that `block_on` must not itself
///   wait for the dropping thread (say, for the `spawn_blocking` closure
///   that drops the runtime): that is a deadlock between the two threads.
/// - **From a thread-local's destructor** at thread exit: a normal shutdown.
///   If evloop's own thread-local is already gone by then, the runtime is
///   not made current while its tasks are dropped, so a destructor that
///   looks for the current runtime finds none.
///
/// Calling [`block_on`](Self::block_on) on a thread that is already driving
/// a runtime panics rather than deadlocking.
pub struct Runtime {
    handle: Handle,
    is_shutdown: bool,
}

impl Runtime {
    pub(crate) fn from_parts(handle: Handle) -> Runtime {
        Runtime {
            handle,
            is_shutdown: false,
        }
    }

    /// A multi-thread runtime with every driver enabled and one worker
    /// thread per CPU core.
    ///
    /// # Errors
    ///
    /// As [`Builder::build`](crate::runtime::Builder::build).
    pub fn new() -> std::io::Result<Runtime> {
        crate::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    }

    /// Runs `future` to completion on this thread, driving the runtime's
    /// tasks, timers and I/O while it waits. This is the loop.
    ///
    /// # Panics
    ///
    /// Panics if called from a thread that is already driving a runtime
    /// (inside a task or another `block_on`): use `.await` there.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.inner.block_on(future)
    }

    /// Spawns a task on this runtime from any thread.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs `func` on this runtime's blocking pool; see
    /// [`task::spawn_blocking`](crate::task::spawn_blocking).
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, func: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(func)
    }

    /// The runtime's counters; see [`Handle::metrics`].
    pub fn metrics(&self) -> crate::runtime::RuntimeMetrics {
        self.handle.metrics()
    }

    /// What the trace recorder holds so far; `None` if recording is off.
    /// See [`crate::trace`].
    pub fn trace_snapshot(&self) -> Option<crate::trace::TraceSnapshot> {
        self.handle.trace_snapshot()
    }

    /// A handle to this runtime.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Makes this runtime current on this thread until the guard drops, so
    /// that `spawn`, `sleep` and sockets created outside a task find it.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Shuts the runtime down, waiting at most `duration` for its threads.
    ///
    /// Tasks are cancelled as on drop (on the multi-thread runtime they are
    /// dropped on the worker threads, possibly after this returns; a task
    /// stuck in a long poll delays its worker), and so are `spawn_blocking`
    /// closures that have not started yet.
    ///
    /// A blocking closure still running when `duration` has passed is left to
    /// finish on its thread, which exits afterwards; its result is dropped
    /// (the tasks that could await it were cancelled). Dropping the runtime
    /// instead waits for such closures without a limit.
    ///
    /// Where it may be called is as for a drop (see [`Runtime`]): on the
    /// current-thread runtime it panics inside the runtime's own loop.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let rt = evloop::runtime::Runtime::new().unwrap();
    /// rt.spawn_blocking(|| std::thread::sleep(Duration::from_millis(500)));
    /// let start = Instant::now();
    /// rt.shutdown_timeout(Duration::from_millis(10));
    /// assert!(start.elapsed() < Duration::from_millis(500));
    /// ```
    pub fn shutdown_timeout(mut self, duration: Duration) {
        self.shutdown(Some(duration));
    }

    /// Shuts the runtime down without waiting for its worker threads or
    /// blocking work; see [`shutdown_timeout`](Self::shutdown_timeout).
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO)
    }

    /// Cancels every task, stops the workers, then shuts the blocking pool
    /// down; only the first call does anything.
    fn shutdown(&mut self, timeout: Option<Duration>) {
        if std::mem::replace(&mut self.is_shutdown, true) {
            return;
        }
        match &self.handle.inner {
            scheduler::SchedulerHandle::CurrentThread(h) => {
                crate::runtime::scheduler::current_thread::CurrentThreadHandle::shutdown(
                    h,
                    &self.handle.inner,
                )
            }
            // A simulation shuts down at the end of its run, not here.
            scheduler::SchedulerHandle::Sim(_) => {}
            scheduler::SchedulerHandle::MultiThread(h) => {
                // Only the first call waits (`shutdown_timeout` then drop);
                // a worker dropping its own runtime cannot wait for itself.
                if h.shutdown() && !h.is_current_worker() {
                    h.wait_for_workers(timeout);
                }
            }
        }
        self.handle.inner.blocking_spawner().shutdown(timeout);
        // Stop the stall watchdog; write the trace file if one was asked for.
        self.handle.inner.hooks().finish();
    }
}

// As for `Handle`: shared state whose invariants a caught panic cannot
// break.
impl std::panic::UnwindSafe for Runtime {}
impl std::panic::RefUnwindSafe for Runtime {}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .finish()
    }
}
