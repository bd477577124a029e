//! `UnixStream::split` and `into_split`: both directions at once, end of
//! stream from the owned write half's drop, `reunite`.

mod support;

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::UnixStream;
use evloop::runtime::Builder;
use support::rt;

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 17 % 253) as u8).collect()
}

/// Each side writes a megabyte while reading the other's: without
/// concurrent halves both would block on full socket buffers.
async fn full_duplex_with_borrowed_halves() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let data = pattern(1 << 20);
    async fn side(stream: &mut UnixStream, data: &[u8]) -> Vec<u8> {
        let (mut rd, mut wr) = stream.split();
        let write = async {
            wr.write_all(data).await.unwrap();
            wr.shutdown().await.unwrap();
        };
        let read = async {
            let mut got = Vec::new();
            rd.read_to_end(&mut got).await.unwrap();
            got
        };
        evloop::join!(write, read).1
    }
    let (got_a, got_b) = evloop::join!(side(&mut a, &data), side(&mut b, &data));
    assert!(got_a == data && got_b == data, "bytes differ");
    assert!(a.peer_addr().unwrap().is_unnamed());
}

#[test]
fn borrowed_halves_full_duplex() {
    rt().block_on(full_duplex_with_borrowed_halves());
}

#[test]
fn owned_halves_on_two_tasks_multi_thread() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let (mut a_rd, mut a_wr) = a.into_split();
        let (mut b_rd, mut b_wr) = b.into_split();
        let data = pattern(512 * 1024);
        let sent = data.clone();
        let writer = evloop::spawn(async move {
            a_wr.write_all(&sent).await.unwrap();
            // Dropping the owned write half shuts the direction down.
        });
        let echo = evloop::spawn(async move {
            evloop::io::copy(&mut b_rd, &mut b_wr).await.unwrap();
            (b_rd, b_wr)
        });
        // b's write half goes back to `reunite`, so a sees no end of
        // stream: read exactly what was sent.
        let mut got = vec![0u8; data.len()];
        a_rd.read_exact(&mut got).await.unwrap();
        writer.await.unwrap();
        assert!(got == data, "echoed bytes differ");
        let (b_rd, b_wr) = echo.await.unwrap();
        b_rd.reunite(b_wr).expect("same stream");
    });
}

#[test]
fn reunite_checks_the_halves_match_and_forget_keeps_the_stream_open() {
    rt().block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let (a_rd, a_wr) = a.into_split();
        let (b_rd, b_wr) = b.into_split();
        let err = a_rd.reunite(b_wr).unwrap_err();
        let (a_rd, b_wr) = (err.0, err.1);
        let a = a_rd.reunite(a_wr).unwrap();
        let b = b_rd.reunite(b_wr).unwrap();

        // `forget`: a's write direction stays open.
        let (mut a_rd, a_wr) = a.into_split();
        a_wr.forget();
        // Dropping b's owned write half shuts b's direction down while its
        // read half lives on.
        let (b_rd, mut b_wr) = b.into_split();
        b_wr.write_all(b"x").await.unwrap();
        drop(b_wr);
        let mut got = Vec::new();
        a_rd.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"x");
        let mut buf = [0u8; 1];
        let err = b_rd.try_read(&mut buf).unwrap_err();
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::WouldBlock,
            "a did not shut down"
        );
    });
}
