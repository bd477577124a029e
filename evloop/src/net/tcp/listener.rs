//! [`TcpListener`]: a socket accepting TCP connections.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, RawFd};
use std::task::{Context, Poll};

use crate::io::poll_evented::PollEvented;
use crate::io::scheduled_io::Direction;
use crate::io::Interest;
use crate::net::addr::{each_addr, ToSocketAddrs};
use crate::net::TcpStream;
use crate::sim::net::tcp::SimListener;

/// A TCP socket listening for connections.
///
/// Errors from `accept` are returned to the caller, including resource
/// exhaustion (`EMFILE`: too many open files); a server should back off and
/// retry rather than stop.
///
/// ```
/// use evloop::net::TcpListener;
///
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
/// assert!(listener.local_addr().unwrap().port() != 0);
/// # }); }
/// ```
pub struct TcpListener {
    kind: Kind,
}

/// A real listening socket, or a listener on a simulated host (`sim::net`).
enum Kind {
    Real(PollEvented<mio::net::TcpListener>),
    Sim(SimListener),
}

impl TcpListener {
    /// Binds to `addr` (each resolved address in turn, first success wins)
    /// with `SO_REUSEADDR` set.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        if let Some(host) = crate::sim::net::current() {
            return each_addr(addr, |addr| {
                let host = host.clone();
                async move {
                    Ok(TcpListener {
                        kind: Kind::Sim(SimListener::bind(host, addr)?),
                    })
                }
            })
            .await;
        }
        let handle = crate::io::IoHandle::current_or_panic();
        each_addr(addr, |addr| {
            let handle = handle.clone();
            async move {
                let sys = mio::net::TcpListener::bind(addr)?;
                TcpListener::from_mio(sys, handle)
            }
        })
        .await
    }

    pub(crate) fn from_mio(
        sys: mio::net::TcpListener,
        handle: crate::io::IoHandle,
    ) -> io::Result<TcpListener> {
        Ok(TcpListener {
            kind: Kind::Real(PollEvented::new_with_handle(
                sys,
                Interest::READABLE,
                handle,
            )?),
        })
    }

    /// Accepts a connection; the new stream is registered with the same
    /// reactor as the listener.
    ///
    /// Cancel-safe: a cancelled `accept` loses no connection.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection (one waker: the last task to poll).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let io = match &self.kind {
            Kind::Real(io) => io,
            Kind::Sim(s) => {
                return s
                    .poll_accept(cx)
                    .map_ok(|(stream, peer)| (TcpStream::from_sim(stream), peer))
            }
        };
        let registration = io.registration();
        match registration.poll_io(cx, Direction::Read, || io.accept()) {
            Poll::Ready(Ok((sys, addr))) => {
                let stream = TcpStream::from_mio(sys, registration.handle().clone())?;
                Poll::Ready(Ok((stream, addr)))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Registers a bound, listening std listener with the current runtime
    /// (switching it to non-blocking mode). Returns an error if there is no
    /// runtime or it has I/O disabled.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            kind: Kind::Real(PollEvented::new_with_interest(
                mio::net::TcpListener::from_std(listener),
                Interest::READABLE,
            )?),
        })
    }

    /// Deregisters the listener and returns it as a std listener, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        let io = match self.kind {
            Kind::Real(io) => io,
            Kind::Sim(_) => return Err(crate::sim::net::unsupported("into_std")),
        };
        let sys = io.into_inner()?;
        // SAFETY: `into_raw_fd` hands over sole ownership of an open
        // listening socket fd, which `from_raw_fd` takes.
        Ok(unsafe { std::net::TcpListener::from_raw_fd(sys.into_raw_fd()) })
    }

    /// The local address (with the port chosen by the OS for port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match &self.kind {
            Kind::Real(io) => io.local_addr(),
            Kind::Sim(s) => Ok(s.local_addr()),
        }
    }

    /// The real socket, or `Unsupported` naming `what` for a simulated one.
    fn real(&self, what: &str) -> io::Result<&PollEvented<mio::net::TcpListener>> {
        match &self.kind {
            Kind::Real(io) => Ok(io),
            Kind::Sim(_) => Err(crate::sim::net::unsupported(what)),
        }
    }

    /// Sets the IP time-to-live of accepted sockets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.real("set_ttl")?.set_ttl(ttl)
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        self.real("ttl")?.ttl()
    }
}

/// A simulated listener shows a placeholder fd that is no socket.
impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match &self.kind {
            Kind::Real(io) => io.as_fd(),
            Kind::Sim(_) => crate::sim::net::placeholder_fd(),
        }
    }
}

impl TryFrom<std::net::TcpListener> for TcpListener {
    type Error = io::Error;

    fn try_from(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        TcpListener::from_std(listener)
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
