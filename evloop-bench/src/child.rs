//! The measuring side: `evloop-bench __child RUNTIME FLAVOR WORKLOAD [flags]`
//! runs one workload once in a fresh process and prints its figures.
//!
//! Protocol, one item per line on stdout:
//!
//! ```text
//! metric <key> <value>     one per figure the workload reports
//! vmhwm_kb <n>             peak RSS of the process at the end
//! unsupported              instead of the above: the runtime lacks the API
//! ```
//!
//! A wrong result panics (non-zero exit); the harness reports the failure.

use std::process::ExitCode;

use crate::cli::SizeArgs;
use crate::process;
use crate::workloads::{self, Flavor, RuntimeKind, Workload};

/// Entry point for the hidden subcommand; `args` follow `__child`.
pub(crate) fn main(args: &[String]) -> ExitCode {
    let parsed = parse_args(args);
    let (runtime, flavor, workload, sizes) = match parsed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("evloop-bench __child: {e}");
            return ExitCode::from(2);
        }
    };
    workloads::set_evloop_trace(sizes.trace);
    match workloads::run(runtime, flavor, workload, &sizes.sizes()) {
        None => println!("unsupported"),
        Some(outcome) => {
            for (key, value) in outcome.metrics {
                println!("metric {key} {value}");
            }
            match process::self_vmhwm_kb() {
                Ok(kb) => println!("vmhwm_kb {kb}"),
                Err(e) => {
                    eprintln!("evloop-bench __child: cannot read VmHWM: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    // Leave at once: a server thread may still be blocked in accept.
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(0)
}

type ChildArgs = (RuntimeKind, Flavor, Workload, SizeArgs);

fn parse_args(args: &[String]) -> Result<ChildArgs, String> {
    let [runtime, flavor, workload, flags @ ..] = args else {
        return Err(
            "usage: __child RUNTIME FLAVOR WORKLOAD [--quick] [--seed-n N] [--empty] [--trace]"
                .into(),
        );
    };
    let runtime = RuntimeKind::from_name(runtime).ok_or(format!("unknown runtime {runtime}"))?;
    let flavor = Flavor::from_name(flavor).ok_or(format!("unknown flavor {flavor}"))?;
    let workload = Workload::from_name(workload).ok_or(format!("unknown workload {workload}"))?;
    let sizes = SizeArgs::parse(flags)?;
    Ok((runtime, flavor, workload, sizes))
}

/// What a child printed.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Report {
    pub(crate) unsupported: bool,
    pub(crate) metrics: Vec<(String, f64)>,
    pub(crate) vmhwm_kb: Option<u64>,
}

#[cfg(test)]
impl Report {
    pub(crate) fn metric(&self, key: &str) -> Option<f64> {
        self.metrics.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

/// Reads the protocol lines; other lines (a peer's chatter) are ignored.
pub(crate) fn parse_report(stdout: &str) -> Result<Report, String> {
    let mut report = Report::default();
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["unsupported"] => report.unsupported = true,
            ["metric", key, value] => {
                let v: f64 = value
                    .parse()
                    .map_err(|_| format!("bad metric line: {line}"))?;
                if !v.is_finite() {
                    return Err(format!("non-finite metric: {line}"));
                }
                report.metrics.push(((*key).to_owned(), v));
            }
            ["vmhwm_kb", kb] => {
                report.vmhwm_kb = Some(kb.parse().map_err(|_| format!("bad vmhwm line: {line}"))?);
            }
            _ => {}
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_protocol() {
        let r =
            parse_report("metric time_ms 12.5\nnoise\nmetric rps 1e5\nvmhwm_kb 2048\n").unwrap();
        assert!(!r.unsupported);
        assert_eq!(r.metric("time_ms"), Some(12.5));
        assert_eq!(r.metric("rps"), Some(100_000.0));
        assert_eq!(r.metric("p99_ms"), None);
        assert_eq!(r.vmhwm_kb, Some(2048));
        assert!(parse_report("unsupported\n").unwrap().unsupported);
        assert!(parse_report("metric time_ms fast\n").is_err());
        assert!(parse_report("metric time_ms NaN\n").is_err());
    }

    #[test]
    fn child_args() {
        let args: Vec<String> = ["tokio", "ct", "mpsc", "--quick"]
            .map(String::from)
            .to_vec();
        let (rt, fl, w, s) = parse_args(&args).unwrap();
        assert_eq!(
            (rt, fl, w),
            (RuntimeKind::Tokio, Flavor::CurrentThread, Workload::Mpsc)
        );
        assert!(s.quick);
        assert!(parse_args(&args[..2]).is_err());
        let bad: Vec<String> = ["tokio", "xx", "mpsc"].map(String::from).to_vec();
        assert!(parse_args(&bad).is_err());
    }
}
