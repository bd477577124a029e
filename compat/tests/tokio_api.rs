//! tokio's own entry points and macros through the patched name:
//! `#[tokio::main]`, `#[tokio::test]` (with paused time), `select!`,
//! `join!`, `try_join!`, `pin!`, and a tour of the modules a program uses.

mod support;

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot, Mutex, Notify, RwLock, Semaphore};

/// `#[tokio::main]` turns any `async fn` into a blocking one.
#[tokio::main(flavor = "current_thread")]
async fn main_current_thread() -> Result<u32, std::num::ParseIntError> {
    support::assert_runtime();
    let n: u32 = "21".parse()?;
    Ok(tokio::spawn(async move { n * 2 }).await.unwrap())
}

#[tokio::main(worker_threads = 2)]
async fn main_multi_thread() -> usize {
    support::assert_runtime();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..10 {
        set.spawn(async move { i });
    }
    let mut sum = 0;
    while let Some(r) = set.join_next().await {
        sum += r.unwrap();
    }
    sum
}

#[test]
fn tokio_main_starts_the_runtime() {
    let _dog = support::watchdog("tokio_main", Duration::from_secs(30));
    assert_eq!(main_current_thread().unwrap(), 42);
    assert_eq!(main_multi_thread(), 45);
}

#[tokio::test(start_paused = true)]
async fn paused_time_auto_advances() {
    let _dog = support::watchdog("paused_time", Duration::from_secs(30));
    let start = tokio::time::Instant::now();
    let wall = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(start.elapsed() >= Duration::from_secs(3600));
    assert!(wall.elapsed() < Duration::from_secs(5));
    let r = tokio::time::timeout(Duration::from_secs(1), std::future::pending::<()>()).await;
    assert!(r.is_err());
}

#[tokio::test]
async fn macros() {
    let _dog = support::watchdog("macros", Duration::from_secs(30));
    let (a, b) = tokio::join!(async { 1 }, async { "two" });
    assert_eq!((a, b), (1, "two"));
    let r: Result<(u8, u8), &str> = tokio::try_join!(async { Ok(1) }, async { Err("no") });
    assert_eq!(r, Err("no"));

    let deadline = tokio::time::sleep(Duration::from_millis(30));
    tokio::pin!(deadline);
    let (tx, mut rx) = mpsc::channel(8);
    tokio::spawn(async move {
        for i in 0..3 {
            tx.send(i).await.unwrap();
        }
    });
    let mut got = Vec::new();
    loop {
        tokio::select! {
            biased;
            Some(v) = rx.recv() => got.push(v),
            _ = &mut deadline => break,
        }
    }
    assert_eq!(got, vec![0, 1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_io_fs_and_blocking() {
    let _dog = support::watchdog("module_tour", Duration::from_secs(30));
    support::assert_runtime();

    let (tx, rx) = oneshot::channel();
    let notify = std::sync::Arc::new(Notify::new());
    let n2 = notify.clone();
    let waiter = tokio::spawn(async move {
        n2.notified().await;
        tx.send("notified").unwrap();
    });
    tokio::task::yield_now().await;
    notify.notify_one();
    assert_eq!(rx.await.unwrap(), "notified");
    waiter.await.unwrap();

    let counter = std::sync::Arc::new(Mutex::new(0));
    let sem = std::sync::Arc::new(Semaphore::new(2));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (counter, sem) = (counter.clone(), sem.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await.unwrap();
            *counter.lock().await += 1;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*counter.lock().await, 8);
    let lock = RwLock::new(5);
    assert_eq!(*lock.read().await + *lock.read().await, 10);

    let (mut client, server) = tokio::io::duplex(64);
    let echo = tokio::spawn(async move {
        let mut lines = BufReader::new(server).lines();
        let mut n = 0;
        while let Some(line) = lines.next_line().await.unwrap() {
            assert_eq!(line, format!("line {n}"));
            n += 1;
        }
        n
    });
    for i in 0..100 {
        client
            .write_all(format!("line {i}\n").as_bytes())
            .await
            .unwrap();
    }
    client.shutdown().await.unwrap();
    drop(client);
    assert_eq!(echo.await.unwrap(), 100);

    let dir = std::env::temp_dir().join(format!(
        "compat-{}-{}",
        support::expected_runtime(),
        std::process::id()
    ));
    tokio::fs::create_dir_all(&dir).await.unwrap();
    let file = dir.join("f.txt");
    tokio::fs::write(&file, b"hello fs").await.unwrap();
    let mut f = tokio::fs::File::open(&file).await.unwrap();
    let mut s = String::new();
    f.read_to_string(&mut s).await.unwrap();
    assert_eq!(s, "hello fs");
    tokio::fs::remove_dir_all(&dir).await.unwrap();

    let sum = tokio::task::spawn_blocking(|| (1..=100u32).sum::<u32>())
        .await
        .unwrap();
    assert_eq!(sum, 5050);

    let udp_a = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let udp_b = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    udp_a
        .send_to(b"ping", udp_b.local_addr().unwrap())
        .await
        .unwrap();
    let mut buf = [0; 8];
    let (n, from) = udp_b.recv_from(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"ping");
    assert_eq!(from, udp_a.local_addr().unwrap());
}
