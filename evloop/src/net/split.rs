//! The split halves of a stream, written once for [`TcpStream`] and
//! [`UnixStream`].
//!
//! [`ReadHalf`] and [`WriteHalf`] borrow a stream ([`TcpStream::split`]);
//! [`OwnedReadHalf`] and [`OwnedWriteHalf`] share it through an `Arc` and
//! can move to different tasks ([`TcpStream::into_split`]). Each is generic
//! over the stream; `net::tcp` and `net::unix` name them for their stream
//! (`tcp::ReadHalf<'a>` is `ReadHalf<'a, TcpStream>`), so most code never
//! writes the parameter. What a half can do comes from [`SplitStream`], a
//! sealed trait both streams implement; methods only one kind of stream
//! has (TCP's `peek`) are in that stream's module.
//!
//! Rules:
//! 1. A read half only reads and a write half only writes; the readiness
//!    and `try_*` methods act on the whole stream, as on the stream itself.
//! 2. Writes go straight to the socket: `poll_flush` has nothing to do.
//! 3. `poll_shutdown` on a write half shuts down the write direction of the
//!    whole stream (the peer reads end of stream). Dropping an
//!    [`OwnedWriteHalf`] does the same unless it was shut down already,
//!    [`forget`](OwnedWriteHalf::forget) was called, or it was reunited.
//!
//! [`TcpStream`]: crate::net::TcpStream
//! [`UnixStream`]: crate::net::UnixStream
//! [`TcpStream::split`]: crate::net::TcpStream::split
//! [`TcpStream::into_split`]: crate::net::TcpStream::into_split

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::io::{AsyncRead, AsyncWrite, Interest, ReadBuf, Ready};
use crate::loom::sync::Arc;

mod sealed {
    pub trait Sealed {}
}

pub(crate) use sealed::Sealed;

/// A stream that splits into halves: [`TcpStream`](crate::net::TcpStream)
/// and [`UnixStream`](crate::net::UnixStream). Sealed; each method is the
/// stream's own method of the same name.
pub trait SplitStream: Sealed + fmt::Debug + Send + Sync + Sized + 'static {
    /// The stream's address type.
    type Addr;

    /// What `reunite` gives back when the halves came from different
    /// streams: both halves, in the stream module's `ReuniteError`.
    type ReuniteError: std::error::Error;

    #[doc(hidden)]
    fn reunite_error(read: OwnedReadHalf<Self>, write: OwnedWriteHalf<Self>) -> Self::ReuniteError;

    /// The peer's address.
    fn peer_addr(&self) -> io::Result<Self::Addr>;

    /// The local address.
    fn local_addr(&self) -> io::Result<Self::Addr>;

    /// Waits until the stream is ready for `interest`. Cancel-safe.
    fn ready(&self, interest: Interest) -> impl Future<Output = io::Result<Ready>> + Send + '_;

    /// Waits until the stream may be readable. Cancel-safe.
    fn readable(&self) -> impl Future<Output = io::Result<()>> + Send + '_;

    /// Waits until the stream may be writable. Cancel-safe.
    fn writable(&self) -> impl Future<Output = io::Result<()>> + Send + '_;

    /// Reads without waiting; `WouldBlock` if no data is available.
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize>;

    /// Vectored `try_read`.
    fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize>;

    /// Reads into a `BufMut` without waiting.
    fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize>;

    /// Writes without waiting; `WouldBlock` if the send buffer is full.
    fn try_write(&self, buf: &[u8]) -> io::Result<usize>;

    /// Vectored `try_write`.
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;

    #[doc(hidden)]
    fn poll_read_half(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>>;

    #[doc(hidden)]
    fn poll_write_half(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;

    #[doc(hidden)]
    fn poll_write_vectored_half(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;

    #[doc(hidden)]
    fn shutdown_half(&self, how: Shutdown) -> io::Result<()>;
}

/// The read half of a stream's `split`: borrows the stream.
#[derive(Debug)]
pub struct ReadHalf<'a, S>(pub(crate) &'a S);

/// The write half of a stream's `split`: borrows the stream; `shutdown`
/// shuts down the write direction of the whole stream (rule 3).
#[derive(Debug)]
pub struct WriteHalf<'a, S>(pub(crate) &'a S);

pub(crate) fn split<S: SplitStream>(stream: &mut S) -> (ReadHalf<'_, S>, WriteHalf<'_, S>) {
    (ReadHalf(&*stream), WriteHalf(&*stream))
}

/// The read half of a stream's `into_split`.
#[derive(Debug)]
pub struct OwnedReadHalf<S> {
    pub(crate) inner: Arc<S>,
}

/// The write half of a stream's `into_split`. Dropping it shuts down the
/// write direction (the peer reads end of stream) unless
/// [`forget`](OwnedWriteHalf::forget) was called (rule 3).
#[derive(Debug)]
pub struct OwnedWriteHalf<S: SplitStream> {
    inner: Arc<S>,
    shutdown_on_drop: bool,
}

pub(crate) fn split_owned<S: SplitStream>(stream: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let inner = Arc::new(stream);
    let read = OwnedReadHalf {
        inner: inner.clone(),
    };
    let write = OwnedWriteHalf {
        inner,
        shutdown_on_drop: true,
    };
    (read, write)
}

fn reunite<S: SplitStream>(
    read: OwnedReadHalf<S>,
    mut write: OwnedWriteHalf<S>,
) -> Result<S, S::ReuniteError> {
    if !Arc::ptr_eq(&read.inner, &write.inner) {
        return Err(S::reunite_error(read, write));
    }
    write.shutdown_on_drop = false;
    drop(write);
    match Arc::try_unwrap(read.inner) {
        Ok(stream) => Ok(stream),
        Err(_) => unreachable!("the two halves are the only owners"),
    }
}

impl<S: SplitStream> ReadHalf<'_, S> {
    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<S::Addr> {
        self.0.peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<S::Addr> {
        self.0.local_addr()
    }

    /// Waits until the stream is ready for `interest` (see the stream's
    /// `ready`). Cancel-safe.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.0.ready(interest).await
    }

    /// Waits until the stream may be readable. Cancel-safe.
    pub async fn readable(&self) -> io::Result<()> {
        self.0.readable().await
    }

    /// Reads without waiting; `WouldBlock` if no data is available.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }

    /// Vectored `try_read`.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.0.try_read_vectored(bufs)
    }

    /// Reads into a `BufMut` without waiting; `WouldBlock` if no data is
    /// available.
    pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.0.try_read_buf(buf)
    }
}

impl<S: SplitStream> WriteHalf<'_, S> {
    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<S::Addr> {
        self.0.peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<S::Addr> {
        self.0.local_addr()
    }

    /// Waits until the stream is ready for `interest` (see the stream's
    /// `ready`). Cancel-safe.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.0.ready(interest).await
    }

    /// Waits until the stream may be writable. Cancel-safe.
    pub async fn writable(&self) -> io::Result<()> {
        self.0.writable().await
    }

    /// Writes without waiting; `WouldBlock` if the send buffer is full.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    /// Vectored `try_write`.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }
}

impl<S: SplitStream> OwnedReadHalf<S> {
    /// Joins the halves back into the stream; an error, giving both back, if
    /// they came from different streams.
    pub fn reunite(self, other: OwnedWriteHalf<S>) -> Result<S, S::ReuniteError> {
        reunite(self, other)
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<S::Addr> {
        self.inner.peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<S::Addr> {
        self.inner.local_addr()
    }

    /// Waits until the stream is ready for `interest` (see the stream's
    /// `ready`). Cancel-safe.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.inner.ready(interest).await
    }

    /// Waits until the stream may be readable. Cancel-safe.
    pub async fn readable(&self) -> io::Result<()> {
        self.inner.readable().await
    }

    /// Reads without waiting; `WouldBlock` if no data is available.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.try_read(buf)
    }

    /// Vectored `try_read`.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.inner.try_read_vectored(bufs)
    }

    /// Reads into a `BufMut` without waiting; `WouldBlock` if no data is
    /// available.
    pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.inner.try_read_buf(buf)
    }
}

impl<S: SplitStream> OwnedWriteHalf<S> {
    /// Joins the halves back into the stream; an error, giving both back, if
    /// they came from different streams.
    pub fn reunite(self, other: OwnedReadHalf<S>) -> Result<S, S::ReuniteError> {
        reunite(other, self)
    }

    /// Drops the half without shutting down the write direction (rule 3).
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<S::Addr> {
        self.inner.peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<S::Addr> {
        self.inner.local_addr()
    }

    /// Waits until the stream is ready for `interest` (see the stream's
    /// `ready`). Cancel-safe.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.inner.ready(interest).await
    }

    /// Waits until the stream may be writable. Cancel-safe.
    pub async fn writable(&self) -> io::Result<()> {
        self.inner.writable().await
    }

    /// Writes without waiting; `WouldBlock` if the send buffer is full.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.try_write(buf)
    }

    /// Vectored `try_write`.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.inner.try_write_vectored(bufs)
    }
}

impl<S> AsRef<S> for ReadHalf<'_, S> {
    fn as_ref(&self) -> &S {
        self.0
    }
}

impl<S> AsRef<S> for WriteHalf<'_, S> {
    fn as_ref(&self) -> &S {
        self.0
    }
}

impl<S> AsRef<S> for OwnedReadHalf<S> {
    fn as_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: SplitStream> AsRef<S> for OwnedWriteHalf<S> {
    fn as_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: SplitStream> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            let _ = self.inner.shutdown_half(Shutdown::Write);
        }
    }
}

impl<S: SplitStream> AsyncRead for ReadHalf<'_, S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.0.poll_read_half(cx, buf)
    }
}

impl<S: SplitStream> AsyncRead for OwnedReadHalf<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.inner.poll_read_half(cx, buf)
    }
}

impl<S: SplitStream> AsyncWrite for WriteHalf<'_, S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.poll_write_half(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.0.poll_write_vectored_half(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    /// Rule 2: nothing is buffered.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Rule 3: shuts down the write direction of the whole stream.
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.shutdown_half(Shutdown::Write))
    }
}

impl<S: SplitStream> AsyncWrite for OwnedWriteHalf<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_write_half(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_write_vectored_half(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    /// Rule 2: nothing is buffered.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Rule 3: shuts down the write direction; the drop then has nothing
    /// left to do.
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let res = self.inner.shutdown_half(Shutdown::Write);
        if res.is_ok() {
            self.get_mut().shutdown_on_drop = false;
        }
        Poll::Ready(res)
    }
}

/// Implements [`SplitStream`] for a stream type by forwarding to its own
/// methods of the same names (`$err` is the module's `ReuniteError`); the
/// halves' `poll_*` go to its `poll_*_priv` methods and `shutdown` to its
/// `shutdown_std`.
macro_rules! impl_split_stream {
    ($stream:ty, $addr:ty, $err:ident) => {
        impl $crate::net::split::Sealed for $stream {}

        impl $crate::net::split::SplitStream for $stream {
            type Addr = $addr;
            type ReuniteError = $err;

            fn reunite_error(
                read: $crate::net::split::OwnedReadHalf<$stream>,
                write: $crate::net::split::OwnedWriteHalf<$stream>,
            ) -> $err {
                $err(read, write)
            }

            fn peer_addr(&self) -> ::std::io::Result<$addr> {
                <$stream>::peer_addr(self)
            }

            fn local_addr(&self) -> ::std::io::Result<$addr> {
                <$stream>::local_addr(self)
            }

            fn ready(
                &self,
                interest: $crate::io::Interest,
            ) -> impl ::std::future::Future<Output = ::std::io::Result<$crate::io::Ready>> + Send + '_
            {
                <$stream>::ready(self, interest)
            }

            fn readable(
                &self,
            ) -> impl ::std::future::Future<Output = ::std::io::Result<()>> + Send + '_ {
                <$stream>::readable(self)
            }

            fn writable(
                &self,
            ) -> impl ::std::future::Future<Output = ::std::io::Result<()>> + Send + '_ {
                <$stream>::writable(self)
            }

            fn try_read(&self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                <$stream>::try_read(self, buf)
            }

            fn try_read_vectored(
                &self,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::io::Result<usize> {
                <$stream>::try_read_vectored(self, bufs)
            }

            fn try_read_buf<B: ::bytes::BufMut>(&self, buf: &mut B) -> ::std::io::Result<usize> {
                <$stream>::try_read_buf(self, buf)
            }

            fn try_write(&self, buf: &[u8]) -> ::std::io::Result<usize> {
                <$stream>::try_write(self, buf)
            }

            fn try_write_vectored(
                &self,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::io::Result<usize> {
                <$stream>::try_write_vectored(self, bufs)
            }

            fn poll_read_half(
                &self,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut $crate::io::ReadBuf<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                self.poll_read_priv(cx, buf)
            }

            fn poll_write_half(
                &self,
                cx: &mut ::std::task::Context<'_>,
                buf: &[u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored_half(
                &self,
                cx: &mut ::std::task::Context<'_>,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.poll_write_vectored_priv(cx, bufs)
            }

            fn shutdown_half(&self, how: ::std::net::Shutdown) -> ::std::io::Result<()> {
                self.shutdown_std(how)
            }
        }
    };
}

pub(crate) use impl_split_stream;
