//! `futures_io::AsyncRead`/`AsyncWrite`/`AsyncBufRead` for evloop's I/O
//! types (cargo feature `futures-io`), so that crates written against the
//! `futures` I/O traits (async-tungstenite, futures-rustls,
//! `futures::io::copy`, ...) take evloop's sockets, files and pipes as they
//! are.
//!
//! Each implementation forwards to the type's evloop trait: a read goes
//! through a `ReadBuf` over the caller's slice, `poll_close` is
//! `poll_shutdown`, and `poll_fill_buf`/`consume` are the same calls. So
//! cancel safety, cooperative budgeting and end-of-stream behave exactly as
//! with evloop's own traits.
//!
//! Not covered: `futures_io::AsyncSeek`. It seeks in one call, where
//! evloop's `AsyncSeek` (like tokio's) starts a seek and then waits for it;
//! mapping one onto the other needs state in the seeking type. Use
//! `evloop::io::AsyncSeekExt` on a `File` instead.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};

/// One evloop read into the caller's slice.
fn read<R: AsyncRead + ?Sized>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let mut read_buf = ReadBuf::new(buf);
    ready!(reader.poll_read(cx, &mut read_buf))?;
    Poll::Ready(Ok(read_buf.filled().len()))
}

/// `futures_io::AsyncRead` for each type, by way of its `AsyncRead`.
macro_rules! futures_read {
    ($([$($gen:tt)*] $ty:ty),* $(,)?) => {$(
        impl<$($gen)*> ::futures_io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                read(self, cx, buf)
            }
        }
    )*};
}

/// `futures_io::AsyncWrite` for each type, by way of its `AsyncWrite`.
macro_rules! futures_write {
    ($([$($gen:tt)*] $ty:ty),* $(,)?) => {$(
        impl<$($gen)*> ::futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                AsyncWrite::poll_write(self, cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                AsyncWrite::poll_write_vectored(self, cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                AsyncWrite::poll_flush(self, cx)
            }

            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                AsyncWrite::poll_shutdown(self, cx)
            }
        }
    )*};
}

/// `futures_io::AsyncBufRead` for each type, by way of its `AsyncBufRead`.
macro_rules! futures_buf_read {
    ($([$($gen:tt)*] $ty:ty),* $(,)?) => {$(
        impl<$($gen)*> ::futures_io::AsyncBufRead for $ty {
            fn poll_fill_buf(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<io::Result<&[u8]>> {
                AsyncBufRead::poll_fill_buf(self, cx)
            }

            fn consume(self: Pin<&mut Self>, amt: usize) {
                AsyncBufRead::consume(self, amt)
            }
        }
    )*};
}

use crate::fs::File;
use crate::io::{
    BufReader, BufStream, BufWriter, DuplexStream, Empty, Join, Repeat, SimplexStream, Sink,
    Stderr, Stdin, Stdout,
};
use crate::net::{tcp, unix, TcpStream, UnixStream};

futures_read! {
    [] TcpStream,
    ['a] tcp::ReadHalf<'a>,
    [] tcp::OwnedReadHalf,
    [] UnixStream,
    ['a] unix::ReadHalf<'a>,
    [] unix::OwnedReadHalf,
    [] File,
    [] DuplexStream,
    [] SimplexStream,
    [] Stdin,
    [] Empty,
    [] Repeat,
    [R: AsyncRead] BufReader<R>,
    [W: AsyncWrite + AsyncRead] BufWriter<W>,
    [RW: AsyncRead + AsyncWrite] BufStream<RW>,
    [R: AsyncRead, W] Join<R, W>,
    [T: AsyncRead] crate::io::ReadHalf<T>,
    [R: AsyncRead] crate::io::util::Take<R>,
    [A: AsyncRead, B: AsyncRead] crate::io::util::Chain<A, B>,
}

futures_write! {
    [] TcpStream,
    ['a] tcp::WriteHalf<'a>,
    [] tcp::OwnedWriteHalf,
    [] UnixStream,
    ['a] unix::WriteHalf<'a>,
    [] unix::OwnedWriteHalf,
    [] File,
    [] DuplexStream,
    [] SimplexStream,
    [] Stdout,
    [] Stderr,
    [] Sink,
    [] Empty,
    [W: AsyncWrite] BufWriter<W>,
    [R: AsyncRead + AsyncWrite] BufReader<R>,
    [RW: AsyncRead + AsyncWrite] BufStream<RW>,
    [R, W: AsyncWrite] Join<R, W>,
    [T: AsyncWrite] crate::io::WriteHalf<T>,
}

futures_buf_read! {
    [R: AsyncRead] BufReader<R>,
    [RW: AsyncRead + AsyncWrite] BufStream<RW>,
    [R: AsyncBufRead, W] Join<R, W>,
    [] Empty,
    [R: AsyncBufRead] crate::io::util::Take<R>,
    [A: AsyncBufRead, B: AsyncBufRead] crate::io::util::Chain<A, B>,
}
