//! Names, sizes and results shared by every runtime's workloads.

use std::time::{Duration, Instant};

/// The benchmark workloads, in the order the table lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Workload {
    SpawnMany,
    SpawnRemote,
    YieldMany,
    PingPong,
    ChainedSpawn,
    Mpsc,
    MutexUncontended,
    TimerChurn,
    SeedChain,
    TcpEcho,
    HttpHello,
    IdleCpu,
}

impl Workload {
    pub(crate) const ALL: [Workload; 12] = [
        Workload::SpawnMany,
        Workload::SpawnRemote,
        Workload::YieldMany,
        Workload::PingPong,
        Workload::ChainedSpawn,
        Workload::Mpsc,
        Workload::MutexUncontended,
        Workload::TimerChurn,
        Workload::SeedChain,
        Workload::TcpEcho,
        Workload::HttpHello,
        Workload::IdleCpu,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Workload::SpawnMany => "spawn_many",
            Workload::SpawnRemote => "spawn_remote",
            Workload::YieldMany => "yield_many",
            Workload::PingPong => "ping_pong",
            Workload::ChainedSpawn => "chained_spawn",
            Workload::Mpsc => "mpsc",
            Workload::MutexUncontended => "mutex_uncontended",
            Workload::TimerChurn => "timer_churn",
            Workload::SeedChain => "seed_chain",
            Workload::TcpEcho => "tcp_echo",
            Workload::HttpHello => "http_hello",
            Workload::IdleCpu => "idle_cpu",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// The figures the workload reports, in table order.
    pub(crate) fn metrics(self) -> &'static [Metric] {
        const TIME: &[Metric] = &[Metric {
            key: "time_ms",
            label: "",
            unit: Unit::Millis,
        }];
        match self {
            Workload::SeedChain => &[
                Metric {
                    key: "time_ms",
                    label: "wall, ideal 450 ms",
                    unit: Unit::Millis,
                },
                Metric {
                    key: BYTES_PER_CHAIN,
                    label: "bytes/chain",
                    unit: Unit::Bytes,
                },
            ],
            Workload::HttpHello => &[
                Metric {
                    key: "rps",
                    label: "requests/s",
                    unit: Unit::PerSec,
                },
                Metric {
                    key: "p99_ms",
                    label: "p99 latency",
                    unit: Unit::Millis,
                },
            ],
            Workload::IdleCpu => &[Metric {
                key: "cpu_ms",
                label: "CPU time",
                unit: Unit::Millis,
            }],
            _ => TIME,
        }
    }
}

/// Key of the seed_chain figure the harness derives from peak RSS.
pub(crate) const BYTES_PER_CHAIN: &str = "bytes_per_chain";

/// One figure a workload reports.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Metric {
    /// Name on the child protocol line (`metric KEY VALUE`).
    pub(crate) key: &'static str,
    /// Shown after the workload name when not empty.
    pub(crate) label: &'static str,
    pub(crate) unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Millis,
    PerSec,
    Bytes,
}

/// Scheduler flavour: the tokio names, shortened in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Flavor {
    /// Two worker threads.
    MultiThread,
    CurrentThread,
}

/// Worker threads of every multi-thread runtime.
pub(crate) const WORKERS: usize = 2;

impl Flavor {
    pub(crate) const ALL: [Flavor; 2] = [Flavor::MultiThread, Flavor::CurrentThread];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Flavor::MultiThread => "mt",
            Flavor::CurrentThread => "ct",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Flavor> {
        Flavor::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The Rust runtimes measured in-process (Go and Node run as peer programs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RuntimeKind {
    Evloop,
    Tokio,
    Smol,
}

impl RuntimeKind {
    pub(crate) const ALL: [RuntimeKind; 3] =
        [RuntimeKind::Evloop, RuntimeKind::Tokio, RuntimeKind::Smol];

    pub(crate) fn name(self) -> &'static str {
        match self {
            RuntimeKind::Evloop => "evloop",
            RuntimeKind::Tokio => "tokio",
            RuntimeKind::Smol => "smol",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<RuntimeKind> {
        RuntimeKind::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// Problem sizes: the full ones from BENCHMARKS.md, or small ones for smoke
/// checks (`--quick`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sizes {
    pub(crate) spawn_many: usize,
    pub(crate) spawn_remote: usize,
    pub(crate) yield_tasks: usize,
    pub(crate) yields: usize,
    pub(crate) ping_pairs: usize,
    pub(crate) ping_rounds: usize,
    pub(crate) chain_depth: usize,
    pub(crate) chain_iters: usize,
    pub(crate) mpsc_producers: usize,
    pub(crate) mpsc_per_producer: usize,
    pub(crate) mutex_locks: usize,
    pub(crate) timers: usize,
    pub(crate) seed_chains: usize,
    pub(crate) tcp_conns: usize,
    pub(crate) tcp_rounds: usize,
    pub(crate) http_secs: u32,
    pub(crate) idle: Duration,
}

impl Sizes {
    pub(crate) fn full() -> Sizes {
        Sizes {
            spawn_many: 1_000_000,
            spawn_remote: 200_000,
            yield_tasks: 200,
            yields: 5_000,
            ping_pairs: 64,
            ping_rounds: 5_000,
            chain_depth: 1_000,
            chain_iters: 200,
            mpsc_producers: 4,
            mpsc_per_producer: 500_000,
            mutex_locks: 1_000_000,
            timers: 1_000_000,
            seed_chains: 1_000_000,
            tcp_conns: 32,
            tcp_rounds: 4_000,
            http_secs: 5,
            idle: Duration::from_secs(2),
        }
    }

    pub(crate) fn quick() -> Sizes {
        Sizes {
            spawn_many: 50_000,
            spawn_remote: 20_000,
            yield_tasks: 50,
            yields: 500,
            ping_pairs: 16,
            ping_rounds: 500,
            chain_depth: 1_000,
            chain_iters: 10,
            mpsc_producers: 4,
            mpsc_per_producer: 20_000,
            mutex_locks: 100_000,
            timers: 50_000,
            seed_chains: 10_000,
            tcp_conns: 8,
            tcp_rounds: 200,
            http_secs: 1,
            idle: Duration::from_millis(500),
        }
    }
}

/// What one measurement reports: `(metric key, value)` pairs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outcome {
    pub(crate) metrics: Vec<(&'static str, f64)>,
}

impl Outcome {
    pub(crate) fn time(elapsed: Duration) -> Outcome {
        Outcome {
            metrics: vec![("time_ms", millis(elapsed))],
        }
    }
}

pub(crate) fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs `f` and returns its result with the wall time it took.
pub(crate) fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// `0 + 1 + … + (n - 1)`: the sum the index-returning workloads check.
pub(crate) fn triangular(n: usize) -> u64 {
    let n = n as u64;
    n * n.saturating_sub(1) / 2
}

/// User + system CPU time this process (all threads) has used so far.
pub(crate) fn process_cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a full `rusage` through the valid pointer we
    // pass; RUSAGE_SELF is always a valid `who`.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage: {}", std::io::Error::last_os_error());
    // SAFETY: getrusage succeeded, so it initialised the struct (and it was
    // zeroed before, which is a valid `rusage` anyway).
    let usage = unsafe { usage.assume_init() };
    timeval(usage.ru_utime) + timeval(usage.ru_stime)
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for w in Workload::ALL {
            assert_eq!(Workload::from_name(w.name()), Some(w));
        }
        for f in Flavor::ALL {
            assert_eq!(Flavor::from_name(f.name()), Some(f));
        }
        for r in RuntimeKind::ALL {
            assert_eq!(RuntimeKind::from_name(r.name()), Some(r));
        }
        assert_eq!(Workload::from_name("spawn"), None);
    }

    #[test]
    fn triangular_sums() {
        assert_eq!(triangular(0), 0);
        assert_eq!(triangular(1), 0);
        assert_eq!(triangular(4), 6);
        assert_eq!(triangular(1_000_000), 499_999_500_000);
    }

    #[test]
    fn cpu_time_grows_with_work() {
        let before = process_cpu_time();
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(30) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            std::hint::black_box(x);
        }
        assert!(process_cpu_time() > before);
    }
}
