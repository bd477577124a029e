//! [`UnixSocket`]: a Unix-domain socket configured before it binds,
//! listens or connects.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, RawFd};
use std::path::Path;

use socket2::{Domain, Socket, Type};

use crate::net::unix::socketaddr::sock_addr;
use crate::net::{UnixDatagram, UnixListener, UnixStream};

/// An unconnected Unix-domain socket, stream or datagram: bind it to a
/// path (or, on Linux, an abstract `"\0name"`), then turn it into a
/// [`UnixListener`] (`listen`), a [`UnixStream`] (`connect`) or a
/// [`UnixDatagram`] (`datagram`). Each of those checks the socket's type
/// and fails with `InvalidInput` on the wrong one.
///
/// ```
/// use evloop::net::UnixSocket;
///
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("evloop-doc-unixsocket-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("sock");
/// let socket = UnixSocket::new_stream().unwrap();
/// socket.bind(&path).unwrap();
/// let listener = socket.listen(64).unwrap();
/// let client = UnixSocket::new_stream().unwrap().connect(&path).await.unwrap();
/// let (_server, _) = listener.accept().await.unwrap();
/// assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(path.as_path()));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # }); }
/// ```
pub struct UnixSocket {
    inner: Socket,
}

impl UnixSocket {
    fn new(ty: Type) -> io::Result<UnixSocket> {
        // socket2 sets close-on-exec on Unix.
        let inner = Socket::new(Domain::UNIX, ty, None)?;
        inner.set_nonblocking(true)?;
        Ok(UnixSocket { inner })
    }

    /// A datagram socket (`SOCK_DGRAM`).
    pub fn new_datagram() -> io::Result<UnixSocket> {
        UnixSocket::new(Type::DGRAM)
    }

    /// A stream socket (`SOCK_STREAM`).
    pub fn new_stream() -> io::Result<UnixSocket> {
        UnixSocket::new(Type::STREAM)
    }

    fn expect(&self, ty: Type, what: &'static str) -> io::Result<()> {
        if self.inner.r#type()? == ty {
            Ok(())
        } else {
            Err(io::Error::new(io::ErrorKind::InvalidInput, what))
        }
    }

    /// Binds to `path` (on Linux, `"\0name"` is the abstract name `name`).
    pub fn bind(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.inner.bind(&sock_addr(path.as_ref())?)
    }

    /// Listens with a queue of `backlog` pending connections. Only for a
    /// stream socket.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn listen(self, backlog: u32) -> io::Result<UnixListener> {
        let handle = crate::io::IoHandle::current_or_panic();
        self.expect(Type::STREAM, "listen needs a stream socket")?;
        self.inner.listen(backlog.min(i32::MAX as u32) as i32)?;
        // SAFETY: `into_raw_fd` hands over sole ownership of the socket fd.
        let sys = unsafe { mio::net::UnixListener::from_raw_fd(self.inner.into_raw_fd()) };
        UnixListener::from_mio(sys, handle)
    }

    /// Connects to the socket at `path`. Only for a stream socket.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    pub async fn connect(self, path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let handle = crate::io::IoHandle::current_or_panic();
        self.expect(Type::STREAM, "connect needs a stream socket")?;
        match self.inner.connect(&sock_addr(path.as_ref())?) {
            Ok(()) => {}
            Err(e)
                if e.raw_os_error() == Some(libc::EINPROGRESS)
                    || e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        // SAFETY: `into_raw_fd` hands over sole ownership of the socket fd.
        let sys = unsafe { mio::net::UnixStream::from_raw_fd(self.inner.into_raw_fd()) };
        UnixStream::from_mio(sys, handle)?.finish_connect().await
    }

    /// Turns the socket into a [`UnixDatagram`]. Only for a datagram
    /// socket.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn datagram(self) -> io::Result<UnixDatagram> {
        let handle = crate::io::IoHandle::current_or_panic();
        self.expect(Type::DGRAM, "datagram needs a datagram socket")?;
        // SAFETY: `into_raw_fd` hands over sole ownership of the socket fd.
        let sys = unsafe { mio::net::UnixDatagram::from_raw_fd(self.inner.into_raw_fd()) };
        UnixDatagram::from_mio_with_handle(sys, handle)
    }
}

impl AsRawFd for UnixSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for UnixSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl FromRawFd for UnixSocket {
    /// Adopts a Unix-domain socket fd as it is: it must be non-blocking for
    /// the listener, stream or datagram made from it to work.
    ///
    /// # Safety
    ///
    /// `fd` must be an open socket that nothing else owns.
    unsafe fn from_raw_fd(fd: RawFd) -> UnixSocket {
        // SAFETY: the caller hands over sole ownership of an open socket.
        let inner = unsafe { Socket::from_raw_fd(fd) };
        UnixSocket { inner }
    }
}

impl IntoRawFd for UnixSocket {
    fn into_raw_fd(self) -> RawFd {
        self.inner.into_raw_fd()
    }
}

impl fmt::Debug for UnixSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixSocket")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
