//! An echo server and a load client in one binary.
//!
//! ```text
//! cargo run --release --example echo -- --server 127.0.0.1:7000
//! cargo run --release --example echo -- --client 127.0.0.1:7000 --conns 50 --secs 5
//! cargo run --release --example echo            # both, on 127.0.0.1, for 2 s
//! ```
//!
//! The client opens `--conns` connections; each sends a 64-byte message and
//! waits for the echo, over and over. It prints round trips per second.
//! `--slow-ms N` makes the server's first connection a slow one: its
//! handler blocks the loop for N ms (standing for CPU-heavy work) before
//! each echo. Run it with `EVLOOP_TRACE=echo.html` to see what that does
//! to the other connections.
//! The server keeps serving when `accept` fails (for example with `EMFILE`,
//! too many open files): it logs the error, backs off, and retries.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::{TcpListener, TcpStream};

const MESSAGE: usize = 64;

async fn serve(listener: TcpListener, slow_ms: u64) {
    let mut backoff = Duration::from_millis(1);
    let mut first = true;
    loop {
        match listener.accept().await {
            Ok((mut sock, _)) => {
                backoff = Duration::from_millis(1);
                let _ = sock.set_nodelay(true);
                let slow = std::mem::take(&mut first) && slow_ms > 0;
                evloop::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        if slow {
                            // Blocking work inside a task: the whole loop waits.
                            std::thread::sleep(Duration::from_millis(slow_ms));
                        }
                        if sock.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
            }
            Err(e) => {
                // EMFILE/ENFILE and friends: keep serving once fds free up.
                eprintln!("accept failed: {e}; retrying in {backoff:?}");
                evloop::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(500));
            }
        }
    }
}

async fn client(addr: SocketAddr, conns: usize, secs: f64) -> u64 {
    let count = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let count = count.clone();
        let stop = stop.clone();
        tasks.push(evloop::spawn(async move {
            let mut sock = match TcpStream::connect(addr).await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("connect failed: {e}");
                    return;
                }
            };
            let _ = sock.set_nodelay(true);
            let msg = [7u8; MESSAGE];
            let mut back = [0u8; MESSAGE];
            while !stop.load(Ordering::Relaxed) {
                if sock.write_all(&msg).await.is_err() || sock.read_exact(&mut back).await.is_err()
                {
                    return;
                }
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let start = Instant::now();
    evloop::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let total = count.load(Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{conns} connections, {total} round trips in {elapsed:.2} s: {:.0} round trips/s",
        total as f64 / elapsed
    );
    total
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    let i = args.iter().position(|a| a == name)?;
    let value = args
        .get(i + 1)
        .unwrap_or_else(|| panic!("{name} needs a value"));
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("bad value for {name}: {value}")),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = evloop::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("failed to build the runtime");
    let server: Option<String> = arg(&args, "--server");
    let client_addr: Option<SocketAddr> = arg(&args, "--client");
    let conns: usize = arg(&args, "--conns").unwrap_or(50);
    let secs: f64 = arg(&args, "--secs").unwrap_or(2.0);
    let slow_ms: u64 = arg(&args, "--slow-ms").unwrap_or(0);

    rt.block_on(async move {
        match (server, client_addr) {
            (Some(addr), _) => {
                let listener = TcpListener::bind(addr.as_str()).await.expect("bind failed");
                println!("echo server on {}", listener.local_addr().unwrap());
                serve(listener, slow_ms).await;
            }
            (None, Some(addr)) => {
                client(addr, conns, secs).await;
            }
            (None, None) => {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind failed");
                let addr = listener.local_addr().unwrap();
                println!("echo server on {addr}, client for {secs} s");
                let server = evloop::spawn(serve(listener, slow_ms));
                let total = client(addr, conns, secs).await;
                server.abort();
                assert!(total > 0, "no round trip completed");
            }
        }
    });
}
