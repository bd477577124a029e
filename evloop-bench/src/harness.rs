//! The harness: runs every (workload, flavour, runtime) measurement in its
//! own child process, interleaving the runtimes (A B C A B C …) so that
//! machine noise spreads over all of them, and collects the figures.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::child::{self, Report};
use crate::cli::{Options, SizeArgs};
use crate::process;
use crate::workloads::{Flavor, RuntimeKind, Workload};

/// A column of the table: a Rust runtime measured in a child of this binary,
/// or one of the explanation's own languages running its program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Col {
    Rust(RuntimeKind),
    Go,
    Node,
}

impl Col {
    pub(crate) const ALL: [Col; 5] = [
        Col::Rust(RuntimeKind::Evloop),
        Col::Rust(RuntimeKind::Tokio),
        Col::Rust(RuntimeKind::Smol),
        Col::Go,
        Col::Node,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Col::Rust(rt) => rt.name(),
            Col::Go => "go",
            Col::Node => "node",
        }
    }

    /// Whether this column measures `workload` on `flavor`. smol sits out
    /// the soak. Go and Node run only the explanation's program; Go (goroutines on every core) sits in
    /// the multi-thread rows, Node (one event loop) in the current-thread ones.
    pub(crate) fn applies(self, workload: Workload, flavor: Flavor) -> bool {
        match self {
            // See `workloads::smol_rt::soak`.
            Col::Rust(RuntimeKind::Smol) => workload != Workload::Soak,
            Col::Rust(_) => true,
            Col::Go => workload == Workload::SeedChain && flavor == Flavor::MultiThread,
            Col::Node => workload == Workload::SeedChain && flavor == Flavor::CurrentThread,
        }
    }
}

/// The outcome of one cell of the table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Status {
    /// At least one run so far, none failed.
    Measured,
    /// evloop does not offer the API yet.
    Unsupported,
    Failed(String),
    Skipped(String),
}

/// One successful run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Run {
    pub(crate) metrics: Vec<(String, f64)>,
    pub(crate) rss_kb: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cell {
    pub(crate) status: Status,
    pub(crate) runs: Vec<Run>,
}

/// Everything measured.
#[derive(Debug)]
pub(crate) struct Results {
    pub(crate) cells: HashMap<(Workload, Flavor, Col), Cell>,
    /// Peak RSS of seed_chain with no chains, per flavour and column.
    pub(crate) baselines: HashMap<(Flavor, Col), u64>,
    /// Notes for under the table (skipped peers and why).
    pub(crate) notes: Vec<String>,
}

impl Results {
    pub(crate) fn any_failed(&self) -> bool {
        self.cells
            .values()
            .any(|c| matches!(c.status, Status::Failed(_)))
    }
}

/// The external programs the harness may use, found once.
struct Tools {
    /// The built Go peer, or why it is skipped.
    go: Result<PathBuf, String>,
    /// `node`, or why it is skipped.
    node: Result<PathBuf, String>,
    wrk: Option<PathBuf>,
}

fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers")
}

impl Tools {
    fn find(needs_peers: bool) -> Tools {
        let unused = || Err("not selected".to_owned());
        Tools {
            go: if needs_peers { build_go() } else { unused() },
            node: if needs_peers {
                process::find_on_path("node").ok_or_else(|| "`node` is not on PATH".to_owned())
            } else {
                unused()
            },
            wrk: process::find_on_path("wrk"),
        }
    }
}

/// Compiles `peers/seed_chain.go` next to this executable.
fn build_go() -> Result<PathBuf, String> {
    let go = process::find_on_path("go").ok_or("`go` is not on PATH (Debian package golang-go)")?;
    let out = process::exe_dir()
        .map_err(|e| format!("cannot locate this executable: {e}"))?
        .join("seed_chain_go");
    let mut cmd = Command::new(go);
    cmd.arg("build")
        .arg("-o")
        .arg(&out)
        .arg(peers_dir().join("seed_chain.go"));
    let done = process::run(cmd, Duration::from_secs(300))
        .map_err(|e| format!("cannot run go build: {e}"))?;
    if !done.success() {
        return Err(format!("go build failed: {}", done.failure()));
    }
    Ok(out)
}

/// Runs the measurements `opts` asks for.
pub(crate) fn run(opts: &Options) -> Results {
    let needs_peers = opts.workloads.contains(&Workload::SeedChain);
    let tools = Tools::find(needs_peers);
    let mut results = Results {
        cells: HashMap::new(),
        baselines: HashMap::new(),
        notes: Vec::new(),
    };
    if needs_peers {
        if let Err(why) = &tools.go {
            results.notes.push(format!("go peer skipped: {why}"));
        }
        if let Err(why) = &tools.node {
            results.notes.push(format!("node peer skipped: {why}"));
        }
    }
    if tools.wrk.is_none() && opts.workloads.contains(&Workload::HttpHello) {
        results
            .notes
            .push("http_hello skipped: `wrk` is not on PATH (Debian package wrk)".to_owned());
    }
    let limit = if opts.size.quick {
        Duration::from_secs(120)
    } else {
        Duration::from_secs(600)
    };

    for &workload in &opts.workloads {
        for flavor in Flavor::ALL {
            for col in Col::ALL.into_iter().filter(|c| c.applies(workload, flavor)) {
                let status = match (workload, col) {
                    (Workload::HttpHello, _) if tools.wrk.is_none() => {
                        Status::Skipped("no wrk".into())
                    }
                    (_, Col::Go) if tools.go.is_err() => Status::Skipped("no go".into()),
                    (_, Col::Node) if tools.node.is_err() => Status::Skipped("no node".into()),
                    _ => Status::Measured,
                };
                results.cells.insert(
                    (workload, flavor, col),
                    Cell {
                        status,
                        runs: Vec::new(),
                    },
                );
            }
        }
        for i in 0..opts.runs {
            for flavor in Flavor::ALL {
                for col in Col::ALL {
                    let Some(cell) = results.cells.get_mut(&(workload, flavor, col)) else {
                        continue;
                    };
                    if cell.status != Status::Measured {
                        continue;
                    }
                    eprint!(
                        "[{}/{}] {} {} {} … ",
                        i + 1,
                        opts.runs,
                        workload.name(),
                        flavor.name(),
                        col.name()
                    );
                    let cmd = command(&tools, col, flavor, workload, &opts.size);
                    record(cell, measure(cmd, col, limit));
                }
            }
        }
        if workload == Workload::SeedChain {
            for flavor in Flavor::ALL {
                for col in Col::ALL {
                    let measured = results
                        .cells
                        .get(&(workload, flavor, col))
                        .is_some_and(|c| c.status == Status::Measured);
                    if !measured {
                        continue;
                    }
                    eprint!("[baseline] seed_chain {} {} … ", flavor.name(), col.name());
                    let empty = SizeArgs {
                        empty: true,
                        ..opts.size.clone()
                    };
                    let cmd = command(&tools, col, flavor, workload, &empty);
                    match measure(cmd, col, limit) {
                        Ok(Some(run)) => {
                            eprintln!("{} kB", run.rss_kb);
                            results.baselines.insert((flavor, col), run.rss_kb);
                        }
                        Ok(None) => eprintln!("unsupported"),
                        Err(e) => eprintln!("FAILED ({e})"),
                    }
                }
            }
        }
    }
    results
}

fn record(cell: &mut Cell, outcome: Result<Option<Run>, String>) {
    match outcome {
        Ok(Some(run)) => {
            let figures: Vec<String> = run
                .metrics
                .iter()
                .map(|(k, v)| format!("{k}={v:.3}"))
                .collect();
            eprintln!("{} rss={} kB", figures.join(" "), run.rss_kb);
            cell.runs.push(run);
        }
        Ok(None) => {
            eprintln!("not yet supported");
            cell.status = Status::Unsupported;
        }
        Err(why) => {
            eprintln!("FAILED\n    {why}");
            cell.status = Status::Failed(why);
        }
    }
}

/// The command that measures `col` once.
fn command(
    tools: &Tools,
    col: Col,
    flavor: Flavor,
    workload: Workload,
    size: &SizeArgs,
) -> Command {
    match col {
        Col::Rust(rt) => {
            let exe = std::env::current_exe().expect("path of this executable");
            let mut cmd = Command::new(exe);
            cmd.args(["__child", rt.name(), flavor.name(), workload.name()])
                .args(size.to_args());
            cmd
        }
        Col::Go => {
            let mut cmd = Command::new(tools.go.as_ref().expect("go peer checked"));
            cmd.arg("-n").arg(size.sizes().seed_chains.to_string());
            cmd
        }
        Col::Node => {
            let mut cmd = Command::new(tools.node.as_ref().expect("node checked"));
            cmd.arg(peers_dir().join("seed_chain.js"))
                .arg(size.sizes().seed_chains.to_string());
            cmd
        }
    }
}

/// Runs one measurement: `Ok(None)` if unsupported.
fn measure(cmd: Command, col: Col, limit: Duration) -> Result<Option<Run>, String> {
    let done = process::run(cmd, limit).map_err(|e| format!("cannot start: {e}"))?;
    if !done.success() {
        return Err(done.failure());
    }
    let report: Report = child::parse_report(&done.stdout)?;
    if report.unsupported {
        return Ok(None);
    }
    if report.metrics.is_empty() {
        return Err("printed no figures".into());
    }
    // Rust children read their own VmHWM; the peers' comes from wait4.
    let rss_kb = match col {
        Col::Rust(_) => report.vmhwm_kb.ok_or("printed no vmhwm_kb")?,
        Col::Go | Col::Node => done.maxrss_kb,
    };
    Ok(Some(Run {
        metrics: report.metrics,
        rss_kb,
    }))
}
