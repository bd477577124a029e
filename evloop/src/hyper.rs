//! hyper 1.x on evloop, with no glue (cargo feature `hyper`).
//!
//! hyper brings its own I/O traits (`hyper::rt::Read`/`Write`) and asks for
//! an executor (HTTP/2 spawns tasks) and a timer (timeouts, keep-alive).
//! This module provides all three:
//!
//! - [`Io`] wraps any evloop I/O type (a `TcpStream`, a `UnixStream`, a TLS
//!   stream over them) so that hyper can use it, and wraps hyper's upgraded
//!   connections so that evloop's `AsyncRead`/`AsyncWrite` helpers can.
//! - [`Executor`] spawns hyper's background tasks on the current evloop
//!   runtime.
//! - [`Timer`] gives hyper evloop's sleeps (which follow paused time).
//!
//! ```
//! use std::convert::Infallible;
//! use evloop::hyper::{Executor, Io, Timer};
//! use evloop::net::{TcpListener, TcpStream};
//! use http_body_util::{BodyExt, Full};
//! use hyper::body::{Bytes, Incoming};
//! use hyper::{Request, Response};
//!
//! # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! # rt.block_on(async {
//! let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let addr = listener.local_addr().unwrap();
//! evloop::spawn(async move {
//!     let (stream, _) = listener.accept().await.unwrap();
//!     let hello = hyper::service::service_fn(|_req: Request<Incoming>| async {
//!         Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("hello"))))
//!     });
//!     hyper::server::conn::http1::Builder::new()
//!         .timer(Timer::new())
//!         .serve_connection(Io::new(stream), hello)
//!         .await
//!         .unwrap();
//! });
//!
//! let stream = TcpStream::connect(addr).await.unwrap();
//! let (mut sender, conn) = hyper::client::conn::http1::handshake(Io::new(stream))
//!     .await
//!     .unwrap();
//! evloop::spawn(conn);
//! let req = Request::get("/").body(Full::<Bytes>::default()).unwrap();
//! let res = sender.send_request(req).await.unwrap();
//! let body = res.into_body().collect().await.unwrap().to_bytes();
//! assert_eq!(body, "hello");
//! # let _ = Executor::new();
//! # }); }
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant as StdInstant};

use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use crate::time::Instant;

pin_project_lite::pin_project! {
    /// An I/O object usable from both sides: evloop's `AsyncRead` /
    /// `AsyncWrite` become hyper's `rt::Read` / `rt::Write`, and the other
    /// way round (for `hyper::upgrade::Upgraded`).
    #[derive(Debug)]
    pub struct Io<T> {
        #[pin]
        inner: T,
    }
}

impl<T> Io<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Io<T> {
        Io { inner }
    }

    /// The wrapped value.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped value, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The wrapped value, pinned.
    pub fn inner_pin_mut(self: Pin<&mut Self>) -> Pin<&mut T> {
        self.project().inner
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead> ::hyper::rt::Read for Io<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ::hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let n = {
            // SAFETY: the slice goes only to evloop's `ReadBuf`, which never
            // writes uninitialized bytes into it (ReadBuf rule 2).
            let mut read_buf = ReadBuf::uninit(unsafe { buf.as_mut() });
            ready!(self.project().inner.poll_read(cx, &mut read_buf))?;
            read_buf.filled().len()
        };
        // SAFETY: the reader filled (initialized) the first `n` bytes of
        // the cursor's unfilled part.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite> ::hyper::rt::Write for Io<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }
}

impl<T: ::hyper::rt::Read> AsyncRead for Io<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = {
            // SAFETY: the slice goes only to hyper's `ReadBuf`, which, like
            // ours, never de-initializes memory.
            let mut hyper_buf = ::hyper::rt::ReadBuf::uninit(unsafe { buf.unfilled_mut() });
            ready!(self.project().inner.poll_read(cx, hyper_buf.unfilled()))?;
            hyper_buf.filled().len()
        };
        // SAFETY: hyper's reader filled the first `n` bytes of our unfilled
        // part.
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<T: ::hyper::rt::Write> AsyncWrite for Io<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }
}

/// Spawns hyper's background tasks (HTTP/2 streams and connections) on the
/// current evloop runtime, as [`crate::spawn`] does.
///
/// # Panics
///
/// `execute` panics if called outside an evloop runtime.
#[derive(Debug, Clone, Copy, Default)]
pub struct Executor {
    _priv: (),
}

impl Executor {
    /// The executor.
    pub fn new() -> Executor {
        Executor { _priv: () }
    }
}

impl<F> ::hyper::rt::Executor<F> for Executor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    #[track_caller]
    fn execute(&self, fut: F) {
        drop(crate::spawn(fut));
    }
}

/// hyper's timer on evloop's time driver: `sleep`, `sleep_until`, `reset`
/// and `now` (which reads the runtime's clock, so paused time applies).
///
/// # Panics
///
/// Creating a sleep panics outside an evloop runtime with time enabled.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timer {
    _priv: (),
}

impl Timer {
    /// The timer.
    pub fn new() -> Timer {
        Timer { _priv: () }
    }
}

pin_project_lite::pin_project! {
    /// The sleep future [`Timer`] hands to hyper.
    struct Sleep {
        #[pin]
        inner: crate::time::Sleep,
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep").finish_non_exhaustive()
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().inner.poll(cx)
    }
}

impl ::hyper::rt::Sleep for Sleep {}

impl ::hyper::rt::Timer for Timer {
    #[track_caller]
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(Sleep {
            inner: crate::time::sleep(duration),
        })
    }

    #[track_caller]
    fn sleep_until(&self, deadline: StdInstant) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(Sleep {
            inner: crate::time::sleep_until(Instant::from_std(deadline)),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn ::hyper::rt::Sleep>>, new_deadline: StdInstant) {
        match sleep.as_mut().downcast_mut_pin::<Sleep>() {
            Some(ours) => ours.project().inner.reset(Instant::from_std(new_deadline)),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }

    fn now(&self) -> StdInstant {
        Instant::now().into_std()
    }
}
