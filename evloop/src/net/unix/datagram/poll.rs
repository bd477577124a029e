//! `UnixDatagram`: poll-style operations and caller-supplied operations.

use std::io;
use std::path::Path;
use std::task::{Context, Poll};

use socket2::SockRef;

use super::UnixDatagram;
use crate::io::scheduled_io::Direction;
use crate::io::{Interest, ReadBuf};
use crate::net::unix::socketaddr::sock_addr;
use crate::net::unix::SocketAddr;

impl UnixDatagram {
    /// Polls until a datagram may be available. Only the last task to poll
    /// is woken; `readable()` supports any number of waiters.
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.registration().poll_read_ready(cx).map_ok(drop)
    }

    /// Polls until a datagram may be sent. Only the last task to poll is
    /// woken; `writable()` supports any number of waiters.
    pub fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.registration().poll_write_ready(cx).map_ok(drop)
    }

    /// Polls a `recv` from the connected peer into `buf`.
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
            self.recv_from_once(buf.initialize_unfilled())
        });
        res.map_ok(|(n, addr)| {
            buf.advance(n);
            addr
        })
    }

    /// Polls a `send` to the connected peer.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Write, || self.io.send(buf))
    }

    /// Polls a `send_to` to the socket at `path`.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        path: impl AsRef<Path>,
    ) -> Poll<io::Result<usize>> {
        let target = match sock_addr(path.as_ref()) {
            Ok(target) => target,
            Err(e) => return Poll::Ready(Err(e)),
        };
        let sock = SockRef::from(&*self.io);
        self.io
            .registration()
            .poll_io(cx, Direction::Write, || sock.send_to(buf, &target))
    }

    /// Runs `f` if the socket is ready for `interest`; when `f` returns
    /// `WouldBlock` the readiness is cleared. `f` must return `WouldBlock`
    /// only when the socket did.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.registration().try_io(interest, f)
    }

    /// Waits for `interest` and runs `f` until it returns something other
    /// than `WouldBlock` (same contract as `try_io`).
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.registration().async_io(interest, f).await
    }
}
