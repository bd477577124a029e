//! The workloads on evloop: each group expands only when the part of evloop's
//! API it needs exists (cargo features `evloop-*`, see Cargo.toml); the others
//! report "not yet supported".

#[allow(unused_imports)]
use super::common::{self, Flavor, Outcome, Sizes, Workload, WORKERS};
#[cfg(feature = "evloop-net")]
use super::http;

/// Set by the child's `--trace` flag: build runtimes with the recorder on.
pub(super) static TRACE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn build(flavor: Flavor) -> Option<evloop::runtime::Runtime> {
    let mut builder = match flavor {
        #[cfg(feature = "evloop-mt")]
        Flavor::MultiThread => {
            let mut b = evloop::runtime::Builder::new_multi_thread();
            b.worker_threads(WORKERS);
            b
        }
        #[cfg(not(feature = "evloop-mt"))]
        Flavor::MultiThread => return None,
        Flavor::CurrentThread => evloop::runtime::Builder::new_current_thread(),
    };
    if TRACE.load(std::sync::atomic::Ordering::Relaxed) {
        builder.trace(evloop::trace::TraceConfig::new());
    }
    Some(builder.enable_all().build().expect("build evloop runtime"))
}

shape_core!(evloop);
#[cfg(feature = "evloop-mpsc")]
shape_mpsc!(evloop);
#[cfg(feature = "evloop-mutex")]
shape_lock!(evloop);
#[cfg(feature = "evloop-time")]
shape_time!(evloop);
#[cfg(feature = "evloop-net")]
shape_net!(evloop);
#[cfg(feature = "evloop-net")]
shape_soak!(evloop);

pub(super) fn run(flavor: Flavor, workload: Workload, sizes: &Sizes) -> Option<Outcome> {
    #[allow(unreachable_patterns)]
    match workload {
        Workload::SpawnMany => spawn_many(flavor, sizes),
        Workload::SpawnRemote => spawn_remote(flavor, sizes),
        Workload::YieldMany => yield_many(flavor, sizes),
        Workload::ChainedSpawn => chained_spawn(flavor, sizes),
        #[cfg(feature = "evloop-mpsc")]
        Workload::PingPong => ping_pong(flavor, sizes),
        #[cfg(feature = "evloop-mpsc")]
        Workload::Mpsc => mpsc(flavor, sizes),
        #[cfg(feature = "evloop-mutex")]
        Workload::MutexUncontended => mutex_uncontended(flavor, sizes),
        #[cfg(feature = "evloop-time")]
        Workload::TimerChurn => timer_churn(flavor, sizes),
        #[cfg(feature = "evloop-time")]
        Workload::SeedChain => seed_chain(flavor, sizes),
        #[cfg(feature = "evloop-time")]
        Workload::IdleCpu => idle_cpu(flavor, sizes),
        #[cfg(feature = "evloop-net")]
        Workload::TcpEcho => tcp_echo(flavor, sizes),
        #[cfg(feature = "evloop-net")]
        Workload::HttpHello => http_hello(flavor, sizes),
        #[cfg(feature = "evloop-net")]
        Workload::Soak => soak(flavor, sizes),
        _ => None,
    }
}
