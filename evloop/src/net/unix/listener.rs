//! [`UnixListener`].

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, RawFd};
use std::path::Path;
use std::task::{Context, Poll};

use crate::io::poll_evented::PollEvented;
use crate::io::scheduled_io::Direction;
use crate::io::Interest;
use crate::net::unix::socketaddr::{from_path, SocketAddr};
use crate::net::UnixStream;

/// A Unix-domain socket listening for stream connections.
pub struct UnixListener {
    io: PollEvented<mio::net::UnixListener>,
}

impl UnixListener {
    pub(crate) fn from_mio(
        sys: mio::net::UnixListener,
        handle: crate::io::IoHandle,
    ) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: PollEvented::new_with_handle(sys, Interest::READABLE, handle)?,
        })
    }

    /// Binds to the filesystem path `path`, or on Linux to the abstract
    /// name that follows a leading NUL byte (`"\0name"`).
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let handle = crate::io::IoHandle::current_or_panic();
        let sys = mio::net::UnixListener::bind_addr(&from_path(path.as_ref())?)?;
        Ok(UnixListener {
            io: PollEvented::new_with_handle(sys, Interest::READABLE, handle)?,
        })
    }

    /// Binds to `addr`.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixListener> {
        let handle = crate::io::IoHandle::current_or_panic();
        let sys = mio::net::UnixListener::bind_addr(&addr.0)?;
        Ok(UnixListener {
            io: PollEvented::new_with_handle(sys, Interest::READABLE, handle)?,
        })
    }

    /// Registers a std listener with the current runtime (switching it to
    /// non-blocking); an error if there is no runtime with I/O enabled.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: PollEvented::new_with_interest(
                mio::net::UnixListener::from_std(listener),
                Interest::READABLE,
            )?,
        })
    }

    /// Deregisters and returns the std listener (non-blocking).
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        let sys = self.io.into_inner()?;
        // SAFETY: `into_raw_fd` hands over sole ownership of the socket fd.
        Ok(unsafe { std::os::unix::net::UnixListener::from_raw_fd(sys.into_raw_fd()) })
    }

    /// Accepts a connection. Cancel-safe.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let reg = self.io.registration();
        match reg.poll_io(cx, Direction::Read, || self.io.accept()) {
            Poll::Ready(Ok((sys, addr))) => Poll::Ready(
                UnixStream::from_mio(sys, reg.handle().clone()).map(|s| (s, SocketAddr(addr))),
            ),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr().map(SocketAddr)
    }

    /// Returns and clears the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// Same as [`UnixListener::from_std`].
    fn try_from(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        UnixListener::from_std(listener)
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
