//! The bounded, seeded run of every target on stable Rust (`cargo test`).
//!
//! Each test feeds its target `EVLOOP_FUZZ_ITERS` inputs (default
//! [`DEFAULT_ITERS`] per target, scaled down for the slow ones) of random
//! bytes. Input `i` comes from seed `EVLOOP_FUZZ_BASE + i` (base
//! [`DEFAULT_BASE`]), so a run is the same on every machine. On a failure
//! the test prints the seed; `EVLOOP_FUZZ_SEED=<seed>` runs that one input
//! again, and `EVLOOP_FUZZ_INPUT=<file>` runs a file (a crash or corpus
//! entry from cargo-fuzz). `EVLOOP_FUZZ_SAVE=<dir>` writes the failing
//! input there, for `cargo fuzz run <target> <file>`.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

const DEFAULT_ITERS: u64 = 300;
const DEFAULT_BASE: u64 = 0x5eed_0000;

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

/// splitmix64: the input bytes of one seed.
fn input(seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    // Mostly short inputs, some long ones.
    let len = match next() % 4 {
        0 => next() % 64,
        1 | 2 => next() % 512,
        _ => next() % 4096,
    } as usize;
    (0..len).map(|_| next() as u8).collect()
}

/// Runs `target` on the inputs the environment asks for; `weight` divides
/// the default count for targets that build a runtime per input.
pub(super) fn run(name: &str, weight: u64, target: fn(&[u8])) {
    super::install_panic_filter();
    if let Ok(path) = std::env::var("EVLOOP_FUZZ_INPUT") {
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        eprintln!("fuzz {name}: running {path} ({} bytes)", data.len());
        target(&data);
        return;
    }
    let (first, count) = match env_u64("EVLOOP_FUZZ_SEED") {
        Some(seed) => (seed, 1),
        None => (
            env_u64("EVLOOP_FUZZ_BASE").unwrap_or(DEFAULT_BASE),
            env_u64("EVLOOP_FUZZ_ITERS").unwrap_or(DEFAULT_ITERS / weight.max(1)),
        ),
    };
    for seed in first..first + count {
        let data = input(seed);
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| target(&data))) {
            eprintln!(
                "fuzz {name}: failed on seed {seed:#x} ({} bytes); replay with\n  \
                 EVLOOP_FUZZ_SEED={seed:#x} cargo test -p evloop --lib fuzz::smoke::{name}",
                data.len()
            );
            if let Ok(dir) = std::env::var("EVLOOP_FUZZ_SAVE") {
                let path = format!("{dir}/{name}-{seed:#x}");
                match std::fs::write(&path, &data) {
                    Ok(()) => eprintln!("fuzz {name}: input written to {path}"),
                    Err(e) => eprintln!("fuzz {name}: could not write {path}: {e}"),
                }
            }
            resume_unwind(panic);
        }
    }
}

#[test]
fn wheel() {
    run("wheel", 1, super::wheel::run);
}

#[test]
fn mpsc_bounded() {
    run("mpsc_bounded", 1, super::mpsc_bounded::run);
}

#[test]
fn mpsc_unbounded() {
    run("mpsc_unbounded", 1, super::mpsc_unbounded::run);
}

#[test]
fn broadcast() {
    run("broadcast", 1, super::broadcast::run);
}

#[test]
fn task() {
    run("task", 3, super::task::run);
}

#[test]
fn reactor() {
    run("reactor", 6, super::reactor::run);
}

#[test]
fn bytes() {
    run("bytes", 1, super::bytes::run);
}

#[test]
fn duplex() {
    run("duplex", 1, super::duplex::run);
}

#[test]
fn copy() {
    run("copy", 1, super::copy::run);
}

#[test]
fn watch() {
    run("watch", 1, super::watch::run);
}

#[test]
fn oneshot() {
    run("oneshot", 1, super::oneshot::run);
}

/// Every target has a cargo-fuzz target of its name, and every cargo-fuzz
/// target is one of [`super::TARGETS`].
#[test]
fn every_target_is_in_the_fuzz_crate() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut files: Vec<String> = std::fs::read_dir(root.join("fuzz_targets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut names: Vec<String> = super::TARGETS
        .iter()
        .map(|t| format!("{}.rs", t.0))
        .collect();
    names.sort();
    assert_eq!(files, names, "fuzz/fuzz_targets and TARGETS differ");
    for (name, _) in super::TARGETS {
        let source = std::fs::read_to_string(root.join(format!("fuzz_targets/{name}.rs"))).unwrap();
        assert!(
            source.contains(&format!("evloop::fuzz::{name}::run")),
            "{name}.rs runs another target"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} missing in fuzz/Cargo.toml"
        );
    }
}
