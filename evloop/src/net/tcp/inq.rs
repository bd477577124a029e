//! Knowing that a TCP receive queue is empty without a failing `recv`.
//!
//! A stream read that fills less than its buffer drained the receive queue,
//! so its readiness can be cleared at once (`io::poll_evented`, rule 2). A
//! read that fills its whole buffer says nothing: without more, the next
//! read must try the socket and get `EAGAIN` before the task may sleep. A
//! protocol that reads exact sizes (a header, a fixed-size reply) pays that
//! failing syscall after every message.
//!
//! Linux's `TCP_INQ` socket option makes `recvmsg` return, as a control
//! message, the number of bytes still queued once the read is done. With it a
//! full read that emptied the queue is known to have done so.
//!
//! # Rules
//!
//! 1. The option is switched on lazily, by the first read that fills its
//!    whole buffer: streams whose reads come back short never need it and
//!    never pay the `setsockopt`.
//! 2. If `setsockopt` fails (a kernel without `TCP_INQ`), the stream keeps
//!    plain reads for good. The state is a relaxed atomic: two readers racing
//!    to switch it on at most set the option twice, which is idempotent.
//! 3. A remainder of zero means the queue was empty when the read released
//!    the socket. Every byte that arrives later makes epoll report the socket
//!    again (a new event, a new tick), so clearing read readiness with the
//!    tick observed *before* the read never loses data: the same argument as
//!    for a short read.
//! 4. The kernel reports 1, not 0, once the peer's FIN is queued: readiness
//!    stays, and the next read returns end of stream.
//! 5. A stream handed out as a std stream (`TcpStream::into_std`) gets the
//!    option switched off again: its new owner's `recvmsg` calls must not
//!    find control messages they never asked for.
//!
//! The option is Linux's, so this file is compiled only there (and on
//! Android); other systems use `inq_portable.rs`, which has the same
//! `Inq` type and always reads plainly.
//!
//! Rejected: reading into the caller's buffer plus a private overflow byte
//! (`readv`) to learn whether more was queued. The overflow byte would have
//! to be handed to the next read, to `peek`, `try_read` and `into_std`.

use std::io::{self, Read};
use std::os::fd::{AsRawFd, RawFd};

use crate::io::poll_evented::Received;
use crate::loom::sync::atomic::{AtomicU8, Ordering::Relaxed};

/// Not yet needed: plain reads.
const UNSET: u8 = 0;
/// `TCP_INQ` is on: reads go through `recvmsg` (rule 1).
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
const ON: u8 = 1;
/// `setsockopt` failed: plain reads for good (rule 2).
const UNSUPPORTED: u8 = 2;

/// Per-stream state of the `TCP_INQ` option.
#[derive(Debug)]
pub(crate) struct Inq {
    state: AtomicU8,
}

impl Inq {
    pub(crate) fn new() -> Inq {
        Inq {
            state: AtomicU8::new(UNSET),
        }
    }

    /// Reads from `sock` into `dst` and reports whether the receive queue
    /// was drained by it.
    pub(crate) fn read(&self, sock: &mio::net::TcpStream, dst: &mut [u8]) -> io::Result<Received> {
        if self.state.load(Relaxed) == ON {
            let (n, left) = recv_with_inq(sock.as_raw_fd(), dst)?;
            let drained = n > 0
                && match left {
                    // Rules 3 and 4.
                    Some(left) => left == 0,
                    None => n < dst.len(),
                };
            return Ok(Received { n, drained });
        }
        let mut io = sock;
        let n = io.read(dst)?;
        if n > 0 && n == dst.len() {
            self.switch_on(sock);
        }
        Ok(Received {
            n,
            drained: n > 0 && n < dst.len(),
        })
    }

    /// Rule 1 and rule 2.
    fn switch_on(&self, sock: &mio::net::TcpStream) {
        if self.state.load(Relaxed) != UNSET {
            return;
        }
        let next = match set_inq(sock.as_raw_fd(), true) {
            Ok(()) => ON,
            Err(_) => UNSUPPORTED,
        };
        self.state.store(next, Relaxed);
    }

    /// Rule 5: switches the option off before `sock` leaves the runtime.
    pub(crate) fn release(&self, sock: &mio::net::TcpStream) -> io::Result<()> {
        if self.state.load(Relaxed) == ON {
            set_inq(sock.as_raw_fd(), false)?;
            self.state.store(UNSET, Relaxed);
        }
        Ok(())
    }

    #[cfg(all(test, any(target_os = "linux", target_os = "android")))]
    pub(crate) fn is_on(&self) -> bool {
        self.state.load(Relaxed) == ON
    }
}

/// Switches `TCP_INQ` on `fd` on or off.
fn set_inq(fd: RawFd, on: bool) -> io::Result<()> {
    let on = libc::c_int::from(on);
    // SAFETY: `setsockopt` reads `size_of::<c_int>()` bytes from a live
    // local; an invalid fd or option is reported through the return value.
    let res = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_TCP,
            libc::TCP_INQ,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if res == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `recv` into `buf` through `recvmsg`; returns the byte count and, if the
/// kernel sent the `TCP_CM_INQ` control message, the bytes left queued.
fn recv_with_inq(fd: RawFd, buf: &mut [u8]) -> io::Result<(usize, Option<usize>)> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // Room for one control message carrying a `c_int` (CMSG_SPACE(4) is 24
    // bytes on 64-bit Linux, 16 on 32-bit), aligned like `cmsghdr`.
    let mut control = [0u64; 4];
    // SAFETY: `msghdr` is a plain C struct for which all-zero bytes are a
    // valid value (no buffers, no flags).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: `msg` points at one iovec describing `buf` (writable for its
    // length) and at `control` (writable for `msg_controllen` bytes); all of
    // them outlive the call.
    let n = unsafe { libc::recvmsg(fd, &mut msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut left = None;
    // SAFETY: `msg` was filled in by `recvmsg`: `msg_control` and the
    // `msg_controllen` it set describe initialized control messages.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
    while !cmsg.is_null() {
        // SAFETY: a non-null pointer from CMSG_FIRSTHDR/CMSG_NXTHDR points at
        // a complete `cmsghdr` inside `control`.
        let hdr = unsafe { &*cmsg };
        if hdr.cmsg_level == libc::SOL_TCP && hdr.cmsg_type == libc::TCP_CM_INQ {
            // SAFETY: a `TCP_CM_INQ` message carries one `c_int` right after
            // its header, inside `control`; it may be unaligned.
            let value = unsafe { libc::CMSG_DATA(cmsg).cast::<libc::c_int>().read_unaligned() };
            left = usize::try_from(value).ok();
        }
        // SAFETY: `cmsg` is a control message of `msg` (see above).
        cmsg = unsafe { libc::CMSG_NXTHDR(&msg, cmsg) };
    }
    Ok((n as usize, left))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let a = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (b, _) = listener.accept().unwrap();
        (a, b)
    }

    /// Waits (blocking `poll`) until `sock` has `events` pending.
    fn wait_for(sock: &TcpStream, events: libc::c_short) {
        let mut pfd = libc::pollfd {
            fd: sock.as_raw_fd(),
            events,
            revents: 0,
        };
        // SAFETY: one valid `pollfd`, length 1.
        let res = unsafe { libc::poll(&mut pfd, 1, 5_000) };
        assert_eq!(res, 1, "socket never became ready");
    }

    #[test]
    fn reports_what_is_left_and_keeps_one_for_fin() {
        let (mut a, b) = pair();
        set_inq(b.as_raw_fd(), true).unwrap();
        a.write_all(&[7u8; 100]).unwrap();
        // Wait for all 100 bytes (loopback may deliver in pieces).
        let mut got = 0;
        let mut buf = [0u8; 60];
        let (n, left) = loop {
            wait_for(&b, libc::POLLIN);
            let mut peek = [0u8; 100];
            // SAFETY: `peek` is writable for its length.
            let queued = unsafe {
                libc::recv(
                    b.as_raw_fd(),
                    peek.as_mut_ptr().cast(),
                    peek.len(),
                    libc::MSG_PEEK,
                )
            };
            if queued == 100 {
                break recv_with_inq(b.as_raw_fd(), &mut buf).unwrap();
            }
        };
        assert_eq!((n, left), (60, Some(40)));
        got += n;
        let (n, left) = recv_with_inq(b.as_raw_fd(), &mut buf).unwrap();
        assert_eq!((n, left), (40, Some(0)));
        got += n;
        assert_eq!(got, 100);

        // Data followed by FIN: the last data read reports 1 (rule 4).
        a.write_all(&[1u8; 8]).unwrap();
        a.shutdown(std::net::Shutdown::Write).unwrap();
        wait_for(&b, libc::POLLRDHUP);
        let mut buf = [0u8; 8];
        let (n, left) = recv_with_inq(b.as_raw_fd(), &mut buf).unwrap();
        assert_eq!((n, left), (8, Some(1)));
        let (n, _) = recv_with_inq(b.as_raw_fd(), &mut buf).unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn empty_queue_is_would_block() {
        let (_a, b) = pair();
        b.set_nonblocking(true).unwrap();
        set_inq(b.as_raw_fd(), true).unwrap();
        let err = recv_with_inq(b.as_raw_fd(), &mut [0u8; 4]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn switched_on_by_a_full_read_only() {
        let (mut a, b) = pair();
        let b = mio::net::TcpStream::from_std(b);
        let inq = Inq::new();
        a.write_all(&[3u8; 10]).unwrap();
        let mut buf = [0u8; 64];
        loop {
            match inq.read(&b, &mut buf) {
                Ok(r) => {
                    assert_eq!(r.n, 10);
                    assert!(r.drained, "a short read drains");
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                Err(e) => panic!("{e}"),
            }
        }
        assert!(!inq.is_on(), "short reads never need TCP_INQ");
        a.write_all(&[4u8; 20]).unwrap();
        let mut exact = [0u8; 10];
        let r = loop {
            match inq.read(&b, &mut exact) {
                Ok(r) => break r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(r.n, 10);
        assert!(!r.drained, "a full plain read knows nothing");
        assert!(inq.is_on());
        // The next full read knows: 10 bytes were left, now none.
        let r = inq.read(&b, &mut exact).unwrap();
        assert_eq!(r.n, 10);
        assert!(r.drained);
        assert_eq!(exact, [4u8; 10]);
    }
}
