//! evloop: an async runtime for Rust.
//!
//! An `async fn` returns a future that does nothing until something polls it.
//! evloop is that something: it turns futures into *tasks*, keeps the ready
//! ones in a run queue, polls them one at a time, and when no task is ready it
//! parks the thread on the operating system (epoll) until a socket becomes
//! ready or a timer expires. Whatever the task was waiting on then calls its
//! `Waker`, which puts the task back in the queue — the continuation of the
//! `.await`.
//!
//! Two flavours of runtime share the task cell, the timers and the reactor:
//!
//! - **current_thread**: one thread, one queue, one loop (the JavaScript/Node
//!   model);
//! - **multi_thread**: worker threads with local queues and work stealing (the
//!   Go model).
//!
//! The public API follows tokio's module paths and names, so that moving a
//! program over is mostly a change of imports.
//!
//! ```
//! use std::time::Duration;
//!
//! #[evloop::main(flavor = "current_thread")]
//! async fn main() {
//!     let handle = evloop::spawn(async {
//!         evloop::time::sleep(Duration::from_millis(10)).await;
//!         6 * 7
//!     });
//!     assert_eq!(handle.await.unwrap(), 42);
//! }
//! ```
//!
//! # Cargo features
//!
//! None is on by default.
//!
//! - `hyper`: the `evloop::hyper` module — an I/O wrapper, an executor and
//!   a timer that let hyper 1.x servers and clients run on evloop with no
//!   glue.
//! - `futures-io`: evloop's sockets, their halves, files, pipes, stdio and
//!   buffered wrappers implement `futures_io::AsyncRead` / `AsyncWrite` /
//!   `AsyncBufRead`, so crates built on the `futures` I/O traits
//!   (async-tungstenite, futures-rustls, `futures::io`) take them directly.
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![warn(missing_debug_implementations, missing_docs, rust_2018_idioms)]

pub(crate) mod loom;

#[macro_use]
mod macros;

pub(crate) mod context;
pub(crate) mod coop;
pub(crate) mod thread_state;

pub mod fs;
#[cfg(feature = "futures-io")]
mod futures_io;
#[cfg(feature = "hyper")]
pub mod hyper;
pub mod io;
pub mod net;
pub mod process;
pub mod runtime;
pub mod signal;
pub mod sim;
pub mod sync;
pub mod task;
pub mod time;
pub mod trace;

mod util;

#[cfg(any(all(test, not(loom)), feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzz;

pub use evloop_macros::{main, test};
pub use task::spawn;

#[doc(hidden)]
pub mod __private {
    //! Items used by the macros; not part of the public API.
    pub use crate::coop::{consume_one, poll_budget_available};
    pub use crate::macros::maybe_done::{MaybeDone, TryMaybeDone};
    pub use crate::macros::select_output::SelectOutput;
    pub use crate::runtime::Builder;
    pub use crate::util::rand::thread_rng_n;
    pub use core::future::{poll_fn, Future, IntoFuture};
    pub use core::pin::pin;
    pub use core::task::Poll;
}
