use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::runtime::scheduler;
use crate::runtime::{EnterGuard, Handle};
use crate::task::JoinHandle;

/// The runtime: a scheduler, its drivers (reactor, timers) and its tasks.
///
/// Build one with [`Builder`](crate::runtime::Builder), or let
/// `#[evloop::main]` do it. Dropping the runtime cancels every task it still
/// owns (their destructors run on the dropping thread, with this runtime
/// current), fires every timer with a shutdown error and closes every I/O
/// resource it registered. Then it cancels `spawn_blocking` closures that
/// have not started and waits, without a limit, for those that have (see
/// [`shutdown_timeout`](Self::shutdown_timeout) to bound the wait).
///
/// ```
/// let rt = evloop::runtime::Builder::new_current_thread()
///     .enable_all()
///     .build()
///     .unwrap();
/// let handle = rt.spawn(async { 7 });
/// assert_eq!(rt.block_on(handle).unwrap(), 7);
/// ```
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
            scheduler::Handle::CurrentThread(h) => {
                crate::runtime::scheduler::current_thread::Handle::shutdown(h, &self.handle.inner)
            }
            scheduler::Handle::MultiThread(h) => {
                // Only the first call waits (`shutdown_timeout` then drop);
                // a worker dropping its own runtime cannot wait for itself.
                if h.shutdown() && !h.is_current_worker() {
                    h.wait_for_workers(timeout);
                }
            }
        }
        self.handle.inner.blocking_spawner().shutdown(timeout);
    }
}

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
