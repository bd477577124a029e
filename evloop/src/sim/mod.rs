//! Deterministic simulation: run an evloop program under a seed, on one
//! OS thread, with virtual time, and replay any run exactly.
//!
//! A simulation is a third scheduler flavour. The program is unchanged —
//! the same `evloop::spawn`, `JoinHandle`, `JoinSet`, `evloop::sync`,
//! `evloop::time`, `spawn_blocking`, `Handle::current()` — but:
//!
//! - **every scheduling choice comes from the seed.** `workers(n)`
//!   simulates the multi_thread scheduler's semantics — n workers, each
//!   with a local queue and a LIFO slot, an inject queue, stealing — and
//!   the seed picks which worker runs next, which task it takes, whether
//!   the LIFO slot is used, what a steal takes and the order of wakes that
//!   arrive together. Bugs that need two workers show up, on one thread,
//!   and replay. Two policies: [`Policy::Random`] and [`Policy::Pct`]
//!   (priority change points).
//! - **time is virtual.** `Instant::now()` stands still while anything is
//!   runnable; when nothing is, the clock jumps to the next timer. An hour
//!   of timeouts takes milliseconds.
//! - **runs are checked.** A rolling hash of every decision and event
//!   (spawn, poll, wake, steal, time jump, fault draw) is in the
//!   [`Report`]; `EVLOOP_SIM_CHECK=1` (or
//!   [`Builder::check_determinism`]) runs each seed twice and names the
//!   first event that differs.
//! - **faults on demand.** [`buggify!`] is true with a seeded probability
//!   in a simulation (never outside one), and [`Builder::fs_faults`]
//!   injects `EIO`, `ENOSPC` and short writes into `evloop::fs`.
//! - **leaks are reported.** Wakes from another OS thread are queued at the
//!   next step and counted ([`Report::leaks`]); registering a real socket
//!   with the OS reactor, which a simulation does not have, panics naming
//!   the leak.
//!
//! `spawn_blocking` runs its closure inline, as one simulated task poll.
//!
//! # Tests
//!
//! ```no_run
//! #[evloop::test(sim, seeds = 1000, workers = 2)]
//! async fn counter_is_consistent() {
//!     // runs once per seed; `EVLOOP_SEED=n cargo test` replays seed n,
//!     // `EVLOOP_SEEDS=N` sweeps N seeds, in parallel on every core
//! }
//! ```
//!
//! A failing seed prints the seed and the command that replays it:
//!
//! ```text
//! simulation failed with seed 417: assertion failed: ...
//! replay it with:
//!     EVLOOP_SEED=417 cargo test -- --exact counter_is_consistent
//! ```
//!
//! # A harness of one's own
//!
//! ```
//! use evloop::sim::{Builder, Policy};
//!
//! let run = |seed| {
//!     Builder::new()
//!         .seed(seed)
//!         .workers(2)
//!         .policy(Policy::Pct { depth: 2 })
//!         .run(|| async {
//!             let a = evloop::spawn(async { 1 });
//!             let b = evloop::spawn(async { 2 });
//!             a.await.unwrap() + b.await.unwrap()
//!         })
//! };
//! let (out, first) = run(3);
//! let (_, again) = run(3);
//! assert_eq!(out, 3);
//! assert_eq!(first.hash, again.hash); // same seed, same run
//! ```
//!
//! # For code built on top (a simulated network, say)
//!
//! [`is_simulation`], [`seed`], [`random_u64`] (seeded, recorded in the
//! hash) and [`elapsed`] describe the running simulation; [`shared`] holds
//! one instance of a type per simulation (a simulated network); [`Group`] spawns
//! a set of tasks — with every task they spawn — that can be aborted at
//! once. Timers (`evloop::time`) are the way to make something happen at a
//! virtual instant.
//!
//! # The simulated network
//!
//! [`net`] holds simulated hosts joined by a simulated network, behind the
//! ordinary `TcpListener`, `TcpStream`, `UdpSocket` and `lookup_host`: code
//! running on a host gets in-memory sockets with seeded latency, loss,
//! partitions and crashes. Inside a simulation every random draw of the
//! network comes from the simulation's seed ([`random_u64`]), so one seed
//! fixes the schedule and the network together.

mod builder;
mod faults;
mod group;
mod harness;
pub mod net;

pub use builder::{Builder, Policy, Report};
pub use faults::{elapsed, is_simulation, random_u64, seed, shared};
pub use group::Group;
pub use harness::sweep;

pub(crate) use faults::{fs_error, fs_write_len};

#[doc(hidden)]
pub use faults::__buggify;
#[doc(hidden)]
pub use harness::__test;

pub use crate::__sim_buggify as buggify;
