//! [`simplex`]: an in-memory, one-way byte pipe.
//!
//! A [`SimplexStream`] is one buffer of the kind [`duplex`](super::duplex)
//! uses for each direction (`mem.rs`, whose rules apply): what is written
//! is read back in order; a writer waits while `max_buf_size` bytes are
//! buffered; after `shutdown` the reader drains what is left and then reads
//! end of stream, and later writes fail with `BrokenPipe`.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::coop;
use crate::io::util::mem::{Pipe, Wakers};
use crate::io::util::split::{split, ReadHalf, WriteHalf};
use crate::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A one-way in-memory pipe: bytes written to it are read from it.
///
/// Usually made split with [`simplex`]; [`SimplexStream::new_unsplit`]
/// makes one whole stream that is both ends.
#[derive(Debug)]
pub struct SimplexStream {
    pipe: Pipe,
}

/// A one-way pipe buffering at most `max_buf_size` bytes: the read end and
/// the write end, usable from different tasks.
///
/// ```
/// use evloop::io::{AsyncReadExt, AsyncWriteExt};
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let (mut rx, mut tx) = evloop::io::simplex(8);
/// tx.write_all(b"one way").await.unwrap();
/// tx.shutdown().await.unwrap();
/// let mut got = String::new();
/// rx.read_to_string(&mut got).await.unwrap();
/// assert_eq!(got, "one way");
/// # }); }
/// ```
///
/// # Panics
///
/// If `max_buf_size` is 0.
pub fn simplex(max_buf_size: usize) -> (ReadHalf<SimplexStream>, WriteHalf<SimplexStream>) {
    split(SimplexStream::new_unsplit(max_buf_size))
}

impl SimplexStream {
    /// One stream that is both the read and the write end.
    ///
    /// # Panics
    ///
    /// If `max_buf_size` is 0.
    pub fn new_unsplit(max_buf_size: usize) -> SimplexStream {
        assert!(max_buf_size > 0, "max_buf_size must be at least 1");
        SimplexStream {
            pipe: Pipe::new(max_buf_size),
        }
    }
}

impl AsyncRead for SimplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let coop = ready!(coop::poll_proceed(cx));
        let mut wakers = Wakers::default();
        let res = self.get_mut().pipe.poll_read(cx, buf, &mut wakers);
        if res.is_ready() {
            coop.made_progress();
        }
        res
    }
}

impl AsyncWrite for SimplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let coop = ready!(coop::poll_proceed(cx));
        let mut wakers = Wakers::default();
        let res = self.get_mut().pipe.poll_write(cx, buf, &mut wakers);
        if res.is_ready() {
            coop.made_progress();
        }
        res
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let coop = ready!(coop::poll_proceed(cx));
        let mut wakers = Wakers::default();
        let res = self
            .get_mut()
            .pipe
            .poll_write_vectored(cx, bufs, &mut wakers);
        if res.is_ready() {
            coop.made_progress();
        }
        res
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(coop::poll_proceed(cx)).made_progress();
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(coop::poll_proceed(cx)).made_progress();
        let mut wakers = Wakers::default();
        self.get_mut().pipe.close(&mut wakers);
        Poll::Ready(Ok(()))
    }
}
