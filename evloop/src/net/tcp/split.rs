//! Borrowed halves of a [`TcpStream`]: [`ReadHalf`] and [`WriteHalf`].

use std::net::SocketAddr;

use crate::net::halves::borrowed_halves;
use crate::net::TcpStream;

borrowed_halves!(TcpStream, SocketAddr, {
    /// Reads without removing the data. Cancel-safe.
    pub async fn peek(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.peek(buf).await
    }
});
