//! The markdown report: machine and date, one row per workload, flavour and
//! figure; a column per runtime, the ratios evloop/peer, peak RSS per runtime.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cli::Options;
use crate::harness::{Cell, Col, Results, Status};
use crate::stats;
use crate::workloads::{self, Flavor, RuntimeKind, Unit, Workload, BYTES_PER_CHAIN};

const EVLOOP: Col = Col::Rust(RuntimeKind::Evloop);
const NOT_YET: &str = "n/a (not yet supported)";

/// Where and when the figures were taken.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    pub(crate) cores: usize,
    pub(crate) cpu: Option<String>,
    pub(crate) date: String,
}

impl Machine {
    pub(crate) fn detect() -> Machine {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        });
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Machine {
            cores,
            cpu,
            date: utc_date_time(secs),
        }
    }
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the Unix epoch.
pub(crate) fn utc_date_time(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01, computed in
/// 400-year eras (146,097 days each) with years starting on 1 March, so the
/// leap day is the last day of the year.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146_096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of March-based year
    let mp = (5 * doy + 2) / 153; // March = 0
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn cell_text(cell: Option<&Cell>, value: Option<f64>, unit: Unit) -> String {
    match cell.map(|c| &c.status) {
        None => "–".to_owned(),
        Some(Status::Unsupported) => NOT_YET.to_owned(),
        Some(Status::Failed(_)) => "FAILED".to_owned(),
        Some(Status::Skipped(_)) => "skipped".to_owned(),
        Some(Status::Measured) => value.map_or("–".to_owned(), |v| stats::format_value(v, unit)),
    }
}

/// Median of one figure of one cell. bytes/chain is derived per run from
/// peak RSS: (VmHWM − VmHWM of the same program with no chains) / chains.
fn figure(
    results: &Results,
    key: (Workload, Flavor, Col),
    metric: &str,
    chains: usize,
) -> Option<f64> {
    let cell = results.cells.get(&key)?;
    if cell.status != Status::Measured {
        return None;
    }
    let values: Vec<f64> = if metric == BYTES_PER_CHAIN {
        let base = *results.baselines.get(&(key.1, key.2))?;
        if chains == 0 {
            return None;
        }
        cell.runs
            .iter()
            .map(|r| r.rss_kb.saturating_sub(base) as f64 * 1024.0 / chains as f64)
            .collect()
    } else {
        cell.runs
            .iter()
            .filter_map(|r| r.metrics.iter().find(|(k, _)| k == metric).map(|(_, v)| *v))
            .collect()
    };
    stats::median(&values)
}

fn rss(results: &Results, key: (Workload, Flavor, Col)) -> String {
    let cell = results.cells.get(&key);
    match cell.map(|c| &c.status) {
        Some(Status::Measured) => {
            let kbs: Vec<u64> =
                cell.map_or(Vec::new(), |c| c.runs.iter().map(|r| r.rss_kb).collect());
            stats::median_u64(&kbs).map_or("–".to_owned(), stats::format_rss_kb)
        }
        Some(Status::Unsupported) => "n/a".to_owned(),
        _ => "–".to_owned(),
    }
}

/// The whole report.
pub(crate) fn render(opts: &Options, results: &Results, machine: &Machine) -> String {
    let chains = opts.size.sizes().seed_chains;
    let cols: Vec<Col> = Col::ALL
        .into_iter()
        .filter(|c| matches!(c, Col::Rust(_)) || opts.workloads.contains(&Workload::SeedChain))
        .collect();
    let peers: Vec<Col> = cols.iter().copied().filter(|&c| c != EVLOOP).collect();

    let mut out = String::new();
    let _ = writeln!(out, "## evloop-bench\n");
    let _ = writeln!(out, "- date: {}", machine.date);
    let _ = writeln!(
        out,
        "- machine: {} cores{}",
        machine.cores,
        machine
            .cpu
            .as_deref()
            .map_or(String::new(), |c| format!(", {c}"))
    );
    let _ = writeln!(
        out,
        "- median of {} run(s) per cell; runtimes interleaved, one process per measurement",
        opts.runs
    );
    let _ = writeln!(
        out,
        "- sizes: {}\n",
        if opts.size.quick {
            "quick (smoke check: do not quote these figures)"
        } else {
            "full (BENCHMARKS.md)"
        }
    );

    let mut header = vec!["workload".to_owned()];
    header.extend(cols.iter().map(|c| c.name().to_owned()));
    header.extend(peers.iter().map(|c| format!("evloop/{}", c.name())));
    header.extend(cols.iter().map(|c| format!("peak RSS {}", c.name())));
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));

    for &workload in &opts.workloads {
        for flavor in Flavor::ALL {
            for m in workload.metrics() {
                let mut row = vec![if m.label.is_empty() {
                    format!("{} ({})", workload.name(), flavor.name())
                } else {
                    format!("{} ({}), {}", workload.name(), flavor.name(), m.label)
                }];
                let value = |col: Col| figure(results, (workload, flavor, col), m.key, chains);
                for &col in &cols {
                    let cell = results.cells.get(&(workload, flavor, col));
                    row.push(cell_text(cell, value(col), m.unit));
                }
                let evloop = value(EVLOOP);
                let evloop_status = results
                    .cells
                    .get(&(workload, flavor, EVLOOP))
                    .map(|c| &c.status);
                for &peer in &peers {
                    let applies = results.cells.contains_key(&(workload, flavor, peer));
                    row.push(match (evloop, value(peer)) {
                        _ if !applies => "–".to_owned(),
                        (Some(e), Some(p)) => stats::format_ratio(e, p),
                        _ if evloop_status == Some(&Status::Unsupported) => "n/a".to_owned(),
                        _ => "–".to_owned(),
                    });
                }
                for &col in &cols {
                    row.push(rss(results, (workload, flavor, col)));
                }
                let _ = writeln!(out, "| {} |", row.join(" | "));
            }
        }
    }

    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "mt: multi_thread, 2 workers (smol: async-executor on 2 threads); ct: current_thread \
         (smol: LocalExecutor). Ratios are evloop ÷ peer: for times below 1.00× evloop is faster, \
         for requests/s above 1.00× it is. Go (GOMAXPROCS = cores) is compared in the mt rows, \
         Node in the ct rows."
    );
    if opts.workloads.contains(&Workload::SeedChain) {
        let _ = writeln!(
            out,
            "seed_chain: {chains} concurrent chains; bytes/chain = (peak RSS − peak RSS of the same \
             program with 0 chains) ÷ chains."
        );
    }
    if opts.workloads.contains(&Workload::Soak) {
        let sizes = opts.size.sizes();
        let _ = writeln!(
            out,
            "soak: {} connections for {} s on loopback, client and server on the same runtime; \
             messages of random length (1 B – 64 KiB), every byte checked; round trip = first \
             byte written to last byte read back. Not measured on smol.",
            sizes.soak_conns,
            sizes.soak.as_secs()
        );
    }
    let unsupported = results
        .cells
        .values()
        .any(|c| c.status == Status::Unsupported);
    if unsupported {
        let _ = writeln!(
            out,
            "- evloop {NOT_YET}: this build does not use {} (the evloop-* features of \
             evloop-bench, switched on as the API lands).",
            workloads::evloop_missing().join(", ")
        );
    }
    for note in &results.notes {
        let _ = writeln!(out, "- {note}");
    }
    let mut failures: Vec<String> = results
        .cells
        .iter()
        .filter_map(|((w, f, c), cell)| match &cell.status {
            Status::Failed(why) => Some(format!(
                "- FAILED {} ({}) on {}: {why}",
                w.name(),
                f.name(),
                c.name()
            )),
            _ => None,
        })
        .collect();
    failures.sort();
    for f in failures {
        let _ = writeln!(out, "{f}");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::cli::SizeArgs;
    use crate::harness::Run;

    #[test]
    fn dates() {
        assert_eq!(utc_date_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(
            utc_date_time(19_723 * 86_400 + 3_661),
            "2024-01-01 01:01 UTC"
        );
        // 2024-02-29 (leap day) and 2100-03-01 (2100 is no leap year).
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(47_541), (2100, 3, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    fn run(ms: f64, rss_kb: u64) -> Run {
        Run {
            metrics: vec![("time_ms".to_owned(), ms)],
            rss_kb,
        }
    }

    #[test]
    fn renders_ratios_rss_and_not_yet_supported() {
        let opts = Options {
            workloads: vec![Workload::SpawnMany, Workload::SeedChain],
            runs: 3,
            size: SizeArgs {
                quick: false,
                seed_n: Some(1000),
                empty: false,
                trace: false,
                soak_conns: None,
                soak_secs: None,
            },
        };
        let mut cells = HashMap::new();
        let measured = |runs| Cell {
            status: Status::Measured,
            runs,
        };
        let mt = Flavor::MultiThread;
        cells.insert(
            (Workload::SpawnMany, mt, EVLOOP),
            measured(vec![run(90.0, 2048), run(80.0, 2048), run(500.0, 4096)]),
        );
        cells.insert(
            (Workload::SpawnMany, mt, Col::Rust(RuntimeKind::Tokio)),
            measured(vec![run(100.0, 1024)]),
        );
        cells.insert(
            (Workload::SeedChain, mt, EVLOOP),
            Cell {
                status: Status::Unsupported,
                runs: vec![],
            },
        );
        cells.insert(
            (Workload::SeedChain, mt, Col::Go),
            measured(vec![run(460.0, 2000)]),
        );
        let mut baselines = HashMap::new();
        baselines.insert((mt, Col::Go), 1000);
        let results = Results {
            cells,
            baselines,
            notes: vec!["node peer skipped: test".into()],
        };
        let machine = Machine {
            cores: 2,
            cpu: None,
            date: "2024-01-01 00:00 UTC".into(),
        };
        let text = render(&opts, &results, &machine);
        // Median 90 ms vs 100 ms; median RSS 2 MiB.
        assert!(
            text.contains("| spawn_many (mt) | 90.0 ms | 100 ms | – | – | – | 0.90× | – | – | – | 2.00 MiB | 1.00 MiB |"),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "| seed_chain (mt), wall, ideal 450 ms | {NOT_YET} | – | – | 460 ms |"
            )),
            "{text}"
        );
        // (2000 − 1000) kB × 1024 ÷ 1000 chains.
        assert!(text.contains("| 1024 B |"), "{text}");
        assert!(text.contains("- node peer skipped: test"));
        assert!(text.contains(&format!("- evloop {NOT_YET}: this build does not use")));
        assert!(text.contains("2 cores"));
    }
}
