//! [`duplex`]: an in-memory, bidirectional byte pipe.
//!
//! # Rules
//!
//! 1. Each direction is one `Pipe` behind a mutex, shared by the writing end
//!    and the reading end.
//! 2. A writer that finds the pipe full (`max_buf_size` bytes) stores its
//!    waker and returns `Pending`; a read that frees room wakes it. A reader
//!    that finds it empty stores its waker; a write wakes it. Both store and
//!    check under the same lock, so no wake-up is lost.
//! 3. Dropping (or shutting down) an end closes the pipe it writes to (the
//!    peer then reads end of stream) and the pipe it reads from (the peer's
//!    writes then fail with `BrokenPipe`).
//! 4. Wakers are woken and replaced wakers dropped after the pipe's lock is
//!    released (the `Pipe` methods hand them out in [`Wakers`]): either may
//!    run code that uses this pipe again.
//! 5. A read into a full buffer and a write of no bytes complete at once
//!    (`Ok` with nothing transferred), as for any reader or writer.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use crate::coop;
use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use crate::loom::sync::{Arc, Mutex};

/// One end of a [`duplex`] pipe.
#[derive(Debug)]
pub struct DuplexStream {
    read: Arc<Mutex<Pipe>>,
    write: Arc<Mutex<Pipe>>,
}

#[derive(Debug)]
pub(super) struct Pipe {
    buf: VecDeque<u8>,
    max_buf_size: usize,
    is_closed: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

/// Two connected in-memory streams; each direction buffers at most
/// `max_buf_size` bytes before writes wait for reads.
///
/// ```
/// use evloop::io::{AsyncReadExt, AsyncWriteExt};
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let (mut a, mut b) = evloop::io::duplex(16);
/// a.write_all(b"ping").await.unwrap();
/// let mut buf = [0; 4];
/// b.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"ping");
/// # }); }
/// ```
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    assert!(max_buf_size > 0, "max_buf_size must be at least 1");
    let one = Arc::new(Mutex::new(Pipe::new(max_buf_size)));
    let two = Arc::new(Mutex::new(Pipe::new(max_buf_size)));
    (
        DuplexStream {
            read: one.clone(),
            write: two.clone(),
        },
        DuplexStream {
            read: two,
            write: one,
        },
    )
}

impl Pipe {
    pub(super) fn new(max_buf_size: usize) -> Pipe {
        Pipe {
            buf: VecDeque::new(),
            max_buf_size,
            is_closed: false,
            read_waker: None,
            write_waker: None,
        }
    }

    /// Rule 3.
    pub(super) fn close(&mut self, out: &mut Wakers) {
        self.is_closed = true;
        out.wake(self.read_waker.take());
        out.wake(self.write_waker.take());
    }

    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
        out: &mut Wakers,
    ) -> Poll<io::Result<()>> {
        if buf.remaining() == 0 {
            // Rule 5.
            return Poll::Ready(Ok(()));
        }
        if self.buf.is_empty() {
            if self.is_closed {
                return Poll::Ready(Ok(()));
            }
            out.replaced = self.read_waker.replace(cx.waker().clone());
            return Poll::Pending;
        }
        let n = self.buf.len().min(buf.remaining());
        let (a, b) = self.buf.as_slices();
        let from_a = n.min(a.len());
        buf.put_slice(&a[..from_a]);
        buf.put_slice(&b[..n - from_a]);
        self.buf.drain(..n);
        out.wake(self.write_waker.take());
        Poll::Ready(Ok(()))
    }

    pub(super) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        src: &[u8],
        out: &mut Wakers,
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[io::IoSlice::new(src)], out)
    }

    /// Takes bytes from every slice, in order, while there is room.
    pub(super) fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
        out: &mut Wakers,
    ) -> Poll<io::Result<usize>> {
        if self.is_closed {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if bufs.iter().all(|b| b.is_empty()) {
            // Rule 5.
            return Poll::Ready(Ok(0));
        }
        let mut room = self.max_buf_size - self.buf.len();
        if room == 0 {
            out.replaced = self.write_waker.replace(cx.waker().clone());
            return Poll::Pending;
        }
        let mut n = 0;
        for b in bufs {
            let take = room.min(b.len());
            self.buf.extend(&b[..take]);
            n += take;
            room -= take;
            if room == 0 {
                break;
            }
        }
        out.wake(self.read_waker.take());
        Poll::Ready(Ok(n))
    }
}

/// Wakers to wake, and a waker to drop, once the pipe's lock is released
/// (rule 4). Dropping it does both; declare it before the lock guard.
#[derive(Default)]
pub(super) struct Wakers {
    wake: [Option<Waker>; 2],
    replaced: Option<Waker>,
}

impl Wakers {
    fn wake(&mut self, waker: Option<Waker>) {
        if let Some(slot) = self.wake.iter_mut().find(|w| w.is_none()) {
            *slot = waker;
        }
    }
}

impl Drop for Wakers {
    fn drop(&mut self) {
        for w in self.wake.iter_mut().filter_map(Option::take) {
            w.wake();
        }
    }
}

impl AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let coop = ready!(coop::poll_proceed(cx));
        let mut wakers = Wakers::default();
        let res = self.read.lock().poll_read(cx, buf, &mut wakers);
        if res.is_ready() {
            coop.made_progress();
        }
        res
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let coop = ready!(coop::poll_proceed(cx));
        let mut wakers = Wakers::default();
        let res = self.write.lock().poll_write(cx, buf, &mut wakers);
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
        let res = self.write.lock().poll_write_vectored(cx, bufs, &mut wakers);
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
        self.write.lock().close(&mut wakers);
        Poll::Ready(Ok(()))
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        // Rule 3.
        let mut wakers = Wakers::default();
        self.write.lock().close(&mut wakers);
        drop(wakers);
        let mut wakers = Wakers::default();
        self.read.lock().close(&mut wakers);
    }
}
