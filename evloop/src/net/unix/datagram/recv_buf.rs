//! `UnixDatagram`: receiving into a `BufMut`.

use std::io;

use bytes::BufMut;
use socket2::SockRef;

use super::UnixDatagram;
use crate::io::Interest;
use crate::net::buf::{recv_uninit, recv_zeroed};
use crate::net::unix::SocketAddr;

impl UnixDatagram {
    fn recv_buf_once<B: BufMut + ?Sized>(&self, buf: &mut B) -> io::Result<usize> {
        let sock = SockRef::from(&*self.io);
        recv_uninit(buf, |dst| sock.recv(dst).map(|n| (n, ()))).map(|(n, ())| n)
    }

    fn recv_buf_from_once<B: BufMut + ?Sized>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        // std's `recv_from` builds the sender's address (unnamed ones
        // included), so it gets a zeroed chunk.
        recv_zeroed(buf, |dst| self.recv_from_once(dst))
    }

    /// Receives one datagram from the connected peer into `buf`'s spare
    /// capacity (a `Vec` grows by at least 64 bytes if it has none) and
    /// advances `buf` by its length; a longer datagram is truncated.
    /// Cancel-safe.
    ///
    /// ```
    /// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = evloop::net::UnixDatagram::pair().unwrap();
    /// a.send(b"hello").await.unwrap();
    /// let mut buf = Vec::with_capacity(16);
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

    /// Like `recv_buf` from any sender; returns the sender's address too.
    /// Cancel-safe.
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
}
