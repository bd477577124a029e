//! `UdpSocket`: receiving into a `BufMut`, and peeking at a datagram's sender.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use bytes::BufMut;
use socket2::{SockAddr, SockRef};

use super::UdpSocket;
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
        let sock = SockRef::from(&*self.io);
        recv_uninit(buf, |dst| sock.recv(dst).map(|n| (n, ()))).map(|(n, ())| n)
    }

    fn recv_buf_from_once<B: BufMut + ?Sized>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        let sock = SockRef::from(&*self.io);
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
        let reg = self.io.registration();
        reg.async_io(Interest::READABLE, || self.recv_buf_once(buf))
            .await
    }

    /// `recv_buf` without waiting; `WouldBlock` if nothing is queued.
    pub fn try_recv_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Interest::READABLE, || self.recv_buf_once(buf))
    }

    /// Like [`recv_buf`](UdpSocket::recv_buf) from any sender; returns the
    /// sender's address too. Cancel-safe.
    pub async fn recv_buf_from<B: BufMut>(&self, buf: &mut B) -> io::Result<(usize, SocketAddr)> {
        let reg = self.io.registration();
        reg.async_io(Interest::READABLE, || self.recv_buf_from_once(buf))
            .await
    }

    /// `recv_buf_from` without waiting; `WouldBlock` if nothing is queued.
    pub fn try_recv_buf_from<B: BufMut>(&self, buf: &mut B) -> io::Result<(usize, SocketAddr)> {
        self.io
            .registration()
            .try_io(Interest::READABLE, || self.recv_buf_from_once(buf))
    }

    /// Waits for a datagram and returns its sender's address, leaving the
    /// datagram queued. Cancel-safe.
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        poll_fn(|cx| self.poll_peek_sender(cx)).await
    }

    /// Polls a [`peek_sender`](UdpSocket::peek_sender).
    pub fn poll_peek_sender(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketAddr>> {
        let sock = SockRef::from(&*self.io);
        self.io
            .registration()
            .poll_io(cx, Direction::Read, || sock.peek_sender())
            .map(|res| res.and_then(ip_addr))
    }

    /// `peek_sender` without waiting; `WouldBlock` if nothing is queued.
    pub fn try_peek_sender(&self) -> io::Result<SocketAddr> {
        let sock = SockRef::from(&*self.io);
        self.io
            .registration()
            .try_io(Interest::READABLE, || sock.peek_sender())
            .and_then(ip_addr)
    }
}
