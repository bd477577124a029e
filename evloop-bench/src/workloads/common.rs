//! Names, sizes and results shared by every runtime's workloads.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
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
    Soak,
    IdleCpu,
}

impl Workload {
    pub(crate) const ALL: [Workload; 13] = [
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
        Workload::Soak,
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
            Workload::Soak => "soak",
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
            Workload::Soak => &[
                Metric {
                    key: "bytes_per_s",
                    label: "bytes echoed/s",
                    unit: Unit::PerSec,
                },
                Metric {
                    key: "rt_per_s",
                    label: "round trips/s",
                    unit: Unit::PerSec,
                },
                Metric {
                    key: "p50_ms",
                    label: "p50 round trip",
                    unit: Unit::Millis,
                },
                Metric {
                    key: "p99_ms",
                    label: "p99 round trip",
                    unit: Unit::Millis,
                },
                Metric {
                    key: "p999_ms",
                    label: "p99.9 round trip",
                    unit: Unit::Millis,
                },
                Metric {
                    key: "max_ms",
                    label: "max round trip",
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
    pub(crate) soak_conns: usize,
    pub(crate) soak: Duration,
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
            soak_conns: 5_000,
            soak: Duration::from_secs(10),
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
            soak_conns: 100,
            soak: Duration::from_secs(2),
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

/// The soak's largest message, and the most one read or write moves.
pub(crate) const SOAK_MAX_MESSAGE: usize = 64 * 1024;
pub(crate) const SOAK_CHUNK: usize = 4096;

/// What one soak connection measured.
#[derive(Debug, Default)]
pub(crate) struct SoakClient {
    /// Round-trip time of every message, in microseconds.
    round_trips_us: Vec<u32>,
    bytes: u64,
}

impl SoakClient {
    pub(crate) fn record(&mut self, rtt: Duration, len: usize) {
        let us = rtt.as_micros().min(u32::MAX as u128) as u32;
        self.round_trips_us.push(us);
        self.bytes += len as u64;
    }
}

/// The soak's figures over every connection.
pub(crate) fn soak_outcome(clients: Vec<SoakClient>, elapsed: Duration) -> Outcome {
    let bytes: u64 = clients.iter().map(|c| c.bytes).sum();
    let mut rtts: Vec<u32> = clients.into_iter().flat_map(|c| c.round_trips_us).collect();
    assert!(!rtts.is_empty(), "soak: no round trip completed");
    rtts.sort_unstable();
    let secs = elapsed.as_secs_f64();
    let ms = |us: u32| f64::from(us) / 1e3;
    Outcome {
        metrics: vec![
            ("bytes_per_s", bytes as f64 / secs),
            ("rt_per_s", rtts.len() as f64 / secs),
            ("p50_ms", ms(percentile(&rtts, 50.0))),
            ("p99_ms", ms(percentile(&rtts, 99.0))),
            ("p999_ms", ms(percentile(&rtts, 99.9))),
            ("max_ms", ms(percentile(&rtts, 100.0))),
        ],
    }
}

/// Runs both futures at once in the calling task; their outputs when both
/// are done.
pub(crate) async fn join2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut ra, mut rb) = (None, None);
    poll_fn(|cx| {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        match (ra.take(), rb.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                (ra, rb) = (x, y);
                Poll::Pending
            }
        }
    })
    .await
}

/// xorshift64*: the soak's message lengths.
#[derive(Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize % n
    }
}

/// Percentile `p` (0–100) of sorted samples, nearest rank; 0 when empty.
pub(crate) fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    // The epsilon keeps a rank that is whole on paper (99.9% of 1000) from
    // rounding up past it.
    let rank = (p / 100.0 * sorted.len() as f64 - 1e-9).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Byte `i` of the soak's message `seed`: a keyed pseudo-random stream, so
/// that both ends can produce and check any part of a message without
/// keeping it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pattern {
    seed: u64,
}

impl Pattern {
    pub(crate) fn new(seed: u64) -> Pattern {
        Pattern { seed }
    }

    fn word(self, index: u64) -> u64 {
        // splitmix64 of (seed, word index).
        let mut z = self
            .seed
            .wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Writes bytes `offset..offset + buf.len()` of the message into `buf`.
    pub(crate) fn fill(self, offset: usize, buf: &mut [u8]) {
        let mut word = (0, self.word(offset as u64 / 8));
        for (i, b) in buf.iter_mut().enumerate() {
            let at = (offset + i) as u64;
            if at / 8 != word.0 {
                word = (at / 8, self.word(at / 8));
            }
            *b = (word.1 >> ((at % 8) * 8)) as u8;
        }
    }

    /// Whether `buf` holds bytes `offset..offset + buf.len()` of the message.
    pub(crate) fn check(self, offset: usize, buf: &[u8]) -> bool {
        let mut word = (offset as u64 / 8, self.word(offset as u64 / 8));
        buf.iter().enumerate().all(|(i, &b)| {
            let at = (offset + i) as u64;
            if at / 8 != word.0 {
                word = (at / 8, self.word(at / 8));
            }
            b == (word.1 >> ((at % 8) * 8)) as u8
        })
    }
}

/// Raises this process's open-file limit towards `needed` (the soft limit
/// up to the hard one, and the hard one too where the process may); returns
/// the soft limit it ends with.
pub(crate) fn raise_fd_limit(needed: u64) -> u64 {
    // `rlim_t` is `u64` on Linux and macOS, `i64` on FreeBSD.
    let needed = libc::rlim_t::try_from(needed).unwrap_or(libc::RLIM_INFINITY);
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes a `rlimit` through the valid pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 0;
    }
    // A no-op where `rlim_t` is `u64`.
    #[allow(clippy::useless_conversion)]
    let soft = |lim: &libc::rlimit| u64::try_from(lim.rlim_cur).unwrap_or(0);
    if lim.rlim_cur >= needed {
        return soft(&lim);
    }
    let raised = libc::rlimit {
        rlim_cur: needed.max(lim.rlim_max),
        rlim_max: needed.max(lim.rlim_max),
    };
    // SAFETY: setrlimit reads a valid `rlimit`; a refusal changes nothing.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
        return soft(&raised);
    }
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: as above.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } == 0 {
        return soft(&lim);
    }
    0
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
    fn percentiles() {
        let v: Vec<u32> = (1..=1000).collect();
        assert_eq!(percentile(&v, 50.0), 500);
        assert_eq!(percentile(&v, 99.0), 990);
        assert_eq!(percentile(&v, 99.9), 999);
        assert_eq!(percentile(&v, 100.0), 1000);
        assert_eq!(percentile(&[7], 99.9), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }

    #[test]
    fn pattern_checks_any_slice() {
        let p = Pattern::new(42);
        let mut whole = vec![0u8; 100];
        p.fill(0, &mut whole);
        let mut part = vec![0u8; 13];
        p.fill(37, &mut part);
        assert_eq!(&whole[37..50], &part[..]);
        assert!(p.check(0, &whole));
        assert!(p.check(11, &whole[11..99]));
        assert!(!p.check(12, &whole[11..99]));
        assert!(!Pattern::new(43).check(0, &whole));
        whole[70] ^= 1;
        assert!(!p.check(0, &whole));
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
