//! [`Blocking`]: turns a blocking `std::io` reader or writer into an
//! [`AsyncRead`]/[`AsyncWrite`] by running each OS call on the blocking
//! pool. The standard streams ([`super::stdio`]) are built on it.
//!
//! The adapter is either *idle*, holding the wrapped value and a buffer, or
//! *busy*: both are on a pool thread doing one operation and the
//! `JoinHandle` of that operation is here.
//!
//! # Rules
//!
//! 1. In `Idle`, a non-empty buffer holds bytes read from the OS and not yet
//!    handed to the caller; reads are served from it first. Nothing else
//!    happens while it is non-empty (a reader and a writer are never the
//!    same `Blocking`).
//! 2. Writes are *write-behind*: `poll_write` copies the bytes into the
//!    buffer, starts the OS write and returns `Ready(n)` at once. The outcome
//!    is collected by the next operation; an error is kept and reported by
//!    the next `poll_write` or `poll_flush`.
//! 3. An operation in flight is never abandoned: a dropped read future
//!    leaves the adapter busy, and the next poll collects the bytes (so
//!    `read` is cancel-safe).
//! 4. `poll_flush` waits for the write in flight, then flushes the wrapped
//!    writer on the pool if anything was written since the last flush.
//!
//! Rejected: a dedicated thread per stream (tokio-shaped programs expect the
//! standard streams to cost nothing until used, and the pool already has
//! threads), and one `spawn_blocking` per write without a buffer of our own
//! (the write could not return before the OS write, and the caller's slice
//! is not `'static`).

use std::fmt;
use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use crate::runtime::task::{JoinError, JoinHandle};
use crate::task::spawn_blocking;

/// The most bytes moved by one hand-off to the pool.
const MAX_BUF: usize = 64 * 1024;

pub(crate) struct Blocking<T> {
    state: State<T>,
    /// Rule 2.
    last_write_err: Option<io::Error>,
    /// Rule 4: bytes were written since the last flush.
    need_flush: bool,
}

enum State<T> {
    Idle(Option<Parts<T>>),
    Busy(JoinHandle<(Op, Parts<T>)>),
}

/// What travels to the pool thread and back.
struct Parts<T> {
    inner: T,
    buf: Vec<u8>,
    /// Bytes of `buf` before `pos` were handed to the caller.
    pos: usize,
}

enum Op {
    Read(io::Result<()>),
    Write(io::Result<()>),
    Flush(io::Result<()>),
}

fn join_error(e: JoinError) -> io::Error {
    io::Error::other(format!("the blocking I/O operation did not complete: {e}"))
}

/// Nothing in a `Blocking` is pinned: the wrapped value only ever moves
/// whole, to the pool thread and back.
impl<T> Unpin for Blocking<T> {}

impl<T> Blocking<T> {
    pub(crate) fn new(inner: T) -> Blocking<T> {
        Blocking {
            state: State::Idle(Some(Parts {
                inner,
                buf: Vec::new(),
                pos: 0,
            })),
            last_write_err: None,
            need_flush: false,
        }
    }

    /// Waits for the operation in flight; returns the idle parts and the
    /// operation's outcome, if there was one.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Op>>> {
        match &mut self.state {
            State::Idle(_) => Poll::Ready(Ok(None)),
            State::Busy(join) => {
                let res = ready!(Pin::new(join).poll(cx));
                Poll::Ready(match res {
                    Ok((op, parts)) => {
                        self.state = State::Idle(Some(parts));
                        Ok(Some(op))
                    }
                    Err(e) => {
                        // The wrapped value is lost with the pool thread:
                        // every later operation fails the same way.
                        self.state = State::Idle(None);
                        Err(join_error(e))
                    }
                })
            }
        }
    }

    fn parts(&mut self) -> io::Result<&mut Parts<T>> {
        match &mut self.state {
            State::Idle(Some(parts)) => Ok(parts),
            State::Idle(None) => Err(io::Error::other(
                "the stream was lost by an earlier failed operation",
            )),
            State::Busy(_) => unreachable!("parts of a busy stream"),
        }
    }

    fn take_parts(&mut self) -> Parts<T> {
        match &mut self.state {
            State::Idle(parts) => parts.take().expect("checked by `parts`"),
            State::Busy(_) => unreachable!("parts of a busy stream"),
        }
    }

    /// Rule 2: keeps a write-behind error for the next write or flush.
    fn keep(&mut self, op: Op) -> io::Result<()> {
        match op {
            Op::Write(Err(e)) => self.last_write_err = Some(e),
            Op::Flush(Err(e)) => return Err(e),
            Op::Read(_) | Op::Write(Ok(())) | Op::Flush(Ok(())) => {}
        }
        Ok(())
    }
}

impl<T: Read + Send + 'static> AsyncRead for Blocking<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        dst: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        loop {
            let read_done = match ready!(me.poll_idle(cx))? {
                Some(Op::Read(res)) => {
                    res?;
                    true
                }
                Some(op) => {
                    me.keep(op)?;
                    false
                }
                None => false,
            };
            let parts = me.parts()?;
            // Rule 1; a read that just completed with nothing is the end of
            // the stream.
            if read_done || parts.pos < parts.buf.len() || dst.remaining() == 0 {
                let n = dst.remaining().min(parts.buf.len() - parts.pos);
                dst.put_slice(&parts.buf[parts.pos..parts.pos + n]);
                parts.pos += n;
                return Poll::Ready(Ok(()));
            }
            let max = dst.remaining().min(MAX_BUF);
            let mut parts = me.take_parts();
            me.state = State::Busy(spawn_blocking(move || {
                parts.buf.resize(max, 0);
                parts.pos = 0;
                let res = loop {
                    match parts.inner.read(&mut parts.buf) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        res => break res,
                    }
                };
                let n = *res.as_ref().unwrap_or(&0);
                parts.buf.truncate(n);
                (Op::Read(res.map(drop)), parts)
            }));
        }
    }
}

impl<T: Write + Send + 'static> Blocking<T> {
    /// Hands up to `MAX_BUF` of the `len` bytes `fill` copies to the pool
    /// for writing; returns how many were taken.
    fn poll_write_with(
        &mut self,
        cx: &mut Context<'_>,
        len: usize,
        fill: impl FnOnce(&mut Vec<u8>, usize),
    ) -> Poll<io::Result<usize>> {
        if let Some(op) = ready!(self.poll_idle(cx))? {
            self.keep(op)?;
        }
        if let Some(e) = self.last_write_err.take() {
            return Poll::Ready(Err(e));
        }
        self.parts()?;
        if len == 0 {
            return Poll::Ready(Ok(0));
        }
        let mut parts = self.take_parts();
        let n = len.min(MAX_BUF);
        parts.buf.clear();
        fill(&mut parts.buf, n);
        debug_assert_eq!(parts.buf.len(), n);
        parts.pos = 0;
        self.need_flush = true;
        self.state = State::Busy(spawn_blocking(move || {
            let res = parts.inner.write_all(&parts.buf);
            parts.buf.clear();
            (Op::Write(res), parts)
        }));
        Poll::Ready(Ok(n))
    }
}

impl<T: Write + Send + 'static> AsyncWrite for Blocking<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_write_with(cx, src.len(), |buf, n| buf.extend_from_slice(&src[..n]))
    }

    /// Takes bytes from every slice, in order, up to the buffer's limit.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|b| b.len()).sum();
        self.get_mut().poll_write_with(cx, len, |buf, mut n| {
            for b in bufs {
                let take = b.len().min(n);
                buf.extend_from_slice(&b[..take]);
                n -= take;
                if n == 0 {
                    break;
                }
            }
        })
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        loop {
            match ready!(me.poll_idle(cx))? {
                Some(Op::Flush(res)) => {
                    res?;
                    break;
                }
                Some(op) => me.keep(op)?,
                None => {
                    me.parts()?;
                    if !me.need_flush {
                        break;
                    }
                    me.need_flush = false;
                    let mut parts = me.take_parts();
                    me.state = State::Busy(spawn_blocking(move || {
                        let res = parts.inner.flush();
                        (Op::Flush(res), parts)
                    }));
                }
            }
        }
        Poll::Ready(match me.last_write_err.take() {
            Some(e) => Err(e),
            None => Ok(()),
        })
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl<T> fmt::Debug for Blocking<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Blocking")
            .field("busy", &matches!(self.state, State::Busy(_)))
            .field("need_flush", &self.need_flush)
            .finish()
    }
}
