//! Edge cases of the in-memory and buffered I/O helpers.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use evloop::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, ReadBuf};

fn rt() -> evloop::runtime::Runtime {
    evloop::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn duplex_empty_read_and_write_complete_at_once() {
    rt().block_on(async {
        let (mut a, mut b) = evloop::io::duplex(4);
        // Nothing to read: an empty buffer still completes with 0.
        let mut empty = [0u8; 0];
        let n = evloop::time::timeout(std::time::Duration::from_secs(5), b.read(&mut empty)).await;
        assert_eq!(n.ok().map(Result::unwrap), Some(0));
        // Full pipe: an empty write still completes with 0.
        a.write_all(b"full").await.unwrap();
        let n = evloop::time::timeout(std::time::Duration::from_secs(5), a.write(&[])).await;
        assert_eq!(n.ok().map(Result::unwrap), Some(0));
        let mut buf = [0u8; 4];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"full");
    });
}

/// Yields `data` in chunks of `chunk` bytes, then fails.
struct FailsAfter {
    data: &'static [u8],
    chunk: usize,
}

impl AsyncRead for FailsAfter {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.data.is_empty() {
            return Poll::Ready(Err(io::Error::other("reader broke")));
        }
        let n = self.chunk.min(self.data.len()).min(buf.remaining());
        buf.put_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Poll::Ready(Ok(()))
    }
}

#[test]
fn read_line_keeps_bytes_read_before_an_error() {
    rt().block_on(async {
        let mut reader = BufReader::with_capacity(
            2,
            FailsAfter {
                data: b"partial",
                chunk: 2,
            },
        );
        let mut line = String::from("> ");
        let err = reader.read_line(&mut line).await.unwrap_err();
        assert_eq!(err.to_string(), "reader broke");
        assert_eq!(line, "> partial", "the bytes read stay in the buffer");

        // Invalid UTF-8 read before the error: the buffer is left as it was.
        let mut reader = BufReader::new(FailsAfter {
            data: b"\xff\xfe",
            chunk: 2,
        });
        let mut line = String::from("kept");
        assert!(reader.read_line(&mut line).await.is_err());
        assert_eq!(line, "kept");

        // `read_until` keeps them too.
        let mut reader = BufReader::new(FailsAfter {
            data: b"abc",
            chunk: 1,
        });
        let mut bytes = Vec::new();
        assert!(reader.read_until(b'\n', &mut bytes).await.is_err());
        assert_eq!(bytes, b"abc");
    });
}
