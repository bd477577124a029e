//! [`PollEvented`]: a mio source plus its registration; the building block of
//! every socket type.
//!
//! # Rules
//!
//! 1. `io` is `Some` from construction until `into_inner` or drop; on drop the
//!    source is deregistered from the reactor, then closed, then its slot is
//!    released (the `Registration` field drops last).
//! 2. A read that drained the kernel's receive queue clears read readiness
//!    at once, with the tick observed before the read (edge-triggered epoll
//!    reports any later data as a new event with a new tick). On a stream
//!    socket a read that fills less than the buffer drained it; TCP streams
//!    also learn it for full reads (`net::tcp::inq`).
//! 3. Likewise a write that took less than all it was given on a stream
//!    socket found the send buffer full: the kernel marked the socket as
//!    waiting for space, and reports writability again as a new event. Write
//!    readiness is cleared at once, so the next write waits for that event
//!    instead of failing with `WouldBlock` first.

use std::fmt;
use std::io::{self, Read, Write};
use std::ops::Deref;
use std::os::fd::AsRawFd;
use std::task::{Context, Poll};

use mio::event::Source;

use crate::io::reactor::IoHandle;
use crate::io::registration::Registration;
use crate::io::{Interest, ReadBuf};

/// What one read returned, for rule 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Received {
    /// Bytes read; 0 is end of stream.
    pub(crate) n: usize,
    /// The receive queue is known to be empty after this read.
    pub(crate) drained: bool,
}

pub(crate) struct PollEvented<E: Source + AsRawFd> {
    io: Option<E>,
    registration: Registration,
}

impl<E: Source + AsRawFd> PollEvented<E> {
    /// Registers `io` for reads and writes with the current reactor.
    pub(crate) fn new(io: E) -> io::Result<PollEvented<E>> {
        PollEvented::new_with_interest(io, Interest::READABLE | Interest::WRITABLE)
    }

    pub(crate) fn new_with_interest(io: E, interest: Interest) -> io::Result<PollEvented<E>> {
        PollEvented::new_with_handle(io, interest, IoHandle::current()?)
    }

    pub(crate) fn new_with_handle(
        mut io: E,
        interest: Interest,
        handle: IoHandle,
    ) -> io::Result<PollEvented<E>> {
        let registration = Registration::new_with_handle(&mut io, interest, handle)?;
        Ok(PollEvented {
            io: Some(io),
            registration,
        })
    }

    pub(crate) fn registration(&self) -> &Registration {
        &self.registration
    }

    /// Deregisters and returns the source (rule 1).
    pub(crate) fn into_inner(mut self) -> io::Result<E> {
        let mut io = self.io.take().expect("PollEvented without io");
        self.registration.deregister(&mut io)?;
        Ok(io)
    }

    fn io(&self) -> &E {
        self.io.as_ref().expect("PollEvented without io")
    }

    /// Reads into `buf`, waiting for readability.
    #[track_caller]
    pub(crate) fn poll_read<'a>(
        &'a self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>>
    where
        &'a E: Read,
    {
        self.poll_read_with(cx, buf, |dst| {
            let mut io = self.io();
            let n = io.read(dst)?;
            // Rule 2: a short read on a stream drained the queue.
            Ok(Received {
                n,
                drained: n > 0 && n < dst.len(),
            })
        })
    }

    /// Reads into `buf` with `read`, waiting for readability; `read` says
    /// whether it drained the receive queue (rule 2).
    #[track_caller]
    pub(crate) fn poll_read_with(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
        mut read: impl FnMut(&mut [u8]) -> io::Result<Received>,
    ) -> Poll<io::Result<()>> {
        loop {
            let event = match self.registration.poll_read_ready(cx) {
                Poll::Ready(Ok(event)) => event,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match read(buf.initialize_unfilled()) {
                Ok(received) => {
                    // Rule 2.
                    if received.drained {
                        self.registration.clear_readiness(event);
                    }
                    buf.advance(received.n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.registration.clear_readiness(event)
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    #[track_caller]
    pub(crate) fn poll_write<'a>(
        &'a self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>>
    where
        &'a E: Write,
    {
        self.poll_write_with(cx, buf.len(), || self.io().write(buf))
    }

    #[track_caller]
    pub(crate) fn poll_write_vectored<'a>(
        &'a self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>>
    where
        &'a E: Write,
    {
        let len = bufs.iter().map(|b| b.len()).sum();
        self.poll_write_with(cx, len, || self.io().write_vectored(bufs))
    }

    /// Waits for writability and runs `write` (which was given `len`
    /// bytes); rule 3.
    #[track_caller]
    fn poll_write_with(
        &self,
        cx: &mut Context<'_>,
        len: usize,
        mut write: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            let event = match self.registration.poll_write_ready(cx) {
                Poll::Ready(Ok(event)) => event,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match write() {
                Ok(n) => {
                    // Rule 3.
                    if n > 0 && n < len {
                        self.registration.clear_readiness(event);
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.registration.clear_readiness(event)
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl<E: Source + AsRawFd> Deref for PollEvented<E> {
    type Target = E;

    fn deref(&self) -> &E {
        self.io()
    }
}

impl<E: Source + AsRawFd> Drop for PollEvented<E> {
    fn drop(&mut self) {
        // Rule 1.
        if let Some(mut io) = self.io.take() {
            let _ = self.registration.deregister(&mut io);
            drop(io);
        }
    }
}

impl<E: Source + AsRawFd + fmt::Debug> fmt::Debug for PollEvented<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollEvented").field("io", &self.io).finish()
    }
}
