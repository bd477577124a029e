//! The receive-queue check on systems without `TCP_INQ`: plain reads.
//!
//! Same `Inq` type as `inq.rs` (Linux), with none of its state: a read
//! reports the queue drained only when it came back short, so a read that
//! fills its whole buffer is followed by one that tries the socket and gets
//! `EAGAIN` before the task sleeps (`inq.rs` explains what that costs).
//!
//! Compiled on Linux too under `cfg(test)`, so its tests run where CI runs.

use std::io::{self, Read};

use crate::io::poll_evented::Received;

/// Plain reads; the portable stand-in for `inq::Inq`.
#[derive(Debug)]
pub(crate) struct Inq;

impl Inq {
    pub(crate) fn new() -> Inq {
        Inq
    }

    /// Reads from `sock` into `dst`; the queue was drained when the read
    /// was short.
    pub(crate) fn read(&self, sock: &mio::net::TcpStream, dst: &mut [u8]) -> io::Result<Received> {
        let mut io = sock;
        let n = io.read(dst)?;
        Ok(Received {
            n,
            drained: n > 0 && n < dst.len(),
        })
    }

    /// Nothing was switched on, so nothing to undo before `sock` leaves
    /// the runtime.
    pub(crate) fn release(&self, _sock: &mio::net::TcpStream) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    fn read_blocking(inq: &Inq, sock: &mio::net::TcpStream, buf: &mut [u8]) -> Received {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match inq.read(sock, buf) {
                Ok(r) => return r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    assert!(std::time::Instant::now() < deadline, "no data arrived");
                    std::thread::yield_now();
                }
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn only_a_short_read_drains() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut a = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (b, _) = listener.accept().unwrap();
        b.set_nonblocking(true).unwrap();
        let b = mio::net::TcpStream::from_std(b);
        let inq = Inq::new();

        a.write_all(&[3u8; 10]).unwrap();
        let r = read_blocking(&inq, &b, &mut [0u8; 64]);
        assert_eq!((r.n, r.drained), (10, true));

        a.write_all(&[4u8; 10]).unwrap();
        let mut exact = [0u8; 10];
        // Loopback may deliver in pieces; only the full read is checked.
        let mut got = 0;
        while got < 10 {
            let r = read_blocking(&inq, &b, &mut exact[got..]);
            got += r.n;
            if got == 10 && r.n == 10 {
                assert!(!r.drained, "a full plain read knows nothing");
            }
        }
        inq.release(&b).unwrap();
    }
}
