//! The `bytes`-based helpers: [`AsyncReadExt::read_buf`],
//! [`AsyncWriteExt::write_buf`] and [`AsyncWriteExt::write_all_buf`].
//!
//! # Rules
//!
//! 1. A read goes into `BufMut::chunk_mut`, the uninitialized spare room,
//!    through a `ReadBuf` over it; the buffer is advanced by what the reader
//!    filled, and only if the reader filled *that* memory (a reader may
//!    replace the `ReadBuf` it is given; its bytes then never reached `buf`).
//! 2. A write takes `Buf::chunk`, or up to [`MAX_VECTORS`] chunks at once
//!    when the writer is vectored, and advances the buffer by what was
//!    written.
//!
//! [`AsyncReadExt::read_buf`]: crate::io::AsyncReadExt::read_buf
//! [`AsyncWriteExt::write_buf`]: crate::io::AsyncWriteExt::write_buf
//! [`AsyncWriteExt::write_all_buf`]: crate::io::AsyncWriteExt::write_all_buf

use std::future::Future;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, BufMut};

use crate::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most chunks one vectored write of a `Buf` takes.
const MAX_VECTORS: usize = 64;

/// Rule 1: one read into the spare room of `buf`.
pub(crate) fn poll_read_buf<R: AsyncRead + ?Sized, B: BufMut + ?Sized>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut B,
) -> Poll<io::Result<usize>> {
    if !buf.has_remaining_mut() {
        return Poll::Ready(Ok(0));
    }
    let n = {
        let dst = buf.chunk_mut();
        // SAFETY: the slice is only handed to a `ReadBuf`, which never
        // writes uninitialized bytes into it (ReadBuf rule 2).
        let dst: &mut [MaybeUninit<u8>] = unsafe { dst.as_uninit_slice_mut() };
        let start = dst.as_ptr() as *const u8;
        let mut read_buf = ReadBuf::uninit(dst);
        ready!(reader.poll_read(cx, &mut read_buf))?;
        assert_eq!(
            read_buf.filled().as_ptr(),
            start,
            "the reader replaced the ReadBuf it was given"
        );
        read_buf.filled().len()
    };
    // SAFETY: the reader initialized (filled) the first `n` bytes of the
    // chunk (rule 1; the pointer check above).
    unsafe { buf.advance_mut(n) };
    Poll::Ready(Ok(n))
}

/// Rule 2: one write of the start of `buf`.
pub(crate) fn poll_write_buf<W: AsyncWrite + ?Sized, B: Buf + ?Sized>(
    writer: Pin<&mut W>,
    cx: &mut Context<'_>,
    buf: &mut B,
) -> Poll<io::Result<usize>> {
    if !buf.has_remaining() {
        return Poll::Ready(Ok(0));
    }
    let n = if writer.is_write_vectored() {
        let mut slices = [IoSlice::new(&[]); MAX_VECTORS];
        let count = buf.chunks_vectored(&mut slices);
        ready!(writer.poll_write_vectored(cx, &slices[..count]))?
    } else {
        ready!(writer.poll_write(cx, buf.chunk()))?
    };
    buf.advance(n);
    Poll::Ready(Ok(n))
}

/// Future of [`AsyncReadExt::read_buf`](crate::io::AsyncReadExt::read_buf).
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadIntoBuf<'a, R: ?Sized, B: ?Sized> {
    pub(crate) reader: &'a mut R,
    pub(crate) buf: &'a mut B,
}

impl<R: AsyncRead + Unpin + ?Sized, B: BufMut + ?Sized> Future for ReadIntoBuf<'_, R, B> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        poll_read_buf(Pin::new(&mut *this.reader), cx, this.buf)
    }
}

/// Future of [`AsyncWriteExt::write_buf`](crate::io::AsyncWriteExt::write_buf).
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteBuf<'a, W: ?Sized, B: ?Sized> {
    pub(crate) writer: &'a mut W,
    pub(crate) buf: &'a mut B,
}

impl<W: AsyncWrite + Unpin + ?Sized, B: Buf + ?Sized> Future for WriteBuf<'_, W, B> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        poll_write_buf(Pin::new(&mut *this.writer), cx, this.buf)
    }
}

/// Future of
/// [`AsyncWriteExt::write_all_buf`](crate::io::AsyncWriteExt::write_all_buf).
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteAllBuf<'a, W: ?Sized, B: ?Sized> {
    pub(crate) writer: &'a mut W,
    pub(crate) buf: &'a mut B,
}

impl<W: AsyncWrite + Unpin + ?Sized, B: Buf + ?Sized> Future for WriteAllBuf<'_, W, B> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while this.buf.has_remaining() {
            let n = ready!(poll_write_buf(Pin::new(&mut *this.writer), cx, this.buf))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
        }
        Poll::Ready(Ok(()))
    }
}
