//! `File`'s positional owned-buffer methods: `read_at_owned` and
//! `write_at_owned`.
//!
//! On the io_uring driver they are completion operations
//! (`IORING_OP_READ`/`IORING_OP_WRITE` at an offset, `io::uring_op`): no
//! trip to the blocking pool. Otherwise `pread`/`pwrite` on the blocking
//! pool. They neither use nor move the file's cursor, and bypass its
//! read-ahead and write-behind buffer (like `std::os::unix::fs::FileExt`):
//! call [`flush`](crate::io::AsyncWriteExt::flush) first if cursor writes
//! may be pending.

use std::io;
use std::os::fd::AsRawFd;

use super::File;
use crate::io::{BufResult, IoBuf, IoBufMut};

impl File {
    /// Reads into `buf` (from its start, at most
    /// [`bytes_total`](IoBuf::bytes_total) bytes) from offset `pos`, and
    /// gives it back with the count (`Ok(0)`: `pos` is at or past the
    /// end). The shape of tokio-uring's `File::read_at`.
    ///
    /// Not cancel-safe: a dropped call may still read (the buffer is kept
    /// until the kernel is done with it, then freed).
    ///
    /// # Panics
    ///
    /// Without io_uring, if the runtime shuts down before the blocking pool
    /// ran the read (the buffer is gone with it).
    ///
    /// ```
    /// # evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("evloop-read-at-{}", std::process::id()));
    /// std::fs::write(&path, b"0123456789")?;
    /// let file = evloop::fs::File::open(&path).await?;
    /// let (n, buf) = file.read_at_owned(Vec::with_capacity(4), 3).await;
    /// assert_eq!(&buf[..n?], b"3456");
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn read_at_owned<B: IoBufMut>(&self, mut buf: B, pos: u64) -> BufResult<usize, B> {
        #[cfg(target_os = "linux")]
        if let Ok(handle) = crate::io::IoHandle::current() {
            if handle.ring().is_some() {
                use crate::io::uring_op::{to_result, Op};
                let (res, mut buf) = match Op::read_at(&handle, self.std.as_raw_fd(), buf, pos) {
                    Ok(op) => op.await,
                    Err((e, b)) => return (Err(e), b),
                };
                let res = to_result(res);
                if let Ok(n) = res {
                    // SAFETY: the kernel initialized `n` bytes.
                    unsafe { buf.set_init(n) };
                }
                return (res, buf);
            }
        }
        let std = self.std.clone();
        let (res, mut buf) = on_pool(move || {
            let (ptr, len) = (buf.stable_mut_ptr(), buf.bytes_total());
            // SAFETY: `buf` owns `len` writable bytes at its stable
            // pointer, and the closure owns `buf`.
            let res =
                cvt(unsafe { libc::pread(std.as_raw_fd(), ptr.cast(), len, pos as libc::off_t) });
            (res, buf)
        })
        .await;
        if let Ok(n) = res {
            // SAFETY: the kernel initialized `n` bytes.
            unsafe { buf.set_init(n) };
        }
        (res, buf)
    }

    /// Writes `buf`'s initialized bytes (some of them: the count says how
    /// many) at offset `pos`, and gives it back. The shape of
    /// tokio-uring's `File::write_at`.
    ///
    /// # Panics
    ///
    /// As [`read_at_owned`](Self::read_at_owned).
    pub async fn write_at_owned<B: IoBuf>(&self, buf: B, pos: u64) -> BufResult<usize, B> {
        #[cfg(target_os = "linux")]
        if let Ok(handle) = crate::io::IoHandle::current() {
            if handle.ring().is_some() {
                use crate::io::uring_op::{to_result, Op};
                return match Op::write_at(&handle, self.std.as_raw_fd(), buf, pos) {
                    Ok(op) => {
                        let (res, buf) = op.await;
                        (to_result(res), buf)
                    }
                    Err((e, b)) => (Err(e), b),
                };
            }
        }
        let std = self.std.clone();
        on_pool(move || {
            let (ptr, len) = (buf.stable_ptr(), buf.bytes_init());
            // SAFETY: `len` initialized bytes at the buffer's stable
            // pointer, owned by the closure.
            let res =
                cvt(unsafe { libc::pwrite(std.as_raw_fd(), ptr.cast(), len, pos as libc::off_t) });
            (res, buf)
        })
        .await
    }
}

/// Runs `f` on the blocking pool. The closure owns the buffer, so a
/// dropped caller never frees it under a running `pread`/`pwrite`.
///
/// # Panics
///
/// If `f` panicked (the panic is resumed), or if the runtime shut down
/// before `f` ran (the buffer went with it).
async fn on_pool<B: Send + 'static>(
    f: impl FnOnce() -> (io::Result<usize>, B) + Send + 'static,
) -> (io::Result<usize>, B) {
    match crate::task::spawn_blocking(f).await {
        Ok(out) => out,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => panic!("the runtime shut down before the file operation ran"),
    }
}

fn cvt(n: isize) -> io::Result<usize> {
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}
