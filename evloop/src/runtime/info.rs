//! What identifies a runtime: its [`Id`], its name, its [`RuntimeFlavor`];
//! the park callbacks its builder was given; and
//! [`is_rt_shutdown_err`].

use std::fmt;
use std::io;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// An opaque identifier of a runtime (or a `LocalSet`), unique among those
/// this process created; from [`Handle::id`](crate::runtime::Handle::id).
///
/// ```
/// let a = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// let b = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// assert_ne!(a.handle().id(), b.handle().id());
/// assert_eq!(a.handle().id(), a.handle().clone().id());
/// ```
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq)]
pub struct Id(NonZeroU64);

impl Id {
    /// A fresh id.
    pub(crate) fn next() -> Id {
        // std's atomic even under loom (a loom atomic cannot be a static):
        // a process-wide counter, not a protocol between threads.
        static NEXT: AtomicU64 = AtomicU64::new(1);
        // Relaxed: only uniqueness matters. 2^64 ids never wrap to 0.
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Id(NonZeroU64::new(n).expect("runtime ids do not wrap"))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which scheduler a runtime runs; from
/// [`Handle::runtime_flavor`](crate::runtime::Handle::runtime_flavor).
///
/// ```
/// use evloop::runtime::{Handle, RuntimeFlavor};
///
/// #[evloop::main(flavor = "current_thread")]
/// async fn main() {
///     assert_eq!(Handle::current().runtime_flavor(), RuntimeFlavor::CurrentThread);
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// Every task runs on the thread that drives the runtime
    /// (`Builder::new_current_thread`, and `LocalRuntime`).
    CurrentThread,
    /// Tasks run on a pool of work-stealing worker threads
    /// (`Builder::new_multi_thread`).
    MultiThread,
}

/// Whether `err` is the error of an I/O operation that failed because the
/// runtime that drove its resource has shut down (the resource outlived
/// its runtime, say a socket moved to another runtime).
///
/// ```
/// let rt1 = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let listener = rt1.block_on(evloop::net::TcpListener::bind("127.0.0.1:0")).unwrap();
/// drop(rt1);
///
/// let rt2 = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let err = rt2.block_on(listener.accept()).unwrap_err();
/// assert!(evloop::runtime::is_rt_shutdown_err(&err));
/// assert!(!evloop::runtime::is_rt_shutdown_err(&std::io::Error::other("x")));
/// ```
pub fn is_rt_shutdown_err(err: &io::Error) -> bool {
    crate::util::shutdown_error::is_runtime_shutdown(err)
}

/// The index of the worker this thread runs, as the `worker_*` methods of
/// [`RuntimeMetrics`](crate::runtime::RuntimeMetrics) number them; `None`
/// outside a worker (a blocking-pool thread, the thread inside a
/// multi-thread runtime's `block_on`, a thread of no runtime). The thread
/// driving a current-thread runtime is worker 0. A task may move between
/// workers at each `.await`.
///
/// ```
/// let rt = evloop::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
/// let index = rt.block_on(rt.spawn(async { evloop::runtime::worker_index() })).unwrap();
/// assert!(index.is_some_and(|i| i < 2));
/// assert_eq!(rt.block_on(async { evloop::runtime::worker_index() }), None);
/// assert_eq!(evloop::runtime::worker_index(), None);
/// ```
pub fn worker_index() -> Option<usize> {
    crate::context::with_scheduler(|cx| cx.and_then(|cx| cx.worker_index()))
}

/// A callback the builder was given (`on_thread_park`, ...).
pub(crate) type Callback = Arc<dyn Fn() + Send + Sync + 'static>;

/// A runtime's identity and its park callbacks, kept with its hooks
/// (`metrics::Hooks::info`), which both schedulers share.
#[derive(Clone)]
pub(crate) struct Info {
    pub(crate) id: Id,
    pub(crate) name: Option<String>,
    /// Run on a worker thread just before it blocks in the driver.
    pub(crate) on_park: Option<Callback>,
    /// Run on a worker thread just after it comes back from the driver.
    pub(crate) on_unpark: Option<Callback>,
}

impl Default for Info {
    fn default() -> Info {
        Info {
            id: Id::next(),
            name: None,
            on_park: None,
            on_unpark: None,
        }
    }
}

impl fmt::Debug for Info {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Info")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
