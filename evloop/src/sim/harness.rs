//! The seed sweep behind `#[evloop::test(sim)]`.
//!
//! Which seeds run: `EVLOOP_SEED=n` → only `n` (a replay); otherwise
//! `EVLOOP_SEEDS=N` → `0..N`; otherwise the test's `seeds = N` (default 1).
//! Seeds are independent simulations, so they run in parallel, one per OS
//! thread, on as many threads as the machine has cores
//! (`EVLOOP_SIM_THREADS` overrides). The sweep stops at the first failure
//! and reports the smallest failing seed it saw, with the command that
//! replays it.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::Builder;

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    match v.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => panic!("{name}={v:?} is not a number"),
    }
}

/// The seeds a sweep runs (module docs).
pub(crate) fn seeds(default: u64) -> Vec<u64> {
    if let Some(seed) = env_u64("EVLOOP_SEED") {
        return vec![seed];
    }
    (0..env_u64("EVLOOP_SEEDS").unwrap_or(default)).collect()
}

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic with a non-string payload)".to_string()
    }
}

/// Runs `make` under each seed of the sweep on `builder`'s settings; on a
/// failure panics with the seed and the one-line replay command for the
/// test named `name` (a module path whose first segment is the crate).
pub fn sweep<M, F>(name: &str, default_seeds: u64, builder: &Builder, make: M)
where
    M: Fn() -> F + Sync,
    F: Future<Output = ()>,
{
    let seeds = seeds(default_seeds);
    let threads = env_u64("EVLOOP_SIM_THREADS")
        .map(|n| n as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, seeds.len().max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let failed: Mutex<Option<(u64, String)>> = Mutex::new(None);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= seeds.len() || stop.load(Ordering::Relaxed) {
            return;
        }
        let seed = seeds[i];
        let b = builder.clone().seed(seed);
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| b.run(&make))) {
            stop.store(true, Ordering::Relaxed);
            let mut f = failed.lock().unwrap_or_else(|e| e.into_inner());
            if f.as_ref().is_none_or(|(s, _)| seed < *s) {
                *f = Some((seed, message(&*payload)));
            }
        }
    };
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    let failed = failed.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Some((seed, msg)) = failed {
        let test = name.split_once("::").map_or(name, |(_, rest)| rest);
        panic!(
            "simulation failed with seed {seed}: {msg}\n\
             replay it with:\n    EVLOOP_SEED={seed} cargo test -- --exact {test}"
        );
    }
}

#[doc(hidden)]
pub fn __test<M, F>(name: &str, seeds: u64, workers: usize, check: bool, make: M)
where
    M: Fn() -> F + Sync,
    F: Future<Output = ()>,
{
    let mut builder = Builder::new().workers(workers);
    if check {
        builder = builder.check_determinism(true);
    }
    sweep(name, seeds, &builder, make)
}
