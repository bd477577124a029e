//! The `io::Error` of an operation that failed because its runtime shut
//! down, recognised by `runtime::is_rt_shutdown_err`.

use std::error::Error;
use std::fmt;
use std::io;

/// The payload of every such error: its type, not its text, is what
/// `is_rt_shutdown_err` looks for.
#[derive(Debug)]
pub(crate) struct RuntimeShutdown(&'static str);

impl fmt::Display for RuntimeShutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Error for RuntimeShutdown {}

/// An `io::Error` (kind `Other`) saying `what` could not run because the
/// runtime shut down.
pub(crate) fn runtime_shutdown(what: &'static str) -> io::Error {
    io::Error::other(RuntimeShutdown(what))
}

/// Whether `err` was made by [`runtime_shutdown`].
pub(crate) fn is_runtime_shutdown(err: &io::Error) -> bool {
    err.get_ref()
        .is_some_and(|inner| inner.downcast_ref::<RuntimeShutdown>().is_some())
}
