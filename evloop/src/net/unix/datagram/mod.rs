//! [`UnixDatagram`].

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, RawFd};
use std::path::Path;

use socket2::SockRef;

use crate::io::poll_evented::PollEvented;
use crate::io::{Interest, Ready};
use crate::net::unix::socketaddr::{from_path, sock_addr, SocketAddr};

mod poll;
mod recv_buf;

/// A Unix-domain datagram socket. All methods take `&self`; send/receive
/// futures are cancel-safe (a datagram is sent or received whole, or not at
/// all).
///
/// ```
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let (a, b) = evloop::net::UnixDatagram::pair().unwrap();
/// a.send(b"one").await.unwrap();
/// let mut buf = [0; 8];
/// let n = b.recv(&mut buf).await.unwrap();
/// assert_eq!(&buf[..n], b"one");
/// # }); }
/// ```
pub struct UnixDatagram {
    io: PollEvented<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    #[track_caller]
    fn from_mio(sys: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio_with_handle(sys, crate::io::IoHandle::current_or_panic())
    }

    pub(crate) fn from_mio_with_handle(
        sys: mio::net::UnixDatagram,
        handle: crate::io::IoHandle,
    ) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: PollEvented::new_with_handle(sys, Interest::READABLE | Interest::WRITABLE, handle)?,
        })
    }

    /// A socket bound to `path` (on Linux, `"\0name"` binds the abstract
    /// name `name`).
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled (as do `unbound`
    /// and `pair`).
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let addr = from_path(path.as_ref())?;
        UnixDatagram::from_mio(mio::net::UnixDatagram::bind_addr(&addr)?)
    }

    /// An unbound socket.
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio(mio::net::UnixDatagram::unbound()?)
    }

    /// A connected pair.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_mio(a)?, UnixDatagram::from_mio(b)?))
    }

    /// Registers a std socket with the current runtime (switching it to
    /// non-blocking). Returns an error if there is no runtime or it has I/O
    /// disabled.
    ///
    /// ```
    /// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = std::os::unix::net::UnixDatagram::pair().unwrap();
    /// let a = evloop::net::UnixDatagram::from_std(a).unwrap();
    /// b.send(b"x").unwrap();
    /// let mut buf = [0; 1];
    /// assert_eq!(a.recv(&mut buf).await.unwrap(), 1);
    /// # }); }
    /// ```
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        Ok(UnixDatagram {
            io: PollEvented::new(mio::net::UnixDatagram::from_std(socket))?,
        })
    }

    /// Deregisters and returns the std socket (non-blocking).
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        let sys = self.io.into_inner()?;
        // SAFETY: `into_raw_fd` hands over sole ownership of the socket fd.
        Ok(unsafe { std::os::unix::net::UnixDatagram::from_raw_fd(sys.into_raw_fd()) })
    }

    /// Sets the default peer for `send`/`recv`, and filters received
    /// datagrams to it (`"\0name"` is an abstract name on Linux).
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        SockRef::from(&*self.io).connect(&sock_addr(path.as_ref())?)
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr().map(SocketAddr)
    }

    /// The connected peer's address; `NotConnected` if there is none.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr().map(SocketAddr)
    }

    /// Returns and clears the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }

    /// Shuts down the read half, the write half, or both: later sends fail
    /// with `BrokenPipe`; after a read shutdown, `ready` reports the read
    /// side closed.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }

    /// Waits for readiness; cancel-safe.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        Ok(self.io.registration().readiness(interest).await?.ready)
    }

    /// Waits until a datagram may be available; cancel-safe.
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Waits until a datagram may be sent; cancel-safe.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Sends to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        let reg = self.io.registration();
        reg.async_io(Interest::WRITABLE, || self.io.send(buf)).await
    }

    /// Receives from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let reg = self.io.registration();
        reg.async_io(Interest::READABLE, || self.io.recv(buf)).await
    }

    /// Sends to the socket at `path`.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let target = sock_addr(path.as_ref())?;
        let sock = SockRef::from(&*self.io);
        let reg = self.io.registration();
        reg.async_io(Interest::WRITABLE, || sock.send_to(buf, &target))
            .await
    }

    /// Receives a datagram and its sender's address.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let reg = self.io.registration();
        reg.async_io(Interest::READABLE, || self.recv_from_once(buf))
            .await
    }

    fn recv_from_once(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let (n, addr) = self.io.recv_from(buf)?;
        Ok((n, SocketAddr(addr)))
    }

    /// Sends without waiting.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || self.io.send(buf))
    }

    /// Receives without waiting.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Interest::READABLE, || self.io.recv(buf))
    }

    /// `send_to` without waiting; `WouldBlock` if the socket is not
    /// writable.
    pub fn try_send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let target = sock_addr(path.as_ref())?;
        let sock = SockRef::from(&*self.io);
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || sock.send_to(buf, &target))
    }

    /// `recv_from` without waiting; `WouldBlock` if nothing is queued.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .registration()
            .try_io(Interest::READABLE, || self.recv_from_once(buf))
    }
}

impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;

    /// Same as [`UnixDatagram::from_std`].
    fn try_from(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(socket)
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
