//! [`BufWriter`]: adds a write buffer to any writer.

use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::io::util::buf_reader::DEFAULT_BUF_SIZE;
use crate::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};

pin_project_lite::pin_project! {
    /// Buffers writes to `W`, so that many small writes cost one system call.
    /// Call `flush` (or `shutdown`) to push the buffered data out: dropping a
    /// `BufWriter` loses unflushed data.
    ///
    /// ```
    /// use evloop::io::{AsyncWriteExt, BufWriter};
    ///
    /// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut w = BufWriter::new(Vec::new());
    /// w.write_all(b"abc").await.unwrap();
    /// assert!(w.get_ref().is_empty());
    /// w.flush().await.unwrap();
    /// assert_eq!(w.get_ref(), b"abc");
    /// # }); }
    /// ```
    #[derive(Debug)]
    pub struct BufWriter<W> {
        #[pin]
        inner: W,
        buf: Vec<u8>,
        written: usize,
        capacity: usize,
        // A seek waiting for the buffer to be flushed.
        seek: Option<SeekFrom>,
    }
}

impl<W: AsyncWrite> BufWriter<W> {
    /// A writer with an 8 KiB buffer.
    pub fn new(inner: W) -> BufWriter<W> {
        BufWriter::with_capacity(DEFAULT_BUF_SIZE, inner)
    }

    /// A writer with a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: W) -> BufWriter<W> {
        BufWriter {
            inner,
            buf: Vec::with_capacity(capacity),
            written: 0,
            capacity,
            seek: None,
        }
    }

    /// Writes out the buffer (`written..` is still to go).
    fn flush_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut this = self.project();
        let mut result = Ok(());
        while *this.written < this.buf.len() {
            match ready!(this
                .inner
                .as_mut()
                .poll_write(cx, &this.buf[*this.written..]))
            {
                Ok(0) => {
                    result = Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "failed to write the buffered data",
                    ));
                    break;
                }
                Ok(n) => *this.written += n,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if *this.written > 0 {
            this.buf.drain(..*this.written);
        }
        *this.written = 0;
        Poll::Ready(result)
    }
}

impl<W> BufWriter<W> {
    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer, mutably.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The inner writer, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut W> {
        self.project().inner
    }

    /// The inner writer; unflushed data is lost.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// The buffered, unwritten data.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.written..]
    }
}

impl<W: AsyncWrite> AsyncWrite for BufWriter<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.buf.len() + buf.len() > self.capacity {
            ready!(self.as_mut().flush_buf(cx))?;
        }
        let this = self.project();
        if buf.len() >= *this.capacity {
            this.inner.poll_write(cx, buf)
        } else {
            this.buf.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }
    }

    /// With a vectored inner writer, a batch at least as large as the
    /// buffer goes straight through; otherwise the slices are buffered,
    /// every one that fits (a first slice larger than the buffer is
    /// written on its own).
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let total = bufs.iter().map(|b| b.len()).sum::<usize>();
        if self.buf.len() + total > self.capacity {
            ready!(self.as_mut().flush_buf(cx))?;
        }
        let this = self.project();
        if total >= *this.capacity && this.inner.is_write_vectored() {
            return this.inner.poll_write_vectored(cx, bufs);
        }
        let room = *this.capacity - this.buf.len();
        let mut written = 0;
        for b in bufs.iter().filter(|b| !b.is_empty()) {
            if written == 0 && b.len() >= *this.capacity {
                // Nothing buffered yet and the slice would never fit.
                return this.inner.poll_write(cx, b);
            }
            if written + b.len() > room {
                break;
            }
            this.buf.extend_from_slice(b);
            written += b.len();
        }
        Poll::Ready(Ok(written))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().flush_buf(cx))?;
        self.get_pin_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().flush_buf(cx))?;
        self.get_pin_mut().poll_shutdown(cx)
    }
}

impl<W: AsyncWrite + AsyncRead> AsyncRead for BufWriter<W> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_read(cx, buf)
    }
}

impl<W: AsyncWrite + AsyncBufRead> AsyncBufRead for BufWriter<W> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_pin_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_pin_mut().consume(amt)
    }
}

/// Flushes the buffer, then seeks the inner writer.
impl<W: AsyncWrite + AsyncSeek> AsyncSeek for BufWriter<W> {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let this = self.project();
        if this.seek.is_some() {
            return Err(io::Error::other(
                "other seek in progress: call poll_complete first",
            ));
        }
        *this.seek = Some(position);
        Ok(())
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        ready!(self.as_mut().flush_buf(cx))?;
        let mut this = self.project();
        if let Some(position) = this.seek.take() {
            this.inner.as_mut().start_seek(position)?;
        }
        this.inner.poll_complete(cx)
    }
}
