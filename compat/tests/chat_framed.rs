//! A line-based chat server on tokio-util's `Framed` + `LinesCodec`, with
//! several clients, and a graceful shutdown through `CancellationToken` and
//! `TaskTracker`.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_util::codec::{Framed, LinesCodec};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

const CLIENTS: usize = 4;
const BYE: &str = "server: shutting down";

/// Runs the chat server until `token` is cancelled; then tells every client
/// goodbye and returns once each connection task has finished.
async fn server(listener: TcpListener, token: CancellationToken) -> usize {
    let tracker = TaskTracker::new();
    let (tx, _) = broadcast::channel::<String>(64);
    let mut accepted = 0;
    loop {
        tokio::select! {
            _ = token.cancelled() => break,
            conn = listener.accept() => {
                let (stream, peer) = conn.unwrap();
                accepted += 1;
                tracker.spawn(connection(stream, peer, tx.clone(), token.child_token()));
            }
        }
    }
    tracker.close();
    tokio::time::timeout(Duration::from_secs(10), tracker.wait())
        .await
        .expect("every connection finished after the shutdown");
    assert!(tracker.is_empty());
    accepted
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    tx: broadcast::Sender<String>,
    token: CancellationToken,
) {
    let mut rx = tx.subscribe();
    let mut lines = Framed::new(stream, LinesCodec::new_with_max_length(1024));
    lines
        .send(format!("welcome {}", peer.port()))
        .await
        .unwrap();
    loop {
        tokio::select! {
            _ = token.cancelled() => {
                let _ = lines.send(BYE).await;
                return;
            }
            line = lines.next() => match line {
                Some(Ok(line)) => { let _ = tx.send(line); }
                Some(Err(e)) => panic!("bad line: {e}"),
                None => return,
            },
            msg = rx.recv() => match msg {
                Ok(msg) => lines.send(msg).await.unwrap(),
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

async fn run() {
    support::assert_runtime();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let token = CancellationToken::new();
    let server = tokio::spawn(server(listener, token.clone()));

    // Connect every client and wait for its welcome, so that each is
    // subscribed before anyone speaks.
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut framed = Framed::new(stream, LinesCodec::new());
        let welcome = framed.next().await.unwrap().unwrap();
        assert!(welcome.starts_with("welcome "), "{welcome}");
        clients.push(framed);
    }

    // Each client says one line; every client hears all of them.
    let tracker = TaskTracker::new();
    let mut heard = Vec::new();
    for (i, mut framed) in clients.into_iter().enumerate() {
        heard.push(tracker.spawn(async move {
            framed.send(format!("hello from {i}")).await.unwrap();
            let mut got = Vec::new();
            while got.len() < CLIENTS {
                got.push(framed.next().await.unwrap().unwrap());
            }
            got.sort();
            (framed, got)
        }));
    }
    tracker.close();
    let expected: Vec<String> = (0..CLIENTS).map(|i| format!("hello from {i}")).collect();
    let mut clients = Vec::new();
    for join in heard {
        let (framed, got) = join.await.unwrap();
        assert_eq!(got, expected);
        clients.push(framed);
    }
    tracker.wait().await;

    // Shut down: each client gets the goodbye, then end of stream.
    token.cancel();
    for mut framed in clients {
        assert_eq!(framed.next().await.unwrap().unwrap(), BYE);
        assert!(framed.next().await.is_none());
    }
    let accepted = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("server finished")
        .unwrap();
    assert_eq!(accepted, CLIENTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_multi_thread() {
    let _dog = support::watchdog("chat_multi_thread", Duration::from_secs(30));
    run().await;
}

#[tokio::test]
async fn chat_current_thread() {
    let _dog = support::watchdog("chat_current_thread", Duration::from_secs(30));
    run().await;
}

#[test]
fn codec_rejects_an_overlong_line() {
    let _dog = support::watchdog("codec_overlong", Duration::from_secs(30));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (a, b) = tokio::io::duplex(64);
        let mut writer = Framed::new(a, LinesCodec::new());
        let mut reader = Framed::new(b, LinesCodec::new_with_max_length(8));
        let writing = tokio::spawn(async move {
            writer.send("short").await.unwrap();
            writer.send("much too long a line").await.unwrap();
            writer.send("ok").await.unwrap();
        });
        assert_eq!(reader.next().await.unwrap().unwrap(), "short");
        assert!(matches!(
            reader.next().await.unwrap(),
            Err(tokio_util::codec::LinesCodecError::MaxLineLengthExceeded)
        ));
        // A framed stream ends after a decoding error.
        assert!(reader.next().await.is_none());
        writing.await.unwrap();
    });
}
