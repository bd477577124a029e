//! A small replicated key-value store on the simulated network, with a
//! deliberate race, and a seed sweep that finds it.
//!
//! Three nodes: `n1` leads, `n2` and `n3` follow. The leader sends every
//! write to the followers (`REPL epoch key value`) and a heartbeat every
//! 50 ms; when `n2` hears no heartbeat for 250 ms it takes over with a new
//! epoch, and followers refuse messages of an older epoch. A client writes
//! twenty keys, retrying on other nodes when a node is not the leader or
//! does not answer, and at the end reads every key it was told was written.
//!
//! The race: the leader answers `OK` as soon as it has applied the write
//! itself and sent it on. When a partition cuts `n1` off for longer than
//! the failover timeout, `n1` keeps acknowledging writes that `n2`, the new
//! leader, never gets: the client reads back a write that was lost. With
//! `--fixed`, the leader answers `OK` only once every follower has the
//! write, and answers `ERR` otherwise, so no acknowledged write is lost.
//!
//! Each seed is one deterministic simulation (`evloop::sim::Builder`):
//! the seed picks the schedule (`--workers N` simulated workers, 2 by
//! default; `--policy random|pct`), every latency of the network and, through the
//! harness's own generator, whether and when the partition happens. A seed
//! replays exactly: `--replay SEED` prints the run's report hash, the same
//! in every process.
//!
//! ```sh
//! cargo run --release --example sim_kv -- --seeds 1000               # finds a failing seed
//! cargo run --release --example sim_kv -- --seeds 1000 --start 5000  # another range
//! cargo run --release --example sim_kv -- --replay SEED              # replays it
//! cargo run --release --example sim_kv -- --policy pct --workers 4 --seeds 1000
//! cargo run --release --example sim_kv -- --fixed --seeds 1000       # every seed passes
//! ```

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use evloop::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use evloop::net::{TcpListener, TcpStream};
use evloop::sim::net::Net;
use evloop::sim::{Builder, Policy, Report};
use evloop::time::{sleep, timeout, Instant};

const NODES: [&str; 3] = ["n1", "n2", "n3"];
const PORT: u16 = 7000;
const HEARTBEAT: Duration = Duration::from_millis(50);
const FAILOVER: Duration = Duration::from_millis(250);
const RPC_TIMEOUT: Duration = Duration::from_millis(150);
/// `--policy pct`: priority change points (depth - 1 of them) and the
/// steps they are spread over (a run takes about 3,800 polls).
const PCT_DEPTH: u32 = 3;
const PCT_STEPS: u64 = 4_000;

/// The harness's own seeded choices (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Node {
    name: &'static str,
    epoch: u64,
    leader: &'static str,
    store: BTreeMap<String, String>,
    last_heartbeat: Instant,
}

type Shared = Arc<Mutex<Node>>;

/// One request, one answer, on a fresh connection; `None` on any failure.
async fn rpc(to: &str, line: String) -> Option<String> {
    let attempt = async {
        let sock = TcpStream::connect((to, PORT)).await?;
        let mut sock = BufReader::new(sock);
        sock.get_mut()
            .write_all(format!("{line}\n").as_bytes())
            .await?;
        let mut reply = String::new();
        sock.read_line(&mut reply).await?;
        Ok::<_, io::Error>(reply.trim().to_owned())
    };
    match timeout(RPC_TIMEOUT, attempt).await {
        Ok(Ok(reply)) if !reply.is_empty() => Some(reply),
        _ => None,
    }
}

async fn handle(node: &Shared, line: &str, fixed: bool) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["PUT", key, value] => {
            let (epoch, followers) = {
                let mut n = node.lock().unwrap();
                if n.leader != n.name {
                    return "NOTLEADER".into();
                }
                n.store.insert(key.to_string(), value.to_string());
                let me = n.name;
                let followers: Vec<_> = NODES.iter().copied().filter(|&p| p != me).collect();
                (n.epoch, followers)
            };
            let msg = format!("REPL {epoch} {key} {value}");
            if fixed {
                // Acknowledge only what every follower has.
                for f in followers {
                    if rpc(f, msg.clone()).await.as_deref() != Some("OK") {
                        return "ERR".into();
                    }
                }
            } else {
                // The race: acknowledge at once, replicate in the background.
                for f in followers {
                    let msg = msg.clone();
                    evloop::spawn(async move { rpc(f, msg).await });
                }
            }
            "OK".into()
        }
        ["GET", key] => {
            let n = node.lock().unwrap();
            if n.leader != n.name {
                return "NOTLEADER".into();
            }
            n.store.get(*key).cloned().unwrap_or_else(|| "NONE".into())
        }
        ["REPL", epoch, key, value] => {
            let epoch: u64 = epoch.parse().unwrap();
            let mut n = node.lock().unwrap();
            if epoch < n.epoch {
                return "STALE".into();
            }
            n.epoch = epoch;
            n.store.insert(key.to_string(), value.to_string());
            "OK".into()
        }
        ["HB", epoch, from] => {
            let epoch: u64 = epoch.parse().unwrap();
            let mut n = node.lock().unwrap();
            if epoch < n.epoch {
                return "STALE".into();
            }
            n.epoch = epoch;
            n.leader = NODES.iter().copied().find(|&x| x == *from).unwrap();
            n.last_heartbeat = Instant::now();
            "OK".into()
        }
        _ => "BAD".into(),
    }
}

/// A node's main: serve requests, send heartbeats while leading, and (on
/// `n2`) take over when the leader goes quiet.
async fn node_main(name: &'static str, fixed: bool) {
    let node: Shared = Arc::new(Mutex::new(Node {
        name,
        epoch: 1,
        leader: "n1",
        store: BTreeMap::new(),
        last_heartbeat: Instant::now(),
    }));
    let listener = TcpListener::bind(("0.0.0.0", PORT)).await.unwrap();
    let ticker = node.clone();
    evloop::spawn(async move {
        loop {
            sleep(HEARTBEAT).await;
            let (leading, epoch) = {
                let mut n = ticker.lock().unwrap();
                if n.name == "n2" && n.leader != n.name && n.last_heartbeat.elapsed() > FAILOVER {
                    n.epoch += 1;
                    n.leader = n.name;
                }
                (n.leader == n.name, n.epoch)
            };
            if leading {
                for peer in NODES.iter().copied().filter(|&p| p != name) {
                    let ticker = ticker.clone();
                    evloop::spawn(async move {
                        if rpc(peer, format!("HB {epoch} {name}")).await.as_deref() == Some("STALE")
                        {
                            let mut n = ticker.lock().unwrap();
                            if n.leader == n.name && n.epoch == epoch {
                                n.leader = "?";
                            }
                        }
                    });
                }
            }
        }
    });
    loop {
        let (sock, _) = listener.accept().await.unwrap();
        let node = node.clone();
        evloop::spawn(async move {
            let mut sock = BufReader::new(sock);
            let mut line = String::new();
            while sock.read_line(&mut line).await.unwrap_or(0) > 0 {
                let reply = handle(&node, &line, fixed).await;
                if sock
                    .get_mut()
                    .write_all(format!("{reply}\n").as_bytes())
                    .await
                    .is_err()
                {
                    break;
                }
                line.clear();
            }
        });
    }
}

/// Sends `req` to the leader, trying the nodes in turn; `None` if no node
/// gave a definite answer.
async fn to_leader(req: &str) -> Option<String> {
    for _round in 0..20 {
        for node in NODES {
            match rpc(node, req.to_owned()).await.as_deref() {
                Some("NOTLEADER") | None => {}
                Some(reply) => return Some(reply.to_owned()),
            }
        }
        sleep(Duration::from_millis(50)).await;
    }
    None
}

/// How one seed is run.
#[derive(Clone, Copy)]
struct Settings {
    fixed: bool,
    policy: Policy,
    workers: usize,
}

/// Runs one seed in a simulation; `Err` describes the violation found.
fn run_seed(seed: u64, s: Settings) -> (Result<(), String>, Report) {
    Builder::new()
        .seed(seed)
        .workers(s.workers)
        .policy(s.policy)
        .pct_steps(PCT_STEPS)
        .max_steps(5_000_000)
        .run(move || scenario(seed, s.fixed))
}

/// One run: three nodes, a client writing and reading back, and perhaps a
/// partition that cuts the leader off.
async fn scenario(seed: u64, fixed: bool) -> Result<(), String> {
    // Inside a simulation the network draws from the simulation's seed;
    // its own seed only matters on an ordinary runtime.
    let net = Net::builder()
        .latency(Duration::from_millis(1)..Duration::from_millis(20))
        .connect_timeout(Duration::from_millis(100))
        .build();
    let mut rng = Rng(seed ^ 0x5eed);
    for name in NODES {
        net.host(name, move || node_main(name, fixed));
    }
    // The fault: sometimes, cut n1 off from both followers for a while.
    let fault = (rng.below(100) < 30).then(|| {
        let at = Duration::from_millis(100 + rng.below(800));
        let len = Duration::from_millis(50 + rng.below(450));
        (at, len)
    });
    let gaps: Vec<u64> = (0..20).map(|_| 20 + rng.below(60)).collect();
    let client = net.client("client", async move {
        let mut acked = BTreeMap::new();
        for (i, gap) in gaps.into_iter().enumerate() {
            sleep(Duration::from_millis(gap)).await;
            let (key, value) = (format!("k{i}"), format!("v{i}"));
            if to_leader(&format!("PUT {key} {value}")).await.as_deref() == Some("OK") {
                acked.insert(key, value);
            }
        }
        sleep(Duration::from_secs(2)).await;
        for (key, value) in &acked {
            match to_leader(&format!("GET {key}")).await {
                Some(got) if got == *value => {}
                got => return Err(format!("{key} was acknowledged as {value}, read {got:?}")),
            }
        }
        Ok(())
    });
    if let Some((at, len)) = fault {
        sleep(at).await;
        net.partition("n1", "n2");
        net.partition("n1", "n3");
        sleep(len).await;
        net.repair("n1", "n2");
        net.repair("n1", "n3");
    }
    timeout(Duration::from_secs(600), client)
        .await
        .map_err(|_| "the run did not finish".to_owned())
        .and_then(|r| r.map_err(|e| format!("the client failed: {e}")))
        .and_then(|r| r)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let fixed = args.iter().any(|a| a == "--fixed");
    let arg = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .map(|i| args.get(i + 1).map(String::as_str).unwrap_or(""))
    };
    let value = |flag: &str| {
        arg(flag).map(|v| {
            v.parse::<u64>()
                .unwrap_or_else(|_| panic!("{flag} takes a number"))
        })
    };
    let policy = match arg("--policy").unwrap_or("random") {
        "random" => Policy::Random,
        "pct" => Policy::Pct { depth: PCT_DEPTH },
        other => panic!("--policy takes random or pct, not {other:?}"),
    };
    let workers = value("--workers").unwrap_or(2) as usize;
    let settings = Settings {
        fixed,
        policy,
        workers,
    };
    let variant = format!(
        "{} --policy {} --workers {workers}",
        if fixed { " --fixed" } else { "" },
        arg("--policy").unwrap_or("random"),
    );
    if let Some(seed) = value("--replay") {
        let (outcome, report) = run_seed(seed, settings);
        println!(
            "seed {seed}: {} ({report})",
            match &outcome {
                Ok(()) => "passed".to_owned(),
                Err(e) => format!("FAILED: {e}"),
            }
        );
        println!("hash {:016x}", report.hash);
        std::process::exit(outcome.is_err() as i32);
    }
    let seeds = value("--seeds").unwrap_or(100);
    let from = value("--start").unwrap_or(0);
    let start = std::time::Instant::now();
    let mut first = None;
    let mut failing = 0;
    for seed in from..from + seeds {
        if let (Err(e), report) = run_seed(seed, settings) {
            failing += 1;
            if first.is_none() {
                println!("seed {seed} failed: {e} (hash {:016x})", report.hash);
                println!("replay: cargo run --example sim_kv --{variant} --replay {seed}");
                first = Some(seed);
            }
        }
    }
    println!(
        "{seeds} seeds in {:.1?}: {failing} failed{}",
        start.elapsed(),
        first
            .map(|s| format!(", first at seed {s} ({} seeds to find it)", s - from + 1))
            .unwrap_or_default()
    );
    std::process::exit((failing > 0) as i32);
}
