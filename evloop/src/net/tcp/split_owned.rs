//! Owned halves of a [`TcpStream`]: [`OwnedReadHalf`] and
//! [`OwnedWriteHalf`], which can move to different tasks.

use std::net::SocketAddr;

use crate::net::halves::owned_halves;
use crate::net::TcpStream;

owned_halves!(TcpStream, SocketAddr, {
    /// Reads without removing the data. Cancel-safe.
    pub async fn peek(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.peek(buf).await
    }

    /// Polls a `peek` into `buf`.
    pub fn poll_peek(
        &mut self,
        cx: &mut std::task::Context<'_>,
        buf: &mut crate::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.inner.poll_peek(cx, buf)
    }
});
