//! `LocalRuntime`: a current-thread runtime that also runs `!Send` tasks.
//!
//! # Design
//!
//! A `LocalRuntime` is a current-thread [`Runtime`] and a [`LocalSet`] it
//! owns, both pinned to the thread that built them (the type is `!Send`):
//!
//! 1. `block_on` makes the set current for the whole call, not only while
//!    the set is polled, so `task::spawn_local` works from every task the
//!    loop polls (its `Send` tasks too: they run on this thread), and
//!    drives the set's tasks with `LocalSet::run_until` around the
//!    future.
//! 2. `!Send` tasks run when the loop polls the set, that is inside
//!    `block_on`, like every task of a current-thread runtime.
//! 3. On shutdown the set's tasks are cancelled first, with the runtime
//!    current (their destructors may use its timers and sockets), then
//!    the runtime shuts down as a `Runtime` does.
//!
//! The alternative, a scheduler that can own `!Send` tasks itself, would
//! put a second kind of task into the current-thread loop's queues and
//! shutdown; the set already has the one rule that matters (its tasks are
//! polled only on the owning thread), so it is reused.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use crate::runtime::task::JoinHandle;
use crate::runtime::{Builder, EnterGuard, Handle, Runtime, RuntimeMetrics};
use crate::task::LocalSet;

/// Options of [`Builder::build_local`]. There are none yet; the type keeps
/// the signature stable for those to come.
#[derive(Debug, Default, Clone)]
#[non_exhaustive]
pub struct LocalOptions {
    // `!Send`, like the runtime it configures.
    _not_send: PhantomData<*const ()>,
}

/// A runtime whose tasks all run on the thread that created it, including
/// `!Send` ones: [`spawn_local`](Self::spawn_local) and
/// [`task::spawn_local`](crate::task::spawn_local) work anywhere inside it,
/// without a [`LocalSet`].
///
/// It is a current-thread runtime (`Handle::runtime_flavor` says
/// `CurrentThread`); `evloop::spawn` and [`Handle`]s work on it as on any
/// runtime, from any thread. The `LocalRuntime` itself cannot leave its
/// thread.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// let rt = evloop::runtime::LocalRuntime::new().unwrap();
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let l = log.clone();
/// rt.block_on(async move {
///     let inner = l.clone();
///     evloop::task::spawn_local(async move { inner.borrow_mut().push(1) })
///         .await
///         .unwrap();
///     l.borrow_mut().push(2);
/// });
/// assert_eq!(*log.borrow(), [1, 2]);
/// ```
///
/// `#[evloop::main(flavor = "local")]` and `#[evloop::test(flavor = "local")]`
/// run their body on one.
pub struct LocalRuntime {
    /// `None` only during `shutdown_*` (rule 3).
    rt: Option<Runtime>,
    local: LocalSet,
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
            .build_local(LocalOptions::default())
    }

    pub(crate) fn from_runtime(rt: Runtime, _options: LocalOptions) -> LocalRuntime {
        LocalRuntime {
            rt: Some(rt),
            local: LocalSet::new(),
        }
    }

    fn rt(&self) -> &Runtime {
        self.rt
            .as_ref()
            .expect("the runtime is only taken by shutdown")
    }

    /// A handle to the runtime; it spawns `Send` tasks, from any thread.
    pub fn handle(&self) -> &Handle {
        self.rt().handle()
    }

    /// Spawns a task, which need not be `Send`, on this runtime. It runs
    /// inside [`block_on`](Self::block_on), on this thread.
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.local.spawn_local(future)
    }

    /// Runs `func` on the blocking pool; see
    /// [`task::spawn_blocking`](crate::task::spawn_blocking).
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, func: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.rt().spawn_blocking(func)
    }

    /// Runs `future` to completion, driving every task of the runtime,
    /// `!Send` ones included (rules 1 and 2).
    ///
    /// # Panics
    ///
    /// If this thread already drives a runtime (inside a task or another
    /// `block_on`).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _local = self.local.enter();
        self.rt().block_on(self.local.run_until(future))
    }

    /// Makes the runtime current on this thread until the guard drops:
    /// `evloop::spawn`, `task::spawn_local`, timers and sockets find it.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.rt().enter().with_local(self.local.enter())
    }

    /// The runtime's counters; see [`Handle::metrics`].
    pub fn metrics(&self) -> RuntimeMetrics {
        self.rt().metrics()
    }

    /// Shuts down as [`Runtime::shutdown_timeout`], after cancelling the
    /// `!Send` tasks (rule 3).
    pub fn shutdown_timeout(mut self, duration: Duration) {
        self.cancel_local_tasks();
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(duration);
        }
    }

    /// Shuts down without waiting; see [`Runtime::shutdown_background`].
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO)
    }

    /// Rule 3: the set's tasks go first, with the runtime current.
    fn cancel_local_tasks(&self) {
        if let Some(rt) = &self.rt {
            let _enter = rt.enter();
            self.local.shutdown();
        }
    }
}

impl Drop for LocalRuntime {
    fn drop(&mut self) {
        self.cancel_local_tasks();
    }
}

impl fmt::Debug for LocalRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalRuntime")
            .field("runtime", &self.rt)
            .field("local", &self.local)
            .finish()
    }
}
