//! [`Sender`]: the write end of a pipe.

use std::fmt;
use std::fs::File;
use std::io::{self, IoSlice, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{check_and_set_nonblocking, set_blocking, End};
use crate::io::poll_evented::PollEvented;
use crate::io::{AsyncWrite, Interest, Ready};

/// The write end of a pipe or FIFO (see the [module](super) for how to get
/// one). Writes of up to `PIPE_BUF` bytes are atomic; longer ones may be
/// partial. Every future here is cancel-safe.
pub struct Sender {
    io: PollEvented<mio::unix::pipe::Sender>,
}

impl Sender {
    pub(super) fn from_mio(
        sys: mio::unix::pipe::Sender,
        handle: crate::io::IoHandle,
    ) -> io::Result<Sender> {
        Ok(Sender {
            io: PollEvented::new_with_handle(sys, Interest::WRITABLE, handle)?,
        })
    }

    /// Adopts `file`, a FIFO opened for writing: checks that it is a pipe
    /// with write access (`InvalidInput` otherwise) and makes it
    /// non-blocking.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn from_file(file: File) -> io::Result<Sender> {
        Sender::from_owned_fd(file.into())
    }

    /// Like [`from_file`](Sender::from_file) for an fd (an anonymous pipe's
    /// or a FIFO's).
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn from_owned_fd(fd: OwnedFd) -> io::Result<Sender> {
        let handle = crate::io::IoHandle::current_or_panic();
        check_and_set_nonblocking(fd.as_fd(), End::Sender)?;
        Sender::from_mio(fd.into(), handle)
    }

    /// Adopts `file` without the checks of [`from_file`](Sender::from_file):
    /// the caller makes sure it is a pipe, open for writing and
    /// non-blocking.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn from_file_unchecked(file: File) -> io::Result<Sender> {
        Sender::from_owned_fd_unchecked(file.into())
    }

    /// Like [`from_file_unchecked`](Sender::from_file_unchecked) for an fd.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn from_owned_fd_unchecked(fd: OwnedFd) -> io::Result<Sender> {
        let handle = crate::io::IoHandle::current_or_panic();
        Sender::from_mio(fd.into(), handle)
    }

    /// Waits until the pipe is ready for `interest` (in practice
    /// `WRITABLE`); returns the readiness seen, which may be spurious.
    /// Cancel-safe.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        Ok(self.io.registration().readiness(interest).await?.ready)
    }

    /// Waits until the pipe may accept bytes. Cancel-safe.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Polls for write readiness (one waker: the last task to poll).
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.registration().poll_write_ready(cx).map_ok(drop)
    }

    /// Writes without waiting; `WouldBlock` if the pipe is full.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || (&*self.io).write(buf))
    }

    /// Vectored [`try_write`](Sender::try_write).
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || (&*self.io).write_vectored(bufs))
    }

    /// Runs `f` if the pipe is writable; when `f` returns `WouldBlock` the
    /// readiness is cleared. `f` must return `WouldBlock` only when the
    /// pipe did.
    pub fn try_io<R>(&self, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.io.registration().try_io(Interest::WRITABLE, f)
    }

    /// Deregisters the pipe and returns its fd in blocking mode.
    pub fn into_blocking_fd(self) -> io::Result<OwnedFd> {
        let fd = self.into_nonblocking_fd()?;
        set_blocking(fd.as_fd())?;
        Ok(fd)
    }

    /// Deregisters the pipe and returns its fd, still non-blocking.
    pub fn into_nonblocking_fd(self) -> io::Result<OwnedFd> {
        let sys = self.io.into_inner()?;
        // SAFETY: `into_raw_fd` hands over sole ownership of the fd.
        Ok(unsafe { OwnedFd::from_raw_fd(sys.into_raw_fd()) })
    }
}

impl AsyncWrite for Sender {
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
        Poll::Ready(Ok(()))
    }
}

impl AsRawFd for Sender {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for Sender {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
