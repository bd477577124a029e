//! `evloop-bench sim`: what the deterministic simulator (`evloop::sim`)
//! costs and gains.
//!
//! ```text
//! evloop-bench sim [--runs N] [--quick]
//! ```
//!
//! - **sim_polls**: 200 tasks × 5,000 `yield_now` (yield_many's shape)
//!   under the simulator, 1 and 4 simulated workers, random policy, and
//!   PCT (depth 3) on 4 workers with 20 tasks (its step costs O(runnable
//!   tasks)); simulated task polls per second of one core. The same
//!   workload on evloop's real current_thread runtime, in the same run, as
//!   the reference.
//! - **sim_timers**: 1,000 tasks, each on a 1 s..10 s interval, for one
//!   hour of virtual time; the compression (virtual ÷ real time).
//! - **sim_sweep**: 64 seeds of a 2,000-poll program, on one thread and on
//!   every core (`sim::sweep`); seeds per second.
//!
//! Every run checks its result (the poll count, the tick count). Medians
//! of `--runs` (default 5), in one process, interleaved.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use evloop::sim::{Builder, Policy};

async fn yields(tasks: usize, per: usize) {
    let mut set = evloop::task::JoinSet::new();
    for _ in 0..tasks {
        set.spawn(async move {
            for _ in 0..per {
                evloop::task::yield_now().await;
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
}

/// Simulated polls per second.
fn sim_polls(workers: usize, policy: Policy, tasks: usize, per: usize) -> f64 {
    let ((), report) = Builder::new()
        .seed(1)
        .workers(workers)
        .policy(policy)
        .block_on_report(yields(tasks, per));
    assert!(report.polls as usize >= tasks * (per + 1), "{report}");
    report.polls as f64 / report.real.as_secs_f64()
}

/// The same workload on the real current_thread runtime: polls per second.
fn real_polls(tasks: usize, per: usize) -> f64 {
    let rt = evloop::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let t = Instant::now();
    rt.block_on(yields(tasks, per));
    (tasks * (per + 1)) as f64 / t.elapsed().as_secs_f64()
}

/// Compression: virtual seconds per real second.
fn sim_timers(tasks: u64) -> f64 {
    let hour = Duration::from_secs(3600);
    let (ticks, report) = Builder::new().seed(2).block_on_report(async move {
        let start = evloop::time::Instant::now();
        let mut set = evloop::task::JoinSet::new();
        for i in 0..tasks {
            set.spawn(async move {
                let mut iv = evloop::time::interval(Duration::from_secs(1 + i % 10));
                let mut n = 0u64;
                while iv.tick().await.duration_since(start) < hour {
                    n += 1;
                }
                n
            });
        }
        let mut ticks = 0;
        while let Some(n) = set.join_next().await {
            ticks += n.unwrap();
        }
        ticks
    });
    let expected: u64 = (0..tasks).map(|i| 3600u64.div_ceil(1 + i % 10)).sum();
    assert_eq!(ticks, expected);
    report.elapsed.as_secs_f64() / report.real.as_secs_f64()
}

/// Seeds per second of a sweep on `threads` threads.
fn sim_sweep(threads: usize, seeds: u64) -> f64 {
    std::env::set_var("EVLOOP_SIM_THREADS", threads.to_string());
    std::env::remove_var("EVLOOP_SEED");
    std::env::set_var("EVLOOP_SEEDS", seeds.to_string());
    let t = Instant::now();
    evloop::sim::sweep("bench::sweep", seeds, &Builder::new().workers(2), || {
        yields(20, 100)
    });
    seeds as f64 / t.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn fmt_rate(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1} k", x / 1e3)
    } else {
        format!("{x:.1}")
    }
}

pub(crate) fn main(args: &[String]) -> ExitCode {
    let mut runs = 5;
    let mut quick = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--runs" => match it.next().and_then(|n| n.parse().ok()) {
                Some(n) if n > 0 => runs = n,
                _ => {
                    eprintln!("evloop-bench sim: --runs needs a positive number");
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!("evloop-bench sim: unknown argument {other:?}\nusage: evloop-bench sim [--runs N] [--quick]");
                return ExitCode::from(2);
            }
        }
    }
    let (tasks, per, timer_tasks, seeds) = if quick {
        (20, 500, 50, 16)
    } else {
        (200, 5_000, 1_000, 64)
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rows: Vec<(&str, Vec<f64>)> = vec![
        ("sim_polls, 1 worker, random (polls/s)", vec![]),
        ("sim_polls, 4 workers, random (polls/s)", vec![]),
        (
            "sim_polls, 4 workers, PCT depth 3, 20 tasks (polls/s)",
            vec![],
        ),
        (
            "same workload, real current_thread runtime (polls/s)",
            vec![],
        ),
        (
            "sim_timers: virtual ÷ real time (1 h, interval ticks)",
            vec![],
        ),
        ("sim_sweep, 1 thread (seeds/s)", vec![]),
        ("sim_sweep, all cores (seeds/s)", vec![]),
    ];
    for _ in 0..runs {
        rows[0].1.push(sim_polls(1, Policy::Random, tasks, per));
        rows[1].1.push(sim_polls(4, Policy::Random, tasks, per));
        rows[2]
            .1
            .push(sim_polls(4, Policy::Pct { depth: 3 }, 20, per));
        rows[3].1.push(real_polls(tasks, per));
        rows[4].1.push(sim_timers(timer_tasks));
        rows[5].1.push(sim_sweep(1, seeds));
        rows[6].1.push(sim_sweep(cores, seeds));
    }
    println!("| evloop::sim ({cores} cores, median of {runs}) | figure |");
    println!("|---|---|");
    for (name, v) in rows {
        let m = median(v);
        let shown = if name.starts_with("sim_timers") {
            format!("{m:.0}x")
        } else {
            fmt_rate(m)
        };
        println!("| {name} | {shown} |");
    }
    ExitCode::SUCCESS
}
