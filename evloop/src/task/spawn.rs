use std::future::Future;
use std::panic::Location;

use crate::context;
use crate::task::{Id, JoinHandle};

/// Spawns a task on the current runtime and returns its [`JoinHandle`].
///
/// The task starts running without being awaited; dropping the handle
/// detaches it.
///
/// # Panics
///
/// Panics if called outside a runtime (not from a task, not inside
/// `block_on`, not after `Runtime::enter`); the message names the caller's
/// line.
///
/// ```
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let handles: Vec<_> = (0..10u64).map(|i| evloop::spawn(async move { i * i })).collect();
/// let mut sum = 0;
/// for h in handles {
///     sum += h.await.unwrap();
/// }
/// assert_eq!(sum, 285);
/// # }
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let location = Location::caller();
    spawn_inner(future, location)
}

pub(crate) fn spawn_inner<F>(
    future: F,
    location: &'static Location<'static>,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let id = Id::next();
    match context::with_current(|handle| handle.spawn(future, id, location)) {
        Ok(join) => join,
        Err(e) => panic!("`spawn` called at {location}: {e}"),
    }
}
