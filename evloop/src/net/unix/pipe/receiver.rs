//! [`Receiver`]: the read end of a pipe.

use std::fmt;
use std::fs::File;
use std::io::{self, IoSliceMut, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BufMut;

use super::{check_and_set_nonblocking, set_blocking, End};
use crate::io::poll_evented::PollEvented;
use crate::io::{AsyncRead, Interest, ReadBuf, Ready};
use crate::net::buf::recv_zeroed;

/// The read end of a pipe or FIFO (see the [module](super) for how to get
/// one). Reads `Ok(0)` once every writer is gone and the pipe is drained.
/// Every future here is cancel-safe.
pub struct Receiver {
    io: PollEvented<mio::unix::pipe::Receiver>,
}

impl Receiver {
    pub(super) fn from_mio(
        sys: mio::unix::pipe::Receiver,
        handle: crate::io::IoHandle,
    ) -> io::Result<Receiver> {
        Ok(Receiver {
            io: PollEvented::new_with_handle(sys, Interest::READABLE, handle)?,
        })
    }

    /// Adopts `file`, a FIFO opened for reading: checks that it is a pipe
    /// with read access (`InvalidInput` otherwise) and makes it
    /// non-blocking.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn from_file(file: File) -> io::Result<Receiver> {
        Receiver::from_owned_fd(file.into())
    }

    /// Like [`from_file`](Receiver::from_file) for an fd (an anonymous
    /// pipe's or a FIFO's).
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn from_owned_fd(fd: OwnedFd) -> io::Result<Receiver> {
        let handle = crate::io::IoHandle::current_or_panic();
        check_and_set_nonblocking(fd.as_fd(), End::Receiver)?;
        Receiver::from_mio(fd.into(), handle)
    }

    /// Adopts `file` without the checks of
    /// [`from_file`](Receiver::from_file): the caller makes sure it is a
    /// pipe, open for reading and non-blocking.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn from_file_unchecked(file: File) -> io::Result<Receiver> {
        Receiver::from_owned_fd_unchecked(file.into())
    }

    /// Like [`from_file_unchecked`](Receiver::from_file_unchecked) for an
    /// fd.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn from_owned_fd_unchecked(fd: OwnedFd) -> io::Result<Receiver> {
        let handle = crate::io::IoHandle::current_or_panic();
        Receiver::from_mio(fd.into(), handle)
    }

    /// Waits until the pipe is ready for `interest` (in practice
    /// `READABLE`); returns the readiness seen, which may be spurious.
    /// Cancel-safe.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        Ok(self.io.registration().readiness(interest).await?.ready)
    }

    /// Waits until the pipe may hold bytes (or every writer is gone).
    /// Cancel-safe.
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Polls for read readiness (one waker: the last task to poll).
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.registration().poll_read_ready(cx).map_ok(drop)
    }

    /// Reads without waiting; `WouldBlock` if the pipe is empty, `Ok(0)` at
    /// end of file.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Interest::READABLE, || (&*self.io).read(buf))
    }

    /// Vectored [`try_read`](Receiver::try_read).
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Interest::READABLE, || (&*self.io).read_vectored(bufs))
    }

    /// [`try_read`](Receiver::try_read) into `buf`'s spare capacity (a
    /// `Vec` grows by at least 64 bytes if it has none), advancing `buf`.
    pub fn try_read_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.io.registration().try_io(Interest::READABLE, || {
            recv_zeroed(buf, |dst| (&*self.io).read(dst).map(|n| (n, ()))).map(|(n, ())| n)
        })
    }

    /// Runs `f` if the pipe is readable; when `f` returns `WouldBlock` the
    /// readiness is cleared. `f` must return `WouldBlock` only when the
    /// pipe did.
    pub fn try_io<R>(&self, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.io.registration().try_io(Interest::READABLE, f)
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

impl AsyncRead for Receiver {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.io.poll_read(cx, buf)
    }
}

impl AsRawFd for Receiver {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for Receiver {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
