//! The workloads, written once against tokio's API shape and expanded for each
//! runtime.
//!
//! [`shape`] holds the bodies as `macro_rules!` that take the name of a crate
//! (or shim module) with tokio's module layout: `$rt::spawn`,
//! `$rt::task::yield_now`, `$rt::sync::mpsc`, `$rt::time`, `$rt::net`,
//! `$rt::io`. They are expanded for tokio ([`tokio_rt`]), for evloop
//! ([`evloop_rt`], one group per cargo feature so that the crate builds against
//! whatever part of evloop's API exists) and for smol through a thin shim with
//! the same shape ([`smol_shim`], expanded in [`smol_rt`]).
//!
//! Every workload asserts its result: a fast wrong answer panics, and the
//! child process exits non-zero.

#[macro_use]
mod shape;
#[macro_use]
mod soak;

mod common;
#[cfg(feature = "evloop-rt")]
mod evloop_rt;
pub(crate) mod http;
mod smol_rt;
mod smol_shim;
mod tokio_rt;

pub(crate) use common::{Flavor, Outcome, RuntimeKind, Sizes, Unit, Workload, BYTES_PER_CHAIN};

/// Makes every evloop runtime this process builds record a trace (the
/// `overhead` mode's "on" variant); other runtimes ignore it.
pub(crate) fn set_evloop_trace(on: bool) {
    #[cfg(feature = "evloop-rt")]
    evloop_rt::TRACE.store(on, std::sync::atomic::Ordering::Relaxed);
    #[cfg(not(feature = "evloop-rt"))]
    let _ = on;
}

/// Runs `workload` on `runtime` in this process. `None`: that runtime does not
/// offer the API the workload needs (yet).
pub(crate) fn run(
    runtime: RuntimeKind,
    flavor: Flavor,
    workload: Workload,
    sizes: &Sizes,
) -> Option<Outcome> {
    match runtime {
        RuntimeKind::Tokio => tokio_rt::run(flavor, workload, sizes),
        RuntimeKind::Smol => smol_rt::run(flavor, workload, sizes),
        #[cfg(feature = "evloop-rt")]
        RuntimeKind::Evloop => evloop_rt::run(flavor, workload, sizes),
        #[cfg(not(feature = "evloop-rt"))]
        RuntimeKind::Evloop => None,
    }
}

/// The parts of evloop's API this build does not use yet (their `evloop-*`
/// feature is off), for the note under the table.
pub(crate) fn evloop_missing() -> Vec<&'static str> {
    [
        (cfg!(feature = "evloop-rt"), "runtime/spawn (evloop-rt)"),
        (
            cfg!(feature = "evloop-mt"),
            "multi_thread runtime (evloop-mt)",
        ),
        (cfg!(feature = "evloop-mpsc"), "sync::mpsc (evloop-mpsc)"),
        (cfg!(feature = "evloop-mutex"), "sync::Mutex (evloop-mutex)"),
        (
            cfg!(feature = "evloop-time"),
            "time::{sleep, timeout} (evloop-time)",
        ),
        (cfg!(feature = "evloop-net"), "net + io (evloop-net)"),
    ]
    .into_iter()
    .filter(|(on, _)| !on)
    .map(|(_, what)| what)
    .collect()
}
