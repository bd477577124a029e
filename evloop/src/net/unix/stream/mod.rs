//! [`UnixStream`].

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::io::poll_evented::PollEvented;
use crate::io::scheduled_io::Direction;
use crate::io::{AsyncRead, AsyncWrite, Interest, ReadBuf, Ready};
use crate::net::split::{split, split_owned};
use crate::net::unix::socketaddr::{from_path, SocketAddr};
use crate::net::unix::split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};

mod ops;

/// A connected Unix-domain stream socket.
///
/// ```
/// use evloop::io::{AsyncReadExt, AsyncWriteExt};
///
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let (mut a, mut b) = evloop::net::UnixStream::pair().unwrap();
/// a.write_all(b"hi").await.unwrap();
/// drop(a);
/// let mut got = String::new();
/// b.read_to_string(&mut got).await.unwrap();
/// assert_eq!(got, "hi");
/// # }); }
/// ```
pub struct UnixStream {
    io: PollEvented<mio::net::UnixStream>,
}

impl UnixStream {
    pub(crate) fn from_mio(
        sys: mio::net::UnixStream,
        handle: crate::io::IoHandle,
    ) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: PollEvented::new_with_handle(sys, Interest::READABLE | Interest::WRITABLE, handle)?,
        })
    }

    /// Connects to the socket at `path`, or on Linux to the abstract name
    /// that follows a leading NUL byte (`"\0name"`).
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let addr = from_path(path.as_ref())?;
        UnixStream::connect_addr(&SocketAddr(addr)).await
    }

    /// Connects to the socket at `addr`.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    pub async fn connect_addr(addr: &SocketAddr) -> io::Result<UnixStream> {
        let handle = crate::io::IoHandle::current_or_panic();
        let stream = UnixStream::from_mio(mio::net::UnixStream::connect_addr(&addr.0)?, handle)?;
        stream.finish_connect().await
    }

    /// Waits for a connect in progress to finish; its error if it failed.
    pub(crate) async fn finish_connect(self) -> io::Result<UnixStream> {
        poll_fn(|cx| self.io.registration().poll_ready(cx, Direction::Write)).await?;
        if let Some(e) = self.io.take_error()? {
            return Err(e);
        }
        Ok(self)
    }

    /// A connected pair of streams.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let handle = crate::io::IoHandle::current_or_panic();
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((
            UnixStream::from_mio(a, handle.clone())?,
            UnixStream::from_mio(b, handle)?,
        ))
    }

    /// Registers a std stream with the current runtime (switching it to
    /// non-blocking); an error if there is no runtime with I/O enabled.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream {
            io: PollEvented::new(mio::net::UnixStream::from_std(stream))?,
        })
    }

    /// Deregisters and returns the std stream (non-blocking).
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        let sys = self.io.into_inner()?;
        // SAFETY: `into_raw_fd` hands over sole ownership of the socket fd.
        Ok(unsafe { std::os::unix::net::UnixStream::from_raw_fd(sys.into_raw_fd()) })
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr().map(SocketAddr)
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr().map(SocketAddr)
    }

    /// Waits for readiness; cancel-safe.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        Ok(self.io.registration().readiness(interest).await?.ready)
    }

    /// Waits until the stream may be readable; cancel-safe.
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Waits until the stream may be writable; cancel-safe.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Reads without waiting.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Interest::READABLE, || (&*self.io).read(buf))
    }

    /// Reads without waiting into the spare room of `buf` (a
    /// `bytes::BufMut`) and advances it; `WouldBlock` if no data is
    /// available. `Ok(0)` is end of stream, or `buf` had no room.
    pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.io.registration().try_io(Interest::READABLE, || {
            crate::net::read_into::read_fd_into(self.io.as_raw_fd(), buf)
        })
    }

    /// Writes without waiting.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || (&*self.io).write(buf))
    }

    /// Borrowed halves for reading and writing at once in one task (for
    /// example with `select!` or `join!`). No allocation.
    ///
    /// ```
    /// use evloop::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let (mut a, mut b) = evloop::net::UnixStream::pair().unwrap();
    /// let (mut rd, mut wr) = a.split();
    /// let (sent, got) = evloop::join!(
    ///     async {
    ///         wr.write_all(b"ping").await.unwrap();
    ///         let mut buf = [0; 4];
    ///         rd.read_exact(&mut buf).await.unwrap();
    ///         buf
    ///     },
    ///     async {
    ///         let mut buf = [0; 4];
    ///         b.read_exact(&mut buf).await.unwrap();
    ///         b.write_all(b"pong").await.unwrap();
    ///         buf
    ///     },
    /// );
    /// assert_eq!((&sent, &got), (b"pong", b"ping"));
    /// # }); }
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split(self)
    }

    /// Owned halves that can move to different tasks; the write half shuts
    /// the write direction down when dropped.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned(self)
    }

    pub(crate) fn poll_read_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.io.poll_read(cx, buf)
    }

    pub(crate) fn poll_write_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    pub(crate) fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }

    pub(crate) fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        match self.io.shutdown(how) {
            // Already shut down or the peer is gone: nothing to send.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            res => res,
        }
    }
}

impl AsyncRead for UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.poll_read_priv(cx, buf)
    }
}

impl AsyncWrite for UnixStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown_std(Shutdown::Write))
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
