use std::future::Future;
use std::panic::Location;

use crate::context;
use crate::runtime::task::moved::moved;
use crate::runtime::task::SpawnMeta;
use crate::runtime::task::{Id, JoinHandle};

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
#[inline]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let location = Location::caller();
    spawn_inner(future, location)
}

#[track_caller]
#[inline]
pub(crate) fn spawn_inner<F>(
    future: F,
    location: &'static Location<'static>,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match try_spawn(future, location.into()) {
        Ok(join) => join,
        Err(e) => panic!("`spawn` called at {location}: {e}"),
    }
}

/// Spawns on the current runtime, or says why there is none.
#[inline]
pub(crate) fn try_spawn<F>(
    future: F,
    meta: SpawnMeta<'_>,
) -> Result<JoinHandle<F::Output>, context::TryCurrentError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // A task spawned by a simulated host's code belongs to that host
    // (`sim::net::host`, rule 1); elsewhere this is one thread-local load.
    if let Some(host) = crate::sim::net::host::current() {
        return try_spawn_in_host(host, future, meta);
    }
    try_spawn_plain(future, meta)
}

#[inline]
fn try_spawn_plain<F>(
    future: F,
    meta: SpawnMeta<'_>,
) -> Result<JoinHandle<F::Output>, context::TryCurrentError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    moved!(future);
    let id = Id::next();
    context::with_current(|handle| handle.spawn(future, id, meta))
}

/// Spawns `future` as a task of the simulated `host`: polled with the host
/// current, aborted when the host crashes.
#[cold]
#[inline(never)]
fn try_spawn_in_host<F>(
    host: std::sync::Arc<crate::sim::net::host::HostCtx>,
    future: F,
    meta: SpawnMeta<'_>,
) -> Result<JoinHandle<F::Output>, context::TryCurrentError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let scoped = crate::sim::net::host::Scoped::new(host.clone(), future);
    let join = try_spawn_plain(scoped, meta)?;
    host.track(join.abort_handle());
    Ok(join)
}
