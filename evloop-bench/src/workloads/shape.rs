//! The workload bodies, written once against tokio's API shape.
//!
//! Each macro takes the name of a crate or module laid out like tokio (`$rt`)
//! and expands its workloads as functions `fn(Flavor, &Sizes) ->
//! Option<Outcome>` into the invoking module. The invoking module provides
//! `fn build(Flavor) -> Option<$rt::runtime::Runtime>` (`None` when the runtime
//! lacks that flavour) and brings `Flavor`, `Outcome` and `Sizes` into scope.
//!
//! The groups follow the parts of the API they need, so that a runtime that
//! only has some of them can expand only those:
//!
//! | macro | needs | workloads |
//! |---|---|---|
//! | `shape_core!` | runtime, `spawn`, `JoinHandle`, `task::yield_now` | spawn_many, spawn_remote, yield_many, chained_spawn |
//! | `shape_mpsc!` | `sync::mpsc::channel` | ping_pong, mpsc |
//! | `shape_lock!` | `sync::Mutex` | mutex_uncontended |
//! | `shape_time!` | `time::{sleep, timeout}` | timer_churn, seed_chain, idle_cpu |
//! | `shape_net!` | `net::{TcpListener, TcpStream}`, `io::{AsyncReadExt, AsyncWriteExt}` | tcp_echo, http_hello |
//! | `shape_soak!` (in `soak.rs`) | the above, `TcpStream::split` | soak |
//!
//! Timed sections start after the runtime is built and end when the result is
//! in hand; the work itself runs inside one root task, so that on the
//! multi-thread flavour it runs on the workers, not on the `block_on` thread.

/// Runtime, spawn and yield workloads, and the `in_root` helper the other
/// groups use.
macro_rules! shape_core {
    ($rt:ident) => {
        /// Runs `fut` as a spawned task and blocks until it is done.
        fn in_root<F>(rt: &$rt::runtime::Runtime, fut: F) -> F::Output
        where
            F: ::std::future::Future + Send + 'static,
            F::Output: Send + 'static,
        {
            rt.block_on(async move { $rt::spawn(fut).await.expect("root task failed") })
        }

        pub(super) fn spawn_many(flavor: Flavor, sizes: &Sizes) -> Option<Outcome> {
            let n = sizes.spawn_many;
            let rt = build(flavor)?;
            let (sum, elapsed) = common::timed(|| {
                in_root(&rt, async move {
                    let mut handles = Vec::with_capacity(n);
                    for i in 0..n {
                        handles.push($rt::spawn(async move { i as u64 }));
                    }
                    let mut sum = 0u64;
                    for handle in handles {
                        sum += handle.await.expect("spawned task failed");
                    }
                    sum
                })
            });
            assert_eq!(sum, common::triangular(n), "spawn_many: wrong sum");
            Some(Outcome::time(elapsed))
        }

        pub(super) fn spawn_remote(flavor: Flavor, sizes: &Sizes) -> Option<Outcome> {
            let n = sizes.spawn_remote;
            let rt = build(flavor)?;
            let (sum, elapsed) = common::timed(|| {
                let handles: Vec<_> = (0..n).map(|i| rt.spawn(async move { i as u64 })).collect();
                rt.block_on(async move {
                    let mut sum = 0u64;
                    for handle in handles {
                        sum += handle.await.expect("spawned task failed");
                    }
                    sum
                })
            });
            assert_eq!(sum, common::triangular(n), "spawn_remote: wrong sum");
            Some(Outcome::time(elapsed))
        }

        pub(super) fn yield_many(flavor: Flavor, sizes: &Sizes) -> Option<Outcome> {
            let (tasks, yields) = (sizes.yield_tasks, sizes.yields);
            let rt = build(flavor)?;
            let (total, elapsed) = common::timed(|| {
                in_root(&rt, async move {
                    let handles: Vec<_> = (0..tasks)
                        .map(|_| {
                            $rt::spawn(async move {
                                let mut done = 0usize;
                                for _ in 0..yields {
                                    $rt::task::yield_now().await;
                                    done += 1;
                                }
                                done
                            })
                        })
                        .collect();
                    let mut total = 0usize;
                    for handle in handles {
                        total += handle.await.expect("yielding task failed");
                    }
                    total
                })
            });
            assert_eq!(total, tasks * yields, "yield_many: lost yields");
            Some(Outcome::time(elapsed))
        }

        /// One link of chained_spawn: spawns the next link and waits for it.
        fn chain_link(
            depth: usize,
        ) -> ::std::pin::Pin<Box<dyn ::std::future::Future<Output = usize> + Send>> {
            Box::pin(async move {
                if depth == 0 {
                    0
                } else {
                    $rt::spawn(chain_link(depth - 1))
                        .await
                        .expect("link failed")
                        + 1
                }
            })
        }

        pub(super) fn chained_spawn(flavor: Flavor, sizes: &Sizes) -> Option<Outcome> {
            let (depth, iters) = (sizes.chain_depth, sizes.chain_iters);
            let rt = build(flavor)?;
            let (total, elapsed) = common::timed(|| {
                in_root(&rt, async move {
                    let mut total = 0usize;
                    for _ in 0..iters {
                        total += chain_link(depth).await;
                    }
                    total
                })
            });
            assert_eq!(total, depth * iters, "chained_spawn: wrong depth");
            Some(Outcome::time(elapsed))
        }
    };
}

/// Channel workloads.
macro_rules! shape_mpsc {
    ($rt:ident) => {
        pub(super) fn ping_pong(flavor: Flavor, sizes: &Sizes) -> Option<Outcome> {
            let (pairs, rounds) = (sizes.ping_pairs, sizes.ping_rounds);
            let rt = build(flavor)?;
            let (finals, elapsed) = common::timed(|| {
                in_root(&rt, async move {
                    let mut pings = Vec::with_capacity(pairs);
                    for _ in 0..pairs {
                        let (to_pong, mut pong_rx) = $rt::sync::mpsc::channel::<u64>(1);
                        let (to_ping, mut ping_rx) = $rt::sync::mpsc::channel::<u64>(1);
                        // The pong side ends when the ping side drops its sender.
                        drop($rt::spawn(async move {
                            while let Some(v) = pong_rx.recv().await {
                                if to_ping.send(v + 1).await.is_err() {
                                    break;
                                }
                            }
                        }));
                        pings.push($rt::spawn(async move {
                            let mut v = 0u64;
                            for _ in 0..rounds {
                                if to_pong.send(v).await.is_err() {
                                    panic!("ping_pong: pong side gone");
                                }
                                let back = ping_rx.recv().await.expect("ping_pong: pong closed");
                                assert_eq!(back, v + 1, "ping_pong: wrong reply");
                                v = back + 1;
                            }
                            v
                        }));
                    }
                    let mut finals = Vec::with_capacity(pairs);
                    for ping in pings {
                        finals.push(ping.await.expect("ping task failed"));
                    }
                    finals
                })
            });
            assert_eq!(finals.len(), pairs);
            for v in finals {
                assert_eq!(v, 2 * rounds as u64, "ping_pong: wrong final counter");
            }
            Some(Outcome::time(elapsed))
        }

        pub(super) fn mpsc(flavor: Flavor, sizes: &Sizes) -> Option<Outcome> {
            let (producers, per) = (sizes.mpsc_producers, sizes.mpsc_per_producer);
            let rt = build(flavor)?;
            let ((count, sum), elapsed) = common::timed(|| {
                in_root(&rt, async move {
                    let (tx, mut rx) = $rt::sync::mpsc::channel::<u64>(1024);
                    for p in 0..producers {
                        let tx = tx.clone();
                        drop($rt::spawn(async move {
                            let base = (p * per) as u64;
                            for i in 0..per as u64 {
                                if tx.send(base + i).await.is_err() {
                                    panic!("mpsc: receiver gone");
                                }
                            }
                        }));
                    }
                    drop(tx);
                    let (mut count, mut sum) = (0usize, 0u64);
                    while let Some(v) = rx.recv().await {
                        count += 1;
                        sum += v;
                    }
                    (count, sum)
                })
            });
            assert_eq!(count, producers * per, "mpsc: lost messages");
            assert_eq!(sum, common::triangular(producers * per), "mpsc: wrong sum");
            Some(Outcome::time(elapsed))
        }
    };
}

/// Lock workloads.
macro_rules! shape_lock {
    ($rt:ident) => {
        pub(super) fn mutex_uncontended(flavor: Flavor, sizes: &Sizes) -> Option<Outcome> {
            let n = sizes.mutex_locks;
            let rt = build(flavor)?;
            let (count, elapsed) = common::timed(|| {
                in_root(&rt, async move {
                    let mutex = $rt::sync::Mutex::new(0u64);
                    for _ in 0..n {
                        let mut guard = mutex.lock().await;
                        *guard += 1;
                        drop(guard);
                    }
                    let count = *mutex.lock().await;
                    count
                })
            });
            assert_eq!(count, n as u64, "mutex_uncontended: lost increments");
            Some(Outcome::time(elapsed))
        }
    };
}

/// Timer workloads.
macro_rules! shape_time {
    ($rt:ident) => {
        pub(super) fn timer_churn(flavor: Flavor, sizes: &Sizes) -> Option<Outcome> {
            // Spread over a few tasks so that both workers have timers to churn.
            const TASKS: usize = 8;
            let per = sizes.timers / TASKS;
            let rt = build(flavor)?;
            let (total, elapsed) = common::timed(|| {
                in_root(&rt, async move {
                    let handles: Vec<_> = (0..TASKS)
                        .map(|_| {
                            $rt::spawn(async move {
                                let mut sum = 0u64;
                                for i in 0..per as u64 {
                                    let fut = async move {
                                        $rt::task::yield_now().await;
                                        i
                                    };
                                    let limit = ::std::time::Duration::from_secs(60);
                                    sum += $rt::time::timeout(limit, fut)
                                        .await
                                        .expect("timer_churn: a 60 s timeout fired");
                                }
                                sum
                            })
                        })
                        .collect();
                    let mut total = 0u64;
                    for handle in handles {
                        total += handle.await.expect("timer task failed");
                    }
                    total
                })
            });
            assert_eq!(
                total,
                TASKS as u64 * common::triangular(per),
                "timer_churn: wrong sum"
            );
            Some(Outcome::time(elapsed))
        }

        async fn fetch_user(user_id: u64) -> String {
            $rt::time::sleep(::std::time::Duration::from_millis(100)).await;
            format!("User-{user_id}")
        }

        async fn fetch_posts(_user: &str) -> String {
            $rt::time::sleep(::std::time::Duration::from_millis(150)).await;
            String::from("Post-123")
        }

        async fn fetch_comments(_post: &str) -> String {
            $rt::time::sleep(::std::time::Duration::from_millis(200)).await;
            String::from("Here are the comments.")
        }

        /// The explanation's program: user, then posts, then comments.
        async fn display_comments(user_id: u64) -> u64 {
            let user = fetch_user(user_id).await;
            let post = fetch_posts(&user).await;
            let comments = fetch_comments(&post).await;
            assert_eq!(user, format!("User-{user_id}"), "seed_chain: wrong user");
            assert_eq!(
                comments, "Here are the comments.",
                "seed_chain: wrong comments"
            );
            user_id
        }

        pub(super) fn seed_chain(flavor: Flavor, sizes: &Sizes) -> Option<Outcome> {
            let n = sizes.seed_chains;
            let rt = build(flavor)?;
            let (sum, elapsed) = common::timed(|| {
                in_root(&rt, async move {
                    let handles: Vec<_> = (0..n as u64)
                        .map(|i| $rt::spawn(display_comments(i)))
                        .collect();
                    let mut sum = 0u64;
                    for handle in handles {
                        sum += handle.await.expect("chain failed");
                    }
                    sum
                })
            });
            assert_eq!(sum, common::triangular(n), "seed_chain: wrong sum");
            if n > 0 {
                assert!(
                    elapsed >= ::std::time::Duration::from_millis(450),
                    "seed_chain: finished in {elapsed:?}, before its sleeps could"
                );
            }
            Some(Outcome::time(elapsed))
        }

        pub(super) fn idle_cpu(flavor: Flavor, sizes: &Sizes) -> Option<Outcome> {
            let idle = sizes.idle;
            let rt = build(flavor)?;
            let (cpu, wall) = rt.block_on(async move {
                let cpu = common::process_cpu_time();
                let start = ::std::time::Instant::now();
                $rt::time::sleep(idle).await;
                (common::process_cpu_time() - cpu, start.elapsed())
            });
            assert!(wall >= idle, "idle_cpu: the sleep ended after {wall:?}");
            Some(Outcome {
                metrics: vec![("cpu_ms", common::millis(cpu))],
            })
        }
    };
}

/// Socket workloads.
macro_rules! shape_net {
    ($rt:ident) => {
        /// `127.0.0.1:0`, as a `SocketAddr` (accepted by every `bind`).
        fn loopback() -> ::std::net::SocketAddr {
            ::std::net::SocketAddr::from(([127, 0, 0, 1], 0))
        }

        /// Echoes everything it reads until the peer closes.
        async fn echo_conn(mut stream: $rt::net::TcpStream) {
            use $rt::io::{AsyncReadExt, AsyncWriteExt};
            stream.set_nodelay(true).expect("set_nodelay");
            let mut buf = [0u8; 4096];
            loop {
                let n = stream.read(&mut buf).await.expect("echo: read");
                if n == 0 {
                    return;
                }
                stream.write_all(&buf[..n]).await.expect("echo: write");
            }
        }

        pub(super) fn tcp_echo(flavor: Flavor, sizes: &Sizes) -> Option<Outcome> {
            let (conns, rounds) = (sizes.tcp_conns, sizes.tcp_rounds);
            let rt = build(flavor)?;
            let (total, elapsed) = common::timed(|| {
                in_root(&rt, async move {
                    use $rt::io::{AsyncReadExt, AsyncWriteExt};
                    let listener = $rt::net::TcpListener::bind(loopback())
                        .await
                        .expect("tcp_echo: bind");
                    let addr = listener.local_addr().expect("local_addr");
                    drop($rt::spawn(async move {
                        loop {
                            let (stream, _) = listener.accept().await.expect("tcp_echo: accept");
                            drop($rt::spawn(echo_conn(stream)));
                        }
                    }));
                    let clients: Vec<_> = (0..conns)
                        .map(|c| {
                            $rt::spawn(async move {
                                let mut stream = $rt::net::TcpStream::connect(addr)
                                    .await
                                    .expect("tcp_echo: connect");
                                stream.set_nodelay(true).expect("set_nodelay");
                                let mut out = [0u8; 64];
                                let mut back = [0u8; 64];
                                for r in 0..rounds {
                                    for (i, b) in out.iter_mut().enumerate() {
                                        *b = (c * 31 + r * 7 + i) as u8;
                                    }
                                    stream.write_all(&out).await.expect("tcp_echo: write");
                                    stream.read_exact(&mut back).await.expect("tcp_echo: read");
                                    assert_eq!(back, out, "tcp_echo: wrong bytes back");
                                }
                                rounds
                            })
                        })
                        .collect();
                    let mut total = 0usize;
                    for client in clients {
                        total += client.await.expect("client failed");
                    }
                    total
                })
            });
            assert_eq!(total, conns * rounds, "tcp_echo: lost round trips");
            Some(Outcome::time(elapsed))
        }

        /// Serves one keep-alive HTTP/1.1 connection.
        async fn http_conn(
            mut stream: $rt::net::TcpStream,
            served: ::std::sync::Arc<::std::sync::atomic::AtomicU64>,
        ) -> ::std::io::Result<()> {
            use $rt::io::{AsyncReadExt, AsyncWriteExt};
            stream.set_nodelay(true)?;
            let mut conn = http::Conn::new();
            loop {
                let n = stream.read(conn.spare()).await?;
                if n == 0 {
                    return Ok(());
                }
                let step = conn.filled(n)?;
                served.fetch_add(step.requests, ::std::sync::atomic::Ordering::Relaxed);
                if !conn.output().is_empty() {
                    stream.write_all(conn.output()).await?;
                    conn.clear_output();
                }
                if step.close {
                    return Ok(());
                }
            }
        }

        pub(super) fn http_hello(flavor: Flavor, sizes: &Sizes) -> Option<Outcome> {
            use ::std::sync::atomic::{AtomicU64, Ordering};
            use ::std::sync::Arc;
            let served = Arc::new(AtomicU64::new(0));
            let (port_tx, port_rx) = ::std::sync::mpsc::channel();
            let counter = served.clone();
            // The server owns a thread (and, for current_thread, its runtime
            // runs there); this thread drives wrk. The process exits when the
            // measurement is printed.
            ::std::thread::spawn(move || {
                let Some(rt) = build(flavor) else {
                    let _ = port_tx.send(None);
                    return;
                };
                rt.block_on(async move {
                    let listener = $rt::net::TcpListener::bind(loopback())
                        .await
                        .expect("http_hello: bind");
                    let port = listener.local_addr().expect("local_addr").port();
                    port_tx.send(Some(port)).expect("harness thread gone");
                    loop {
                        let (stream, _) = listener.accept().await.expect("http_hello: accept");
                        let counter = counter.clone();
                        drop($rt::spawn(async move {
                            if let Err(e) = http_conn(stream, counter).await {
                                if e.kind() == ::std::io::ErrorKind::InvalidData {
                                    panic!("http_hello: bad request: {e}");
                                }
                            }
                        }));
                    }
                })
            });
            let port = port_rx.recv().expect("server thread died")?;
            let report = http::run_wrk(port, sizes.http_secs);
            let served = served.load(Ordering::Relaxed);
            assert!(report.requests > 0, "http_hello: wrk completed no request");
            assert!(
                served >= report.requests,
                "http_hello: wrk counted {} responses, the server sent {served}",
                report.requests
            );
            Some(Outcome {
                metrics: vec![("rps", report.requests_per_sec), ("p99_ms", report.p99_ms)],
            })
        }
    };
}

/// `fn run(Flavor, Workload, &Sizes) -> Option<Outcome>` for a runtime that
/// expanded every group.
macro_rules! dispatch_all {
    () => {
        pub(super) fn run(flavor: Flavor, workload: Workload, sizes: &Sizes) -> Option<Outcome> {
            match workload {
                Workload::SpawnMany => spawn_many(flavor, sizes),
                Workload::SpawnRemote => spawn_remote(flavor, sizes),
                Workload::YieldMany => yield_many(flavor, sizes),
                Workload::ChainedSpawn => chained_spawn(flavor, sizes),
                Workload::PingPong => ping_pong(flavor, sizes),
                Workload::Mpsc => mpsc(flavor, sizes),
                Workload::MutexUncontended => mutex_uncontended(flavor, sizes),
                Workload::TimerChurn => timer_churn(flavor, sizes),
                Workload::SeedChain => seed_chain(flavor, sizes),
                Workload::IdleCpu => idle_cpu(flavor, sizes),
                Workload::TcpEcho => tcp_echo(flavor, sizes),
                Workload::HttpHello => http_hello(flavor, sizes),
                Workload::Soak => soak(flavor, sizes),
            }
        }
    };
}
