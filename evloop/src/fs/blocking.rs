//! From a blocking `std` call to a future: run it on the blocking pool.

use std::io;

use crate::task::spawn_blocking;

use crate::runtime::task::JoinError;

/// Runs `f` on the blocking pool and returns its result.
///
/// A panic in `f` is resumed in the awaiting task (as if `f` had run
/// inline); a closure cancelled because the runtime shut down before it
/// started gives an `io::Error`.
pub(crate) async fn asyncify<F, T>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    // Inside a simulation with fs faults on: a seeded injected error.
    if let Some(e) = crate::sim::fs_error(false) {
        return Err(e);
    }
    match spawn_blocking(f).await {
        Ok(res) => res,
        Err(e) => Err(join_error(e)),
    }
}

/// The `io::Error` of a blocking file operation that did not run; resumes
/// the panic if it panicked.
pub(crate) fn join_error(e: JoinError) -> io::Error {
    if e.is_panic() {
        std::panic::resume_unwind(e.into_panic());
    }
    crate::util::shutdown_error::runtime_shutdown(
        "the runtime shut down before the file operation ran",
    )
}
