//! tokio-stream's wrappers over tokio's channels, timers and listener, and
//! `StreamExt::timeout`.

mod support;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, mpsc, watch};
use tokio_stream::wrappers::{
    BroadcastStream, IntervalStream, ReceiverStream, TcpListenerStream, UnboundedReceiverStream,
    WatchStream,
};
use tokio_stream::StreamExt;

#[tokio::test]
async fn channel_wrappers() {
    let _dog = support::watchdog("channel_wrappers", Duration::from_secs(30));
    support::assert_runtime();

    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        for i in 0..10 {
            tx.send(i).await.unwrap();
        }
    });
    let got: Vec<i32> = ReceiverStream::new(rx).map(|i| i * 2).collect().await;
    assert_eq!(got, (0..10).map(|i| i * 2).collect::<Vec<_>>());

    let (tx, rx) = mpsc::unbounded_channel();
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    drop(tx);
    let got: Vec<i32> = UnboundedReceiverStream::new(rx)
        .filter(|i| i % 2 == 0)
        .collect()
        .await;
    assert_eq!(got, vec![0, 2, 4]);

    // A lagging broadcast receiver reports how much it missed.
    let (tx, rx) = broadcast::channel(2);
    for i in 0..4 {
        tx.send(i).unwrap();
    }
    drop(tx);
    let got: Vec<_> = BroadcastStream::new(rx).collect().await;
    assert_eq!(got.len(), 3);
    assert!(got[0].is_err());
    assert_eq!(got[1].as_ref().unwrap(), &2);
    assert_eq!(got[2].as_ref().unwrap(), &3);

    // WatchStream yields the current value, then each change.
    let (tx, rx) = watch::channel("a");
    let mut stream = WatchStream::new(rx);
    assert_eq!(stream.next().await, Some("a"));
    tx.send("b").unwrap();
    assert_eq!(stream.next().await, Some("b"));
    drop(tx);
    assert_eq!(stream.next().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interval_and_listener_wrappers() {
    let _dog = support::watchdog("interval_listener", Duration::from_secs(30));
    support::assert_runtime();

    let start = tokio::time::Instant::now();
    let ticks: Vec<_> = IntervalStream::new(tokio::time::interval(Duration::from_millis(10)))
        .take(5)
        .collect()
        .await;
    assert_eq!(ticks.len(), 5);
    assert!(ticks.windows(2).all(|w| w[0] < w[1]));
    assert!(start.elapsed() >= Duration::from_millis(40));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut incoming = TcpListenerStream::new(listener).take(3);
        let mut total = 0;
        while let Some(stream) = incoming.next().await {
            let mut stream = stream.unwrap();
            let mut buf = [0; 1];
            stream.read_exact(&mut buf).await.unwrap();
            total += buf[0] as u32;
        }
        total
    });
    for i in 1..=3u8 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(&[i]).await.unwrap();
    }
    assert_eq!(server.await.unwrap(), 6);
}

#[tokio::test]
async fn stream_timeout() {
    let _dog = support::watchdog("stream_timeout", Duration::from_secs(30));
    support::assert_runtime();

    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        tx.send(1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        tx.send(2).await.unwrap();
    });
    let stream = ReceiverStream::new(rx).timeout(Duration::from_millis(100));
    tokio::pin!(stream);
    assert_eq!(stream.next().await, Some(Ok(1)));
    let mut elapsed = 0;
    let second = loop {
        match stream.next().await.unwrap() {
            Ok(v) => break v,
            Err(_) => elapsed += 1,
        }
    };
    assert_eq!(second, 2);
    assert!((1..=3).contains(&elapsed), "{elapsed} timeouts");
    assert_eq!(stream.next().await, None);

    // The same, through `timeout_repeating` and an interval.
    let stream = tokio_stream::pending::<u8>()
        .timeout_repeating(tokio::time::interval(Duration::from_millis(20)))
        .take(3);
    let got: Vec<_> = stream.collect().await;
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| r.is_err()));

    // `chunks_timeout` flushes a partial chunk when the time is up.
    let (tx, rx) = mpsc::channel(8);
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    let chunks = ReceiverStream::new(rx).chunks_timeout(10, Duration::from_millis(50));
    tokio::pin!(chunks);
    assert_eq!(chunks.next().await, Some(vec![1, 2]));
    drop(tx);
    assert_eq!(chunks.next().await, None);
}
