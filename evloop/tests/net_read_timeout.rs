//! A read cut short by `time::timeout` leaves the stream usable: the next
//! read on the same stream gets the data sent after the timeout, on both
//! runtime flavours.

mod support;

use std::time::{Duration, Instant};

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::{TcpListener, TcpStream};
use evloop::runtime::Builder;
use evloop::sync::oneshot;
use evloop::time::timeout;

async fn read_times_out_then_reads_later_data() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (go_tx, go_rx) = oneshot::channel::<()>();
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let peer = evloop::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        go_rx.await.unwrap();
        sock.write_all(b"late data").await.unwrap();
        // Keep the connection open until the client has read.
        done_rx.await.unwrap();
    });

    let mut client = TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 9];
    for _ in 0..2 {
        let started = Instant::now();
        let res = timeout(Duration::from_millis(30), client.read(&mut buf)).await;
        assert!(res.is_err(), "a read with nothing sent must time out");
        assert!(started.elapsed() >= Duration::from_millis(30));
    }

    go_tx.send(()).unwrap();
    timeout(Duration::from_secs(10), client.read_exact(&mut buf))
        .await
        .expect("data sent after the timeout never arrived")
        .unwrap();
    assert_eq!(&buf, b"late data");

    // And a timeout after a successful read works the same way.
    let res = timeout(Duration::from_millis(10), client.read(&mut buf)).await;
    assert!(res.is_err());
    done_tx.send(()).unwrap();
    peer.await.unwrap();
    assert_eq!(client.read(&mut buf).await.unwrap(), 0, "peer closed");
}

#[test]
fn timed_out_read_then_read_again_current_thread() {
    support::rt().block_on(read_times_out_then_reads_later_data());
}

#[test]
fn timed_out_read_then_read_again_multi_thread() {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(read_times_out_then_reads_later_data());
}
