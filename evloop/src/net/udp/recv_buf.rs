//! `UdpSocket`: receiving into a `BufMut`, and peeking at a datagram's sender.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use bytes::BufMut;
use socket2::{SockAddr, SockRef};

use super::{Kind, UdpSocket};
use crate::io::scheduled_io::Direction;
use crate::io::Interest;
use crate::net::buf::recv_uninit;

/// The IP address in `addr`; UDP sockets only ever report IP senders.
fn ip_addr(addr: SockAddr) -> io::Result<SocketAddr> {
    addr.as_socket().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "sender is not an IP socket address",
        )
    })
}

impl UdpSocket {
    fn recv_buf_once<B: BufMut + ?Sized>(&self, buf: &mut B) -> io::Result<usize> {
        let io = match &self.kind {
            Kind::Real(io) => io,
            Kind::Sim(s) => {
                return sim_into(buf, |dst| s.try_recv_from(dst, false)).map(|(n, _)| n)
            }
        };
        let sock = SockRef::from(&**io);
        recv_uninit(buf, |dst| sock.recv(dst).map(|n| (n, ()))).map(|(n, ())| n)
    }

    fn recv_buf_from_once<B: BufMut + ?Sized>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        let io = match &self.kind {
            Kind::Real(io) => io,
            Kind::Sim(s) => return sim_into(buf, |dst| s.try_recv_from(dst, false)),
        };
        let sock = SockRef::from(&**io);
        let (n, addr) = recv_uninit(buf, |dst| sock.recv_from(dst))?;
        Ok((n, ip_addr(addr)?))
    }

    /// Receives one datagram from the connected peer into `buf`'s spare
    /// capacity (a `Vec` grows by at least 64 bytes if it has none) and
    /// advances `buf` by its length. A datagram longer than the spare
    /// capacity is truncated. Cancel-safe.
    ///
    /// ```
    /// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// use evloop::net::UdpSocket;
    /// let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// b.connect(a.local_addr().unwrap()).await.unwrap();
    /// a.send_to(b"hello", b.local_addr().unwrap()).await.unwrap();
    /// let mut buf = Vec::with_capacity(32);
    /// assert_eq!(b.recv_buf(&mut buf).await.unwrap(), 5);
    /// assert_eq!(buf, b"hello");
    /// # }); }
    /// ```
    pub async fn recv_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        let io = match &self.kind {
            Kind::Real(io) => io,
            Kind::Sim(_) => return self.sim_wait(|| self.recv_buf_once(buf)).await,
        };
        let reg = io.registration();
        reg.async_io(Interest::READABLE, || self.recv_buf_once(buf))
            .await
    }

    /// `recv_buf` without waiting; `WouldBlock` if nothing is queued.
    pub fn try_recv_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        match &self.kind {
            Kind::Real(io) => io
                .registration()
                .try_io(Interest::READABLE, || self.recv_buf_once(buf)),
            Kind::Sim(_) => self.recv_buf_once(buf),
        }
    }

    /// Like [`recv_buf`](UdpSocket::recv_buf) from any sender; returns the
    /// sender's address too. Cancel-safe.
    pub async fn recv_buf_from<B: BufMut>(&self, buf: &mut B) -> io::Result<(usize, SocketAddr)> {
        let io = match &self.kind {
            Kind::Real(io) => io,
            Kind::Sim(_) => return self.sim_wait(|| self.recv_buf_from_once(buf)).await,
        };
        let reg = io.registration();
        reg.async_io(Interest::READABLE, || self.recv_buf_from_once(buf))
            .await
    }

    /// `recv_buf_from` without waiting; `WouldBlock` if nothing is queued.
    pub fn try_recv_buf_from<B: BufMut>(&self, buf: &mut B) -> io::Result<(usize, SocketAddr)> {
        match &self.kind {
            Kind::Real(io) => io
                .registration()
                .try_io(Interest::READABLE, || self.recv_buf_from_once(buf)),
            Kind::Sim(_) => self.recv_buf_from_once(buf),
        }
    }

    /// Waits for a datagram and returns its sender's address, leaving the
    /// datagram queued. Cancel-safe.
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        poll_fn(|cx| self.poll_peek_sender(cx)).await
    }

    /// Polls a [`peek_sender`](UdpSocket::peek_sender).
    pub fn poll_peek_sender(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketAddr>> {
        let io = match &self.kind {
            Kind::Real(io) => io,
            Kind::Sim(s) => loop {
                match s.try_recv_from(&mut [], true) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::task::ready!(s.poll_recv_ready(cx))?;
                    }
                    res => return Poll::Ready(res.map(|(_, from)| from)),
                }
            },
        };
        let sock = SockRef::from(&**io);
        io.registration()
            .poll_io(cx, Direction::Read, || sock.peek_sender())
            .map(|res| res.and_then(ip_addr))
    }

    /// `peek_sender` without waiting; `WouldBlock` if nothing is queued.
    pub fn try_peek_sender(&self) -> io::Result<SocketAddr> {
        let io = match &self.kind {
            Kind::Real(io) => io,
            Kind::Sim(s) => return s.try_recv_from(&mut [], true).map(|(_, from)| from),
        };
        let sock = SockRef::from(&**io);
        io.registration()
            .try_io(Interest::READABLE, || sock.peek_sender())
            .and_then(ip_addr)
    }
}

/// Receives one simulated datagram into `buf`'s spare room (64 bytes at
/// least, as for a real socket).
fn sim_into<B: BufMut + ?Sized>(
    buf: &mut B,
    recv: impl FnOnce(&mut [u8]) -> io::Result<(usize, SocketAddr)>,
) -> io::Result<(usize, SocketAddr)> {
    let mut tmp = vec![0u8; buf.remaining_mut().clamp(64, 1 << 16)];
    let (n, from) = recv(&mut tmp)?;
    buf.put_slice(&tmp[..n]);
    Ok((n, from))
}

impl UdpSocket {
    /// Runs `f` until it does not block, waiting for datagrams between tries.
    async fn sim_wait<R>(&self, mut f: impl FnMut() -> io::Result<R>) -> io::Result<R> {
        loop {
            match f() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    poll_fn(|cx| self.poll_recv_ready(cx)).await?;
                }
                res => return res,
            }
        }
    }
}
