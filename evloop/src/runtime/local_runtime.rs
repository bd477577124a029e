//! [`LocalRuntime`]: a current-thread runtime that runs `!Send` tasks
//! without a separate `LocalSet`.
//!
//! It is a current-thread [`Runtime`] paired with a [`LocalSet`]: `block_on`
//! drives both, so `task::spawn_local` works anywhere inside it, and
//! [`LocalRuntime::spawn_local`] queues a task from outside that runs once
//! `block_on` is called. The type is `!Send`: its local tasks belong to the
//! thread that made it.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use crate::runtime::{Builder, EnterGuard, Handle, Runtime};
use crate::task::{JoinHandle, LocalSet};

/// A current-thread runtime on which `spawn_local` needs no `LocalSet`.
///
/// ```
/// use std::rc::Rc;
///
/// let rt = evloop::runtime::LocalRuntime::new().unwrap();
/// let shared = Rc::new(5);
/// let task = rt.spawn_local({
///     let shared = shared.clone();
///     async move { *shared * 2 }
/// });
/// let sum = rt.block_on(async move {
///     let inner = evloop::task::spawn_local(async move { *shared + 1 });
///     task.await.unwrap() + inner.await.unwrap()
/// });
/// assert_eq!(sum, 16);
/// ```
pub struct LocalRuntime {
    // Drops first: the local tasks go before the runtime they ran on.
    local: LocalSet,
    rt: Runtime,
    _not_send: PhantomData<*const ()>,
}

impl LocalRuntime {
    /// A local runtime with every driver enabled.
    ///
    /// # Errors
    ///
    /// As [`Builder::build`].
    pub fn new() -> std::io::Result<LocalRuntime> {
        Builder::new_current_thread()
            .enable_all()
            .build()
            .map(LocalRuntime::from_runtime)
    }

    /// Wraps a current-thread runtime built with a [`Builder`].
    pub(crate) fn from_runtime(rt: Runtime) -> LocalRuntime {
        LocalRuntime {
            local: LocalSet::new(),
            rt,
            _not_send: PhantomData,
        }
    }

    /// A handle to the runtime, for spawning `Send` tasks from anywhere.
    pub fn handle(&self) -> &Handle {
        self.rt.handle()
    }

    /// Spawns a `!Send` task on this runtime. It runs while `block_on` runs.
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.local.spawn_local(future)
    }

    /// Spawns a `Send` task, as [`Runtime::spawn`].
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.rt.spawn(future)
    }

    /// Runs `func` on the blocking pool, as [`Runtime::spawn_blocking`].
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, func: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.rt.spawn_blocking(func)
    }

    /// Runs `future` to completion on this thread, driving the runtime and
    /// its local tasks; inside it, `task::spawn_local` spawns here.
    ///
    /// # Panics
    ///
    /// As [`Runtime::block_on`].
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.local.block_on(&self.rt, future)
    }

    /// Makes this runtime current on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.rt.enter()
    }

    /// Shuts down, waiting at most `duration` for blocking work; see
    /// [`Runtime::shutdown_timeout`].
    pub fn shutdown_timeout(self, duration: Duration) {
        let LocalRuntime { local, rt, .. } = self;
        drop(local);
        rt.shutdown_timeout(duration);
    }

    /// Shuts down without waiting; see [`Runtime::shutdown_background`].
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO)
    }
}

impl fmt::Debug for LocalRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalRuntime").finish_non_exhaustive()
    }
}
