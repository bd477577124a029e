//! The explanation's program (fetch a user, then their posts, then a
//! post's comments) against a flaky "API" host on the simulated network:
//! every fetch retries with a timeout, and the chain still completes under
//! UDP loss, a partition, TCP resets and an API crash with restart, all in
//! virtual time.

use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use evloop::net::{TcpListener, TcpStream, UdpSocket};
use evloop::sim::net::Net;
use evloop::time::{sleep, timeout, Instant};

/// The API's answer to one request, after its processing time.
async fn answer(req: &str) -> String {
    let (what, arg) = req.split_once(' ').unwrap_or((req, ""));
    match what {
        "user" => {
            sleep(Duration::from_millis(100)).await;
            format!("User-{arg}")
        }
        "posts" => {
            sleep(Duration::from_millis(150)).await;
            "Post-123".to_owned()
        }
        "comments" => {
            sleep(Duration::from_millis(200)).await;
            "Here are the comments.".to_owned()
        }
        _ => "unknown request".to_owned(),
    }
}

/// Retries `attempt` with a per-try timeout and a growing pause, counting
/// the retries.
async fn with_retries<F, Fut>(retries: &AtomicU32, mut attempt: F) -> io::Result<String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = io::Result<String>>,
{
    let mut pause = Duration::from_millis(50);
    for _ in 0..20 {
        match timeout(Duration::from_millis(600), attempt()).await {
            Ok(Ok(reply)) => return Ok(reply),
            Ok(Err(_)) | Err(_) => {
                retries.fetch_add(1, Ordering::SeqCst);
                sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(800));
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        "the API never answered",
    ))
}

async fn fetch_tcp(req: String) -> io::Result<String> {
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

async fn fetch_udp(req: String) -> io::Result<String> {
    let sock = UdpSocket::bind("0.0.0.0:0").await?;
    sock.connect("api:53").await?;
    sock.send(req.as_bytes()).await?;
    let mut buf = [0u8; 256];
    let n = sock.recv(&mut buf).await?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// `displayComments`: three dependent fetches, each awaited in turn.
async fn display_comments<F, Fut>(retries: &AtomicU32, fetch: F) -> io::Result<String>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = io::Result<String>>,
{
    let user = with_retries(retries, || fetch("user test-user".into())).await?;
    let post = with_retries(retries, || fetch(format!("posts {user}"))).await?;
    with_retries(retries, || fetch(format!("comments {post}"))).await
}

fn tcp_api(net: &Net) {
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
}

#[evloop::test(start_paused = true)]
async fn chain_completes_over_a_partition_resets_and_a_crash() {
    let net = Net::builder()
        .seed(42)
        .latency(Duration::from_millis(1)..Duration::from_millis(10))
        .tcp_reset(0.05)
        .connect_timeout(Duration::from_millis(300))
        .build();
    tcp_api(&net);
    let retries = Arc::new(AtomicU32::new(0));
    let r = retries.clone();
    let client = net.client("client", async move {
        let start = Instant::now();
        let out = display_comments(&r, fetch_tcp).await;
        (out, start.elapsed())
    });
    // The API is cut off during the first fetch, then crashes during the
    // second and comes back.
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
        .unwrap();
    assert_eq!(out.unwrap(), "Here are the comments.");
    assert!(
        retries.load(Ordering::SeqCst) >= 2,
        "the faults cost no retry"
    );
    assert!(
        elapsed >= Duration::from_millis(1500 + 450),
        "finished in {elapsed:?}, inside the partition"
    );
}

#[evloop::test(start_paused = true)]
async fn chain_completes_over_udp_loss_and_a_partition() {
    let net = Net::builder()
        .seed(9)
        .latency(Duration::from_millis(1)..Duration::from_millis(30))
        .udp_loss(0.3)
        .udp_duplicate(0.1)
        .build();
    net.host("api", || async {
        let sock = Arc::new(UdpSocket::bind("0.0.0.0:53").await.unwrap());
        let mut buf = [0u8; 256];
        loop {
            let (n, from) = sock.recv_from(&mut buf).await.unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).into_owned();
            let sock = sock.clone();
            evloop::spawn(async move {
                let reply = answer(&req).await;
                let _ = sock.send_to(reply.as_bytes(), from).await;
            });
        }
    });
    let retries = Arc::new(AtomicU32::new(0));
    let r = retries.clone();
    let client = net.client(
        "client",
        async move { display_comments(&r, fetch_udp).await },
    );
    sleep(Duration::from_millis(300)).await;
    net.partition("client", "api");
    sleep(Duration::from_secs(2)).await;
    net.repair("client", "api");
    let out = timeout(Duration::from_secs(3600), client)
        .await
        .expect("hung")
        .unwrap();
    assert_eq!(out.unwrap(), "Here are the comments.");
    assert!(
        retries.load(Ordering::SeqCst) >= 3,
        "loss and a partition cost no retry"
    );
}
