//! Edge cases of the in-memory and buffered I/O helpers.

mod support;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use evloop::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf,
};
use support::rt;

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

/// A waker that runs a hook when its last reference is dropped.
struct OnDrop(std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>);

impl std::task::Wake for OnDrop {
    fn wake(self: std::sync::Arc<Self>) {}
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        if let Some(hook) = self.0.get_mut().unwrap().take() {
            hook();
        }
    }
}

#[test]
fn duplex_replaced_waker_may_write_to_the_pipe() {
    // The reader's first waker, when replaced, writes into the very pipe it
    // waited on: it must be dropped after the pipe's lock.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut a, mut b) = evloop::io::duplex(8);
        let mut read_buf = [0u8; 4];
        let hook: Box<dyn FnOnce() + Send> = Box::new(move || {
            let mut cx = Context::from_waker(std::task::Waker::noop());
            let res = Pin::new(&mut a).poll_write(&mut cx, b"hi");
            assert!(matches!(res, Poll::Ready(Ok(2))));
        });
        let first = std::task::Waker::from(std::sync::Arc::new(OnDrop(std::sync::Mutex::new(
            Some(hook),
        ))));
        let mut buf = ReadBuf::new(&mut read_buf);
        let res = Pin::new(&mut b).poll_read(&mut Context::from_waker(&first), &mut buf);
        assert!(res.is_pending());
        drop(first);
        let mut buf = ReadBuf::new(&mut read_buf);
        let noop = std::task::Waker::noop();
        let _ = Pin::new(&mut b).poll_read(&mut Context::from_waker(noop), &mut buf);
        let mut buf = ReadBuf::new(&mut read_buf);
        let res = Pin::new(&mut b).poll_read(&mut Context::from_waker(noop), &mut buf);
        assert!(res.is_ready());
        tx.send(buf.filled().to_vec()).unwrap();
    });
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("deadlock: a waker was dropped under the pipe's lock");
    assert_eq!(got, b"hi");
}
