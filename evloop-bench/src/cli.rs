//! Command line.
//!
//! ```text
//! evloop-bench all | NAME [NAME..] [--runs N] [--quick] [--seed-n N]
//!                    [--soak-conns N] [--soak-secs T]
//! evloop-bench overhead [--runs N] [--quick] [--seed-n N] [--bare EXE] [--no-count]
//! evloop-bench list
//! ```

use crate::workloads::{Sizes, Workload};

pub(crate) const USAGE: &str = "\
usage: evloop-bench all | NAME [NAME..] [--runs N] [--quick] [--seed-n N]
                          [--soak-conns N] [--soak-secs T]
       evloop-bench overhead [--runs N] [--quick] [--seed-n N] [--bare EXE] [--no-count]
       evloop-bench sim [--runs N] [--quick]
       evloop-bench list

  all          run every workload
  NAME         run the named workloads (see `list`)
  --runs N     measurements per runtime, median reported (default 5)
  --quick      small sizes, for smoke checks
  --seed-n N   concurrent chains in seed_chain (default 1000000, quick 10000;
               overhead: 100000)
  --soak-conns N  connections of the soak workload (default 5000, quick 100)
  --soak-secs T   seconds the soak workload runs (default 10, quick 2)
  overhead     the observability layer's cost on spawn_many and seed_chain:
               evloop built with `--cfg evloop_no_observe` (bare), the normal
               build with the recorder off, and with it on; wall-time ratios
               (median of --runs) and instruction counts (cachegrind, --quick
               sizes; --no-count skips them). --bare EXE: a bare build to use
               instead of building one in target/no-observe
  sim          the deterministic simulator: simulated polls/s (1 and 4
               workers, random and PCT) beside the real runtime, time
               compression, seed-sweep rate on 1 thread and on every core";

/// Flags that decide the problem sizes; passed on to every child.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SizeArgs {
    pub(crate) quick: bool,
    pub(crate) seed_n: Option<usize>,
    /// seed_chain with no chains: the baseline of its bytes/chain figure.
    pub(crate) empty: bool,
    /// evloop only: record a trace (`Builder::trace`, no output file), to
    /// measure the recorder's cost (`overhead` mode).
    pub(crate) trace: bool,
    pub(crate) soak_conns: Option<usize>,
    pub(crate) soak_secs: Option<usize>,
}

impl SizeArgs {
    pub(crate) fn sizes(&self) -> Sizes {
        let mut sizes = if self.quick {
            Sizes::quick()
        } else {
            Sizes::full()
        };
        if let Some(n) = self.seed_n {
            sizes.seed_chains = n;
        }
        if self.empty {
            sizes.seed_chains = 0;
        }
        if let Some(n) = self.soak_conns {
            sizes.soak_conns = n;
        }
        if let Some(t) = self.soak_secs {
            sizes.soak = std::time::Duration::from_secs(t as u64);
        }
        sizes
    }

    /// The flags that reproduce `self`.
    pub(crate) fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if self.quick {
            args.push("--quick".to_owned());
        }
        if let Some(n) = self.seed_n {
            args.push("--seed-n".to_owned());
            args.push(n.to_string());
        }
        if self.empty {
            args.push("--empty".to_owned());
        }
        if self.trace {
            args.push("--trace".to_owned());
        }
        if let Some(n) = self.soak_conns {
            args.push("--soak-conns".to_owned());
            args.push(n.to_string());
        }
        if let Some(t) = self.soak_secs {
            args.push("--soak-secs".to_owned());
            args.push(t.to_string());
        }
        args
    }

    /// Parses the size flags; anything else is an error.
    pub(crate) fn parse(flags: &[String]) -> Result<SizeArgs, String> {
        let mut out = SizeArgs::default();
        let mut it = flags.iter();
        while let Some(flag) = it.next() {
            match flag.as_str() {
                "--quick" => out.quick = true,
                "--empty" => out.empty = true,
                "--trace" => out.trace = true,
                "--seed-n" => out.seed_n = Some(number(it.next(), "--seed-n")?),
                "--soak-conns" => out.soak_conns = Some(number(it.next(), "--soak-conns")?),
                "--soak-secs" => out.soak_secs = Some(number(it.next(), "--soak-secs")?),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        Ok(out)
    }
}

pub(crate) fn number(arg: Option<&String>, flag: &str) -> Result<usize, String> {
    let arg = arg.ok_or(format!("{flag} needs a number"))?;
    arg.parse()
        .map_err(|_| format!("{flag}: not a number: {arg}"))
}

/// The value of `--runs`: a number, at least 1.
pub(crate) fn runs(arg: Option<&String>) -> Result<usize, String> {
    match number(arg, "--runs")? {
        0 => Err("--runs must be at least 1".into()),
        n => Ok(n),
    }
}

/// What the harness was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) workloads: Vec<Workload>,
    pub(crate) runs: usize,
    pub(crate) size: SizeArgs,
}

pub(crate) fn parse(args: &[String]) -> Result<Options, String> {
    let mut workloads = Vec::new();
    let mut runs = 5;
    let mut size_flags = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => runs = self::runs(it.next())?,
            "--quick" => size_flags.push(arg.clone()),
            "--seed-n" | "--soak-conns" | "--soak-secs" => {
                size_flags.push(arg.clone());
                size_flags.push(it.next().ok_or(format!("{arg} needs a number"))?.clone());
            }
            "all" => workloads.extend(Workload::ALL),
            name if !name.starts_with('-') => {
                let w = Workload::from_name(name).ok_or(format!("unknown workload {name}"))?;
                workloads.push(w);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if workloads.is_empty() {
        return Err("name the workloads to run, or `all`".into());
    }
    // Keep the table order, drop repeats.
    workloads = Workload::ALL
        .into_iter()
        .filter(|w| workloads.contains(w))
        .collect();
    Ok(Options {
        workloads,
        runs,
        size: SizeArgs::parse(&size_flags)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_runs_quick_and_names() {
        let o = parse(&args("mpsc spawn_many --runs 3 --quick mpsc")).unwrap();
        assert_eq!(o.workloads, vec![Workload::SpawnMany, Workload::Mpsc]);
        assert_eq!(o.runs, 3);
        assert!(o.size.quick);
        let all = parse(&args("all")).unwrap();
        assert_eq!(all.workloads.len(), Workload::ALL.len());
        assert_eq!(all.runs, 5);
        assert_eq!(all.size.sizes(), Sizes::full());
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse(&args("")).is_err());
        assert!(parse(&args("all --runs 0")).is_err());
        assert!(parse(&args("all --runs")).is_err());
        assert!(parse(&args("nope")).is_err());
        assert!(parse(&args("all --fast")).is_err());
    }

    #[test]
    fn size_flags_round_trip() {
        let s = SizeArgs {
            quick: true,
            seed_n: Some(7),
            empty: false,
            trace: true,
            soak_conns: Some(3),
            soak_secs: Some(1),
        };
        assert_eq!(SizeArgs::parse(&s.to_args()).unwrap(), s);
        assert_eq!(s.sizes().seed_chains, 7);
        assert_eq!(s.sizes().soak_conns, 3);
        assert_eq!(s.sizes().soak, std::time::Duration::from_secs(1));
        let empty = SizeArgs { empty: true, ..s };
        assert_eq!(empty.sizes().seed_chains, 0);
    }
}
