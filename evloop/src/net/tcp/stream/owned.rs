//! The owned-buffer methods of [`TcpStream`]: `read_owned` and
//! `write_owned` (`io::owned` has the buffer traits and why they own).
//!
//! On the io_uring driver they are completion operations (`IORING_OP_RECV`,
//! `IORING_OP_SEND`, `io::uring_op`); on epoll they wait for readiness and
//! make the system call into the buffer. Either way the result is the same.
//!
//! # Rules
//!
//! 1. A completion that reports `EAGAIN` (the kernel may answer so for a
//!    non-blocking socket) falls back to the readiness path for that call:
//!    wait for readiness, then submit again.
//! 2. Not cancel-safe in the tokio sense for reads: a dropped `read_owned`
//!    whose receive already completed loses those bytes with its buffer.
//!    The buffer itself is never freed while the kernel uses it (rule 2 of
//!    `io::uring_op`).

use std::io;
use std::os::fd::AsRawFd;

#[cfg(target_os = "linux")]
use super::Real;
use super::{Kind, TcpStream};
use crate::io::{BufResult, Interest, IoBuf, IoBufMut};

impl TcpStream {
    /// Reads into `buf` (from its start, at most
    /// [`bytes_total`](IoBuf::bytes_total) bytes) and gives it back with the
    /// count; `Ok(0)` is end of stream. The buffer is marked initialized up
    /// to the count ([`IoBufMut::set_init`]: a `Vec`'s length grows to it).
    ///
    /// The shape of tokio-uring's and monoio's `read`: the buffer is owned
    /// by the operation, so the io_uring driver can let the kernel fill it
    /// with no readiness round trip. On the epoll driver it waits for
    /// readiness and reads.
    ///
    /// Not cancel-safe: data received by a dropped call is lost (the buffer
    /// is kept until the kernel is done with it, then freed).
    ///
    /// ```
    /// # evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use evloop::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (server, _) = listener.accept().await?;
    /// let (n, _) = server.write_owned(b"ping".as_slice()).await;
    /// assert_eq!(n?, 4);
    /// let (n, buf) = client.read_owned(Vec::with_capacity(16)).await;
    /// assert_eq!(&buf[..n?], b"ping");
    /// # let _ = &mut client;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn read_owned<B: IoBufMut>(&self, mut buf: B) -> BufResult<usize, B> {
        let real = match &self.kind {
            Kind::Real(real) => real,
            Kind::Sim(sim) => return sim_read(sim, buf).await,
        };
        let fd = real.io.as_raw_fd();
        #[cfg(target_os = "linux")]
        if real.io.registration().handle().ring().is_some() {
            return uring_read(real, buf).await;
        }
        let res = real
            .io
            .registration()
            .async_io(Interest::READABLE, || {
                // SAFETY: `buf` owns `bytes_total` writable bytes at its
                // stable pointer (`IoBufMut`'s contract).
                cvt(unsafe { libc::recv(fd, buf.stable_mut_ptr().cast(), buf.bytes_total(), 0) })
            })
            .await;
        if let Ok(n) = res {
            // SAFETY: the kernel initialized `n` bytes.
            unsafe { buf.set_init(n) };
        }
        (res, buf)
    }

    /// Writes `buf`'s initialized bytes (some of them: the count says how
    /// many) and gives it back. The shape of tokio-uring's and monoio's
    /// `write`; on io_uring a completion operation, on epoll a readiness
    /// wait and a `send`. Like [`write`](crate::io::AsyncWriteExt::write),
    /// it may write fewer bytes than given.
    pub async fn write_owned<B: IoBuf>(&self, buf: B) -> BufResult<usize, B> {
        let real = match &self.kind {
            Kind::Real(real) => real,
            Kind::Sim(sim) => {
                // SAFETY: `buf` holds `bytes_init` initialized bytes at its
                // stable pointer (`IoBuf`'s contract).
                let bytes =
                    unsafe { std::slice::from_raw_parts(buf.stable_ptr(), buf.bytes_init()) };
                let res = sim.write(bytes);
                return (res, buf);
            }
        };
        let fd = real.io.as_raw_fd();
        #[cfg(target_os = "linux")]
        if real.io.registration().handle().ring().is_some() {
            return uring_write(real, buf).await;
        }
        let res = real
            .io
            .registration()
            .async_io(Interest::WRITABLE, || {
                let (ptr, len) = (buf.stable_ptr(), buf.bytes_init());
                // SAFETY: `buf` holds `bytes_init` initialized bytes at its
                // stable pointer (`IoBuf`'s contract).
                cvt(unsafe { libc::send(fd, ptr.cast(), len, libc::MSG_NOSIGNAL) })
            })
            .await;
        (res, buf)
    }
}

/// The io_uring path of `read_owned` (rule 1).
#[cfg(target_os = "linux")]
async fn uring_read<B: IoBufMut>(real: &Real, mut buf: B) -> BufResult<usize, B> {
    use crate::io::uring_op::Op;
    let (handle, fd) = (real.io.registration().handle(), real.io.as_raw_fd());
    let mut event = None;
    loop {
        let (res, back) = match Op::recv(handle, fd, buf) {
            Ok(op) => op.await,
            Err((e, b)) => return (Err(e), b),
        };
        buf = back;
        match after(real, res, Interest::READABLE, &mut event).await {
            Some(Ok(n)) => {
                // SAFETY: the kernel initialized `n` bytes.
                unsafe { buf.set_init(n) };
                return (Ok(n), buf);
            }
            Some(Err(e)) => return (Err(e), buf),
            None => continue,
        }
    }
}

/// The io_uring path of `write_owned` (rule 1).
#[cfg(target_os = "linux")]
async fn uring_write<B: IoBuf>(real: &Real, mut buf: B) -> BufResult<usize, B> {
    use crate::io::uring_op::Op;
    let (handle, fd) = (real.io.registration().handle(), real.io.as_raw_fd());
    let mut event = None;
    loop {
        let (res, back) = match Op::send(handle, fd, buf) {
            Ok(op) => op.await,
            Err((e, b)) => return (Err(e), b),
        };
        buf = back;
        match after(real, res, Interest::WRITABLE, &mut event).await {
            Some(result) => return (result, buf),
            None => continue,
        }
    }
}

/// Rule 1: `None` means "try again": `EAGAIN` cleared the readiness
/// seen before this attempt (if any) and a readiness event came.
#[cfg(target_os = "linux")]
async fn after(
    real: &Real,
    res: i32,
    interest: Interest,
    event: &mut Option<crate::io::scheduled_io::ReadyEvent>,
) -> Option<io::Result<usize>> {
    if res != -libc::EAGAIN {
        return Some(crate::io::uring_op::to_result(res));
    }
    let registration = real.io.registration();
    if let Some(seen) = event.take() {
        registration.clear_readiness(seen);
    }
    match registration.readiness(interest).await {
        Ok(seen) => {
            *event = Some(seen);
            None
        }
        Err(e) => Some(Err(e)),
    }
}

/// `read_owned` on a simulated stream: a read into the buffer's bytes.
async fn sim_read<B: IoBufMut>(
    sim: &crate::sim::net::tcp::SimStream,
    mut buf: B,
) -> BufResult<usize, B> {
    // SAFETY: `buf` owns `bytes_total` writable bytes at its stable
    // pointer (`IoBufMut`'s contract); `ReadBuf` only writes initialized
    // bytes into them.
    let dst = unsafe {
        std::slice::from_raw_parts_mut(
            buf.stable_mut_ptr().cast::<std::mem::MaybeUninit<u8>>(),
            buf.bytes_total(),
        )
    };
    let mut read = crate::io::ReadBuf::uninit(dst);
    let res = std::future::poll_fn(|cx| sim.poll_read(cx, &mut read, false)).await;
    if let Ok(n) = res {
        // SAFETY: `poll_read` initialized and filled `n` bytes.
        unsafe { buf.set_init(n) };
    }
    (res, buf)
}

fn cvt(n: isize) -> io::Result<usize> {
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}
