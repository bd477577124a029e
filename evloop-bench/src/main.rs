//! Side-by-side benchmarks of evloop against tokio and smol (and, for the
//! explanation's own program, Go and Node).
//!
//! `cargo run --release -p evloop-bench -- all` runs every workload: each
//! measurement in a fresh child process (this binary, re-executed as
//! `__child RUNTIME FLAVOR WORKLOAD`), the runtimes interleaved, medians of
//! `--runs` (5) runs, and prints a markdown table. See BENCHMARKS.md for the
//! protocol and `cli::USAGE` for the flags.

#[macro_use]
mod workloads;

mod child;
mod cli;
mod harness;
mod http_axum;
mod overhead;
mod process;
mod report;
mod sim;
mod stats;
mod uring;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("__child") => return child::main(&args[1..]),
        Some("overhead") => return overhead::main(&args[1..]),
        Some("http_axum") => return http_axum::main(&args[1..]),
        Some("sim") => return sim::main(&args[1..]),
        Some("uring") => return uring::main(&args[1..]),
        Some("list") => {
            for w in workloads::Workload::ALL {
                println!("{}", w.name());
            }
            return ExitCode::SUCCESS;
        }
        Some("-h" | "--help") => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let opts = match cli::parse(&args) {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("evloop-bench: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let machine = report::Machine::detect();
    let results = harness::run(&opts);
    print!("{}", report::render(&opts, &results, &machine));
    if results.any_failed() {
        eprintln!("evloop-bench: some measurements failed (see FAILED above)");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
