use std::panic::Location;

use crate::context;
use crate::runtime::task::JoinHandle;

/// Runs a blocking closure on the runtime's blocking pool and returns a
/// [`JoinHandle`] of its result.
///
/// Use it for work that would stall the event loop: synchronous file or
/// database calls, blocking library calls, long computations. The thread
/// that polls tasks keeps serving them while the closure runs on a pool
/// thread. Pool threads start on demand up to
/// [`Builder::max_blocking_threads`](crate::runtime::Builder::max_blocking_threads)
/// and exit after
/// [`Builder::thread_keep_alive`](crate::runtime::Builder::thread_keep_alive)
/// without work. Inside the closure the runtime is current, so
/// [`Handle::current`](crate::runtime::Handle::current) works (and
/// `Handle::block_on` can wait on async work).
///
/// - A panic in the closure becomes a [`JoinError`](crate::task::JoinError)
///   for which `is_panic()` is true.
/// - [`JoinHandle::abort`] cancels the closure only if no thread has picked
///   it up yet; a closure that started always runs to completion. Dropping
///   the handle detaches it.
/// - When the runtime shuts down, closures not yet started are cancelled;
///   running ones are waited for (see
///   [`Runtime::shutdown_timeout`](crate::runtime::Runtime::shutdown_timeout)).
///   A closure spawned after shutdown is cancelled at once.
///
/// # Panics
///
/// Panics if called outside a runtime; the message names the caller's line.
///
/// ```
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let digest = evloop::task::spawn_blocking(|| {
///     // Pretend this is expensive.
///     (1..=20u64).product::<u64>()
/// })
/// .await
/// .unwrap();
/// assert_eq!(digest, 2_432_902_008_176_640_000);
/// # }
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(func: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let location = Location::caller();
    match context::with_current(|handle| handle.spawn_blocking(func, location)) {
        Ok(join) => join,
        Err(e) => panic!("`spawn_blocking` called at {location}: {e}"),
    }
}
