//! Asynchronous signal handling: [`ctrl_c`] and [`unix::signal`].
//!
//! The first listener of a signal installs a process-wide handler for it
//! (it is never uninstalled: after that, the signal's default action —
//! e.g. terminating on SIGINT — no longer happens). See `registry.rs` for
//! how a signal travels from the handler to the listeners.

mod ctrl_c;
mod errno;
mod registry;
pub mod unix;

pub use ctrl_c::ctrl_c;
