//! Same seed, same run; different seeds, different runs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use evloop::sim::{Builder, Policy, Report};

/// A program with many scheduling choices: tasks that lock, yield, sleep
/// and message each other; returns the order in which they finished.
async fn busy_program() -> Vec<u32> {
    let order = Arc::new(Mutex::new(Vec::new()));
    let (tx, mut rx) = evloop::sync::mpsc::channel::<u32>(4);
    let mut set = evloop::task::JoinSet::new();
    for i in 0..16u32 {
        let order = order.clone();
        let tx = tx.clone();
        set.spawn(async move {
            for k in 0..(i % 4) {
                evloop::task::yield_now().await;
                if k == 1 {
                    evloop::time::sleep(Duration::from_millis(u64::from(i % 3))).await;
                }
            }
            tx.send(i).await.unwrap();
            order.lock().unwrap().push(i);
        });
    }
    drop(tx);
    let mut got = 0;
    while rx.recv().await.is_some() {
        got += 1;
    }
    assert_eq!(got, 16);
    while set.join_next().await.is_some() {}
    let v = order.lock().unwrap().clone();
    v
}

fn run(seed: u64, workers: usize, policy: Policy) -> (Vec<u32>, Report) {
    Builder::new()
        .seed(seed)
        .workers(workers)
        .policy(policy)
        .run(busy_program)
}

#[test]
fn same_seed_same_hash_one_worker() {
    for seed in 0..20 {
        let (a, ra) = run(seed, 1, Policy::Random);
        let (b, rb) = run(seed, 1, Policy::Random);
        assert_eq!(a, b, "seed {seed}");
        assert_eq!(ra.hash, rb.hash, "seed {seed}");
        assert_eq!(ra.polls, rb.polls);
        assert_eq!(ra.elapsed, rb.elapsed);
        assert_eq!(ra.leaks, 0);
    }
}

#[test]
fn same_seed_same_hash_many_workers_and_pct() {
    for seed in 0..20 {
        for policy in [Policy::Random, Policy::Pct { depth: 3 }] {
            let (a, ra) = run(seed, 4, policy);
            let (b, rb) = run(seed, 4, policy);
            assert_eq!(a, b, "seed {seed} {policy:?}");
            assert_eq!(ra.hash, rb.hash, "seed {seed} {policy:?}");
        }
    }
}

#[test]
fn different_seeds_give_different_interleavings() {
    for (workers, policy) in [
        (1, Policy::Random),
        (4, Policy::Random),
        (4, Policy::Pct { depth: 3 }),
    ] {
        let mut orders = std::collections::HashSet::new();
        let mut hashes = std::collections::HashSet::new();
        for seed in 0..20 {
            let (order, report) = run(seed, workers, policy);
            orders.insert(order);
            hashes.insert(report.hash);
        }
        assert!(
            hashes.len() >= 18,
            "{workers} workers {policy:?}: {} hashes",
            hashes.len()
        );
        assert!(
            orders.len() >= 5,
            "{workers} workers {policy:?}: {} orders",
            orders.len()
        );
    }
}

#[test]
fn check_mode_runs_twice_and_passes_on_a_deterministic_program() {
    let (order, report) = Builder::new()
        .seed(5)
        .workers(3)
        .check_determinism(true)
        .run(busy_program);
    assert_eq!(order.len(), 16);
    assert!(report.events > 100);
}

#[test]
fn check_mode_names_the_first_divergent_event() {
    // Real nondeterminism leaking in: a process-wide counter that the two
    // runs see differently decides how many tasks are spawned.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let result = std::panic::catch_unwind(|| {
        Builder::new()
            .seed(1)
            .check_determinism(true)
            .run(|| async {
                let extra = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                evloop::spawn(async {}).await.unwrap();
                if extra == 1 {
                    evloop::spawn(async {}).await.unwrap();
                }
            })
    });
    let err = result.expect_err("the check must fail");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("seed 1 is not deterministic"), "{msg}");
    assert!(msg.contains("differ first at event #"), "{msg}");
    assert!(
        msg.contains("sim_determinism.rs"),
        "names the spawn site: {msg}"
    );
}

#[test]
fn runtime_api_works_inside() {
    Builder::new().workers(2).block_on(async {
        let handle = evloop::runtime::Handle::current();
        let j = handle.spawn(async { 40 });
        let b = evloop::task::spawn_blocking(|| 2);
        assert_eq!(j.await.unwrap() + b.await.unwrap(), 42);
        let (tx, rx) = evloop::sync::oneshot::channel();
        evloop::spawn(async move { tx.send(1).unwrap() });
        assert_eq!(rx.await.unwrap(), 1);
        let r = evloop::select! {
            _ = evloop::time::sleep(Duration::from_secs(5)) => 1,
            _ = evloop::time::sleep(Duration::from_secs(1)) => 2,
        };
        assert_eq!(r, 2);
        assert_eq!(evloop::task::block_in_place(|| 3), 3);
        let p = evloop::spawn(async { panic!("boom") }).await;
        assert!(p.unwrap_err().is_panic());
    });
}
