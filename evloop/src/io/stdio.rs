//! The process's standard streams: [`stdin`], [`stdout`], [`stderr`].
//!
//! Terminals, pipes and files cannot all be registered with epoll (a
//! regular file never reports readiness), so each OS read or write runs on
//! the runtime's blocking pool through [`Blocking`], like a file. A handle
//! costs nothing until it is used; every handle shares the process-wide
//! `std::io` stream, so output written through several handles (or mixed
//! with `println!`) keeps the order in which the pool writes it.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::io::blocking::Blocking;
use crate::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The standard input of the process, read on the blocking pool.
///
/// Reads are cancel-safe: a dropped read leaves the OS read running, and
/// the next read returns its bytes. A read that the terminal never answers
/// keeps a pool thread busy (and the runtime's shutdown waits for it, up to
/// `shutdown_timeout`), as in every runtime that reads stdin this way.
///
/// ```no_run
/// use evloop::io::AsyncBufReadExt;
///
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut lines = evloop::io::BufReader::new(evloop::io::stdin()).lines();
/// while let Some(line) = lines.next_line().await.unwrap() {
///     println!("read {line:?}");
/// }
/// # }
/// ```
pub struct Stdin {
    inner: Blocking<io::Stdin>,
}

/// The standard output of the process, written on the blocking pool.
///
/// Writes are *write-behind*: `write` copies the bytes and returns; the
/// OS write happens on the pool and its error, if any, is reported by the
/// next write or by `flush`. Like `std::io::stdout`, output is
/// line-buffered: call `flush` to push out a partial line.
///
/// ```
/// use evloop::io::AsyncWriteExt;
///
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut out = evloop::io::stdout();
/// out.write_all(b"hello from evloop\n").await.unwrap();
/// out.flush().await.unwrap();
/// # }
/// ```
pub struct Stdout {
    inner: Blocking<io::Stdout>,
}

/// The standard error of the process, written on the blocking pool; see
/// [`Stdout`] for the write-behind rules (stderr itself is unbuffered).
///
/// ```
/// use evloop::io::AsyncWriteExt;
///
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut err = evloop::io::stderr();
/// err.write_all(b"a warning\n").await.unwrap();
/// err.flush().await.unwrap();
/// # }
/// ```
pub struct Stderr {
    inner: Blocking<io::Stderr>,
}

/// A handle to the process's standard input. Operations must run inside
/// an evloop runtime (they use its blocking pool).
pub fn stdin() -> Stdin {
    Stdin {
        inner: Blocking::new(io::stdin()),
    }
}

/// A handle to the process's standard output. Operations must run inside
/// an evloop runtime (they use its blocking pool).
pub fn stdout() -> Stdout {
    Stdout {
        inner: Blocking::new(io::stdout()),
    }
}

/// A handle to the process's standard error. Operations must run inside
/// an evloop runtime (they use its blocking pool).
pub fn stderr() -> Stderr {
    Stderr {
        inner: Blocking::new(io::stderr()),
    }
}

impl AsyncRead for Stdin {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

macro_rules! writer_impls {
    ($($ty:ident),*) => {$(
        impl AsyncWrite for $ty {
            fn poll_write(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut self.inner).poll_write(cx, buf)
            }

            fn poll_write_vectored(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut self.inner).poll_flush(cx)
            }

            fn poll_shutdown(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<io::Result<()>> {
                Pin::new(&mut self.inner).poll_shutdown(cx)
            }
        }
    )*};
}

writer_impls!(Stdout, Stderr);

macro_rules! common_impls {
    ($($ty:ident => $std:ident),*) => {$(
        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                io::$std().as_raw_fd()
            }
        }

        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                // SAFETY: `borrow_raw` needs the fd to stay open while the
                // borrow lives. The standard streams' fds (0, 1, 2) are never
                // closed by std or by evloop; std's own `AsFd` for its
                // stream handles relies on the same fact.
                unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).field("inner", &self.inner).finish()
            }
        }
    )*};
}

common_impls!(Stdin => stdin, Stdout => stdout, Stderr => stderr);
