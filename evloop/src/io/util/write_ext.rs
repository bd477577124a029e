//! [`AsyncWriteExt`] and its futures.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::io::util::buf_ext::{WriteAllBuf, WriteBuf};
use crate::io::AsyncWrite;

macro_rules! write_int_methods {
    ($($name:ident $ty:ident $le:literal $end:literal),* $(,)?) => {$(
        #[doc = concat!("Writes a `", stringify!($ty), "` (",
            $end, "-endian).\n\n",
            "Not cancel-safe: part of the number may have been written.")]
        fn $name(&mut self, n: $ty) -> WriteInt<'_, Self>
        where
            Self: Unpin,
        {
            let bytes = if $le { n.to_le_bytes() } else { n.to_be_bytes() };
            WriteInt::new(self, &bytes)
        }
    )*};
}

/// Writing helpers for every [`AsyncWrite`].
///
/// ```
/// use evloop::io::AsyncWriteExt;
///
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let mut out = Vec::new();
/// out.write_all(b"hi").await.unwrap();
/// out.write_u16_le(0x0102).await.unwrap();
/// assert_eq!(out, b"hi\x02\x01");
/// # }); }
/// ```
pub trait AsyncWriteExt: AsyncWrite {
    /// Writes some bytes of `src`; returns how many.
    ///
    /// Cancel-safe: if dropped before completion, nothing was written.
    fn write<'a>(&'a mut self, src: &'a [u8]) -> Write<'a, Self>
    where
        Self: Unpin,
    {
        Write { writer: self, src }
    }

    /// Writes some bytes of `bufs`; returns how many.
    ///
    /// Cancel-safe: if dropped before completion, nothing was written.
    fn write_vectored<'a, 'b>(&'a mut self, bufs: &'a [IoSlice<'b>]) -> WriteVectored<'a, 'b, Self>
    where
        Self: Unpin,
    {
        WriteVectored { writer: self, bufs }
    }

    /// Writes all of `src`, looping over partial writes; `WriteZero` if the
    /// sink stops accepting bytes.
    ///
    /// Not cancel-safe: part of `src` may have been written.
    fn write_all<'a>(&'a mut self, src: &'a [u8]) -> WriteAll<'a, Self>
    where
        Self: Unpin,
    {
        WriteAll { writer: self, src }
    }

    /// Writes some bytes from the start of `src` (a `bytes::Buf`) and
    /// advances it past them; returns how many. A vectored writer gets
    /// several of the buffer's chunks at once.
    ///
    /// Cancel-safe: if dropped before completion, nothing was written.
    fn write_buf<'a, B>(&'a mut self, src: &'a mut B) -> WriteBuf<'a, Self, B>
    where
        Self: Unpin,
        B: bytes::Buf + ?Sized,
    {
        WriteBuf {
            writer: self,
            buf: src,
        }
    }

    /// Writes all of `src` (a `bytes::Buf`), advancing it as bytes go
    /// out; `WriteZero` if the sink stops accepting bytes.
    ///
    /// Not cancel-safe in the sense that part of `src` may have been
    /// written, but `src` was advanced past exactly that part.
    ///
    /// ```
    /// use evloop::io::AsyncWriteExt;
    /// use bytes::Buf;
    ///
    /// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut src = (&b"hello "[..]).chain(&b"world"[..]);
    /// let mut out = Vec::new();
    /// out.write_all_buf(&mut src).await.unwrap();
    /// assert_eq!(out, b"hello world");
    /// assert!(!src.has_remaining());
    /// # }); }
    /// ```
    fn write_all_buf<'a, B>(&'a mut self, src: &'a mut B) -> WriteAllBuf<'a, Self, B>
    where
        Self: Unpin,
        B: bytes::Buf + ?Sized,
    {
        WriteAllBuf {
            writer: self,
            buf: src,
        }
    }

    /// Flushes buffered data.
    ///
    /// Cancel-safe.
    fn flush(&mut self) -> Flush<'_, Self>
    where
        Self: Unpin,
    {
        Flush { writer: self }
    }

    /// Flushes and shuts down the writer (for TCP: sends FIN).
    ///
    /// Cancel-safe.
    fn shutdown(&mut self) -> Shutdown<'_, Self>
    where
        Self: Unpin,
    {
        Shutdown { writer: self }
    }

    write_int_methods! {
        write_u8 u8 false "big", write_i8 i8 false "big",
        write_u16 u16 false "big", write_i16 i16 false "big",
        write_u32 u32 false "big", write_i32 i32 false "big",
        write_u64 u64 false "big", write_i64 i64 false "big",
        write_u128 u128 false "big", write_i128 i128 false "big",
        write_f32 f32 false "big", write_f64 f64 false "big",
        write_u16_le u16 true "little", write_i16_le i16 true "little",
        write_u32_le u32 true "little", write_i32_le i32 true "little",
        write_u64_le u64 true "little", write_i64_le i64 true "little",
        write_u128_le u128 true "little", write_i128_le i128 true "little",
        write_f32_le f32 true "little", write_f64_le f64 true "little",
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}

/// Future of [`AsyncWriteExt::write`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Write<'a, W: ?Sized> {
    writer: &'a mut W,
    src: &'a [u8],
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for Write<'_, W> {
    type Output = io::Result<usize>;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        Pin::new(&mut *this.writer).poll_write(cx, this.src)
    }
}

/// Future of [`AsyncWriteExt::write_vectored`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteVectored<'a, 'b, W: ?Sized> {
    writer: &'a mut W,
    bufs: &'a [IoSlice<'b>],
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteVectored<'_, '_, W> {
    type Output = io::Result<usize>;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        Pin::new(&mut *this.writer).poll_write_vectored(cx, this.bufs)
    }
}

/// Future of [`AsyncWriteExt::write_all`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteAll<'a, W: ?Sized> {
    writer: &'a mut W,
    src: &'a [u8],
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteAll<'_, W> {
    type Output = io::Result<()>;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while !this.src.is_empty() {
            let n = ready!(Pin::new(&mut *this.writer).poll_write(cx, this.src))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.src = &this.src[n..];
        }
        Poll::Ready(Ok(()))
    }
}

/// Future of [`AsyncWriteExt::flush`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Flush<'a, W: ?Sized> {
    writer: &'a mut W,
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for Flush<'_, W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().writer).poll_flush(cx)
    }
}

/// Future of [`AsyncWriteExt::shutdown`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Shutdown<'a, W: ?Sized> {
    writer: &'a mut W,
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for Shutdown<'_, W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().writer).poll_shutdown(cx)
    }
}

/// Future of `AsyncWriteExt::write_u8` and friends.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteInt<'a, W: ?Sized> {
    writer: &'a mut W,
    buf: [u8; 16],
    len: usize,
    written: usize,
}

impl<'a, W: ?Sized> WriteInt<'a, W> {
    fn new(writer: &'a mut W, bytes: &[u8]) -> Self {
        let mut buf = [0; 16];
        buf[..bytes.len()].copy_from_slice(bytes);
        WriteInt {
            writer,
            buf,
            len: bytes.len(),
            written: 0,
        }
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteInt<'_, W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while this.written < this.len {
            let n = ready!(
                Pin::new(&mut *this.writer).poll_write(cx, &this.buf[this.written..this.len])
            )?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.written += n;
        }
        Poll::Ready(Ok(()))
    }
}
