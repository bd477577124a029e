//! `#[evloop::test(sim)]` and the seed sweep.

use std::time::Duration;

#[evloop::test(sim)]
async fn runs_in_a_simulation() {
    assert!(evloop::sim::is_simulation());
    let t0 = evloop::time::Instant::now();
    evloop::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(t0.elapsed(), Duration::from_secs(3600));
}

#[evloop::test(sim, seeds = 64, workers = 2, check = true)]
async fn sweeps_seeds() {
    let replay =
        std::env::var_os("EVLOOP_SEED").is_some() || std::env::var_os("EVLOOP_SEEDS").is_some();
    assert!(evloop::sim::seed().unwrap() < 64 || replay);
    let a = evloop::spawn(async { 1 });
    assert_eq!(a.await.unwrap(), 1);
}

#[test]
fn a_failing_seed_prints_its_replay_command() {
    if std::env::var_os("EVLOOP_SEED").is_some() {
        return; // a replay of another test's seed: the sweep runs one seed
    }
    let err = std::panic::catch_unwind(|| {
        evloop::sim::sweep(
            "sim_macro::flaky",
            100,
            &evloop::sim::Builder::new().workers(2),
            || async {
                let seed = evloop::sim::seed().unwrap();
                assert!(seed % 10 != 7, "bad seed");
            },
        )
    })
    .expect_err("seed 7 fails");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("simulation failed with seed"), "{msg}");
    assert!(msg.contains("EVLOOP_SEED="), "{msg}");
    assert!(msg.contains("cargo test -- --exact flaky"), "{msg}");
    let seed: u64 = msg["simulation failed with seed ".len()..]
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(seed % 10, 7);
}
