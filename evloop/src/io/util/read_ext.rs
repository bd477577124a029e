//! [`AsyncReadExt`] and its futures.

use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::io::util::buf_ext::ReadIntoBuf;
use crate::io::util::{Chain, Take};
use crate::io::{AsyncRead, ReadBuf};

macro_rules! read_int_methods {
    ($($name:ident $ty:ident $le:literal $end:literal),* $(,)?) => {$(
        #[doc = concat!("Reads a `", stringify!($ty), "` (",
            $end, "-endian).\n\n",
            "Not cancel-safe: a partly read number is lost.")]
        fn $name(&mut self) -> ReadInt<'_, Self, $ty>
        where
            Self: Unpin,
        {
            ReadInt::new(self, $le)
        }
    )*};
}

/// Reading helpers for every [`AsyncRead`].
///
/// ```
/// use evloop::io::AsyncReadExt;
///
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let mut src: &[u8] = b"\x00\x2Ahello";
/// assert_eq!(src.read_u16().await.unwrap(), 42);
/// let mut rest = String::new();
/// src.read_to_string(&mut rest).await.unwrap();
/// assert_eq!(rest, "hello");
/// # }); }
/// ```
pub trait AsyncReadExt: AsyncRead {
    /// Reads some bytes into `buf`; `Ok(0)` at end of stream (or if `buf`
    /// is empty).
    ///
    /// Cancel-safe: if dropped before completion, no data was read.
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> Read<'a, Self>
    where
        Self: Unpin,
    {
        Read { reader: self, buf }
    }

    /// Reads some bytes into the spare room of `buf` (a `bytes::BufMut`,
    /// such as `BytesMut` or `Vec<u8>`) and advances it; returns how many.
    /// `Ok(0)` at end of stream, or if `buf` has no room left.
    ///
    /// Cancel-safe: if dropped before completion, no data was read.
    ///
    /// ```
    /// use evloop::io::AsyncReadExt;
    ///
    /// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut src: &[u8] = b"hello";
    /// let mut buf = bytes::BytesMut::with_capacity(16);
    /// assert_eq!(src.read_buf(&mut buf).await.unwrap(), 5);
    /// assert_eq!(&buf[..], b"hello");
    /// # }); }
    /// ```
    fn read_buf<'a, B>(&'a mut self, buf: &'a mut B) -> ReadIntoBuf<'a, Self, B>
    where
        Self: Unpin,
        B: bytes::BufMut + ?Sized,
    {
        ReadIntoBuf { reader: self, buf }
    }

    /// Reads exactly `buf.len()` bytes; `UnexpectedEof` if the stream ends
    /// first.
    ///
    /// Not cancel-safe: bytes read before cancellation are lost.
    fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadExact<'a, Self>
    where
        Self: Unpin,
    {
        ReadExact {
            reader: self,
            buf,
            filled: 0,
        }
    }

    /// Reads until end of stream, appending to `buf`; returns the number of
    /// bytes read.
    ///
    /// Cancel-safe in the sense that bytes read so far are in `buf`.
    fn read_to_end<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> ReadToEnd<'a, Self>
    where
        Self: Unpin,
    {
        let start = buf.len();
        ReadToEnd {
            reader: self,
            buf,
            start,
        }
    }

    /// Reads until end of stream, appending UTF-8 to `buf`; `InvalidData`
    /// (and `buf` unchanged) if the bytes are not UTF-8.
    ///
    /// Not cancel-safe: bytes read before cancellation are lost.
    fn read_to_string<'a>(&'a mut self, buf: &'a mut String) -> ReadToString<'a, Self>
    where
        Self: Unpin,
    {
        ReadToString {
            reader: self,
            buf,
            bytes: Vec::new(),
        }
    }

    /// Reads at most `limit` bytes from `self`.
    fn take(self, limit: u64) -> Take<Self>
    where
        Self: Sized,
    {
        Take::new(self, limit)
    }

    /// Reads `self` to its end, then `next`.
    fn chain<R: AsyncRead>(self, next: R) -> Chain<Self, R>
    where
        Self: Sized,
    {
        Chain::new(self, next)
    }

    read_int_methods! {
        read_u8 u8 false "big", read_i8 i8 false "big",
        read_u16 u16 false "big", read_i16 i16 false "big",
        read_u32 u32 false "big", read_i32 i32 false "big",
        read_u64 u64 false "big", read_i64 i64 false "big",
        read_u128 u128 false "big", read_i128 i128 false "big",
        read_f32 f32 false "big", read_f64 f64 false "big",
        read_u16_le u16 true "little", read_i16_le i16 true "little",
        read_u32_le u32 true "little", read_i32_le i32 true "little",
        read_u64_le u64 true "little", read_i64_le i64 true "little",
        read_u128_le u128 true "little", read_i128_le i128 true "little",
        read_f32_le f32 true "little", read_f64_le f64 true "little",
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}

/// Future of [`AsyncReadExt::read`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Read<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut [u8],
}

impl<R: AsyncRead + Unpin + ?Sized> Future for Read<'_, R> {
    type Output = io::Result<usize>;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let mut buf = ReadBuf::new(this.buf);
        ready!(Pin::new(&mut *this.reader).poll_read(cx, &mut buf))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

/// Future of [`AsyncReadExt::read_exact`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadExact<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut [u8],
    filled: usize,
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadExact<'_, R> {
    type Output = io::Result<usize>;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        while this.filled < this.buf.len() {
            let mut buf = ReadBuf::new(&mut this.buf[this.filled..]);
            ready!(Pin::new(&mut *this.reader).poll_read(cx, &mut buf))?;
            let n = buf.filled().len();
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
            }
            this.filled += n;
        }
        Poll::Ready(Ok(this.filled))
    }
}

/// Bytes of the stack probe a full vector reads into before it grows.
const PROBE_LEN: usize = 32;

/// Appends to `buf` until end of stream. The spare capacity `buf` came
/// with is used first, whatever its size; a full vector first reads into a
/// small probe on the stack and grows only if that found more data, so a
/// vector sized exactly for the stream is never reallocated just to learn
/// that the stream ended.
pub(crate) fn poll_read_to_end<R: AsyncRead + Unpin + ?Sized>(
    reader: &mut R,
    cx: &mut Context<'_>,
    buf: &mut Vec<u8>,
) -> Poll<io::Result<()>> {
    loop {
        if buf.len() == buf.capacity() {
            let mut probe = [0u8; PROBE_LEN];
            let mut read_buf = ReadBuf::new(&mut probe);
            ready!(Pin::new(&mut *reader).poll_read(cx, &mut read_buf))?;
            let got = read_buf.filled();
            if got.is_empty() {
                return Poll::Ready(Ok(()));
            }
            // Grows the vector (amortized doubling).
            buf.extend_from_slice(got);
            continue;
        }
        let len = buf.len();
        let mut read_buf = ReadBuf::uninit(buf.spare_capacity_mut());
        ready!(Pin::new(&mut *reader).poll_read(cx, &mut read_buf))?;
        let n = read_buf.filled().len();
        if n == 0 {
            return Poll::Ready(Ok(()));
        }
        // SAFETY: `poll_read` initialized (filled) `n` bytes of the spare
        // capacity right after `len` (ReadBuf rule 2).
        unsafe { buf.set_len(len + n) };
    }
}

/// Future of [`AsyncReadExt::read_to_end`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadToEnd<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut Vec<u8>,
    start: usize,
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToEnd<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(poll_read_to_end(this.reader, cx, this.buf))?;
        Poll::Ready(Ok(this.buf.len() - this.start))
    }
}

/// Future of [`AsyncReadExt::read_to_string`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadToString<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut String,
    bytes: Vec<u8>,
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToString<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(poll_read_to_end(this.reader, cx, &mut this.bytes))?;
        let bytes = std::mem::take(&mut this.bytes);
        match String::from_utf8(bytes) {
            Ok(s) => {
                this.buf.push_str(&s);
                Poll::Ready(Ok(s.len()))
            }
            Err(_) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ))),
        }
    }
}

/// A number readable from bytes.
pub trait FromBytes: Sized {
    #[doc(hidden)]
    const LEN: usize;
    #[doc(hidden)]
    fn from_bytes(bytes: &[u8], le: bool) -> Self;
}

macro_rules! from_bytes {
    ($($ty:ty),*) => {$(
        impl FromBytes for $ty {
            const LEN: usize = std::mem::size_of::<$ty>();
            fn from_bytes(bytes: &[u8], le: bool) -> $ty {
                let arr = bytes.try_into().expect("length checked by ReadInt");
                if le { <$ty>::from_le_bytes(arr) } else { <$ty>::from_be_bytes(arr) }
            }
        }
    )*};
}
from_bytes!(u8, i8, u16, i16, u32, i32, u64, i64, u128, i128, f32, f64);

/// Future of `AsyncReadExt::read_u8` and friends.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadInt<'a, R: ?Sized, T> {
    reader: &'a mut R,
    buf: [u8; 16],
    filled: usize,
    le: bool,
    _ty: PhantomData<fn() -> T>,
}

impl<'a, R: ?Sized, T> ReadInt<'a, R, T> {
    fn new(reader: &'a mut R, le: bool) -> Self {
        ReadInt {
            reader,
            buf: [0; 16],
            filled: 0,
            le,
            _ty: PhantomData,
        }
    }
}

impl<R: AsyncRead + Unpin + ?Sized, T: FromBytes> Future for ReadInt<'_, R, T> {
    type Output = io::Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let this = self.get_mut();
        while this.filled < T::LEN {
            let mut buf = ReadBuf::new(&mut this.buf[this.filled..T::LEN]);
            ready!(Pin::new(&mut *this.reader).poll_read(cx, &mut buf))?;
            let n = buf.filled().len();
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
            }
            this.filled += n;
        }
        Poll::Ready(Ok(T::from_bytes(&this.buf[..T::LEN], this.le)))
    }
}
