//! [`UdpSocket`]: datagrams over UDP.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, RawFd};
use std::task::{Context, Poll};

use crate::io::poll_evented::PollEvented;
use crate::io::scheduled_io::Direction;
use crate::io::{Interest, ReadBuf, Ready};
use crate::net::addr::{each_addr, to_socket_addrs, ToSocketAddrs};
use crate::sim::net::udp::SimUdp;

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
    kind: Kind,
}

/// A real socket, or a socket of a simulated host (`sim::net`); every
/// method branches once on which.
enum Kind {
    Real(PollEvented<mio::net::UdpSocket>),
    Sim(SimUdp),
}

impl UdpSocket {
    /// Binds to `addr` (first resolved address that works).
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        if let Some(host) = crate::sim::net::current() {
            return each_addr(addr, |addr| {
                let host = host.clone();
                async move {
                    Ok(UdpSocket {
                        kind: Kind::Sim(SimUdp::bind(host, addr)?),
                    })
                }
            })
            .await;
        }
        let handle = crate::io::IoHandle::current_or_panic();
        each_addr(addr, |addr| {
            let handle = handle.clone();
            async move {
                let sys = mio::net::UdpSocket::bind(addr)?;
                Ok(UdpSocket {
                    kind: Kind::Real(PollEvented::new_with_handle(
                        sys,
                        Interest::READABLE | Interest::WRITABLE,
                        handle,
                    )?),
                })
            }
        })
        .await
    }

    /// The real socket, or `Unsupported` naming `what` for a simulated one.
    #[inline]
    fn real(&self, what: &str) -> io::Result<&PollEvented<mio::net::UdpSocket>> {
        match &self.kind {
            Kind::Real(io) => Ok(io),
            Kind::Sim(_) => Err(crate::sim::net::unsupported(what)),
        }
    }

    /// Registers a bound std socket with the current runtime (switching it
    /// to non-blocking). Returns an error if there is no runtime or it has
    /// I/O disabled.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            kind: Kind::Real(PollEvented::new(mio::net::UdpSocket::from_std(socket))?),
        })
    }

    /// Deregisters and returns the std socket (non-blocking).
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        let io = match self.kind {
            Kind::Real(io) => io,
            Kind::Sim(_) => return Err(crate::sim::net::unsupported("into_std")),
        };
        let sys = io.into_inner()?;
        // SAFETY: `into_raw_fd` hands over sole ownership of the socket fd.
        Ok(unsafe { std::net::UdpSocket::from_raw_fd(sys.into_raw_fd()) })
    }

    /// Sets the default peer for `send`/`recv`, and filters received
    /// datagrams to it (first resolved address that works).
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        match &self.kind {
            Kind::Real(io) => each_addr(addr, |addr| async move { io.connect(addr) }).await,
            Kind::Sim(s) => {
                each_addr(addr, |addr| async move {
                    s.connect(addr);
                    Ok(())
                })
                .await
            }
        }
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match &self.kind {
            Kind::Real(io) => io.local_addr(),
            Kind::Sim(s) => Ok(s.local_addr()),
        }
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        match &self.kind {
            Kind::Real(io) => io.peer_addr(),
            Kind::Sim(s) => s.peer_addr(),
        }
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.real("set_broadcast")?.set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.real("broadcast")?.broadcast()
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.real("set_ttl")?.set_ttl(ttl)
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        self.real("ttl")?.ttl()
    }

    /// Returns and clears `SO_ERROR`.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        match &self.kind {
            Kind::Real(io) => io.take_error(),
            Kind::Sim(_) => Ok(None),
        }
    }

    /// Waits for readiness; cancel-safe.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        match &self.kind {
            Kind::Real(io) => Ok(io.registration().readiness(interest).await?.ready),
            // Sending never waits on a simulated socket.
            Kind::Sim(_) if interest.is_writable() => Ok(Ready::WRITABLE),
            Kind::Sim(s) => {
                poll_fn(|cx| s.poll_recv_ready(cx)).await?;
                Ok(Ready::READABLE)
            }
        }
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
        match &self.kind {
            Kind::Real(io) => {
                let reg = io.registration();
                reg.async_io(Interest::WRITABLE, || io.send(buf)).await
            }
            Kind::Sim(s) => s.send(buf),
        }
    }

    /// Receives from the connected peer. Cancel-safe.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        match &self.kind {
            Kind::Real(io) => {
                let reg = io.registration();
                reg.async_io(Interest::READABLE, || io.recv(buf)).await
            }
            Kind::Sim(s) => sim_recv(s, buf, false).await.map(|(n, _)| n),
        }
    }

    /// Sends to `target` (its first resolved address). Cancel-safe.
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let addr = to_socket_addrs(target).await?.next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to")
        })?;
        match &self.kind {
            Kind::Real(io) => {
                let reg = io.registration();
                reg.async_io(Interest::WRITABLE, || io.send_to(buf, addr))
                    .await
            }
            Kind::Sim(s) => s.send_to(buf, addr),
        }
    }

    /// Receives a datagram and its sender. Cancel-safe.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        match &self.kind {
            Kind::Real(io) => {
                let reg = io.registration();
                reg.async_io(Interest::READABLE, || io.recv_from(buf)).await
            }
            Kind::Sim(s) => sim_recv(s, buf, false).await,
        }
    }

    /// Like `recv_from`, leaving the datagram queued. Cancel-safe.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        match &self.kind {
            Kind::Real(io) => {
                let reg = io.registration();
                reg.async_io(Interest::READABLE, || io.peek_from(buf)).await
            }
            Kind::Sim(s) => sim_recv(s, buf, true).await,
        }
    }

    /// Sends without waiting; `WouldBlock` if not writable.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        match &self.kind {
            Kind::Real(io) => io
                .registration()
                .try_io(Interest::WRITABLE, || io.send(buf)),
            Kind::Sim(s) => s.send(buf),
        }
    }

    /// Receives without waiting; `WouldBlock` if nothing is queued.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        match &self.kind {
            Kind::Real(io) => io
                .registration()
                .try_io(Interest::READABLE, || io.recv(buf)),
            Kind::Sim(s) => s.try_recv_from(buf, false).map(|(n, _)| n),
        }
    }

    /// `send_to` without waiting.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        match &self.kind {
            Kind::Real(io) => io
                .registration()
                .try_io(Interest::WRITABLE, || io.send_to(buf, target)),
            Kind::Sim(s) => s.send_to(buf, target),
        }
    }

    /// `recv_from` without waiting.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        match &self.kind {
            Kind::Real(io) => io
                .registration()
                .try_io(Interest::READABLE, || io.recv_from(buf)),
            Kind::Sim(s) => s.try_recv_from(buf, false),
        }
    }

    /// `peek_from` without waiting.
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        match &self.kind {
            Kind::Real(io) => io
                .registration()
                .try_io(Interest::READABLE, || io.peek_from(buf)),
            Kind::Sim(s) => s.try_recv_from(buf, true),
        }
    }

    /// Polls a `recv` into `buf`.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let io = match &self.kind {
            Kind::Real(io) => io,
            Kind::Sim(s) => return s.poll_recv_from(cx, buf, false).map_ok(drop),
        };
        let res = io
            .registration()
            .poll_io(cx, Direction::Read, || io.recv(buf.initialize_unfilled()));
        res.map_ok(|n| buf.advance(n))
    }

    /// Polls a `recv_from` into `buf`.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        let io = match &self.kind {
            Kind::Real(io) => io,
            Kind::Sim(s) => return s.poll_recv_from(cx, buf, false),
        };
        let res = io.registration().poll_io(cx, Direction::Read, || {
            io.recv_from(buf.initialize_unfilled())
        });
        res.map_ok(|(n, addr)| {
            buf.advance(n);
            addr
        })
    }

    /// Polls a `send`.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match &self.kind {
            Kind::Real(io) => io
                .registration()
                .poll_io(cx, Direction::Write, || io.send(buf)),
            Kind::Sim(s) => Poll::Ready(s.send(buf)),
        }
    }

    /// Polls a `send_to`.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        match &self.kind {
            Kind::Real(io) => io
                .registration()
                .poll_io(cx, Direction::Write, || io.send_to(buf, target)),
            Kind::Sim(s) => Poll::Ready(s.send_to(buf, target)),
        }
    }
}

/// Receives (or peeks) one datagram on a simulated socket.
async fn sim_recv(s: &SimUdp, buf: &mut [u8], peek: bool) -> io::Result<(usize, SocketAddr)> {
    loop {
        match s.try_recv_from(buf, peek) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                poll_fn(|cx| s.poll_recv_ready(cx)).await?;
            }
            res => return res,
        }
    }
}

/// A simulated socket shows a placeholder fd that is no socket.
impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match &self.kind {
            Kind::Real(io) => io.as_fd(),
            Kind::Sim(_) => crate::sim::net::placeholder_fd(),
        }
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
