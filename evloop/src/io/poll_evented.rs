//! [`PollEvented`]: a mio source plus its registration; the building block of
//! every socket type.
//!
//! # Rules
//!
//! 1. `io` is `Some` from construction until `into_inner` or drop; on drop the
//!    source is deregistered from the reactor, then closed, then its slot is
//!    released (the `Registration` field drops last).
//! 2. A read that fills less than the buffer on a stream socket means the
//!    kernel buffer was drained: readiness is cleared at once (edge-triggered
//!    epoll will report new data as a new event with a new tick).

use std::fmt;
use std::io::{self, Read, Write};
use std::ops::Deref;
use std::task::{Context, Poll};

use mio::event::Source;

use crate::io::driver::Handle;
use crate::io::registration::Registration;
use crate::io::scheduled_io::Direction;
use crate::io::{Interest, ReadBuf};

pub(crate) struct PollEvented<E: Source> {
    io: Option<E>,
    registration: Registration,
}

impl<E: Source> PollEvented<E> {
    /// Registers `io` for reads and writes with the current reactor.
    pub(crate) fn new(io: E) -> io::Result<PollEvented<E>> {
        PollEvented::new_with_interest(io, Interest::READABLE | Interest::WRITABLE)
    }

    pub(crate) fn new_with_interest(io: E, interest: Interest) -> io::Result<PollEvented<E>> {
        PollEvented::new_with_handle(io, interest, Handle::current()?)
    }

    pub(crate) fn new_with_handle(
        mut io: E,
        interest: Interest,
        handle: Handle,
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
    pub(crate) fn poll_read<'a>(
        &'a self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>>
    where
        &'a E: Read,
    {
        loop {
            let event = match self.registration.poll_read_ready(cx) {
                Poll::Ready(Ok(event)) => event,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            let dst = buf.initialize_unfilled();
            let len = dst.len();
            let mut io = self.io();
            match io.read(dst) {
                Ok(n) => {
                    // Rule 2.
                    if n > 0 && n < len {
                        self.registration.clear_readiness(event);
                    }
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.registration.clear_readiness(event)
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    pub(crate) fn poll_write<'a>(
        &'a self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>>
    where
        &'a E: Write,
    {
        self.registration
            .poll_io(cx, Direction::Write, || self.io().write(buf))
    }

    pub(crate) fn poll_write_vectored<'a>(
        &'a self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>>
    where
        &'a E: Write,
    {
        self.registration
            .poll_io(cx, Direction::Write, || self.io().write_vectored(bufs))
    }
}

impl<E: Source> Deref for PollEvented<E> {
    type Target = E;

    fn deref(&self) -> &E {
        self.io()
    }
}

impl<E: Source> Drop for PollEvented<E> {
    fn drop(&mut self) {
        // Rule 1.
        if let Some(mut io) = self.io.take() {
            let _ = self.registration.deregister(&mut io);
            drop(io);
        }
    }
}

impl<E: Source + fmt::Debug> fmt::Debug for PollEvented<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollEvented").field("io", &self.io).finish()
    }
}
