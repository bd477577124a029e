//! evloop under tokio's name.
//!
//! This crate is evloop's API at tokio's paths, packaged as `tokio`. Point a
//! program's dependency tree at it with a patch in the program's
//! `Cargo.toml`:
//!
//! ```toml
//! [patch.crates-io]
//! tokio = { path = "path/to/evloop/tokio-face" }
//! ```
//!
//! and every crate in the tree that names `tokio` (hyper, axum, tower,
//! reqwest, tonic, tokio-util, ...) compiles against evloop and runs on it.
//! `#[tokio::main]` and `#[tokio::test]` start an evloop runtime, and
//! `tokio::spawn` inside a library spawns on the evloop runtime that is
//! current.
//!
//! The crate holds no runtime code of its own: each module below re-exports
//! the evloop module of the same name. What differs from tokio is listed in
//! evloop's `docs/migrating-from-tokio.md`.
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations, rust_2018_idioms)]

pub use evloop::{fs, io, net, process, runtime, signal, sync, task, time};

pub use evloop::spawn;
pub use evloop::{join, pin, select, task_local, try_join};

/// Runs an `async fn` on a new evloop runtime, as `#[tokio::main]` does.
///
/// Accepts tokio's arguments `flavor`, `worker_threads`, `start_paused` and
/// `crate` (default `::tokio`).
pub use evloop_macros::tokio_main as main;

/// Runs an `async fn` test on its own evloop runtime, as `#[tokio::test]`
/// does.
///
/// Accepts tokio's arguments `flavor`, `worker_threads`, `start_paused` and
/// `crate` (default `::tokio`).
pub use evloop_macros::tokio_test as test;
