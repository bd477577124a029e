//! The halves of a [`TcpStream`]: [`ReadHalf`] and [`WriteHalf`] borrow
//! it ([`TcpStream::split`]); [`OwnedReadHalf`] and [`OwnedWriteHalf`]
//! share it and can move to different tasks ([`TcpStream::into_split`]).
//! The types are [`net::split`](crate::net::split)'s, named for
//! `TcpStream`; the read halves add `peek`.

use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use crate::io::ReadBuf;
use crate::net::split;
use crate::net::TcpStream;

/// The read half of [`TcpStream::split`].
pub type ReadHalf<'a> = split::ReadHalf<'a, TcpStream>;

/// The write half of [`TcpStream::split`]; `shutdown` shuts down the write
/// direction of the whole stream.
pub type WriteHalf<'a> = split::WriteHalf<'a, TcpStream>;

/// The read half of [`TcpStream::into_split`].
pub type OwnedReadHalf = split::OwnedReadHalf<TcpStream>;

/// The write half of [`TcpStream::into_split`]; dropping it shuts down the
/// write direction unless [`forget`](split::OwnedWriteHalf::forget) was
/// called.
pub type OwnedWriteHalf = split::OwnedWriteHalf<TcpStream>;

/// The halves given to `reunite` came from different `TcpStream`s; both
/// are given back.
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl std::fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl std::error::Error for ReuniteError {}

split::impl_split_stream!(TcpStream, SocketAddr, ReuniteError);

impl ReadHalf<'_> {
    /// Reads without removing the data. Cancel-safe.
    pub async fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.peek(buf).await
    }

    /// Polls a `peek` into `buf`.
    pub fn poll_peek(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<usize>> {
        self.0.poll_peek(cx, buf)
    }
}

impl OwnedReadHalf {
    /// Reads without removing the data. Cancel-safe.
    pub async fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.peek(buf).await
    }

    /// Polls a `peek` into `buf`.
    pub fn poll_peek(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_peek(cx, buf)
    }
}
