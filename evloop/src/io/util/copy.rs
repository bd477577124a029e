//! [`copy`], [`copy_buf`], [`copy_bidirectional`] and
//! [`copy_bidirectional_with_sizes`].

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::coop;
use crate::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};

/// One direction of a copy: read into `buf`, write `pos..cap` out, repeat;
/// on end of stream flush.
#[derive(Debug)]
pub(crate) struct CopyBuffer {
    read_done: bool,
    need_flush: bool,
    pos: usize,
    cap: usize,
    amt: u64,
    buf: Box<[u8]>,
}

impl CopyBuffer {
    pub(crate) fn new() -> CopyBuffer {
        CopyBuffer::with_size(8 * 1024)
    }

    /// A copy buffer of `size` bytes (at least 1).
    pub(crate) fn with_size(size: usize) -> CopyBuffer {
        CopyBuffer {
            read_done: false,
            need_flush: false,
            pos: 0,
            cap: 0,
            amt: 0,
            buf: vec![0; size.max(1)].into_boxed_slice(),
        }
    }

    pub(crate) fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            if self.pos == self.cap && !self.read_done {
                let mut buf = ReadBuf::new(&mut self.buf);
                // Each read spends budget, also from a reader that ignores
                // it (rule 3 of `coop`): an always-ready pair of endpoints
                // must not hold the thread forever. Out of budget counts as
                // the reader not being ready.
                let read = match coop::poll_proceed(cx) {
                    Poll::Ready(coop) => {
                        let read = reader.as_mut().poll_read(cx, &mut buf);
                        if read.is_ready() {
                            coop.made_progress();
                        }
                        read
                    }
                    Poll::Pending => Poll::Pending,
                };
                match read {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {
                        // Flush what was written while waiting for more.
                        if self.need_flush {
                            ready!(writer.as_mut().poll_flush(cx))?;
                            self.need_flush = false;
                        }
                        return Poll::Pending;
                    }
                }
                let n = buf.filled().len();
                if n == 0 {
                    self.read_done = true;
                } else {
                    self.pos = 0;
                    self.cap = n;
                }
            }

            while self.pos < self.cap {
                let n = ready!(writer
                    .as_mut()
                    .poll_write(cx, &self.buf[self.pos..self.cap]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "write zero byte into writer",
                    )));
                }
                self.pos += n;
                self.amt += n as u64;
                self.need_flush = true;
            }

            if self.pos == self.cap && self.read_done {
                ready!(writer.as_mut().poll_flush(cx))?;
                return Poll::Ready(Ok(self.amt));
            }
        }
    }
}

/// Copies `reader` to `writer` until end of stream, then flushes; returns
/// the number of bytes copied.
///
/// Not cancel-safe: bytes read but not yet written are lost.
///
/// ```
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let mut out = Vec::new();
/// let n = evloop::io::copy(&mut &b"hello"[..], &mut out).await.unwrap();
/// assert_eq!((n, &out[..]), (5, &b"hello"[..]));
/// # }); }
/// ```
pub async fn copy<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut state = CopyBuffer::new();
    poll_fn(|cx| state.poll_copy(cx, Pin::new(&mut *reader), Pin::new(&mut *writer))).await
}

/// Copies a buffered reader to `writer` without an extra buffer; returns the
/// number of bytes copied.
///
/// Not cancel-safe.
pub async fn copy_buf<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut amt = 0u64;
    poll_fn(|cx| loop {
        let mut r = Pin::new(&mut *reader);
        // Rule 3 of `coop`, as in `CopyBuffer::poll_copy`.
        let coop = ready!(coop::poll_proceed(cx));
        let buf = ready!(r.as_mut().poll_fill_buf(cx))?;
        coop.made_progress();
        if buf.is_empty() {
            ready!(Pin::new(&mut *writer).poll_flush(cx))?;
            return Poll::Ready(Ok(amt));
        }
        let n = ready!(Pin::new(&mut *writer).poll_write(cx, buf))?;
        if n == 0 {
            return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
        }
        r.consume(n);
        amt += n as u64;
    })
    .await
}

enum Transfer {
    Running(CopyBuffer),
    ShuttingDown(u64),
    Done(u64),
}

fn poll_transfer<A, B>(
    state: &mut Transfer,
    cx: &mut Context<'_>,
    mut r: Pin<&mut A>,
    mut w: Pin<&mut B>,
) -> Poll<io::Result<u64>>
where
    A: AsyncRead + ?Sized,
    B: AsyncWrite + ?Sized,
{
    loop {
        match state {
            Transfer::Running(buf) => {
                let n = ready!(buf.poll_copy(cx, r.as_mut(), w.as_mut()))?;
                *state = Transfer::ShuttingDown(n);
            }
            Transfer::ShuttingDown(n) => {
                ready!(w.as_mut().poll_shutdown(cx))?;
                *state = Transfer::Done(*n);
            }
            Transfer::Done(n) => return Poll::Ready(Ok(*n)),
        }
    }
}

/// Copies `a` to `b` and `b` to `a` at the same time; when one side reaches
/// end of stream the other side's writer is shut down. Returns the bytes
/// copied `(a → b, b → a)` once both directions are done.
///
/// Not cancel-safe.
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    copy_bidirectional_with_sizes(a, b, 8 * 1024, 8 * 1024).await
}

/// [`copy_bidirectional`] with a buffer of `a_to_b_size` bytes for the
/// direction `a → b` and one of `b_to_a_size` for `b → a` (the default is
/// 8 KiB each; a size of 0 counts as 1).
///
/// Not cancel-safe.
///
/// ```
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// use evloop::io::{AsyncReadExt, AsyncWriteExt};
/// let (mut a, mut a_peer) = evloop::io::duplex(64);
/// let (mut b, mut b_peer) = evloop::io::duplex(64);
/// a_peer.write_all(b"to b").await.unwrap();
/// a_peer.shutdown().await.unwrap();
/// b_peer.shutdown().await.unwrap();
/// let (ab, ba) = evloop::io::copy_bidirectional_with_sizes(&mut a, &mut b, 3, 16)
///     .await
///     .unwrap();
/// assert_eq!((ab, ba), (4, 0));
/// let mut got = Vec::new();
/// b_peer.read_to_end(&mut got).await.unwrap();
/// assert_eq!(got, b"to b");
/// # }); }
/// ```
pub async fn copy_bidirectional_with_sizes<A, B>(
    a: &mut A,
    b: &mut B,
    a_to_b_size: usize,
    b_to_a_size: usize,
) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    let mut a_to_b = Transfer::Running(CopyBuffer::with_size(a_to_b_size));
    let mut b_to_a = Transfer::Running(CopyBuffer::with_size(b_to_a_size));
    poll_fn(|cx| {
        let ab = poll_transfer(&mut a_to_b, cx, Pin::new(&mut *a), Pin::new(&mut *b))?;
        let ba = poll_transfer(&mut b_to_a, cx, Pin::new(&mut *b), Pin::new(&mut *a))?;
        match (ab, ba) {
            (Poll::Ready(x), Poll::Ready(y)) => Poll::Ready(Ok((x, y))),
            _ => Poll::Pending,
        }
    })
    .await
}
