//! [`TcpStream`]: a connected TCP socket.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::io::poll_evented::PollEvented;
use crate::io::scheduled_io::Direction;
use crate::io::{AsyncRead, AsyncWrite, Interest, ReadBuf, Ready};
use crate::net::addr::{each_addr, ToSocketAddrs};
use crate::net::split::{split, split_owned};
use crate::net::tcp::split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::net::tcp::Inq;
use crate::sim::net::tcp::SimStream;

mod options;
mod owned;

/// A TCP connection, registered with the runtime's reactor.
///
/// Reading and writing go through [`AsyncRead`]/[`AsyncWrite`] (and their
/// `Ext` traits), or through `readable()` + `try_read()` loops. Reading
/// `Ok(0)` means the peer closed its side; a reset connection reads as an
/// error (`ConnectionReset`).
///
/// Dropping the stream deregisters it from the reactor and closes the socket.
///
/// ```
/// use evloop::io::{AsyncReadExt, AsyncWriteExt};
/// use evloop::net::{TcpListener, TcpStream};
///
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let addr = listener.local_addr().unwrap();
/// let server = evloop::spawn(async move {
///     let (mut sock, _) = listener.accept().await.unwrap();
///     let mut buf = [0; 5];
///     sock.read_exact(&mut buf).await.unwrap();
///     sock.write_all(&buf).await.unwrap();
/// });
/// let mut client = TcpStream::connect(addr).await.unwrap();
/// client.write_all(b"hello").await.unwrap();
/// let mut buf = [0; 5];
/// client.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"hello");
/// server.await.unwrap();
/// # }); }
/// ```
pub struct TcpStream {
    kind: Kind,
}

/// A stream is a real socket, or one end of a connection between
/// simulated hosts (`sim::net`); every method branches once on which.
enum Kind {
    Real(Real),
    Sim(SimStream),
}

struct Real {
    io: PollEvented<mio::net::TcpStream>,
    /// Whether full reads learn that they drained the receive queue.
    inq: Inq,
}

impl TcpStream {
    /// Connects to `addr`, trying each resolved address in turn; returns
    /// the first success or the last error (`ConnectionRefused` if nobody
    /// listens).
    ///
    /// Cancel-safe in the sense that a cancelled connect closes its socket.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        if let Some(host) = crate::sim::net::current() {
            return each_addr(addr, |addr| SimStream::connect(host.clone(), addr))
                .await
                .map(TcpStream::from_sim);
        }
        let handle = crate::io::IoHandle::current_or_panic();
        each_addr(addr, |addr| {
            let handle = handle.clone();
            async move {
                let sys = mio::net::TcpStream::connect(addr)?;
                let io = PollEvented::new_with_handle(
                    sys,
                    Interest::READABLE | Interest::WRITABLE,
                    handle,
                )?;
                TcpStream::finish_connect(TcpStream::from_evented(io)).await
            }
        })
        .await
    }

    /// Waits for a non-blocking connect to complete.
    pub(crate) async fn finish_connect(stream: TcpStream) -> io::Result<TcpStream> {
        let io = &stream.real("connect")?.io;
        loop {
            let event = poll_fn(|cx| io.registration().poll_ready(cx, Direction::Write)).await?;
            if let Some(e) = io.take_error()? {
                return Err(e);
            }
            match io.peer_addr() {
                Ok(_) => return Ok(stream),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    // Spurious wake-up before the handshake finished.
                    io.registration().clear_readiness(event);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn from_evented(io: PollEvented<mio::net::TcpStream>) -> TcpStream {
        TcpStream {
            kind: Kind::Real(Real {
                io,
                inq: Inq::new(),
            }),
        }
    }

    pub(crate) fn from_sim(sim: SimStream) -> TcpStream {
        TcpStream {
            kind: Kind::Sim(sim),
        }
    }

    /// The real socket, or `Unsupported` naming `what` for a simulated one.
    #[inline]
    fn real(&self, what: &str) -> io::Result<&Real> {
        match &self.kind {
            Kind::Real(real) => Ok(real),
            Kind::Sim(_) => Err(crate::sim::net::unsupported(what)),
        }
    }

    pub(crate) fn from_mio(
        sys: mio::net::TcpStream,
        handle: crate::io::IoHandle,
    ) -> io::Result<Self> {
        Ok(TcpStream::from_evented(PollEvented::new_with_handle(
            sys,
            Interest::READABLE | Interest::WRITABLE,
            handle,
        )?))
    }

    /// Registers a connected std stream with the current runtime (the
    /// stream is switched to non-blocking mode). Returns an error if there
    /// is no runtime or it has I/O disabled.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        let io = PollEvented::new(mio::net::TcpStream::from_std(stream))?;
        Ok(TcpStream::from_evented(io))
    }

    /// Deregisters the stream and returns it as a std stream, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        let Real { io, inq } = match self.kind {
            Kind::Real(real) => real,
            Kind::Sim(_) => return Err(crate::sim::net::unsupported("into_std")),
        };
        let sys = io.into_inner()?;
        inq.release(&sys)?;
        // SAFETY: `into_raw_fd` hands over sole ownership of an open TCP
        // socket fd, which `from_raw_fd` takes.
        Ok(unsafe { std::net::TcpStream::from_raw_fd(sys.into_raw_fd()) })
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match &self.kind {
            Kind::Real(r) => r.io.local_addr(),
            Kind::Sim(s) => Ok(s.local_addr()),
        }
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        match &self.kind {
            Kind::Real(r) => r.io.peer_addr(),
            Kind::Sim(s) => Ok(s.peer_addr()),
        }
    }

    /// Returns and clears the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        match &self.kind {
            Kind::Real(r) => r.io.take_error(),
            Kind::Sim(_) => Ok(None),
        }
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm). A simulated stream
    /// has no Nagle delay: this succeeds and changes nothing.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        match &self.kind {
            Kind::Real(r) => r.io.set_nodelay(nodelay),
            Kind::Sim(_) => Ok(()),
        }
    }

    /// Whether `TCP_NODELAY` is set (always true on a simulated stream).
    pub fn nodelay(&self) -> io::Result<bool> {
        match &self.kind {
            Kind::Real(r) => r.io.nodelay(),
            Kind::Sim(_) => Ok(true),
        }
    }

    /// Sets `SO_LINGER`; `Some(ZERO)` makes `close` reset the connection.
    /// A non-zero timeout makes dropping the stream block the thread until
    /// the unsent data is out or the timeout passes, which stalls the
    /// runtime; use `set_zero_linger` instead.
    #[deprecated = "SO_LINGER with a timeout blocks the thread on drop; use `set_zero_linger`"]
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        socket2::SockRef::from(&*self.real("set_linger")?.io).set_linger(dur)
    }

    /// The `SO_LINGER` setting.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        socket2::SockRef::from(&*self.real("linger")?.io).linger()
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.real("set_ttl")?.io.set_ttl(ttl)
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        self.real("ttl")?.io.ttl()
    }

    /// Waits until the stream is ready for `interest`; returns the readiness
    /// seen. It may be spurious: the next `try_*` can still return
    /// `WouldBlock`.
    ///
    /// Cancel-safe.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        match &self.kind {
            Kind::Real(r) => {
                let event = r.io.registration().readiness(interest).await?;
                Ok(event.ready)
            }
            Kind::Sim(s) => {
                if interest.is_writable() {
                    s.write_ready()?;
                    let mut ready = Ready::WRITABLE;
                    if interest.is_readable()
                        && s.poll_read_ready(&mut Context::from_waker(std::task::Waker::noop()))
                            .is_ready()
                    {
                        ready |= Ready::READABLE;
                    }
                    return Ok(ready);
                }
                poll_fn(|cx| s.poll_read_ready(cx)).await?;
                Ok(Ready::READABLE)
            }
        }
    }

    /// Waits until the stream may be readable. Cancel-safe.
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Waits until the stream may be writable. Cancel-safe.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Polls for read readiness (one waker: the last task to poll).
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &self.kind {
            Kind::Real(r) => r.io.registration().poll_read_ready(cx).map_ok(drop),
            Kind::Sim(s) => s.poll_read_ready(cx),
        }
    }

    /// Polls for write readiness (one waker: the last task to poll).
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &self.kind {
            Kind::Real(r) => r.io.registration().poll_write_ready(cx).map_ok(drop),
            Kind::Sim(s) => Poll::Ready(s.write_ready()),
        }
    }

    /// Reads without waiting; `WouldBlock` if no data is available.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match &self.kind {
            Kind::Real(r) => {
                r.io.registration()
                    .try_io(Interest::READABLE, || (&*r.io).read(buf))
            }
            Kind::Sim(s) => s.try_read(buf),
        }
    }

    /// Vectored `try_read`.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        match &self.kind {
            Kind::Real(r) => {
                r.io.registration()
                    .try_io(Interest::READABLE, || (&*r.io).read_vectored(bufs))
            }
            Kind::Sim(s) => match bufs.iter_mut().find(|b| !b.is_empty()) {
                Some(buf) => s.try_read(buf),
                None => s.try_read(&mut []),
            },
        }
    }

    /// Reads without waiting into the spare room of `buf` (a
    /// `bytes::BufMut`) and advances it; `WouldBlock` if no data is
    /// available. `Ok(0)` is end of stream, or `buf` had no room.
    pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        match &self.kind {
            Kind::Real(r) => r.io.registration().try_io(Interest::READABLE, || {
                crate::net::read_into::read_fd_into(r.io.as_raw_fd(), buf)
            }),
            Kind::Sim(s) => {
                let mut tmp = vec![0u8; buf.remaining_mut().min(1 << 16)];
                let n = s.try_read(&mut tmp)?;
                buf.put_slice(&tmp[..n]);
                Ok(n)
            }
        }
    }

    /// Writes without waiting; `WouldBlock` if the send buffer is full.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match &self.kind {
            Kind::Real(r) => {
                r.io.registration()
                    .try_io(Interest::WRITABLE, || (&*r.io).write(buf))
            }
            Kind::Sim(s) => s.write(buf),
        }
    }

    /// Vectored `try_write`.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match &self.kind {
            Kind::Real(r) => {
                r.io.registration()
                    .try_io(Interest::WRITABLE, || (&*r.io).write_vectored(bufs))
            }
            Kind::Sim(s) => s.write_vectored(bufs),
        }
    }

    /// Reads into `buf` without removing the data from the socket.
    ///
    /// Cancel-safe.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        match &self.kind {
            Kind::Real(r) => {
                r.io.registration()
                    .async_io(Interest::READABLE, || r.io.peek(buf))
                    .await
            }
            Kind::Sim(s) => loop {
                match s.try_peek(buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        poll_fn(|cx| s.poll_read_ready(cx)).await?;
                    }
                    res => return res,
                }
            },
        }
    }

    /// Polls a `peek`.
    pub fn poll_peek(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<usize>> {
        let r = match &self.kind {
            Kind::Real(r) => r,
            Kind::Sim(s) => return s.poll_read(cx, buf, true),
        };
        let res =
            r.io.registration()
                .poll_io(cx, Direction::Read, || r.io.peek(buf.initialize_unfilled()));
        if let Poll::Ready(Ok(n)) = res {
            buf.advance(n);
        }
        res
    }

    /// Borrowed halves for reading and writing at the same time in one task.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split(self)
    }

    /// Owned halves that can move to different tasks; the write half shuts
    /// the write direction down when dropped.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned(self)
    }

    #[track_caller]
    pub(crate) fn poll_read_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &self.kind {
            Kind::Real(r) => r.io.poll_read_with(cx, buf, |dst| r.inq.read(&r.io, dst)),
            Kind::Sim(s) => s.poll_read(cx, buf, false).map_ok(drop),
        }
    }

    #[track_caller]
    pub(crate) fn poll_write_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &self.kind {
            Kind::Real(r) => r.io.poll_write(cx, buf),
            Kind::Sim(s) => Poll::Ready(s.write(buf)),
        }
    }

    #[track_caller]
    pub(crate) fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &self.kind {
            Kind::Real(r) => r.io.poll_write_vectored(cx, bufs),
            Kind::Sim(s) => Poll::Ready(s.write_vectored(bufs)),
        }
    }

    pub(crate) fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        let r = match &self.kind {
            Kind::Real(r) => r,
            Kind::Sim(s) => return s.shutdown(how),
        };
        match r.io.shutdown(how) {
            // Already shut down or reset by the peer: nothing to send.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            res => res,
        }
    }
}

impl AsyncRead for TcpStream {
    #[track_caller]
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.poll_read_priv(cx, buf)
    }
}

impl AsyncWrite for TcpStream {
    #[track_caller]
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, buf)
    }

    #[track_caller]
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored_priv(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown_std(Shutdown::Write))
    }
}

/// A simulated stream has no socket: its fd is a placeholder that is no
/// socket (`sim::net::placeholder_fd`), so socket calls on it fail.
impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match &self.kind {
            Kind::Real(r) => r.io.as_fd(),
            Kind::Sim(_) => crate::sim::net::placeholder_fd(),
        }
    }
}

impl TryFrom<std::net::TcpStream> for TcpStream {
    type Error = io::Error;

    fn try_from(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::from_std(stream)
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::io::{AsyncReadExt, AsyncWriteExt};
    use crate::net::TcpListener;

    fn rt() -> crate::runtime::Runtime {
        crate::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn readable(stream: &TcpStream) -> bool {
        let event = stream
            .real("test")
            .unwrap()
            .io
            .registration()
            .ready_event(Interest::READABLE);
        event.ready.is_readable()
    }

    /// Exact-size reads: once `TCP_INQ` is on, a read that emptied the queue
    /// clears readiness (the next read waits instead of failing first), and
    /// one that left bytes behind keeps it.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn full_reads_clear_readiness_only_when_drained() {
        rt().block_on(async {
            let (mut client, mut server) = pair().await;
            let mut buf = [0u8; 16];
            client.write_all(&[1; 16]).await.unwrap();
            server.read_exact(&mut buf).await.unwrap();
            // A plain full read knows nothing: readiness stays.
            assert!(readable(&server));
            assert!(server.real("test").unwrap().inq.is_on());

            for round in 0..3u8 {
                client.write_all(&[round; 16]).await.unwrap();
                server.read_exact(&mut buf).await.unwrap();
                assert_eq!(buf, [round; 16]);
                assert!(!readable(&server), "round {round}: drained, not cleared");
            }

            client.write_all(&[9; 32]).await.unwrap();
            server.read_exact(&mut buf).await.unwrap();
            assert!(readable(&server), "16 bytes left, readiness cleared");
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(buf, [9; 16]);
            assert!(!readable(&server));

            // End of stream after a full read is still seen.
            client.write_all(&[5; 16]).await.unwrap();
            client.shutdown().await.unwrap();
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(server.read(&mut buf).await.unwrap(), 0);
        });
    }

    /// `into_std` hands the socket back without `TCP_INQ`.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn into_std_switches_inq_off() {
        use std::os::fd::AsRawFd;
        fn inq_of(sock: &std::net::TcpStream) -> libc::c_int {
            let mut value: libc::c_int = -1;
            let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            // SAFETY: `value` and `len` are live locals of the sizes passed.
            let res = unsafe {
                libc::getsockopt(
                    sock.as_raw_fd(),
                    libc::SOL_TCP,
                    libc::TCP_INQ,
                    (&mut value as *mut libc::c_int).cast(),
                    &mut len,
                )
            };
            assert_eq!(res, 0, "{}", io::Error::last_os_error());
            value
        }
        let sys = rt().block_on(async {
            let (mut client, mut server) = pair().await;
            let mut buf = [0u8; 8];
            client.write_all(&[1; 8]).await.unwrap();
            server.read_exact(&mut buf).await.unwrap();
            assert!(server.real("test").unwrap().inq.is_on());
            drop(client);
            server.into_std().unwrap()
        });
        assert_eq!(inq_of(&sys), 0);
    }

    /// A short write clears write readiness; the writer is woken again once
    /// the peer makes room.
    #[test]
    fn short_write_clears_write_readiness_and_wakes_later() {
        rt().block_on(async {
            let (client, mut server) = pair().await;
            let data = vec![7u8; 16 << 20];
            let n = std::future::poll_fn(|cx| client.poll_write_priv(cx, &data))
                .await
                .unwrap();
            assert!(n > 0 && n < data.len(), "wrote {n} of {}", data.len());
            let event = client
                .real("test")
                .unwrap()
                .io
                .registration()
                .ready_event(Interest::WRITABLE);
            assert!(!event.ready.is_writable(), "short write kept readiness");

            let len = data.len();
            let reader = crate::spawn(async move {
                let mut buf = vec![0u8; 1 << 16];
                let mut total = 0;
                while total < len {
                    let n = server.read(&mut buf).await.unwrap();
                    assert!(n > 0);
                    assert!(buf[..n].iter().all(|&b| b == 7));
                    total += n;
                }
                total
            });
            let mut client = client;
            client.write_all(&data[n..]).await.unwrap();
            assert_eq!(reader.await.unwrap(), len);
        });
    }
}
