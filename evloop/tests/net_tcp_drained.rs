//! Reads and writes that clear readiness without a failing syscall (a read
//! known to drain the receive queue, a short write) must never lose a
//! readiness event that arrives between the syscall and the clear: data sent
//! by another thread at any moment is always read, and a writer blocked on a
//! full send buffer is always woken.

mod support;

use std::io::Write;
use std::time::Duration;

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::{TcpListener, TcpStream};
use evloop::runtime::Runtime;

/// Message `i` of the stream: its length and contents.
fn message(i: usize) -> Vec<u8> {
    let len = 1 + (i * 37) % 200;
    (0..len).map(|j| (i + j) as u8).collect()
}

/// A std thread writes batches of one to three messages, with random pauses
/// between them (sometimes none, so messages share a segment; sometimes a
/// yield or a sleep, so one lands right after a read emptied the queue), and
/// waits for a one-byte acknowledgement after each batch: no later data can
/// wake a reader that wrongly took the queue for drained. The runtime reads
/// each message with `read_exact`.
fn exact_reads_never_miss_data(rt: Runtime) {
    const BATCHES: usize = 1_500;
    let batch = |b: usize| (b * 3)..(b * 3 + 1 + b % 3);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let writer = std::thread::spawn(move || {
            use std::io::Read;
            let mut sock = std::net::TcpStream::connect(addr).unwrap();
            sock.set_nodelay(true).unwrap();
            let mut seed = 0x9e37_79b9_u32;
            for b in 0..BATCHES {
                for i in batch(b) {
                    sock.write_all(&message(i)).unwrap();
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    match seed % 4 {
                        0 => {}
                        1 | 2 => std::thread::yield_now(),
                        _ => std::thread::sleep(Duration::from_micros(20)),
                    }
                }
                let mut ack = [0u8; 1];
                sock.read_exact(&mut ack).unwrap();
                assert_eq!(ack[0], b as u8);
            }
        });
        let (mut server, _) = listener.accept().await.unwrap();
        let reader = evloop::spawn(async move {
            for b in 0..BATCHES {
                for i in batch(b) {
                    let want = message(i);
                    let mut got = vec![0u8; want.len()];
                    server.read_exact(&mut got).await.unwrap();
                    assert_eq!(got, want, "message {i}");
                }
                server.write_all(&[b as u8]).await.unwrap();
            }
            let mut rest = [0u8; 1];
            assert_eq!(server.read(&mut rest).await.unwrap(), 0);
        });
        evloop::time::timeout(Duration::from_secs(30), reader)
            .await
            .expect("a readiness event was lost")
            .unwrap();
        writer.join().unwrap();
    });
}

#[test]
fn exact_reads_never_miss_data_current_thread() {
    exact_reads_never_miss_data(support::rt());
}

#[test]
fn exact_reads_never_miss_data_multi_thread() {
    exact_reads_never_miss_data(support::mt());
}

/// Writes far larger than the send buffer (so most are short) against a
/// reader that drains in small, irregular steps on another thread.
fn short_writes_are_woken(rt: Runtime) {
    const TOTAL: usize = 8 << 20;
    rt.block_on(async {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let reader = std::thread::spawn(move || {
            use std::io::Read;
            let (mut sock, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 7_000];
            let mut total = 0;
            let mut step = 0;
            loop {
                let want = 1 + (step * 977) % buf.len();
                let n = sock.read(&mut buf[..want]).unwrap();
                if n == 0 {
                    return total;
                }
                assert!(buf[..n]
                    .iter()
                    .enumerate()
                    .all(|(j, &b)| b == ((total + j) % 251) as u8));
                total += n;
                step += 1;
                if step % 64 == 0 {
                    std::thread::yield_now();
                }
            }
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        let data: Vec<u8> = (0..TOTAL).map(|i| (i % 251) as u8).collect();
        let write = async {
            for chunk in data.chunks(1 << 20) {
                client.write_all(chunk).await.unwrap();
            }
            client.shutdown().await.unwrap();
        };
        evloop::time::timeout(Duration::from_secs(30), write)
            .await
            .expect("a write readiness event was lost");
        drop(client);
        assert_eq!(reader.join().unwrap(), TOTAL);
    });
}

#[test]
fn short_writes_are_woken_current_thread() {
    short_writes_are_woken(support::rt());
}

#[test]
fn short_writes_are_woken_multi_thread() {
    short_writes_are_woken(support::mt());
}
