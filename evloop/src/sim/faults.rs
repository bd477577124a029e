//! Seeded fault points: `buggify!`, injected `fs` errors and short writes,
//! and access to the running simulation (seed, generator, virtual time,
//! task groups) for code that builds on it.
//!
//! Everything here asks the scheduler context of the calling thread; on a
//! thread that runs no simulation each answer is "off": `buggify!` is
//! false, no fault is injected, [`is_simulation`] is false.
//!
//! # Rules
//!
//! 1. **Per-site enabling** (as FoundationDB's `BUGGIFY`): in one run a
//!    call site of `buggify!` is either enabled or not, with probability
//!    [`Builder::buggify_sites`](super::Builder::buggify_sites) (default 1/4),
//!    decided from the seed and the site's file, line and column alone, so
//!    it does not depend on the order the sites are reached. An enabled
//!    site fires with probability
//!    [`Builder::buggify`](super::Builder::buggify) (default 1/4) each time
//!    it is reached, drawn from the run's generator.
//! 2. Every draw that can change the run is recorded as a `Fault` event,
//!    so it is part of the event hash.

use std::io;
use std::panic::Location;
use std::time::Duration;

use crate::context;
use crate::runtime::scheduler;
use crate::runtime::scheduler::sim::core::{Core, NONE_TASK, NONE_WORKER};
use crate::runtime::scheduler::sim::events::EventKind;
use crate::runtime::scheduler::sim::{rng, SimHandle};

/// Runs `f` with the calling thread's simulation, if it runs one and its
/// core is free (it always is while a task is polled).
fn with_sim<R>(f: impl FnOnce(&std::sync::Arc<SimHandle>, &mut Core) -> R) -> Option<R> {
    context::with_scheduler(|cx| match cx {
        Some(scheduler::SchedulerContext::Sim(cx)) => cx.with_core(|core| f(cx.handle(), core)),
        _ => None,
    })
}

/// True while the calling thread runs a simulation (inside its tasks and
/// its main future).
///
/// ```
/// assert!(!evloop::sim::is_simulation());
/// evloop::sim::Builder::new().block_on(async {
///     assert!(evloop::sim::is_simulation());
/// });
/// ```
pub fn is_simulation() -> bool {
    context::with_scheduler(|cx| matches!(cx, Some(scheduler::SchedulerContext::Sim(_))))
}

/// The seed of the running simulation, `None` outside one.
pub fn seed() -> Option<u64> {
    with_sim(|h, _| h.config.seed)
}

/// 64 random bits from the running simulation's generator (recorded in
/// the event hash); `None` outside a simulation. Code that needs seeded
/// randomness (a simulated network's latency, loss and reordering) draws
/// here so that the seed fixes it.
pub fn random_u64() -> Option<u64> {
    with_sim(|_, core| {
        let v = core.rng.next_u64();
        core.record(EventKind::Fault, NONE_WORKER, NONE_TASK, v);
        v
    })
}

/// Virtual time since the simulation started; `None` outside one.
pub fn elapsed() -> Option<Duration> {
    context::with_scheduler(|cx| match cx {
        Some(scheduler::SchedulerContext::Sim(cx)) => Some(cx.elapsed()),
        _ => None,
    })
}

/// The running simulation's instance of `T`, created with
/// `T::default()` at the first call; `None` outside a simulation. One
/// instance per type per simulation, dropped when the simulation ends
/// (after its tasks): the place for state that code built on the
/// simulator shares between the tasks of one run, such as a simulated
/// network.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
///
/// #[derive(Default)]
/// struct Counter(AtomicU32);
///
/// let n = evloop::sim::Builder::new().block_on(async {
///     evloop::spawn(async {
///         evloop::sim::shared::<Counter>().unwrap().0.fetch_add(1, Ordering::Relaxed);
///     })
///     .await
///     .unwrap();
///     evloop::sim::shared::<Counter>().unwrap().0.load(Ordering::Relaxed)
/// });
/// assert_eq!(n, 1);
/// assert!(evloop::sim::shared::<Counter>().is_none());
/// ```
pub fn shared<T: Default + Send + Sync + 'static>() -> Option<std::sync::Arc<T>> {
    context::with_scheduler(|cx| {
        let Some(scheduler::SchedulerContext::Sim(cx)) = cx else {
            return None;
        };
        let mut all = cx.handle().shared.lock().unwrap_or_else(|e| e.into_inner());
        let id = std::any::TypeId::of::<T>();
        let any = match all.iter().find(|(t, _)| *t == id) {
            Some((_, v)) => v.clone(),
            None => {
                let v: std::sync::Arc<dyn std::any::Any + Send + Sync> =
                    std::sync::Arc::new(T::default());
                all.push((id, v.clone()));
                v
            }
        };
        drop(all);
        any.downcast::<T>().ok()
    })
}

fn site_hash(seed: u64, site: &Location<'_>) -> u64 {
    let mut h = seed ^ 0x5EED_B0661F_u64;
    for b in site.file().bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
    }
    let mut st = h ^ (u64::from(site.line()) << 32) ^ u64::from(site.column());
    rng::splitmix64(&mut st)
}

#[doc(hidden)]
pub fn __buggify(site: &'static Location<'static>) -> bool {
    with_sim(|h, core| {
        let faults = &h.config.faults;
        if faults.buggify <= 0.0 {
            return false;
        }
        // Rule 1: enabled per site, from the seed and the site only.
        let enabled = (site_hash(h.config.seed, site) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
            < faults.buggify_sites;
        if !enabled {
            return false;
        }
        let fire = core.rng.chance(faults.buggify);
        core.record(EventKind::Fault, NONE_WORKER, NONE_TASK, u64::from(fire));
        fire
    })
    .unwrap_or(false)
}

/// `true` with a seeded probability inside a simulation, always `false`
/// outside one: marks a place where a rare-but-legal behaviour (a slow
/// path, an early return, a retry) can be forced, so that tests explore it.
///
/// Each call site is enabled or not for a whole run, from the seed; an
/// enabled site fires with the configured probability each time it is
/// reached (`sim::Builder::buggify`, `buggify_sites`).
///
/// ```
/// let mut delays = 0;
/// for seed in 0..50 {
///     evloop::sim::Builder::new().seed(seed).block_on(async {
///         if evloop::sim::buggify!() {
///             delays += 1;
///         }
///     });
/// }
/// assert!(delays > 0); // some seeds enable the site and fire it
/// assert!(!evloop::sim::buggify!()); // never outside a simulation
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! __sim_buggify {
    () => {
        $crate::sim::__buggify(::core::panic::Location::caller())
    };
}

/// An injected error for an `fs` operation, or `None` (rule 2).
pub(crate) fn fs_error(write: bool) -> Option<io::Error> {
    with_sim(|h, core| {
        let faults = &h.config.faults;
        if faults.fs_eio <= 0.0 && (!write || faults.fs_enospc <= 0.0) {
            return None;
        }
        let err = if core.rng.chance(faults.fs_eio) {
            Some(io::Error::from_raw_os_error(libc::EIO))
        } else if write && core.rng.chance(faults.fs_enospc) {
            Some(io::Error::from_raw_os_error(libc::ENOSPC))
        } else {
            None
        };
        let code = err.as_ref().and_then(io::Error::raw_os_error).unwrap_or(0);
        core.record(EventKind::Fault, NONE_WORKER, NONE_TASK, code as u64);
        err
    })
    .flatten()
}

/// How many of `len` bytes a write takes: `len`, or an injected short
/// count in `1..len` (rule 2).
pub(crate) fn fs_write_len(len: usize) -> usize {
    with_sim(|h, core| {
        if len < 2 || h.config.faults.fs_short_write <= 0.0 {
            return len;
        }
        let n = if core.rng.chance(h.config.faults.fs_short_write) {
            1 + core.rng.below(len - 1)
        } else {
            len
        };
        core.record(EventKind::Fault, NONE_WORKER, NONE_TASK, n as u64);
        n
    })
    .unwrap_or(len)
}
