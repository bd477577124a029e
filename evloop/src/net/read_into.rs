//! `try_read_buf`: a read from a socket straight into a `bytes::BufMut`'s
//! spare room, which may be uninitialized memory.

use std::io;
use std::os::fd::RawFd;

use bytes::BufMut;

/// One `read(2)` on `fd` into `buf.chunk_mut()`; advances `buf` by what
/// was read. Returns 0 at once if `buf` has no room.
pub(crate) fn read_fd_into<B: BufMut + ?Sized>(fd: RawFd, buf: &mut B) -> io::Result<usize> {
    if !buf.has_remaining_mut() {
        return Ok(0);
    }
    let dst = buf.chunk_mut();
    // SAFETY: `dst` is valid for writes of `dst.len()` bytes; `read` writes
    // at most that many and never reads them, so their being uninitialized
    // does not matter.
    let n = unsafe { libc::read(fd, dst.as_mut_ptr().cast(), dst.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    // SAFETY: the kernel initialized the first `n` bytes of the chunk.
    unsafe { buf.advance_mut(n) };
    Ok(n)
}
