//! The simulated network's TCP: hosts, names, latency, partitions, holds,
//! resets, crashes and restarts, on a runtime with paused time.

use std::io::ErrorKind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::{lookup_host, TcpListener, TcpStream};
use evloop::sim::net::Net;
use evloop::time::{sleep, timeout, Instant};

/// Fails (in virtual time) instead of hanging.
async fn bounded<F: std::future::Future>(fut: F) -> F::Output {
    timeout(Duration::from_secs(3600), fut)
        .await
        .expect("the simulation hung")
}

/// A host that echoes every connection on `port`.
fn echo_host(net: &Net, name: &str, port: u16) {
    net.host(name, move || async move {
        let listener = TcpListener::bind(("0.0.0.0", port)).await.unwrap();
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            evloop::spawn(async move {
                let mut buf = [0u8; 1024];
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
}

async fn echo_once(sock: &mut TcpStream, msg: &[u8]) -> std::io::Result<Vec<u8>> {
    sock.write_all(msg).await?;
    let mut buf = vec![0u8; msg.len()];
    sock.read_exact(&mut buf).await?;
    Ok(buf)
}

#[evloop::test(start_paused = true)]
async fn echo_between_hosts() {
    bounded(async {
        let net = Net::new();
        echo_host(&net, "server", 7);
        let server_ip = net.lookup("server").unwrap();
        let client = net.client("client", async move {
            let mut sock = TcpStream::connect("server:7").await.unwrap();
            assert_eq!(sock.peer_addr().unwrap(), (server_ip, 7).into());
            assert_eq!(sock.local_addr().unwrap().ip().to_string(), "10.0.0.2");
            let mut got = Vec::new();
            for i in 0..20u8 {
                got.push(echo_once(&mut sock, &[i; 100]).await.unwrap());
            }
            got
        });
        let got = client.await.unwrap();
        assert_eq!(got.len(), 20);
        for (i, chunk) in got.iter().enumerate() {
            assert_eq!(chunk, &vec![i as u8; 100]);
        }
    })
    .await;
}

#[evloop::test(start_paused = true)]
async fn lookup_host_resolves_simulated_names() {
    bounded(async {
        let net = Net::new();
        let db = net.host("db", || async {});
        let out = net.client("app", async {
            let addrs: Vec<_> = lookup_host("db:5432").await.unwrap().collect();
            let pair: Vec<_> = lookup_host(("db", 80)).await.unwrap().collect();
            let local: Vec<_> = lookup_host("localhost:1").await.unwrap().collect();
            let missing = lookup_host("nowhere:1").await.err().unwrap();
            (addrs, pair, local, missing.kind())
        });
        let (addrs, pair, local, missing) = out.await.unwrap();
        assert_eq!(addrs, [(db, 5432).into()]);
        assert_eq!(pair, [(db, 80).into()]);
        assert_eq!(local, ["127.0.0.1:1".parse().unwrap()]);
        assert_eq!(missing, ErrorKind::NotFound);
    })
    .await;
}

#[evloop::test(start_paused = true)]
async fn latency_advances_virtual_time() {
    bounded(async {
        let net = Net::builder()
            .latency(Duration::from_millis(10)..Duration::from_millis(10))
            .build();
        echo_host(&net, "server", 7);
        let out = net.client("client", async {
            let start = Instant::now();
            let mut sock = TcpStream::connect("server:7").await.unwrap();
            let connected = start.elapsed();
            echo_once(&mut sock, b"x").await.unwrap();
            (connected, start.elapsed())
        });
        let (connected, total) = out.await.unwrap();
        // A request and its answer; then the byte there and back.
        assert_eq!(connected, Duration::from_millis(20));
        assert_eq!(total, Duration::from_millis(40));
    })
    .await;
}

#[evloop::test(start_paused = true)]
async fn connect_to_closed_port_is_refused() {
    bounded(async {
        let net = Net::new();
        net.host("server", || async {});
        let out = net.client("client", async {
            TcpStream::connect("server:9").await.unwrap_err().kind()
        });
        assert_eq!(out.await.unwrap(), ErrorKind::ConnectionRefused);
    })
    .await;
}

#[evloop::test(start_paused = true)]
async fn partition_makes_connect_time_out_and_repair_heals_it() {
    bounded(async {
        let net = Net::builder()
            .connect_timeout(Duration::from_millis(500))
            .build();
        echo_host(&net, "server", 7);
        let n = net.clone();
        let out = net.client("client", async move {
            let start = Instant::now();
            let err = TcpStream::connect("server:7").await.unwrap_err();
            let waited = start.elapsed();
            n.repair("client", "server");
            let mut sock = TcpStream::connect("server:7").await.unwrap();
            let echoed = echo_once(&mut sock, b"healed").await.unwrap();
            (err.kind(), waited, echoed)
        });
        // The client runs once this task waits: cut the link before.
        net.partition("client", "server");
        let (kind, waited, echoed) = out.await.unwrap();
        assert_eq!(kind, ErrorKind::TimedOut);
        assert_eq!(waited, Duration::from_millis(500));
        assert_eq!(echoed, b"healed");
    })
    .await;
}

#[evloop::test(start_paused = true)]
async fn partition_holds_bytes_in_flight_until_repair() {
    bounded(async {
        let net = Net::new();
        echo_host(&net, "server", 7);
        let n = net.clone();
        let out = net.client("client", async move {
            let mut sock = TcpStream::connect("server:7").await.unwrap();
            n.partition("client", "server");
            sock.write_all(b"held").await.unwrap();
            let mut buf = [0u8; 4];
            let early = timeout(Duration::from_secs(5), sock.read_exact(&mut buf)).await;
            assert!(early.is_err(), "bytes crossed a partition");
            n.repair("client", "server");
            sock.read_exact(&mut buf).await.unwrap();
            buf
        });
        assert_eq!(&out.await.unwrap(), b"held");
    })
    .await;
}

#[evloop::test(start_paused = true)]
async fn hold_queues_messages_until_release_in_order() {
    bounded(async {
        let net = Net::builder()
            .latency(Duration::from_millis(1)..Duration::from_millis(30))
            .seed(3)
            .build();
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        net.host("sink", move || {
            let g = g.clone();
            async move {
                let listener = TcpListener::bind("0.0.0.0:1").await.unwrap();
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 1];
                while sock.read_exact(&mut buf).await.is_ok() {
                    g.lock().unwrap().push((buf[0], Instant::now()));
                }
            }
        });
        let n = net.clone();
        let out = net.client("source", async move {
            let mut sock = TcpStream::connect("sink:1").await.unwrap();
            n.hold("source", "sink");
            for i in 0..50u8 {
                sock.write_all(&[i]).await.unwrap();
            }
            sleep(Duration::from_secs(10)).await;
            let released_at = Instant::now();
            n.release("source", "sink");
            sleep(Duration::from_secs(1)).await;
            released_at
        });
        let released_at = out.await.unwrap();
        let got = got.lock().unwrap().clone();
        let order: Vec<u8> = got.iter().map(|&(b, _)| b).collect();
        assert_eq!(order, (0..50).collect::<Vec<u8>>());
        assert!(got.iter().all(|&(_, at)| at >= released_at));
    })
    .await;
}

#[evloop::test(start_paused = true)]
async fn reset_between_hosts_fails_reads_and_writes() {
    bounded(async {
        let net = Net::new();
        echo_host(&net, "server", 7);
        let n = net.clone();
        let out = net.client("client", async move {
            let mut sock = TcpStream::connect("server:7").await.unwrap();
            echo_once(&mut sock, b"a").await.unwrap();
            n.reset("client", "server");
            let read = sock.read(&mut [0u8; 4]).await.unwrap_err().kind();
            let write = sock.write_all(b"b").await.unwrap_err().kind();
            (read, write)
        });
        assert_eq!(
            out.await.unwrap(),
            (ErrorKind::ConnectionReset, ErrorKind::ConnectionReset)
        );
    })
    .await;
}

#[evloop::test(start_paused = true)]
async fn crash_aborts_tasks_resets_peers_and_restart_runs_main_again() {
    bounded(async {
        struct OnDrop(Arc<AtomicUsize>);
        impl Drop for OnDrop {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let net = Net::builder()
            .connect_timeout(Duration::from_millis(300))
            .build();
        let starts = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        let (s, d) = (starts.clone(), dropped.clone());
        net.host("server", move || {
            let (s, d) = (s.clone(), d.clone());
            async move {
                s.fetch_add(1, Ordering::SeqCst);
                // A task spawned by the host belongs to it.
                let guard = OnDrop(d);
                evloop::spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                });
                let listener = TcpListener::bind("0.0.0.0:7").await.unwrap();
                loop {
                    let (mut sock, _) = listener.accept().await.unwrap();
                    evloop::spawn(async move {
                        let mut buf = [0u8; 64];
                        while let Ok(n @ 1..) = sock.read(&mut buf).await {
                            sock.write_all(&buf[..n]).await.unwrap();
                        }
                    });
                }
            }
        });
        let n = net.clone();
        let (st, dr) = (starts.clone(), dropped.clone());
        let out = net.client("client", async move {
            let mut sock = TcpStream::connect("server:7").await.unwrap();
            echo_once(&mut sock, b"before").await.unwrap();
            n.crash("server");
            assert!(!n.is_up("server"));
            let read = sock.read(&mut [0u8; 8]).await.unwrap_err().kind();
            // Aborted tasks are dropped once the scheduler gets to them.
            evloop::task::yield_now().await;
            assert_eq!(dr.load(Ordering::SeqCst), 1, "the host's task survived");
            let down = TcpStream::connect("server:7").await.unwrap_err().kind();
            n.restart("server");
            let mut again = TcpStream::connect("server:7").await.unwrap();
            let echoed = echo_once(&mut again, b"after").await.unwrap();
            (read, down, echoed, st.load(Ordering::SeqCst))
        });
        let (read, down, echoed, started) = out.await.unwrap();
        assert_eq!(read, ErrorKind::ConnectionReset);
        assert_eq!(down, ErrorKind::TimedOut);
        assert_eq!(echoed, b"after");
        assert_eq!(started, 2);
    })
    .await;
}

#[evloop::test(start_paused = true)]
async fn dropping_a_stream_gives_the_peer_end_of_stream() {
    bounded(async {
        let net = Net::new();
        net.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:7").await.unwrap();
            let (mut sock, _) = listener.accept().await.unwrap();
            sock.write_all(b"bye").await.unwrap();
        });
        let out = net.client("client", async {
            let mut sock = TcpStream::connect("server:7").await.unwrap();
            let mut all = Vec::new();
            sock.read_to_end(&mut all).await.unwrap();
            all
        });
        assert_eq!(out.await.unwrap(), b"bye");
    })
    .await;
}

/// A scenario whose delivery order depends on the seeded latencies.
async fn arrival_order(seed: u64) -> (Vec<u8>, u64) {
    let net = Net::builder()
        .seed(seed)
        .latency(Duration::from_millis(1)..Duration::from_millis(50))
        .build();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    net.host("sink", move || {
        let g = g.clone();
        async move {
            let listener = TcpListener::bind("0.0.0.0:1").await.unwrap();
            loop {
                let (mut sock, _) = listener.accept().await.unwrap();
                let g = g.clone();
                evloop::spawn(async move {
                    let mut b = [0u8; 1];
                    while sock.read_exact(&mut b).await.is_ok() {
                        g.lock().unwrap().push(b[0]);
                    }
                });
            }
        }
    });
    let clients: Vec<_> = (0..8u8)
        .map(|i| {
            net.client(&format!("c{i}"), async move {
                let mut sock = TcpStream::connect("sink:1").await.unwrap();
                for _ in 0..4 {
                    sock.write_all(&[i]).await.unwrap();
                    sleep(Duration::from_millis(5)).await;
                }
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    sleep(Duration::from_secs(1)).await;
    let order = got.lock().unwrap().clone();
    (order, net.event_hash())
}

#[test]
fn same_seed_same_delivery_order_other_seed_other_order() {
    let run = |seed| {
        evloop::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap()
            .block_on(bounded(arrival_order(seed)))
    };
    let (a, ha) = run(1);
    let (b, hb) = run(1);
    let (c, hc) = run(2);
    assert_eq!(a.len(), 32);
    assert_eq!((a.clone(), ha), (b, hb));
    assert_ne!(ha, hc);
    assert_ne!(a, c, "two seeds gave one order");
}

#[evloop::test(start_paused = true)]
async fn code_outside_hosts_keeps_real_sockets() {
    bounded(async {
        let net = Net::new();
        net.host("server", || async {});
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback() && addr.port() != 0);
        assert!(listener.as_fd_is_real());
    })
    .await;
}

trait RealFd {
    fn as_fd_is_real(&self) -> bool;
}

impl RealFd for TcpListener {
    fn as_fd_is_real(&self) -> bool {
        use std::os::fd::AsRawFd;
        socket2::SockRef::from(self).local_addr().is_ok() && self.as_raw_fd() >= 0
    }
}

#[evloop::test(start_paused = true)]
async fn socket_options_without_meaning_are_unsupported_errors() {
    bounded(async {
        let net = Net::new();
        echo_host(&net, "server", 7);
        let out = net.client("client", async {
            let sock = TcpStream::connect("server:7").await.unwrap();
            sock.set_nodelay(true).unwrap();
            let ttl = sock.set_ttl(3).unwrap_err().kind();
            let linger = sock.set_zero_linger().unwrap_err().kind();
            let std = sock.into_std().unwrap_err().kind();
            (ttl, linger, std)
        });
        assert_eq!(
            out.await.unwrap(),
            (
                ErrorKind::Unsupported,
                ErrorKind::Unsupported,
                ErrorKind::Unsupported
            )
        );
    })
    .await;
}

/// The README's example: a connection request held by a partition goes
/// through once it is repaired, within the connect timeout.
#[evloop::test(start_paused = true)]
async fn connect_held_by_a_partition_completes_after_repair() {
    bounded(async {
        let net = Net::builder()
            .seed(7)
            .connect_timeout(Duration::from_secs(10))
            .build();
        net.host("db", || async {
            let listener = TcpListener::bind("0.0.0.0:5432").await.unwrap();
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0; 4];
            sock.read_exact(&mut buf).await.unwrap();
            sock.write_all(&buf).await.unwrap();
        });
        let app = net.client("app", async {
            let start = Instant::now();
            let mut sock = TcpStream::connect("db:5432").await.unwrap();
            let connected = start.elapsed();
            sock.write_all(b"ping").await.unwrap();
            let mut buf = [0; 4];
            sock.read_exact(&mut buf).await.unwrap();
            (buf, connected)
        });
        net.partition("app", "db");
        sleep(Duration::from_secs(5)).await;
        net.repair("app", "db");
        let (buf, connected) = app.await.unwrap();
        assert_eq!(&buf, b"ping");
        assert!(
            connected >= Duration::from_secs(5),
            "connected across a partition"
        );
    })
    .await;
}

#[evloop::test(start_paused = true)]
async fn owned_halves_work_from_two_tasks_and_shutdown_sends_eof() {
    bounded(async {
        let net = Net::new();
        echo_host(&net, "server", 7);
        let out = net.client("client", async {
            let sock = TcpStream::connect("server:7").await.unwrap();
            let (mut rd, mut wr) = sock.into_split();
            let peer = rd.peer_addr().unwrap();
            let writer = evloop::spawn(async move {
                for i in 0..10u8 {
                    wr.write_all(&[i; 10]).await.unwrap();
                    sleep(Duration::from_millis(3)).await;
                }
                wr.shutdown().await.unwrap();
                wr
            });
            let mut all = Vec::new();
            // The echo server closes once it reads our end of stream.
            rd.read_to_end(&mut all).await.unwrap();
            let wr = writer.await.unwrap();
            let mut sock = rd.reunite(wr).unwrap();
            let after = sock.write_all(b"x").await.unwrap_err().kind();
            (all, peer, after)
        });
        let (all, peer, after) = out.await.unwrap();
        let want: Vec<u8> = (0..10u8).flat_map(|i| [i; 10]).collect();
        assert_eq!(all, want);
        assert_eq!(peer.port(), 7);
        assert_eq!(after, ErrorKind::BrokenPipe);
    })
    .await;
}
