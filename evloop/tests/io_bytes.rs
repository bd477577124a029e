//! The `bytes`-based helpers: `read_buf`, `write_buf`, `write_all_buf` and
//! `try_read_buf`.

mod support;

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, BufMut, BytesMut};
use evloop::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use evloop::net::{TcpListener, TcpStream, UnixStream};
use evloop::time::timeout;
use support::rt;

const LIMIT: Duration = Duration::from_secs(10);

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

#[test]
fn read_buf_fills_spare_room_and_stops_when_full() {
    rt().block_on(async {
        let (mut client, mut server) = tcp_pair().await;
        client.write_all(b"hello world").await.unwrap();
        let mut buf = BytesMut::with_capacity(64);
        let mut total = 0;
        while total < 11 {
            let n = timeout(LIMIT, server.read_buf(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert!(n > 0);
            total += n;
        }
        assert_eq!(&buf[..], b"hello world");

        // A `BufMut` with no room reads nothing (and does not wait).
        let mut full = [0u8; 2];
        let mut slice = &mut full[..];
        slice.put_slice(b"xy");
        assert_eq!(server.read_buf(&mut slice).await.unwrap(), 0);

        // `Vec<u8>` grows as a `BufMut`; end of stream reads 0.
        client.shutdown().await.unwrap();
        let mut v = Vec::new();
        assert_eq!(
            timeout(LIMIT, server.read_buf(&mut v))
                .await
                .unwrap()
                .unwrap(),
            0
        );
        assert!(v.is_empty());
    });
}

/// Records how each write call was made.
#[derive(Default)]
struct Recorder {
    data: Vec<u8>,
    calls: Vec<usize>,
    vectored: bool,
}

impl AsyncWrite for Recorder {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let n = buf.len().min(5);
        self.data.extend_from_slice(&buf[..n]);
        self.calls.push(n);
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut n = 0;
        for b in bufs {
            self.data.extend_from_slice(b);
            n += b.len();
        }
        self.calls.push(n);
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        self.vectored
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn write_buf_uses_vectored_writes_and_advances() {
    rt().block_on(async {
        let mut w = Recorder {
            vectored: true,
            ..Recorder::default()
        };
        let mut src = Buf::chain(&b"abc"[..], &b"defgh"[..]);
        assert_eq!(w.write_buf(&mut src).await.unwrap(), 8);
        assert!(!src.has_remaining());
        assert_eq!(w.data, b"abcdefgh");

        // Not vectored: one chunk at a time, advanced by what was taken.
        let mut w = Recorder::default();
        let mut src = Buf::chain(&b"abcdefg"[..], &b"hij"[..]);
        assert_eq!(w.write_buf(&mut src).await.unwrap(), 5);
        assert_eq!(src.remaining(), 5);
        w.write_all_buf(&mut src).await.unwrap();
        assert_eq!(w.data, b"abcdefghij");
        assert_eq!(w.calls, [5, 2, 3]);
    });
}

#[test]
fn write_all_buf_over_tcp() {
    rt().block_on(async {
        let (mut client, mut server) = tcp_pair().await;
        let payload: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
        let expected = payload.clone();
        let writer = evloop::spawn(async move {
            let mut src = bytes::Bytes::from(payload).chain(&b"end"[..]);
            client.write_all_buf(&mut src).await.unwrap();
            assert!(!src.has_remaining());
            client.shutdown().await.unwrap();
        });
        let mut got = Vec::new();
        timeout(LIMIT, server.read_to_end(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&got[..expected.len()], &expected[..]);
        assert_eq!(&got[expected.len()..], b"end");
        writer.await.unwrap();
    });
}

#[test]
fn write_all_buf_reports_write_zero() {
    struct Closed;
    impl AsyncWrite for Closed {
        fn poll_write(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            _buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Ok(0))
        }
        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }
    rt().block_on(async {
        let mut src = &b"data"[..];
        let err = Closed.write_all_buf(&mut src).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WriteZero);
    });
}

/// A reader that swaps the `ReadBuf` it is given for its own.
struct Swapper;

impl AsyncRead for Swapper {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // An empty `'static` buffer: whatever it reports never reaches the
        // caller's memory.
        *buf = ReadBuf::new(&mut []);
        Poll::Ready(Ok(()))
    }
}

#[test]
#[should_panic(expected = "replaced the ReadBuf")]
fn read_buf_refuses_a_replaced_read_buf() {
    rt().block_on(async {
        let mut buf = BytesMut::with_capacity(8);
        let _ = Swapper.read_buf(&mut buf).await;
    });
}

#[test]
fn try_read_buf_on_streams_and_halves() {
    rt().block_on(async {
        let (mut client, server) = tcp_pair().await;
        let mut buf = BytesMut::with_capacity(16);
        let err = server.try_read_buf(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        client.write_all(b"tcp").await.unwrap();
        loop {
            timeout(LIMIT, server.readable()).await.unwrap().unwrap();
            match server.try_read_buf(&mut buf) {
                Ok(n) => {
                    assert_eq!(n, 3);
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(&buf[..], b"tcp");

        let (read_half, _write_half) = server.into_split();
        client.write_all(b"half").await.unwrap();
        let mut buf = Vec::with_capacity(4);
        loop {
            timeout(LIMIT, read_half.readable()).await.unwrap().unwrap();
            match read_half.try_read_buf(&mut buf) {
                Ok(_) if buf.len() == 4 => break,
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(buf, b"half");

        let (mut a, b) = UnixStream::pair().unwrap();
        a.write_all(b"unix").await.unwrap();
        let mut buf = BytesMut::new();
        buf.reserve(8);
        loop {
            timeout(LIMIT, b.readable()).await.unwrap().unwrap();
            match b.try_read_buf(&mut buf) {
                Ok(n) => {
                    assert_eq!(n, 4);
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(&buf[..], b"unix");
        let (rd, _wr) = b.into_split();
        drop(a);
        timeout(LIMIT, rd.readable()).await.unwrap().unwrap();
        assert_eq!(rd.try_read_buf(&mut buf).unwrap(), 0);
    });
}
