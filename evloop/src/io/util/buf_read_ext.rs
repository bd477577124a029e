//! [`AsyncBufReadExt`], its futures, [`Lines`] and [`Split`].

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::io::AsyncBufRead;

/// Line and delimiter helpers for every [`AsyncBufRead`].
///
/// ```
/// use evloop::io::AsyncBufReadExt;
///
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let mut lines = (&b"one\ntwo\r\n"[..]).lines();
/// assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("one"));
/// assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("two"));
/// assert_eq!(lines.next_line().await.unwrap(), None);
/// # }); }
/// ```
pub trait AsyncBufReadExt: AsyncBufRead {
    /// Appends bytes to `buf` up to and including `byte` (or end of stream);
    /// returns how many were appended.
    ///
    /// Cancel-safe in the sense that bytes read so far are in `buf`; calling
    /// again continues where it stopped.
    fn read_until<'a>(&'a mut self, byte: u8, buf: &'a mut Vec<u8>) -> ReadUntil<'a, Self>
    where
        Self: Unpin,
    {
        ReadUntil {
            reader: self,
            byte,
            buf,
            read: 0,
        }
    }

    /// Appends one line (with its `\n`, if any) to `buf`; `Ok(0)` at end of
    /// stream; `InvalidData` if the line is not UTF-8.
    ///
    /// Not cancel-safe: a partly read line is lost.
    fn read_line<'a>(&'a mut self, buf: &'a mut String) -> ReadLine<'a, Self>
    where
        Self: Unpin,
    {
        ReadLine {
            reader: self,
            buf,
            bytes: Vec::new(),
            read: 0,
        }
    }

    /// The lines of this reader, without `\n` or `\r\n`.
    fn lines(self) -> Lines<Self>
    where
        Self: Sized,
    {
        Lines {
            reader: self,
            buf: Vec::new(),
        }
    }

    /// The segments of this reader separated by `byte` (not included).
    fn split(self, byte: u8) -> Split<Self>
    where
        Self: Sized,
    {
        Split {
            reader: self,
            delim: byte,
            buf: Vec::new(),
        }
    }

    /// Returns the buffered data, reading more first if the buffer is
    /// empty; an empty slice means end of stream. Call
    /// [`consume`](AsyncBufReadExt::consume) with how much of it was used.
    ///
    /// Cancel-safe.
    ///
    /// ```
    /// use evloop::io::{AsyncBufReadExt, BufReader};
    ///
    /// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut reader = BufReader::new(&b"abc"[..]);
    /// assert_eq!(reader.fill_buf().await.unwrap(), b"abc");
    /// reader.consume(2);
    /// assert_eq!(reader.fill_buf().await.unwrap(), b"c");
    /// # }); }
    /// ```
    fn fill_buf(&mut self) -> FillBuf<'_, Self>
    where
        Self: Unpin,
    {
        FillBuf { reader: Some(self) }
    }

    /// Marks `amt` bytes of the buffer returned by
    /// [`fill_buf`](AsyncBufReadExt::fill_buf) as used.
    fn consume(&mut self, amt: usize)
    where
        Self: Unpin,
    {
        std::pin::Pin::new(self).consume(amt)
    }
}

impl<R: AsyncBufRead + ?Sized> AsyncBufReadExt for R {}

/// Appends to `buf` until `byte` or end of stream; adds to `*read`.
fn poll_read_until<R: AsyncBufRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    byte: u8,
    buf: &mut Vec<u8>,
    read: &mut usize,
) -> Poll<io::Result<usize>> {
    loop {
        let (done, used) = {
            let available = ready!(reader.as_mut().poll_fill_buf(cx))?;
            match available.iter().position(|&b| b == byte) {
                Some(i) => {
                    buf.extend_from_slice(&available[..=i]);
                    (true, i + 1)
                }
                None => {
                    buf.extend_from_slice(available);
                    (available.is_empty(), available.len())
                }
            }
        };
        reader.as_mut().consume(used);
        *read += used;
        if done {
            return Poll::Ready(Ok(std::mem::take(read)));
        }
    }
}

/// Future of [`AsyncBufReadExt::read_until`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadUntil<'a, R: ?Sized> {
    reader: &'a mut R,
    byte: u8,
    buf: &'a mut Vec<u8>,
    read: usize,
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadUntil<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        poll_read_until(
            Pin::new(&mut *this.reader),
            cx,
            this.byte,
            this.buf,
            &mut this.read,
        )
    }
}

fn invalid_utf8() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "stream did not contain valid UTF-8",
    )
}

/// Future of [`AsyncBufReadExt::read_line`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadLine<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut String,
    bytes: Vec<u8>,
    read: usize,
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadLine<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let res = ready!(poll_read_until(
            Pin::new(&mut *this.reader),
            cx,
            b'\n',
            &mut this.bytes,
            &mut this.read,
        ));
        // Also when the reader failed part-way, the bytes read so far go
        // into `buf` if they are valid UTF-8 (as `std`'s `read_line`
        // does); if they are not, `buf` is left as it was.
        let bytes = std::mem::take(&mut this.bytes);
        match (String::from_utf8(bytes), res) {
            (Ok(line), res) => {
                this.buf.push_str(&line);
                Poll::Ready(res)
            }
            (Err(_), Err(e)) => Poll::Ready(Err(e)),
            (Err(_), Ok(_)) => Poll::Ready(Err(invalid_utf8())),
        }
    }
}

/// Lines of a reader; see [`AsyncBufReadExt::lines`].
#[derive(Debug)]
pub struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
}

impl<R: AsyncBufRead + Unpin> Lines<R> {
    /// The next line without its terminator; `None` at end of stream.
    ///
    /// Cancel-safe: a partly read line is kept for the next call.
    pub async fn next_line(&mut self) -> io::Result<Option<String>> {
        std::future::poll_fn(|cx| self.poll_next_line(cx)).await
    }

    /// Polls for the next line (see [`Lines::next_line`]).
    pub fn poll_next_line(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<String>>> {
        let mut read = 0;
        ready!(poll_read_until(
            Pin::new(&mut self.reader),
            cx,
            b'\n',
            &mut self.buf,
            &mut read,
        ))?;
        if self.buf.is_empty() {
            return Poll::Ready(Ok(None));
        }
        let mut bytes = std::mem::take(&mut self.buf);
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        Poll::Ready(
            String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| invalid_utf8()),
        )
    }

    /// The reader, back.
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// The reader.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The reader, mutably.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }
}

/// Segments of a reader; see [`AsyncBufReadExt::split`].
#[derive(Debug)]
pub struct Split<R> {
    reader: R,
    delim: u8,
    buf: Vec<u8>,
}

impl<R: AsyncBufRead + Unpin> Split<R> {
    /// The next segment without its delimiter; `None` at end of stream.
    ///
    /// Cancel-safe: a partly read segment is kept for the next call.
    pub async fn next_segment(&mut self) -> io::Result<Option<Vec<u8>>> {
        std::future::poll_fn(|cx| self.poll_next_segment(cx)).await
    }

    /// Polls for the next segment (see [`Split::next_segment`]).
    pub fn poll_next_segment(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Vec<u8>>>> {
        let mut read = 0;
        ready!(poll_read_until(
            Pin::new(&mut self.reader),
            cx,
            self.delim,
            &mut self.buf,
            &mut read,
        ))?;
        if self.buf.is_empty() {
            return Poll::Ready(Ok(None));
        }
        let mut segment = std::mem::take(&mut self.buf);
        if segment.last() == Some(&self.delim) {
            segment.pop();
        }
        Poll::Ready(Ok(Some(segment)))
    }
}

/// Future of [`AsyncBufReadExt::fill_buf`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct FillBuf<'a, R: ?Sized> {
    /// `None` once the future has completed.
    reader: Option<&'a mut R>,
}

impl<'a, R: AsyncBufRead + Unpin + ?Sized> Future for FillBuf<'a, R> {
    type Output = io::Result<&'a [u8]>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&'a [u8]>> {
        let this = self.get_mut();
        let reader: *mut R = this
            .reader
            .take()
            .expect("`FillBuf` polled after completion");
        // SAFETY: `reader` came from a `&'a mut R` that this future owned
        // and gave up above, so it is valid and unaliased for `'a`. On
        // `Pending` the result borrows nothing and the reference goes back
        // into the future; on `Ready` the returned slice is the only use of
        // it from now on (the future is finished).
        let res = unsafe { Pin::new(&mut *reader) }.poll_fill_buf(cx);
        if res.is_pending() {
            // SAFETY: as above; the pending result holds no borrow.
            this.reader = Some(unsafe { &mut *reader });
        }
        res
    }
}
