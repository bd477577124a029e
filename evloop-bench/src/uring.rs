//! `evloop-bench uring`: evloop's two I/O drivers side by side.
//!
//! - `tcp_echo` (the workload of the main table, both flavours) three ways,
//!   interleaved, each a fresh child: evloop on epoll, evloop on io_uring
//!   (`EVLOOP_IO_DRIVER`), and tokio; medians of `--runs`, with the ratios
//!   to tokio.
//! - random 4 KiB reads of a 64 MiB file (`--quick`: 8 MiB) with
//!   `File::read_at_owned`, 32 tasks on 2 workers (`--workers N`), on the
//!   io_uring driver (`IORING_OP_READ`) and on epoll (the blocking pool's
//!   `pread`), interleaved in this process. The file is in the page cache,
//!   so this measures the dispatch, not the disk.
//!
//! Where io_uring is refused here, the io_uring rows say so and are left out.

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use crate::child;
use crate::cli;
use crate::process;
use crate::stats::median;

struct Args {
    runs: usize,
    quick: bool,
    workers: usize,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut out = Args {
        runs: 5,
        quick: false,
        workers: 2,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => out.runs = cli::runs(it.next())?,
            "--quick" => out.quick = true,
            "--workers" => out.workers = cli::number(it.next(), "--workers")?.max(1),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(out)
}

pub(crate) fn main(args: &[String]) -> ExitCode {
    let args = match parse(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("evloop-bench uring: {e}\n\nusage: evloop-bench uring [--runs N] [--quick] [--workers N]");
            return ExitCode::from(2);
        }
    };
    let uring = evloop::runtime::Builder::new_current_thread()
        .enable_all()
        .io_driver(evloop::runtime::IoDriver::Uring)
        .build();
    let uring = match uring {
        Ok(_) => true,
        Err(e) => {
            println!("io_uring is not available here ({e}): its rows are left out");
            false
        }
    };
    let ok = tcp_echo(&args, uring);
    file_reads(&args, uring);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn tcp_echo(args: &Args, uring: bool) -> bool {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cols: Vec<(&str, &str, Option<&str>)> = vec![("evloop epoll", "evloop", Some("epoll"))];
    if uring {
        cols.push(("evloop io_uring", "evloop", Some("uring")));
    }
    cols.push(("tokio", "tokio", None));
    println!(
        "\n## tcp_echo, time (ms, median of {}), ratio to tokio",
        args.runs
    );
    let mut ok = true;
    for flavor in ["ct", "mt"] {
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); cols.len()];
        for _ in 0..args.runs {
            for (i, (_, rt, driver)) in cols.iter().enumerate() {
                let mut cmd = Command::new(&exe);
                cmd.args(["__child", rt, flavor, "tcp_echo"]);
                if args.quick {
                    cmd.arg("--quick");
                }
                match driver {
                    Some(d) => cmd.env("EVLOOP_IO_DRIVER", d),
                    None => cmd.env_remove("EVLOOP_IO_DRIVER"),
                };
                match run_child(cmd) {
                    Ok(t) => times[i].push(t),
                    Err(e) => {
                        eprintln!("{} {flavor}: {e}", cols[i].0);
                        ok = false;
                    }
                }
            }
        }
        let tokio = median(&times[cols.len() - 1]);
        for (i, (name, _, _)) in cols.iter().enumerate() {
            let m = median(&times[i]);
            let ratio = match (m, tokio) {
                (Some(m), Some(t)) if t > 0.0 => format!("{:.2}x", m / t),
                _ => "-".into(),
            };
            let m = m.map_or("-".into(), |m| format!("{m:.1}"));
            println!("| tcp_echo {flavor} | {name} | {m} ms | {ratio} |");
        }
    }
    ok
}

fn run_child(cmd: Command) -> Result<f64, String> {
    let done = process::run(cmd, Duration::from_secs(300)).map_err(|e| e.to_string())?;
    if !done.success() {
        return Err(done.failure());
    }
    let report = child::parse_report(&done.stdout)?;
    report
        .metrics
        .iter()
        .find(|(k, _)| k == "time_ms")
        .map(|(_, v)| *v)
        .ok_or_else(|| "no time_ms".into())
}

const READ: usize = 4096;
const TASKS: usize = 32;

fn file_reads(args: &Args, uring: bool) {
    let size: u64 = if args.quick { 8 << 20 } else { 64 << 20 };
    let reads: usize = if args.quick { 5_000 } else { 50_000 };
    let path = std::env::temp_dir().join(format!("evloop-bench-uring-{}", std::process::id()));
    let chunk: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&path).expect("create the test file");
        for _ in 0..(size >> 20) {
            f.write_all(&chunk).expect("write the test file");
        }
    }
    let mut drivers = vec![("blocking pool (epoll)", evloop::runtime::IoDriver::Epoll)];
    if uring {
        drivers.push(("io_uring", evloop::runtime::IoDriver::Uring));
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); drivers.len()];
    for run in 0..args.runs {
        for (i, (_, driver)) in drivers.iter().enumerate() {
            times[i].push(file_run(
                &path,
                *driver,
                size,
                reads,
                args.workers,
                run as u64,
            ));
        }
    }
    let _ = std::fs::remove_file(&path);
    println!(
        "\n## file random {READ} B reads ({reads} reads, {TASKS} tasks, {} workers, file in the page cache), median of {}",
        args.workers, args.runs
    );
    let pool = median(&times[0]);
    for (i, (name, _)) in drivers.iter().enumerate() {
        let m = median(&times[i]).unwrap_or(f64::NAN);
        let speedup = pool.map_or(f64::NAN, |p| p / m);
        println!(
            "| {name} | {m:.1} ms | {:.0} reads/s | {speedup:.2}x the pool |",
            reads as f64 / (m / 1000.0)
        );
    }
}

/// One measurement: `reads` random aligned reads; checks every byte.
fn file_run(
    path: &std::path::Path,
    driver: evloop::runtime::IoDriver,
    size: u64,
    reads: usize,
    workers: usize,
    seed: u64,
) -> f64 {
    let rt = evloop::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .io_driver(driver)
        .build()
        .expect("runtime");
    let path = path.to_owned();
    rt.block_on(async move {
        let file = std::sync::Arc::new(evloop::fs::File::open(&path).await.expect("open"));
        let start = Instant::now();
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let file = file.clone();
                evloop::spawn(async move {
                    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (t as u64 + 1);
                    let mut buf = Vec::with_capacity(READ);
                    for _ in 0..reads / TASKS {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let pos = (x % (size / READ as u64)) * READ as u64;
                        buf.clear();
                        let (n, b) = file.read_at_owned(buf, pos).await;
                        assert_eq!(n.expect("read"), READ);
                        assert_eq!(b[0], ((pos % (1 << 20)) % 251) as u8);
                        buf = b;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("reader");
        }
        start.elapsed().as_secs_f64() * 1000.0
    })
}
