//! [`Op`]: one completion operation on the io_uring driver (a `recv`, a
//! `send`, a file `read` or `write`) as a future that owns its buffer.
//!
//! # Rules
//!
//! 1. The buffer moves into the `Op` before the entry is pushed, and its
//!    address (a heap block, `IoBuf`'s contract) is what the kernel uses;
//!    the `Op` gives it back only with the result (`op_state` rule 1).
//! 2. Dropping an `Op` in flight hands the buffer to its `OpState` and asks
//!    the kernel to cancel (`op_state` rule 2); the reaping thread frees it.
//! 3. The entry is submitted with the next park, or at once when the ring's
//!    thread may be blocked (`uring` rule 7), so a task polled on any
//!    worker (a stolen one too) gets its completion from whichever thread
//!    parks the ring, through the waker stored in the `OpState`.

use std::future::Future;
use std::io;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use io_uring::{opcode, squeue, types};

use crate::io::op_state::{Abandoned, OpState};
use crate::io::reactor::IoHandle;
use crate::io::{IoBuf, IoBufMut};
use crate::loom::sync::Arc;

/// An operation in flight with its buffer `B`.
pub(crate) struct Op<B: Send + 'static> {
    handle: IoHandle,
    user_data: u64,
    state: Option<Arc<OpState>>,
    buf: Option<B>,
}

impl<B: Send + Unpin + 'static> Op<B> {
    /// Pushes `entry` (which points into `buf`) on `handle`'s ring.
    fn start(handle: &IoHandle, entry: squeue::Entry, buf: B) -> Result<Op<B>, (io::Error, B)> {
        let state = Arc::new(OpState::default());
        match handle.push_op(entry, state.clone()) {
            Ok(user_data) => Ok(Op {
                handle: handle.clone(),
                user_data,
                state: Some(state),
                buf: Some(buf),
            }),
            Err(e) => Err((e, buf)),
        }
    }
}

impl<B: IoBufMut> Op<B> {
    /// `recv(fd, buf[..bytes_total])`.
    pub(crate) fn recv(handle: &IoHandle, fd: RawFd, mut buf: B) -> Result<Op<B>, (io::Error, B)> {
        let len = buf.bytes_total().min(u32::MAX as usize) as u32;
        let entry = opcode::Recv::new(types::Fd(fd), buf.stable_mut_ptr(), len).build();
        Op::start(handle, entry, buf)
    }

    /// `pread(fd, buf[..bytes_total], offset)`.
    pub(crate) fn read_at(
        handle: &IoHandle,
        fd: RawFd,
        mut buf: B,
        offset: u64,
    ) -> Result<Op<B>, (io::Error, B)> {
        let len = buf.bytes_total().min(u32::MAX as usize) as u32;
        let entry = opcode::Read::new(types::Fd(fd), buf.stable_mut_ptr(), len)
            .offset(offset)
            .build();
        Op::start(handle, entry, buf)
    }
}

impl<B: IoBuf> Op<B> {
    /// `send(fd, buf[..bytes_init], MSG_NOSIGNAL)`.
    pub(crate) fn send(handle: &IoHandle, fd: RawFd, buf: B) -> Result<Op<B>, (io::Error, B)> {
        let len = buf.bytes_init().min(u32::MAX as usize) as u32;
        let entry = opcode::Send::new(types::Fd(fd), buf.stable_ptr(), len)
            .flags(libc::MSG_NOSIGNAL)
            .build();
        Op::start(handle, entry, buf)
    }

    /// `pwrite(fd, buf[..bytes_init], offset)`.
    pub(crate) fn write_at(
        handle: &IoHandle,
        fd: RawFd,
        buf: B,
        offset: u64,
    ) -> Result<Op<B>, (io::Error, B)> {
        let len = buf.bytes_init().min(u32::MAX as usize) as u32;
        let entry = opcode::Write::new(types::Fd(fd), buf.stable_ptr(), len)
            .offset(offset)
            .build();
        Op::start(handle, entry, buf)
    }
}

impl<B: Send + Unpin + 'static> Future for Op<B> {
    /// The completion's result (`cqe.res`: a count, or `-errno`) and the
    /// buffer.
    type Output = (i32, B);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<(i32, B)> {
        let this = self.get_mut();
        let state = this.state.as_ref().expect("Op polled after completion");
        let res = std::task::ready!(state.poll(cx));
        this.state = None;
        Poll::Ready((res, this.buf.take().expect("Op without its buffer")))
    }
}

impl<B: Send + 'static> Drop for Op<B> {
    fn drop(&mut self) {
        // Rule 2.
        let (Some(state), Some(buf)) = (self.state.take(), self.buf.take()) else {
            return;
        };
        match state.abandon(Box::new(buf)) {
            Abandoned::Done(buf) => drop(buf),
            Abandoned::Kept => self.handle.cancel_op(self.user_data),
        }
    }
}

/// A completion result as an `io::Result`.
pub(crate) fn to_result(res: i32) -> io::Result<usize> {
    if res < 0 {
        Err(io::Error::from_raw_os_error(-res))
    } else {
        Ok(res as usize)
    }
}
