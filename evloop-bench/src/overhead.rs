//! `evloop-bench overhead`: what evloop's observability layer (metrics
//! hooks, trace recorder) costs.
//!
//! Three builds of the same workloads, each in its own child process,
//! interleaved:
//!
//! - **bare**: evloop compiled with `--cfg evloop_no_observe`, where every
//!   scheduler hook is empty — the runtime as if it had no observability;
//! - **off**: the normal build, recorder off (the default);
//! - **on**: the normal build with `Builder::trace` on (no output file).
//!
//! The figures: wall time of the timed section and CPU time of the whole
//! child process (medians of `--runs`) and, because both are noisy on a
//! shared machine, the instructions each child executed
//! (cachegrind without cache simulation, `--quick` sizes, one run each: the
//! current-thread counts are deterministic to a fraction of a percent).
//! Targets: off ÷ bare ≤ 1.01, on ÷ off ≤ 1.10.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use crate::child;
use crate::cli::{self, SizeArgs};
use crate::process;
use crate::stats;
use crate::workloads::{Flavor, Workload};

/// seed_chain's size in this mode unless `--seed-n` says otherwise.
const SEED_N: usize = 100_000;

const CASES: [(Workload, Flavor); 4] = [
    (Workload::SpawnMany, Flavor::MultiThread),
    (Workload::SpawnMany, Flavor::CurrentThread),
    (Workload::SeedChain, Flavor::MultiThread),
    (Workload::SeedChain, Flavor::CurrentThread),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Bare,
    Off,
    On,
}

const VARIANTS: [Variant; 3] = [Variant::Bare, Variant::Off, Variant::On];

#[derive(Debug, Clone, PartialEq)]
struct Opts {
    runs: usize,
    size: SizeArgs,
    bare: Option<PathBuf>,
    count: bool,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut opts = Opts {
        runs: 5,
        size: SizeArgs::default(),
        bare: None,
        count: true,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => opts.runs = cli::runs(it.next())?,
            "--quick" => opts.size.quick = true,
            "--seed-n" => opts.size.seed_n = Some(cli::number(it.next(), "--seed-n")?),
            "--bare" => opts.bare = Some(it.next().ok_or("--bare needs a path")?.into()),
            "--no-count" => opts.count = false,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if opts.size.seed_n.is_none() && !opts.size.quick {
        opts.size.seed_n = Some(SEED_N);
    }
    Ok(opts)
}

pub(crate) fn main(args: &[String]) -> ExitCode {
    let opts = match parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("evloop-bench overhead: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let bare = match opts.bare.clone().map_or_else(build_bare, Ok) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("evloop-bench overhead: {e}");
            return ExitCode::FAILURE;
        }
    };
    let this = std::env::current_exe().expect("path of this executable");
    let exe = |v: Variant| if v == Variant::Bare { &bare } else { &this };

    let mut failed = false;
    // Wall and CPU time, ms: (case, variant) -> samples.
    let mut wall = vec![[Vec::new(), Vec::new(), Vec::new()]; CASES.len()];
    let mut cpu = wall.clone();
    for i in 0..opts.runs {
        for (c, &(workload, flavor)) in CASES.iter().enumerate() {
            for (v, &variant) in VARIANTS.iter().enumerate() {
                eprint!(
                    "[{}/{}] {} {} {variant:?} … ",
                    i + 1,
                    opts.runs,
                    workload.name(),
                    flavor.name()
                );
                let cmd = child_cmd(exe(variant), variant, workload, flavor, &opts.size);
                match run_child(cmd) {
                    Ok((ms, cpu_ms)) => {
                        eprintln!("{ms:.1} ms (cpu {cpu_ms:.1} ms)");
                        wall[c][v].push(ms);
                        cpu[c][v].push(cpu_ms);
                    }
                    Err(e) => {
                        eprintln!("FAILED\n    {e}");
                        failed = true;
                    }
                }
            }
        }
    }
    let mut counts = vec![[None, None, None]; CASES.len()];
    if opts.count {
        if process::find_on_path("valgrind").is_none() {
            eprintln!("instruction counts skipped: `valgrind` is not on PATH");
        } else {
            let quick = SizeArgs {
                quick: true,
                ..SizeArgs::default()
            };
            for (c, &(workload, flavor)) in CASES.iter().enumerate() {
                for (v, &variant) in VARIANTS.iter().enumerate() {
                    eprint!(
                        "[instructions] {} {} {variant:?} … ",
                        workload.name(),
                        flavor.name()
                    );
                    let mut cmd = Command::new("valgrind");
                    cmd.args([
                        "--tool=cachegrind",
                        "--cache-sim=no",
                        "--cachegrind-out-file=/dev/null",
                    ]);
                    let inner = child_cmd(exe(variant), variant, workload, flavor, &quick);
                    cmd.arg(inner.get_program()).args(inner.get_args());
                    match count_child(cmd) {
                        Ok(n) => {
                            eprintln!("{n}");
                            counts[c][v] = Some(n);
                        }
                        Err(e) => {
                            eprintln!("FAILED\n    {e}");
                            failed = true;
                        }
                    }
                }
            }
        }
    }
    print!("{}", render(&opts, &wall, &cpu, &counts));
    if failed {
        eprintln!("evloop-bench overhead: some measurements failed");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn child_cmd(
    exe: &Path,
    variant: Variant,
    workload: Workload,
    flavor: Flavor,
    size: &SizeArgs,
) -> Command {
    let size = SizeArgs {
        trace: variant == Variant::On,
        ..size.clone()
    };
    let mut cmd = Command::new(exe);
    cmd.args(["__child", "evloop", flavor.name(), workload.name()])
        .args(size.to_args())
        // The "off" build must not be switched on behind our back.
        .env_remove("EVLOOP_TRACE");
    cmd
}

/// The child's timed section and its whole CPU time, ms.
fn run_child(cmd: Command) -> Result<(f64, f64), String> {
    let done = process::run(cmd, Duration::from_secs(300)).map_err(|e| format!("{e}"))?;
    if !done.success() {
        return Err(done.failure());
    }
    let report = child::parse_report(&done.stdout)?;
    let wall = report
        .metrics
        .iter()
        .find(|(k, _)| k == "time_ms")
        .map(|(_, v)| *v)
        .ok_or_else(|| "printed no time_ms".to_owned())?;
    Ok((wall, done.cpu.as_secs_f64() * 1e3))
}

fn count_child(cmd: Command) -> Result<u64, String> {
    let done = process::run(cmd, Duration::from_secs(600)).map_err(|e| format!("{e}"))?;
    if !done.success() {
        return Err(done.failure());
    }
    parse_irefs(&done.stderr).ok_or_else(|| "no `I refs` line from cachegrind".to_owned())
}

/// The total from cachegrind's summary line `==pid== I   refs:  1,234,567`.
fn parse_irefs(stderr: &str) -> Option<u64> {
    let line = stderr.lines().find(|l| l.contains("I   refs:"))?;
    let digits: String = line
        .split("I   refs:")
        .nth(1)?
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// Builds this benchmark with `--cfg evloop_no_observe` into
/// `target/no-observe` (incremental after the first time).
fn build_bare() -> Result<PathBuf, String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no workspace directory")?;
    let target = workspace.join("target").join("no-observe");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    flags.push_str(" --cfg evloop_no_observe");
    eprintln!(
        "building the bare (--cfg evloop_no_observe) benchmark in {} …",
        target.display()
    );
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--release", "-p", "evloop-bench"])
        .env("RUSTFLAGS", flags.trim())
        .env("CARGO_TARGET_DIR", &target);
    let done = process::run(cmd, Duration::from_secs(1800))
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !done.success() {
        return Err(format!("building the bare benchmark: {}", done.failure()));
    }
    Ok(target.join("release").join("evloop-bench"))
}

fn render(
    opts: &Opts,
    wall: &[[Vec<f64>; 3]],
    cpu: &[[Vec<f64>; 3]],
    counts: &[[Option<u64>; 3]],
) -> String {
    let sizes = opts.size.sizes();
    let mut out = format!(
        "\n## Observability overhead (spawn_many {}, seed_chain {}; median of {} runs)\n",
        sizes.spawn_many, sizes.seed_chains, opts.runs
    );
    for (title, samples) in [
        ("Wall time of the timed section", wall),
        ("CPU time of the whole child process", cpu),
    ] {
        out.push_str(&format!(
            "\n### {title}\n\n\
             | workload | bare | off | on | off ÷ bare (≤ 1.01) | on ÷ off (≤ 1.10) |\n\
             |---|---|---|---|---|---|\n"
        ));
        for (c, &case) in CASES.iter().enumerate() {
            let m = samples[c].each_ref().map(|s| stats::median(s));
            out.push_str(&row(
                case,
                m,
                |ms| format!("{ms:.1} ms"),
                stats::format_ratio,
            ));
        }
    }
    if counts.iter().any(|c| c.iter().any(Option::is_some)) {
        let quick = SizeArgs {
            quick: true,
            ..SizeArgs::default()
        }
        .sizes();
        out.push_str(&format!(
            "\n### Instructions (cachegrind, spawn_many {}, seed_chain {}, whole process)\n\n\
             | workload | bare | off | on | off ÷ bare | on ÷ off |\n\
             |---|---|---|---|---|---|\n",
            quick.spawn_many, quick.seed_chains
        ));
        for (c, &case) in CASES.iter().enumerate() {
            let n = counts[c].map(|n| n.map(|n| n as f64));
            out.push_str(&row(
                case,
                n,
                |n| format!("{:.2} M", n / 1e6),
                |a, b| format!("{:.3}×", a / b),
            ));
        }
    }
    out
}

/// One table row: the bare, off and on figures, then off ÷ bare and
/// on ÷ off; a missing figure (or ratio) prints as "–".
fn row(
    (workload, flavor): (Workload, Flavor),
    [bare, off, on]: [Option<f64>; 3],
    cell: impl Fn(f64) -> String,
    ratio: impl Fn(f64, f64) -> String,
) -> String {
    let cell = |v: Option<f64>| v.map_or("–".to_owned(), &cell);
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => ratio(a, b),
        _ => "–".to_owned(),
    };
    format!(
        "| {} {} | {} | {} | {} | {} | {} |\n",
        workload.name(),
        flavor.name(),
        cell(bare),
        cell(off),
        cell(on),
        ratio(off, bare),
        ratio(on, off),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_its_flags() {
        let o = parse(&args("--runs 3 --bare /x/y --no-count")).unwrap();
        assert_eq!(o.runs, 3);
        assert_eq!(o.bare, Some(PathBuf::from("/x/y")));
        assert!(!o.count);
        assert_eq!(o.size.sizes().seed_chains, SEED_N);
        let q = parse(&args("--quick")).unwrap();
        assert_eq!(
            q.size.sizes().seed_chains,
            SizeArgs {
                quick: true,
                ..SizeArgs::default()
            }
            .sizes()
            .seed_chains
        );
        assert!(parse(&args("--runs 0")).is_err());
        assert!(parse(&args("--fast")).is_err());
    }

    #[test]
    fn a_row_prints_figures_ratios_and_gaps() {
        let case = (Workload::SpawnMany, Flavor::CurrentThread);
        let r = row(
            case,
            [Some(100.0), Some(101.0), None],
            |ms| format!("{ms:.1} ms"),
            |a, b| format!("{:.3}×", a / b),
        );
        assert_eq!(
            r,
            "| spawn_many ct | 100.0 ms | 101.0 ms | – | 1.010× | – |\n"
        );
    }

    #[test]
    fn reads_cachegrind_totals() {
        let err = "==1== Cachegrind\n==1== \n==1== I   refs:      127,677,001\n";
        assert_eq!(parse_irefs(err), Some(127_677_001));
        assert_eq!(parse_irefs("nothing"), None);
    }

    #[test]
    fn only_the_on_variant_traces() {
        let size = SizeArgs::default();
        let on = child_cmd(
            Path::new("x"),
            Variant::On,
            Workload::SpawnMany,
            Flavor::CurrentThread,
            &size,
        );
        assert!(on.get_args().any(|a| a == "--trace"));
        let off = child_cmd(
            Path::new("x"),
            Variant::Off,
            Workload::SpawnMany,
            Flavor::CurrentThread,
            &size,
        );
        assert!(!off.get_args().any(|a| a == "--trace"));
    }
}
