//! A check-then-act race across an `.await`, found by a seed sweep under
//! the deterministic simulator, and replayed from its seed.
//!
//! ```text
//! cargo run --release --example sim_race -- --seeds 1000            # find a failing seed
//! cargo run --release --example sim_race -- --seeds 1000 --policy pct
//! cargo run --release --example sim_race -- --replay SEED            # same hash every time
//! cargo run --release --example sim_race -- --seeds 1000 --fixed    # the fixed version passes
//! ```
//!
//! Eight clients share an account. A withdrawal reads the balance, checks
//! it, "talks to the ledger" (an await), then writes the new balance. Two
//! withdrawals whose awaits overlap both pass the check: the balance goes
//! negative. The fix holds the lock across the await.

use std::sync::Arc;
use std::time::Duration;

use evloop::sim::{Builder, Policy};
use evloop::sync::Mutex;

async fn withdraw(account: Arc<Mutex<i64>>, amount: i64, fixed: bool) -> bool {
    if fixed {
        let mut balance = account.lock().await;
        if *balance < amount {
            return false;
        }
        ledger().await;
        *balance -= amount;
        return true;
    }
    let balance = *account.lock().await;
    if balance < amount {
        return false;
    }
    ledger().await; // the window: another withdrawal can pass the check now
    *account.lock().await -= amount;
    true
}

/// A round trip to another service: usually instant, sometimes a yield,
/// rarely a short wait (the seed decides, through `buggify!`).
async fn ledger() {
    if evloop::sim::buggify!() {
        evloop::time::sleep(Duration::from_millis(1)).await;
    } else {
        evloop::task::yield_now().await;
    }
}

async fn program(fixed: bool) -> i64 {
    let account = Arc::new(Mutex::new(100i64));
    let mut set = evloop::task::JoinSet::new();
    for client in 0..8i64 {
        let account = account.clone();
        set.spawn(async move {
            // Deposits and withdrawals, a little apart in time.
            evloop::time::sleep(Duration::from_millis(client as u64 % 3)).await;
            if client % 2 == 0 {
                *account.lock().await += 10;
            }
            withdraw(account, 60, fixed).await
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    let balance = *account.lock().await;
    balance
}

fn builder(seed: u64, policy: Policy) -> Builder {
    Builder::new()
        .seed(seed)
        .workers(2)
        .policy(policy)
        .pct_steps(60)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| {
                v.parse::<u64>()
                    .unwrap_or_else(|_| panic!("{name} needs a number"))
            })
    };
    let fixed = args.iter().any(|a| a == "--fixed");
    let policy = match args
        .iter()
        .position(|a| a == "--policy")
        .map(|i| args[i + 1].as_str())
    {
        None | Some("random") => Policy::Random,
        Some("pct") => Policy::Pct { depth: 2 },
        Some(other) => panic!("unknown policy {other:?}: random or pct"),
    };
    if let Some(seed) = value("--replay") {
        let (balance, report) = builder(seed, policy)
            .check_determinism(true)
            .run(|| program(fixed));
        println!("balance {balance}: {report}");
        return;
    }
    let seeds = value("--seeds").unwrap_or(1000);
    let mut failing = Vec::new();
    for seed in 0..seeds {
        let (balance, _) = builder(seed, policy).run(|| program(fixed));
        if balance < 0 {
            failing.push(seed);
        }
    }
    let flag = if fixed { " --fixed" } else { "" };
    let pol = if policy == Policy::Random {
        ""
    } else {
        " --policy pct"
    };
    match failing.first() {
        None => println!("{seeds} seeds, {policy:?}: no failure"),
        Some(first) => {
            println!(
                "{seeds} seeds, {policy:?}: {} failing, the first is seed {first} \
                 ({} seeds to find it)\nreplay: cargo run --release --example sim_race -- \
                 --replay {first}{pol}{flag}",
                failing.len(),
                first + 1
            );
            std::process::exit(1);
        }
    }
}
