//! A race that only two workers can produce, found by a seed sweep and
//! replayed from its seed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use evloop::sim::{Builder, Policy, Report};

/// The bug: `second` assumes `first` (spawned just before it by the same
/// task) has already run. One worker runs its queue in order, so it always
/// holds there; with two, a thief can take `first` away and leave `second`
/// to run before it.
async fn spawn_order_race() -> bool {
    let flag = Arc::new(AtomicBool::new(false));
    let f2 = flag.clone();
    evloop::spawn(async move {
        let _x = evloop::spawn(async {});
        let f1 = f2.clone();
        let first = evloop::spawn(async move { f1.store(true, Ordering::SeqCst) });
        let second = evloop::spawn(async move { f2.load(Ordering::SeqCst) });
        let saw = second.await.unwrap();
        first.await.unwrap();
        saw
    })
    .await
    .unwrap()
}

fn run(seed: u64, workers: usize) -> (bool, Report) {
    Builder::new()
        .seed(seed)
        .workers(workers)
        .policy(Policy::Random)
        .run(spawn_order_race)
}

#[test]
fn one_worker_never_shows_the_race() {
    for seed in 0..300 {
        assert!(run(seed, 1).0, "seed {seed}: one worker ran `second` first");
    }
}

#[test]
fn two_workers_find_the_race_and_its_seed_replays_it() {
    let found = (0..300).find(|&seed| !run(seed, 2).0);
    let seed = found.expect("300 seeds on two workers never ran `second` before `first`");
    let (a, ra) = run(seed, 2);
    let (b, rb) = run(seed, 2);
    assert!(!a && !b, "seed {seed} must fail on every replay");
    assert_eq!(ra.hash, rb.hash);
    // And a seed that passes passes again.
    let good = (0..300).find(|&s| run(s, 2).0).unwrap();
    assert!(run(good, 2).0);
}

#[test]
fn pct_finds_it_too() {
    let found = (0..300).any(|seed| {
        !Builder::new()
            .seed(seed)
            .workers(2)
            .policy(Policy::Pct { depth: 2 })
            .pct_steps(10)
            .run(spawn_order_race)
            .0
    });
    assert!(found);
}
