//! The simulated network inside a deterministic simulation: one seed fixes
//! the schedule (with one or more simulated workers) and the network
//! together, so a seed's [`Report::hash`] repeats and differs between seeds.

use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use evloop::net::{TcpListener, TcpStream, UdpSocket};
use evloop::sim::net::Net;
use evloop::sim::{Builder, Policy, Report};
use evloop::time::{sleep, timeout, Instant};

/// Echo server on `srv`, three clients that each send a few messages; a
/// partition cuts `c1` off for a while. Returns the bytes echoed back.
async fn echo_partition() -> usize {
    let net = Net::builder()
        .seed(1)
        .latency(Duration::from_millis(1)..Duration::from_millis(20))
        .build();
    net.host("srv", || async {
        let listener = TcpListener::bind("0.0.0.0:7").await.unwrap();
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            evloop::spawn(async move {
                let mut buf = [0u8; 64];
                loop {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if sock.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    let mut clients = Vec::new();
    for name in ["c1", "c2", "c3"] {
        clients.push(net.client(name, async move {
            let mut sock = TcpStream::connect("srv:7").await?;
            let mut total = 0;
            for i in 0..5u8 {
                sleep(Duration::from_millis(30)).await;
                let msg = [i; 8];
                sock.write_all(&msg).await?;
                let mut back = [0u8; 8];
                sock.read_exact(&mut back).await?;
                assert_eq!(back, msg);
                total += back.len();
            }
            Ok::<_, io::Error>(total)
        }));
    }
    sleep(Duration::from_millis(40)).await;
    net.partition("c1", "srv");
    sleep(Duration::from_millis(200)).await;
    net.repair("c1", "srv");
    let mut total = 0;
    for c in clients {
        total += timeout(Duration::from_secs(60), c)
            .await
            .expect("hung")
            .unwrap()
            .unwrap();
    }
    total
}

fn echo_run(seed: u64, workers: usize) -> Report {
    let (total, report) = Builder::new()
        .seed(seed)
        .workers(workers)
        .max_steps(1_000_000)
        .run(echo_partition);
    assert_eq!(total, 3 * 5 * 8);
    assert_eq!(report.leaks, 0, "{report}");
    report
}

#[test]
fn echo_over_a_partition_replays_with_one_worker() {
    let a = echo_run(3, 1);
    let b = echo_run(3, 1);
    assert_eq!(a.hash, b.hash);
    assert_ne!(a.hash, echo_run(4, 1).hash);
}

#[test]
fn echo_over_a_partition_replays_with_two_workers() {
    let a = echo_run(3, 2);
    let b = echo_run(3, 2);
    assert_eq!(a.hash, b.hash);
    assert_ne!(a.hash, echo_run(4, 2).hash);
    assert_ne!(a.hash, echo_run(3, 1).hash);
}

/// The API's answer to one request, after its processing time.
async fn answer(req: &str) -> String {
    let (what, arg) = req.split_once(' ').unwrap_or((req, ""));
    let (pause, reply) = match what {
        "user" => (100, format!("User-{arg}")),
        "posts" => (150, "Post-123".to_owned()),
        "comments" => (200, "Here are the comments.".to_owned()),
        _ => (0, "unknown request".to_owned()),
    };
    sleep(Duration::from_millis(pause)).await;
    reply
}

/// One try, with a per-try timeout, retried with a growing pause.
async fn with_retries(retries: &AtomicU32, req: String) -> io::Result<String> {
    let mut pause = Duration::from_millis(50);
    for _ in 0..20 {
        match timeout(Duration::from_millis(600), fetch(&req)).await {
            Ok(Ok(reply)) => return Ok(reply),
            Ok(Err(_)) | Err(_) => {
                retries.fetch_add(1, Ordering::SeqCst);
                sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(800));
            }
        }
    }
    Err(io::Error::new(io::ErrorKind::TimedOut, "no answer"))
}

async fn fetch(req: &str) -> io::Result<String> {
    let mut sock = BufReader::new(TcpStream::connect("api:80").await?);
    sock.get_mut()
        .write_all(format!("{req}\n").as_bytes())
        .await?;
    let mut line = String::new();
    if sock.read_line(&mut line).await? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(line.trim().to_owned())
}

/// Fetch a user, their posts, then a post's comments from a flaky API:
/// a partition during the first fetch, a crash and restart during the
/// second, and seeded TCP resets throughout.
async fn fetch_chain() -> (String, u32, Duration) {
    let net = Net::builder()
        .latency(Duration::from_millis(1)..Duration::from_millis(10))
        .tcp_reset(0.05)
        .connect_timeout(Duration::from_millis(300))
        .build();
    net.host("api", || async {
        let listener = TcpListener::bind("0.0.0.0:80").await.unwrap();
        loop {
            let (sock, _) = listener.accept().await.unwrap();
            evloop::spawn(async move {
                let mut sock = BufReader::new(sock);
                let mut line = String::new();
                if sock.read_line(&mut line).await.unwrap_or(0) > 0 {
                    let reply = answer(line.trim()).await;
                    let _ = sock
                        .get_mut()
                        .write_all(format!("{reply}\n").as_bytes())
                        .await;
                }
            });
        }
    });
    let retries = Arc::new(AtomicU32::new(0));
    let r = retries.clone();
    let client = net.client("client", async move {
        let start = Instant::now();
        let user = with_retries(&r, "user test-user".into()).await?;
        let post = with_retries(&r, format!("posts {user}")).await?;
        let comments = with_retries(&r, format!("comments {post}")).await?;
        Ok::<_, io::Error>((comments, start.elapsed()))
    });
    sleep(Duration::from_millis(50)).await;
    net.partition("client", "api");
    sleep(Duration::from_millis(1500)).await;
    net.repair("client", "api");
    sleep(Duration::from_millis(150)).await;
    net.crash("api");
    sleep(Duration::from_millis(400)).await;
    net.restart("api");
    let (out, elapsed) = timeout(Duration::from_secs(3600), client)
        .await
        .expect("hung")
        .unwrap()
        .unwrap();
    (out, retries.load(Ordering::SeqCst), elapsed)
}

#[test]
fn fetch_chain_completes_for_every_seed() {
    let mut hashes = std::collections::BTreeSet::new();
    for workers in [1, 2] {
        for seed in 0..6 {
            let builder = Builder::new()
                .seed(seed)
                .workers(workers)
                .policy(if seed % 2 == 0 {
                    Policy::Random
                } else {
                    Policy::Pct { depth: 3 }
                })
                .max_steps(1_000_000);
            // One call site: spawn sites, the run's own included, are
            // part of the hash.
            let run = || builder.run(fetch_chain);
            let ((out, retries, elapsed), report) = run();
            assert_eq!(out, "Here are the comments.", "{report}");
            assert!(retries >= 2, "the faults cost no retry: {report}");
            assert!(
                elapsed >= Duration::from_millis(1500 + 450),
                "finished in {elapsed:?}, inside the partition: {report}"
            );
            assert_eq!(report.leaks, 0, "{report}");
            let (_, again) = run();
            assert_eq!(report.hash, again.hash, "seed {seed} did not replay");
            hashes.insert(report.hash);
        }
    }
    assert_eq!(hashes.len(), 12, "two seeds gave one run");
}

#[evloop::test(sim, seeds = 16, workers = 2, check = true)]
async fn hosts_inside_a_sim_test() {
    assert_eq!(echo_partition().await, 3 * 5 * 8);
}

/// Fifty datagrams over a lossy link; returns how many arrived.
async fn lossy_udp() -> usize {
    let net = Net::builder()
        .seed(5)
        .latency(Duration::from_millis(1)..Duration::from_millis(30))
        .udp_loss(0.4)
        .build();
    let rx = net.client("rx", async {
        let sock = UdpSocket::bind("0.0.0.0:9").await.unwrap();
        let mut got = 0;
        let mut buf = [0u8; 16];
        while let Ok(Ok(_)) = timeout(Duration::from_secs(1), sock.recv(&mut buf)).await {
            got += 1;
        }
        got
    });
    let tx = net.client("tx", async {
        let sock = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        for i in 0..50u8 {
            sock.send_to(&[i], "rx:9").await.unwrap();
            sleep(Duration::from_millis(5)).await;
        }
    });
    tx.await.unwrap();
    rx.await.unwrap()
}

#[evloop::test(sim, seeds = 16, workers = 2)]
async fn lossy_udp_loses_some_in_a_sim_test() {
    let got = lossy_udp().await;
    assert!(got < 50, "nothing lost");
}

#[test]
fn the_network_draws_from_the_simulation_seed() {
    // The network's own seed is fixed: only the simulation's seed varies.
    let counts: std::collections::BTreeSet<usize> = (0..8)
        .map(|seed| Builder::new().seed(seed).run(lossy_udp).0)
        .collect();
    assert!(counts.len() > 1, "every seed lost the same datagrams");
}
