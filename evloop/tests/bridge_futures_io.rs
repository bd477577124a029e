//! The `futures-io` feature: evloop's I/O types used through the
//! `futures_io` traits, by async-tungstenite and by `futures_util::io`.

mod support;

use std::time::Duration;

use async_tungstenite::tungstenite::Message;
use evloop::net::{TcpListener, TcpStream, UnixStream};
use evloop::time::timeout;
use futures_util::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use futures_util::StreamExt;

const LIMIT: Duration = Duration::from_secs(20);

/// A WebSocket server and client exchanging text and binary messages, then
/// closing, over loopback TCP, with evloop's `TcpStream` given directly to
/// async-tungstenite.
fn websocket_exchange(runtime: evloop::runtime::Runtime) {
    runtime.block_on(async {
        timeout(LIMIT, async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = evloop::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let mut ws = async_tungstenite::accept_async(stream).await.unwrap();
                let mut echoed = 0;
                while let Some(msg) = ws.next().await {
                    let msg = msg.unwrap();
                    match msg {
                        Message::Text(t) => {
                            ws.send(Message::text(format!("echo {}", t.as_str())))
                                .await
                                .unwrap();
                            echoed += 1;
                        }
                        Message::Binary(b) => {
                            let mut v = b.to_vec();
                            v.reverse();
                            ws.send(Message::binary(v)).await.unwrap();
                            echoed += 1;
                        }
                        Message::Close(_) => break,
                        _ => {}
                    }
                }
                echoed
            });

            let stream = TcpStream::connect(addr).await.unwrap();
            let url = format!("ws://{addr}/chat");
            let (mut ws, response) = async_tungstenite::client_async(url, stream).await.unwrap();
            assert_eq!(response.status(), 101);
            for i in 0..10 {
                ws.send(Message::text(format!("msg {i}"))).await.unwrap();
                let reply = ws.next().await.unwrap().unwrap();
                assert_eq!(reply.to_text().unwrap(), format!("echo msg {i}"));
            }
            let big: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
            ws.send(Message::binary(big.clone())).await.unwrap();
            let reply = ws.next().await.unwrap().unwrap().into_data();
            let mut expected = big;
            expected.reverse();
            assert_eq!(&reply[..], &expected[..]);
            ws.close(None).await.unwrap();
            assert_eq!(server.await.unwrap(), 11);
        })
        .await
        .expect("the WebSocket exchange took too long");
    });
}

#[test]
fn websocket_exchange_current_thread() {
    websocket_exchange(support::rt());
}

#[test]
fn websocket_exchange_multi_thread() {
    websocket_exchange(support::mt());
}

/// `futures_util::io` helpers on TCP streams, their owned halves, and
/// evloop's buffered and in-memory types.
#[test]
fn futures_util_io_helpers() {
    support::rt().block_on(async {
        timeout(LIMIT, async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            // An echo server written with futures' `copy` over owned halves.
            let server = evloop::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let (read, mut write) = stream.into_split();
                let read = evloop::io::BufReader::new(read);
                let n = futures_util::io::copy_buf(read, &mut write).await.unwrap();
                write.close().await.unwrap();
                n
            });
            let mut client = TcpStream::connect(addr).await.unwrap();
            client.write_all(b"line one\nline two\n").await.unwrap();
            client.flush().await.unwrap();
            {
                let (rd, mut wr) = TcpStream::split(&mut client);
                wr.write_all(b"tail").await.unwrap();
                wr.close().await.unwrap();
                let mut lines = evloop::io::BufReader::new(rd);
                let mut first = String::new();
                lines.read_line(&mut first).await.unwrap();
                assert_eq!(first, "line one\n");
                let mut rest = String::new();
                lines.read_to_string(&mut rest).await.unwrap();
                assert_eq!(rest, "line two\ntail");
            }
            assert_eq!(server.await.unwrap(), 22);

            // Unix streams, duplex and simplex pipes.
            let (mut a, mut b) = UnixStream::pair().unwrap();
            a.write_all(b"unix").await.unwrap();
            let mut buf = [0u8; 4];
            b.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"unix");

            let (mut x, mut y) = evloop::io::duplex(8);
            let writer = evloop::spawn(async move {
                x.write_all(&[3u8; 100]).await.unwrap();
                x.close().await.unwrap();
            });
            let mut got = Vec::new();
            y.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, vec![3u8; 100]);
            writer.await.unwrap();
        })
        .await
        .expect("took too long");
    });
}

#[test]
fn files_through_futures_traits() {
    support::rt().block_on(async {
        let dir = std::env::temp_dir().join(format!("evloop-futures-io-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.txt");
        let mut file = evloop::fs::File::create(&path).await.unwrap();
        AsyncWriteExt::write_all(&mut file, b"written through futures-io")
            .await
            .unwrap();
        AsyncWriteExt::flush(&mut file).await.unwrap();
        drop(file);
        let mut file = evloop::fs::File::open(&path).await.unwrap();
        let mut text = String::new();
        AsyncReadExt::read_to_string(&mut file, &mut text)
            .await
            .unwrap();
        assert_eq!(text, "written through futures-io");
        std::fs::remove_dir_all(&dir).unwrap();
    });
}
