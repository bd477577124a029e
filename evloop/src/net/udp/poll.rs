//! `UdpSocket`: readiness polls, peeking, and caller-supplied operations.

use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use super::{sim_recv, Kind, UdpSocket};
use crate::io::scheduled_io::Direction;
use crate::io::{Interest, ReadBuf};

impl UdpSocket {
    /// Polls until a datagram may be available. Only the last task to poll
    /// is woken; `readable()` supports any number of waiters.
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &self.kind {
            Kind::Real(io) => io.registration().poll_read_ready(cx).map_ok(drop),
            Kind::Sim(s) => s.poll_recv_ready(cx),
        }
    }

    /// Polls until a datagram may be sent. Only the last task to poll is
    /// woken; `writable()` supports any number of waiters.
    pub fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &self.kind {
            Kind::Real(io) => io.registration().poll_write_ready(cx).map_ok(drop),
            Kind::Sim(_) => Poll::Ready(Ok(())),
        }
    }

    /// Like `recv` from the connected peer, leaving the datagram queued.
    /// Cancel-safe.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        match &self.kind {
            Kind::Real(io) => {
                let reg = io.registration();
                reg.async_io(Interest::READABLE, || io.peek(buf)).await
            }
            Kind::Sim(s) => sim_recv(s, buf, true).await.map(|(n, _)| n),
        }
    }

    /// Polls a [`peek`](UdpSocket::peek) into `buf`.
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let io = match &self.kind {
            Kind::Real(io) => io,
            Kind::Sim(s) => return s.poll_recv_from(cx, buf, true).map_ok(drop),
        };
        let res = io
            .registration()
            .poll_io(cx, Direction::Read, || io.peek(buf.initialize_unfilled()));
        res.map_ok(|n| buf.advance(n))
    }

    /// `peek` without waiting; `WouldBlock` if nothing is queued.
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        match &self.kind {
            Kind::Real(io) => io
                .registration()
                .try_io(Interest::READABLE, || io.peek(buf)),
            Kind::Sim(s) => s.try_recv_from(buf, true).map(|(n, _)| n),
        }
    }

    /// Polls a [`peek_from`](UdpSocket::peek_from) into `buf`.
    pub fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        let io = match &self.kind {
            Kind::Real(io) => io,
            Kind::Sim(s) => return s.poll_recv_from(cx, buf, true),
        };
        let res = io.registration().poll_io(cx, Direction::Read, || {
            io.peek_from(buf.initialize_unfilled())
        });
        res.map_ok(|(n, addr)| {
            buf.advance(n);
            addr
        })
    }

    /// Runs `f` (an operation on the socket, e.g. a raw `sendmsg` through
    /// `as_raw_fd`) if the socket is ready for `interest`. When `f` returns
    /// `WouldBlock`, the readiness is cleared so the next wait sleeps until
    /// the reactor reports a new event; `f` must return `WouldBlock` only
    /// when the socket did.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.real("try_io")?.registration().try_io(interest, f)
    }

    /// Waits for `interest` and runs `f` until it returns something other
    /// than `WouldBlock` (same contract as [`try_io`](UdpSocket::try_io)).
    /// Cancel-safe if `f` is.
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.real("async_io")?
            .registration()
            .async_io(interest, f)
            .await
    }
}

impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = io::Error;

    /// Same as [`UdpSocket::from_std`].
    fn try_from(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_std(socket)
    }
}
