//! Borrowed halves of a [`TcpStream`]: [`ReadHalf`] and [`WriteHalf`].

use std::net::SocketAddr;

use crate::net::halves::borrowed_halves;
use crate::net::TcpStream;

borrowed_halves!(TcpStream, SocketAddr, {
    /// Reads without removing the data. Cancel-safe.
    pub async fn peek(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.peek(buf).await
    }

    /// Polls a `peek` into `buf`.
    pub fn poll_peek(
        &mut self,
        cx: &mut std::task::Context<'_>,
        buf: &mut crate::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.0.poll_peek(cx, buf)
    }
});
