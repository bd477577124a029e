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
/// resource it registered.
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
}

impl Runtime {
    pub(crate) fn from_parts(handle: Handle) -> Runtime {
        Runtime { handle }
    }

    /// A runtime with every driver enabled (the multi-thread flavour once
    /// available; today the current-thread one).
    ///
    /// # Errors
    ///
    /// As [`Builder::build`](crate::runtime::Builder::build).
    pub fn new() -> std::io::Result<Runtime> {
        crate::runtime::Builder::new_current_thread()
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

    /// Shuts the runtime down, waiting at most `duration` for blocking work
    /// to finish. Tasks are cancelled as on drop.
    pub fn shutdown_timeout(self, duration: Duration) {
        let _ = duration;
        drop(self);
    }

    /// Shuts the runtime down without waiting for blocking work.
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        match &self.handle.inner {
            scheduler::Handle::CurrentThread(h) => {
                crate::runtime::scheduler::current_thread::Handle::shutdown(h, &self.handle.inner)
            }
        }
        // Stop the stall watchdog; write the trace file if one was asked for.
        self.handle.inner.hooks().finish();
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .finish()
    }
}
