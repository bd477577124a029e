//! The child's pipes: [`ChildStdin`], [`ChildStdout`], [`ChildStderr`]
//! (process rule 7).
//!
//! Each is the parent's end of a pipe, set non-blocking and registered
//! with the reactor, so reads and writes wait for readiness like a socket's.

use std::fmt;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};

use mio::unix::pipe::{Receiver, Sender};

use crate::io::poll_evented::PollEvented;
use crate::io::{AsyncRead, AsyncWrite, Interest, IoHandle, ReadBuf};

fn register<E: mio::event::Source + AsRawFd>(
    pipe: E,
    interest: Interest,
    handle: IoHandle,
) -> io::Result<PollEvented<E>> {
    PollEvented::new_with_handle(pipe, interest, handle)
}

/// The child's standard input, written by the parent.
///
/// Written to with [`AsyncWriteExt`](crate::io::AsyncWriteExt); dropping it
/// closes the pipe, which the child reads as end of input. Writes are
/// cancel-safe.
///
/// ```
/// use std::process::Stdio;
/// use evloop::io::{AsyncReadExt, AsyncWriteExt};
/// use evloop::process::Command;
///
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut child = Command::new("cat")
///     .stdin(Stdio::piped())
///     .stdout(Stdio::piped())
///     .spawn()
///     .unwrap();
/// let mut stdin = child.stdin.take().unwrap();
/// stdin.write_all(b"ping").await.unwrap();
/// drop(stdin);
/// let mut echoed = String::new();
/// child.stdout.take().unwrap().read_to_string(&mut echoed).await.unwrap();
/// assert_eq!(echoed, "ping");
/// assert!(child.wait().await.unwrap().success());
/// # }
/// ```
pub struct ChildStdin {
    inner: PollEvented<Sender>,
}

/// The child's standard output, read by the parent.
///
/// Read with [`AsyncReadExt`](crate::io::AsyncReadExt); a read returns 0
/// once the child (and every process it handed the pipe to) closed it.
/// Reads are cancel-safe.
pub struct ChildStdout {
    inner: PollEvented<Receiver>,
}

/// The child's standard error, read by the parent; like [`ChildStdout`].
pub struct ChildStderr {
    inner: PollEvented<Receiver>,
}

impl ChildStdin {
    /// Wraps the std pipe, registered with `handle`.
    pub(crate) fn with_handle(
        inner: std::process::ChildStdin,
        handle: IoHandle,
    ) -> io::Result<ChildStdin> {
        let pipe = Sender::from(inner);
        pipe.set_nonblocking(true)?;
        Ok(ChildStdin {
            inner: register(pipe, Interest::WRITABLE, handle)?,
        })
    }

    /// Makes an asynchronous `ChildStdin` out of the standard library's:
    /// sets it non-blocking and registers it with the current runtime's
    /// reactor.
    ///
    /// Errors: no runtime with I/O enabled is current, or the pipe cannot
    /// be made non-blocking or registered.
    pub fn from_std(inner: std::process::ChildStdin) -> io::Result<ChildStdin> {
        ChildStdin::with_handle(inner, IoHandle::current()?)
    }

    /// Deregisters the pipe and returns its file descriptor, blocking again
    /// (rule 7).
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        let pipe = self.inner.into_inner()?;
        pipe.set_nonblocking(false)?;
        Ok(OwnedFd::from(pipe))
    }
}

macro_rules! reader {
    ($name:ident, $std:ty) => {
        impl $name {
            /// Wraps the std pipe, registered with `handle`.
            pub(crate) fn with_handle(inner: $std, handle: IoHandle) -> io::Result<$name> {
                let pipe = Receiver::from(inner);
                pipe.set_nonblocking(true)?;
                Ok($name {
                    inner: register(pipe, Interest::READABLE, handle)?,
                })
            }

            /// Makes an asynchronous pipe out of the standard library's: sets it
            /// non-blocking and registers it with the current runtime's reactor.
            ///
            /// Errors: no runtime with I/O enabled is current, or the pipe
            /// cannot be made non-blocking or registered.
            pub fn from_std(inner: $std) -> io::Result<$name> {
                $name::with_handle(inner, IoHandle::current()?)
            }

            /// Deregisters the pipe and returns its file descriptor, blocking
            /// again (rule 7).
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                let pipe = self.inner.into_inner()?;
                pipe.set_nonblocking(false)?;
                Ok(OwnedFd::from(pipe))
            }
        }

        impl AsyncRead for $name {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                self.inner.poll_read(cx, buf)
            }
        }
    };
}

reader!(ChildStdout, std::process::ChildStdout);
reader!(ChildStderr, std::process::ChildStderr);

impl AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    /// Nothing is buffered: always ready.
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// The pipe closes when the `ChildStdin` is dropped; shutting down
    /// does nothing else.
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

macro_rules! fd_traits {
    ($($name:ident),*) => {$(
        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.inner.as_raw_fd()
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }

        /// Hands the pipe to another process: deregistered and blocking
        /// again (rule 7), e.g. to connect one child's output to the next
        /// one's input.
        impl TryFrom<$name> for Stdio {
            type Error = io::Error;

            fn try_from(pipe: $name) -> io::Result<Stdio> {
                pipe.into_owned_fd().map(Stdio::from)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("fd", &self.inner.as_raw_fd())
                    .finish()
            }
        }
    )*};
}

fd_traits!(ChildStdin, ChildStdout, ChildStderr);
