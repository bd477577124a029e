//! The split halves of TCP and Unix streams, written once.
//!
//! Both streams offer the same `poll_*_priv` methods to their halves and
//! differ only in the stream and address types (and TCP's `peek`), so each
//! kind of half is one macro, expanded in `tcp/` and `unix/`. The extra
//! methods of a read half are passed in as a block.

/// The `AsyncWrite` methods both kinds of write half share: writes go
/// straight to the stream (`self.$field`), and there is nothing to flush.
macro_rules! write_through {
    ($field:tt) => {
        fn poll_write(
            self: ::std::pin::Pin<&mut Self>,
            cx: &mut ::std::task::Context<'_>,
            buf: &[u8],
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            self.$field.poll_write_priv(cx, buf)
        }

        fn poll_write_vectored(
            self: ::std::pin::Pin<&mut Self>,
            cx: &mut ::std::task::Context<'_>,
            bufs: &[::std::io::IoSlice<'_>],
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            self.$field.poll_write_vectored_priv(cx, bufs)
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(
            self: ::std::pin::Pin<&mut Self>,
            _cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            ::std::task::Poll::Ready(Ok(()))
        }
    };
}

/// The readiness and `try_*` methods of a read half: they act on the
/// whole stream at `self.$field`.
macro_rules! read_half_methods {
    ($field:tt) => {
        /// Waits until the stream is ready for `interest` (see the stream's
        /// `ready`). Cancel-safe.
        pub async fn ready(
            &self,
            interest: $crate::io::Interest,
        ) -> ::std::io::Result<$crate::io::Ready> {
            self.$field.ready(interest).await
        }

        /// Waits until the stream may be readable. Cancel-safe.
        pub async fn readable(&self) -> ::std::io::Result<()> {
            self.$field.readable().await
        }

        /// Reads without waiting; `WouldBlock` if no data is available.
        pub fn try_read(&self, buf: &mut [u8]) -> ::std::io::Result<usize> {
            self.$field.try_read(buf)
        }

        /// Vectored `try_read`.
        pub fn try_read_vectored(
            &self,
            bufs: &mut [::std::io::IoSliceMut<'_>],
        ) -> ::std::io::Result<usize> {
            self.$field.try_read_vectored(bufs)
        }

        /// Reads into a `BufMut` without waiting; `WouldBlock` if no data is
        /// available.
        pub fn try_read_buf<B: ::bytes::BufMut>(&self, buf: &mut B) -> ::std::io::Result<usize> {
            self.$field.try_read_buf(buf)
        }
    };
}

/// The readiness and `try_*` methods of a write half.
macro_rules! write_half_methods {
    ($field:tt) => {
        /// Waits until the stream is ready for `interest` (see the stream's
        /// `ready`). Cancel-safe.
        pub async fn ready(
            &self,
            interest: $crate::io::Interest,
        ) -> ::std::io::Result<$crate::io::Ready> {
            self.$field.ready(interest).await
        }

        /// Waits until the stream may be writable. Cancel-safe.
        pub async fn writable(&self) -> ::std::io::Result<()> {
            self.$field.writable().await
        }

        /// Writes without waiting; `WouldBlock` if the send buffer is full.
        pub fn try_write(&self, buf: &[u8]) -> ::std::io::Result<usize> {
            self.$field.try_write(buf)
        }

        /// Vectored `try_write`.
        pub fn try_write_vectored(
            &self,
            bufs: &[::std::io::IoSlice<'_>],
        ) -> ::std::io::Result<usize> {
            self.$field.try_write_vectored(bufs)
        }
    };
}

/// `ReadHalf<'a>` and `WriteHalf<'a>`, borrowing a `$stream`, and
/// `split(&mut $stream)`.
macro_rules! borrowed_halves {
    ($stream:ident, $addr:ty, { $($read_extra:tt)* }) => {
        #[doc = concat!("The read half of [`", stringify!($stream), "::split`].")]
        #[derive(Debug)]
        pub struct ReadHalf<'a>(&'a $stream);

        #[doc = concat!(
            "The write half of [`", stringify!($stream), "::split`]; `shutdown` shuts down ",
            "the write direction of the whole stream."
        )]
        #[derive(Debug)]
        pub struct WriteHalf<'a>(&'a $stream);

        pub(crate) fn split(stream: &mut $stream) -> (ReadHalf<'_>, WriteHalf<'_>) {
            (ReadHalf(&*stream), WriteHalf(&*stream))
        }

        impl ReadHalf<'_> {
            /// The peer's address.
            pub fn peer_addr(&self) -> ::std::io::Result<$addr> {
                self.0.peer_addr()
            }

            /// The local address.
            pub fn local_addr(&self) -> ::std::io::Result<$addr> {
                self.0.local_addr()
            }

            $crate::net::halves::read_half_methods!(0);

            $($read_extra)*
        }

        impl WriteHalf<'_> {
            /// The peer's address.
            pub fn peer_addr(&self) -> ::std::io::Result<$addr> {
                self.0.peer_addr()
            }

            /// The local address.
            pub fn local_addr(&self) -> ::std::io::Result<$addr> {
                self.0.local_addr()
            }

            $crate::net::halves::write_half_methods!(0);
        }

        impl AsRef<$stream> for ReadHalf<'_> {
            fn as_ref(&self) -> &$stream {
                self.0
            }
        }

        impl AsRef<$stream> for WriteHalf<'_> {
            fn as_ref(&self) -> &$stream {
                self.0
            }
        }

        impl $crate::io::AsyncRead for ReadHalf<'_> {
            fn poll_read(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut $crate::io::ReadBuf<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                self.0.poll_read_priv(cx, buf)
            }
        }

        impl $crate::io::AsyncWrite for WriteHalf<'_> {
            $crate::net::halves::write_through!(0);

            fn poll_shutdown(
                self: ::std::pin::Pin<&mut Self>,
                _cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                ::std::task::Poll::Ready(self.0.shutdown_std(::std::net::Shutdown::Write))
            }
        }
    };
}

/// `OwnedReadHalf` and `OwnedWriteHalf`, sharing a `$stream` through an
/// `Arc`, `ReuniteError`, and `split_owned($stream)`.
macro_rules! owned_halves {
    ($stream:ident, $addr:ty, { $($read_extra:tt)* }) => {
        #[doc = concat!("The read half of [`", stringify!($stream), "::into_split`].")]
        #[derive(Debug)]
        pub struct OwnedReadHalf {
            inner: $crate::loom::sync::Arc<$stream>,
        }

        #[doc = concat!(
            "The write half of [`", stringify!($stream), "::into_split`]. Dropping it shuts ",
            "down the write direction (the peer reads end of stream) unless ",
            "[`forget`](OwnedWriteHalf::forget) was called."
        )]
        #[derive(Debug)]
        pub struct OwnedWriteHalf {
            inner: $crate::loom::sync::Arc<$stream>,
            shutdown_on_drop: bool,
        }

        pub(crate) fn split_owned(stream: $stream) -> (OwnedReadHalf, OwnedWriteHalf) {
            let inner = $crate::loom::sync::Arc::new(stream);
            (
                OwnedReadHalf {
                    inner: inner.clone(),
                },
                OwnedWriteHalf {
                    inner,
                    shutdown_on_drop: true,
                },
            )
        }

        /// The halves passed to `reunite` came from different streams.
        #[derive(Debug)]
        pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

        impl ::std::fmt::Display for ReuniteError {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str("tried to reunite halves that are not from the same socket")
            }
        }

        impl ::std::error::Error for ReuniteError {}

        fn reunite(
            read: OwnedReadHalf,
            mut write: OwnedWriteHalf,
        ) -> Result<$stream, ReuniteError> {
            if !$crate::loom::sync::Arc::ptr_eq(&read.inner, &write.inner) {
                return Err(ReuniteError(read, write));
            }
            write.shutdown_on_drop = false;
            drop(write);
            Ok(match $crate::loom::sync::Arc::try_unwrap(read.inner) {
                Ok(stream) => stream,
                Err(_) => unreachable!("the two halves are the only owners"),
            })
        }

        impl OwnedReadHalf {
            /// Joins the halves back into the stream; an error if they came
            /// from different streams.
            pub fn reunite(self, other: OwnedWriteHalf) -> Result<$stream, ReuniteError> {
                reunite(self, other)
            }

            /// The peer's address.
            pub fn peer_addr(&self) -> ::std::io::Result<$addr> {
                self.inner.peer_addr()
            }

            /// The local address.
            pub fn local_addr(&self) -> ::std::io::Result<$addr> {
                self.inner.local_addr()
            }

            $($read_extra)*

            $crate::net::halves::read_half_methods!(inner);
        }

        impl OwnedWriteHalf {
            /// Joins the halves back into the stream.
            pub fn reunite(self, other: OwnedReadHalf) -> Result<$stream, ReuniteError> {
                reunite(other, self)
            }

            /// Drops the half without shutting down the write direction.
            pub fn forget(mut self) {
                self.shutdown_on_drop = false;
            }

            /// The peer's address.
            pub fn peer_addr(&self) -> ::std::io::Result<$addr> {
                self.inner.peer_addr()
            }

            /// The local address.
            pub fn local_addr(&self) -> ::std::io::Result<$addr> {
                self.inner.local_addr()
            }

            $crate::net::halves::write_half_methods!(inner);
        }

        impl AsRef<$stream> for OwnedReadHalf {
            fn as_ref(&self) -> &$stream {
                &self.inner
            }
        }

        impl AsRef<$stream> for OwnedWriteHalf {
            fn as_ref(&self) -> &$stream {
                &self.inner
            }
        }

        impl Drop for OwnedWriteHalf {
            fn drop(&mut self) {
                if self.shutdown_on_drop {
                    let _ = self.inner.shutdown_std(::std::net::Shutdown::Write);
                }
            }
        }

        impl $crate::io::AsyncRead for OwnedReadHalf {
            fn poll_read(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut $crate::io::ReadBuf<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                self.inner.poll_read_priv(cx, buf)
            }
        }

        impl $crate::io::AsyncWrite for OwnedWriteHalf {
            $crate::net::halves::write_through!(inner);

            fn poll_shutdown(
                self: ::std::pin::Pin<&mut Self>,
                _cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                let res = self.inner.shutdown_std(::std::net::Shutdown::Write);
                if res.is_ok() {
                    self.get_mut().shutdown_on_drop = false;
                }
                ::std::task::Poll::Ready(res)
            }
        }
    };
}

pub(crate) use {
    borrowed_halves, owned_halves, read_half_methods, write_half_methods, write_through,
};
