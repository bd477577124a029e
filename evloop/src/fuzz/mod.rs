//! Property targets: random operation sequences checked against a model.
//!
//! Each target is a function `run(data: &[u8])` that reads a sequence of
//! operations from `data` (through [`arbitrary::Unstructured`]), applies
//! them to a piece of evloop and to a plain model of what that piece should
//! do (a `BTreeMap` of deadlines, a `VecDeque` of messages, a byte vector),
//! and panics on the first difference. The targets also count every value
//! they hand to evloop and check that each one is dropped exactly once.
//!
//! The same functions are driven two ways:
//!
//! - **the smoke** (`cargo test -p evloop --lib fuzz::`): every target runs
//!   a bounded number of seeded random inputs on stable Rust; a failure
//!   prints the seed that replays it (see [`smoke`] and `docs/testing.md`);
//! - **cargo-fuzz** (`fuzz/` at the workspace root, nightly): one
//!   `fuzz_target!` per target feeds libFuzzer's inputs to the same `run`.
//!
//! The module is compiled for the crate's own tests and, for the `fuzz/`
//! crate, behind the `fuzzing` feature; it is not part of the public API.
//! It lives inside the crate because some targets (the timer wheel) drive
//! `pub(crate)` internals directly.
//!
//! # Rules
//!
//! 1. A target is deterministic in its input: no clocks, no randomness of
//!    its own, so a failing input replays. (The runtime targets run worker
//!    threads; their checks hold for every interleaving.)
//! 2. A target never hangs: every wait is bounded by a watchdog, and a wait
//!    that runs out is a failure.
//! 3. A target's input is bounded by its own op cap ([`MAX_OPS`]), so a long
//!    libFuzzer input costs no more than a short one.

#![allow(missing_docs)]

pub mod broadcast;
pub mod bytes;
pub mod copy;
pub mod duplex;
pub mod mpsc_bounded;
pub mod mpsc_unbounded;
pub mod oneshot;
pub mod reactor;
pub mod task;
pub mod watch;
pub mod wheel;

mod chunked;
mod recv;
pub(crate) mod support;

#[cfg(test)]
mod smoke;

pub use support::install_panic_filter;

/// Most operations one input is turned into (rule 3).
pub const MAX_OPS: usize = 400;

/// A target: its name (of its `fuzz/` target and its smoke test) and its
/// entry point.
pub type Target = (&'static str, fn(&[u8]));

/// Every target.
pub const TARGETS: &[Target] = &[
    ("wheel", wheel::run),
    ("mpsc_bounded", mpsc_bounded::run),
    ("mpsc_unbounded", mpsc_unbounded::run),
    ("broadcast", broadcast::run),
    ("task", task::run),
    ("reactor", reactor::run),
    ("bytes", bytes::run),
    ("duplex", duplex::run),
    ("copy", copy::run),
    ("watch", watch::run),
    ("oneshot", oneshot::run),
];
