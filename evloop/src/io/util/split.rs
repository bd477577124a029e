//! [`split`]: one reader-writer into a [`ReadHalf`] and a [`WriteHalf`].
//!
//! # Rules
//!
//! 1. The stream lives in an `Arc<Mutex<Pin<Box<T>>>>` shared by the two
//!    halves; each poll locks it for the duration of one `poll_*` call only,
//!    which never blocks on I/O, so the lock is held briefly.
//! 2. `unsplit` succeeds only for two halves of the same `split`.

use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use crate::loom::sync::{Arc, Mutex};

/// The read half of [`split`].
pub struct ReadHalf<T> {
    inner: Arc<Mutex<Pin<Box<T>>>>,
}

/// The write half of [`split`].
pub struct WriteHalf<T> {
    inner: Arc<Mutex<Pin<Box<T>>>>,
}

/// Splits `stream` into halves that can be used from different tasks.
///
/// ```
/// use evloop::io::{AsyncReadExt, AsyncWriteExt};
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let (a, mut b) = evloop::io::duplex(64);
/// let (mut rd, mut wr) = evloop::io::split(a);
/// wr.write_all(b"ping").await.unwrap();
/// let mut buf = [0; 4];
/// b.read_exact(&mut buf).await.unwrap();
/// b.write_all(&buf).await.unwrap();
/// rd.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"ping");
/// let _a = rd.unsplit(wr);
/// # }); }
/// ```
pub fn split<T: AsyncRead + AsyncWrite>(stream: T) -> (ReadHalf<T>, WriteHalf<T>) {
    let inner = Arc::new(Mutex::new(Box::pin(stream)));
    (
        ReadHalf {
            inner: inner.clone(),
        },
        WriteHalf { inner },
    )
}

impl<T> ReadHalf<T> {
    /// True if `other` came from the same `split`.
    pub fn is_pair_of(&self, other: &WriteHalf<T>) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Joins the halves back into the stream.
    ///
    /// # Panics
    ///
    /// If `wr` did not come from the same `split` (rule 2).
    #[track_caller]
    pub fn unsplit(self, wr: WriteHalf<T>) -> T
    where
        T: Unpin,
    {
        assert!(
            self.is_pair_of(&wr),
            "unrelated `split::WriteHalf` passed to `unsplit`"
        );
        drop(wr);
        let inner = match Arc::try_unwrap(self.inner) {
            Ok(inner) => inner,
            Err(_) => unreachable!("`ReadHalf` and `WriteHalf` are the only owners"),
        };
        *Pin::into_inner(inner.into_inner())
    }
}

impl<T> WriteHalf<T> {
    /// True if `other` came from the same `split`.
    pub fn is_pair_of(&self, other: &ReadHalf<T>) -> bool {
        other.is_pair_of(self)
    }
}

impl<T: AsyncRead> AsyncRead for ReadHalf<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.inner.lock().as_mut().poll_read(cx, buf)
    }
}

impl<T: AsyncWrite> AsyncWrite for WriteHalf<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.lock().as_mut().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.inner.lock().as_mut().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.lock().is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.lock().as_mut().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.lock().as_mut().poll_shutdown(cx)
    }
}

impl<T> fmt::Debug for ReadHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("split::ReadHalf").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for WriteHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("split::WriteHalf").finish_non_exhaustive()
    }
}
