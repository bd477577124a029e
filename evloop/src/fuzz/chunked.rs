//! A reader and a writer that move bytes in the chunks an input asks for,
//! return `Pending` (after waking) where it asks, and fail once at one
//! offset: the awkward peers the byte-path targets test against.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use arbitrary::Unstructured;

use crate::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How a peer moves bytes: chunk sizes (cycled), where it says `Pending`,
/// and the offset at which it fails once.
#[derive(Clone, Debug)]
pub(crate) struct Script {
    chunks: Vec<usize>,
    pending: Vec<bool>,
    pub(crate) fail_at: Option<usize>,
}

impl Script {
    /// A script from the input; `len` bounds the failure offset.
    pub(crate) fn arbitrary(u: &mut Unstructured<'_>, len: usize, may_fail: bool) -> Script {
        let n = u.int_in_range(1..=8).unwrap_or(1);
        let chunks = (0..n)
            .map(|_| u.int_in_range(1..=64usize).unwrap_or(1))
            .collect();
        // The first step never waits, so the peer always makes progress.
        let pending = (0..n)
            .map(|i| i > 0 && u.ratio(1, 4).unwrap_or(false))
            .collect();
        let fail_at = if may_fail && u.ratio(1, 3).unwrap_or(false) {
            Some(u.int_in_range(0..=len).unwrap_or(0))
        } else {
            None
        };
        Script {
            chunks,
            pending,
            fail_at,
        }
    }

    fn chunk(&self, step: usize) -> (usize, bool) {
        let i = step % self.chunks.len();
        (self.chunks[i], self.pending[i])
    }
}

/// The error a scripted peer fails with.
pub(crate) fn injected() -> io::Error {
    io::Error::other("injected failure")
}

/// Reads `data` as its script says.
#[derive(Debug)]
pub(crate) struct ChunkedReader {
    data: Vec<u8>,
    pos: usize,
    script: Script,
    step: usize,
    failed: bool,
    /// polls that returned `Pending`
    pub(crate) pendings: usize,
}

impl ChunkedReader {
    pub(crate) fn new(data: Vec<u8>, script: Script) -> ChunkedReader {
        ChunkedReader {
            data,
            pos: 0,
            script,
            step: 0,
            failed: false,
            pendings: 0,
        }
    }
}

impl AsyncRead for ChunkedReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let (chunk, pending) = this.script.chunk(this.step);
        this.step += 1;
        if pending {
            this.pendings += 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if !this.failed && this.script.fail_at == Some(this.pos) {
            this.failed = true;
            return Poll::Ready(Err(injected()));
        }
        let mut end = (this.pos + chunk).min(this.data.len());
        if let Some(at) = this
            .script
            .fail_at
            .filter(|&at| !this.failed && at > this.pos)
        {
            end = end.min(at);
        }
        let n = (end - this.pos).min(buf.remaining());
        buf.put_slice(&this.data[this.pos..this.pos + n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

/// Takes bytes as its script says; what it took is in `written`.
#[derive(Debug)]
pub(crate) struct ChunkedWriter {
    pub(crate) written: Vec<u8>,
    script: Script,
    step: usize,
    failed: bool,
    pub(crate) flushed: usize,
    pub(crate) shut_down: bool,
}

impl ChunkedWriter {
    pub(crate) fn new(script: Script) -> ChunkedWriter {
        ChunkedWriter {
            written: Vec::new(),
            script,
            step: 0,
            failed: false,
            flushed: 0,
            shut_down: false,
        }
    }

    fn pending(&mut self, cx: &mut Context<'_>) -> bool {
        let (_, pending) = self.script.chunk(self.step);
        if pending {
            self.step += 1;
            cx.waker().wake_by_ref();
        }
        pending
    }
}

impl AsyncWrite for ChunkedWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        assert!(!this.shut_down, "write after shutdown");
        if this.pending(cx) {
            return Poll::Pending;
        }
        let (chunk, _) = this.script.chunk(this.step);
        this.step += 1;
        if !this.failed && this.script.fail_at == Some(this.written.len()) {
            this.failed = true;
            return Poll::Ready(Err(injected()));
        }
        let mut n = chunk.min(buf.len());
        if let Some(at) = this.script.fail_at.filter(|_| !this.failed) {
            n = n.min(at - this.written.len());
        }
        this.written.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.pending(cx) {
            return Poll::Pending;
        }
        self.flushed = self.written.len();
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.pending(cx) {
            return Poll::Pending;
        }
        self.flushed = self.written.len();
        self.shut_down = true;
        Poll::Ready(Ok(()))
    }
}

/// Polls `fut` to completion without a runtime. Each `Pending` must have
/// woken the task first (else a wake was lost); gives up (a hang) after
/// `limit` polls.
pub(crate) fn drive<F: std::future::Future>(fut: F, limit: usize) -> F::Output {
    let flag = super::support::Flag::new();
    let mut fut = std::pin::pin!(fut);
    for _ in 0..limit {
        match super::support::poll_with(fut.as_mut(), &flag) {
            Poll::Ready(out) => return out,
            Poll::Pending => assert!(flag.take(), "Pending without a wake (lost wake)"),
        }
    }
    panic!("future not done after {limit} polls");
}
