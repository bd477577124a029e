//! [`UdpSocket`]: datagrams over UDP.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, RawFd};
use std::task::{Context, Poll};

use crate::io::poll_evented::PollEvented;
use crate::io::scheduled_io::Direction;
use crate::io::{Interest, ReadBuf, Ready};
use crate::net::addr::{each_addr, to_socket_addrs, ToSocketAddrs};

mod options;
mod poll;
mod recv_buf;

/// A UDP socket. All methods take `&self`, so one socket can be shared
/// (e.g. in an `Arc`) by a sending task and a receiving task.
///
/// Every send/receive future is cancel-safe: a datagram is either sent or
/// received whole, or not at all.
///
/// ```
/// use evloop::net::UdpSocket;
///
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
/// let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
/// a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
/// let mut buf = [0; 16];
/// let (n, from) = b.recv_from(&mut buf).await.unwrap();
/// assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));
/// # }); }
/// ```
pub struct UdpSocket {
    io: PollEvented<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (first resolved address that works).
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let handle = crate::io::Handle::current_or_panic();
        each_addr(addr, |addr| {
            let handle = handle.clone();
            async move {
                let sys = mio::net::UdpSocket::bind(addr)?;
                Ok(UdpSocket {
                    io: PollEvented::new_with_handle(
                        sys,
                        Interest::READABLE | Interest::WRITABLE,
                        handle,
                    )?,
                })
            }
        })
        .await
    }

    /// Registers a bound std socket with the current runtime (switching it
    /// to non-blocking). Returns an error if there is no runtime or it has
    /// I/O disabled.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: PollEvented::new(mio::net::UdpSocket::from_std(socket))?,
        })
    }

    /// Deregisters and returns the std socket (non-blocking).
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        let sys = self.io.into_inner()?;
        // SAFETY: `into_raw_fd` hands over sole ownership of the socket fd.
        Ok(unsafe { std::net::UdpSocket::from_raw_fd(sys.into_raw_fd()) })
    }

    /// Sets the default peer for `send`/`recv`, and filters received
    /// datagrams to it (first resolved address that works).
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        each_addr(addr, |addr| async move { self.io.connect(addr) }).await
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.broadcast()
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.set_ttl(ttl)
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.ttl()
    }

    /// Returns and clears `SO_ERROR`.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
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

    /// Sends to the connected peer. Cancel-safe.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        let reg = self.io.registration();
        reg.async_io(Interest::WRITABLE, || self.io.send(buf)).await
    }

    /// Receives from the connected peer. Cancel-safe.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let reg = self.io.registration();
        reg.async_io(Interest::READABLE, || self.io.recv(buf)).await
    }

    /// Sends to `target` (its first resolved address). Cancel-safe.
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let addr = to_socket_addrs(target).await?.next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to")
        })?;
        let reg = self.io.registration();
        reg.async_io(Interest::WRITABLE, || self.io.send_to(buf, addr))
            .await
    }

    /// Receives a datagram and its sender. Cancel-safe.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let reg = self.io.registration();
        reg.async_io(Interest::READABLE, || self.io.recv_from(buf))
            .await
    }

    /// Like `recv_from`, leaving the datagram queued. Cancel-safe.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let reg = self.io.registration();
        reg.async_io(Interest::READABLE, || self.io.peek_from(buf))
            .await
    }

    /// Sends without waiting; `WouldBlock` if not writable.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || self.io.send(buf))
    }

    /// Receives without waiting; `WouldBlock` if nothing is queued.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Interest::READABLE, || self.io.recv(buf))
    }

    /// `send_to` without waiting.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || self.io.send_to(buf, target))
    }

    /// `recv_from` without waiting.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .registration()
            .try_io(Interest::READABLE, || self.io.recv_from(buf))
    }

    /// `peek_from` without waiting.
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .registration()
            .try_io(Interest::READABLE, || self.io.peek_from(buf))
    }

    /// Polls a `recv` into `buf`.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let res = self.io.registration().poll_io(cx, Direction::Read, || {
            self.io.recv(buf.initialize_unfilled())
        });
        res.map_ok(|n| buf.advance(n))
    }

    /// Polls a `recv_from` into `buf`.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        let res = self.io.registration().poll_io(cx, Direction::Read, || {
            self.io.recv_from(buf.initialize_unfilled())
        });
        res.map_ok(|(n, addr)| {
            buf.advance(n);
            addr
        })
    }

    /// Polls a `send`.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Write, || self.io.send(buf))
    }

    /// Polls a `send_to`.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Write, || self.io.send_to(buf, target))
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
