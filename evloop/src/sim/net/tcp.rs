//! The simulated halves of `net::TcpListener` and `net::TcpStream`.
//!
//! A listener is a [`Backlog`] registered under its port on its host; a
//! connection request (`world.rs`) offers the new [`Conn`] to it, and
//! `accept` takes it out. A stream is one side of a [`Conn`].
//!
//! Writes never wait: the bytes are queued for delivery at once (the
//! simulated send buffer is unbounded). `poll_write_ready` is therefore
//! always ready on a live connection.

use std::collections::VecDeque;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::task::{Context, Poll, Waker};

use crate::io::ReadBuf;
use crate::loom::sync::Mutex;
use crate::sim::net::conn::{Conn, Seg};
use crate::sim::net::host::HostCtx;
use crate::sim::net::world::{Event, Syn};
use crate::sync::oneshot;
use std::sync::Arc;

#[derive(Debug, Default)]
struct BacklogState {
    queue: VecDeque<Arc<Conn>>,
    waker: Vec<Waker>,
    closed: bool,
}

/// The connections waiting for `accept` on one listener.
#[derive(Debug, Default)]
pub(crate) struct Backlog {
    state: Mutex<BacklogState>,
}

impl Backlog {
    /// A connection arrives; false if the listener is gone.
    pub(crate) fn offer(&self, conn: &Arc<Conn>) -> bool {
        let mut st = self.state.lock();
        if st.closed {
            return false;
        }
        st.queue.push_back(conn.clone());
        for w in st.waker.drain(..) {
            w.wake();
        }
        true
    }

    /// The listener is gone: waiting connections are reset.
    pub(crate) fn close(&self) {
        let (queue, wakers) = {
            let mut st = self.state.lock();
            st.closed = true;
            (std::mem::take(&mut st.queue), std::mem::take(&mut st.waker))
        };
        for c in queue {
            c.reset();
        }
        for w in wakers {
            w.wake();
        }
    }
}

/// A simulated listening socket.
#[derive(Debug)]
pub(crate) struct SimListener {
    ctx: Arc<HostCtx>,
    local: SocketAddr,
    backlog: Arc<Backlog>,
}

impl SimListener {
    /// Binds `addr` on `ctx`'s host.
    pub(crate) fn bind(ctx: Arc<HostCtx>, addr: SocketAddr) -> io::Result<SimListener> {
        let mut st = ctx.net.state.lock();
        st.check_current(&ctx)?;
        let own = st.hosts[ctx.id].ip;
        if !(addr.ip().is_unspecified() || addr.ip().is_loopback() || addr.ip() == own) {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!(
                    "{} is not an address of this simulated host ({own})",
                    addr.ip()
                ),
            ));
        }
        let port = st.port(ctx.id, addr.port(), true)?;
        let backlog = Arc::new(Backlog::default());
        st.hosts[ctx.id].listeners.insert(port, backlog.clone());
        let local = st.addr(ctx.id, port);
        drop(st);
        Ok(SimListener {
            ctx,
            local,
            backlog,
        })
    }

    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub(crate) fn poll_accept(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(SimStream, SocketAddr)>> {
        let mut st = self.backlog.state.lock();
        if let Some(conn) = st.queue.pop_front() {
            let peer = conn.addrs[0];
            let stream = SimStream {
                ctx: self.ctx.clone(),
                conn,
                side: 1,
            };
            return Poll::Ready(Ok((stream, peer)));
        }
        if st.closed {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the simulated host of this listener crashed",
            )));
        }
        if !st.waker.iter().any(|w| w.will_wake(cx.waker())) {
            st.waker.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Drop for SimListener {
    fn drop(&mut self) {
        {
            let mut st = self.ctx.net.state.lock();
            let listeners = &mut st.hosts[self.ctx.id].listeners;
            if listeners
                .get(&self.local.port())
                .is_some_and(|b| Arc::ptr_eq(b, &self.backlog))
            {
                listeners.remove(&self.local.port());
            }
        }
        self.backlog.close();
    }
}

/// One end of a simulated TCP connection.
#[derive(Debug)]
pub(crate) struct SimStream {
    ctx: Arc<HostCtx>,
    conn: Arc<Conn>,
    side: usize,
}

impl SimStream {
    /// Connects from `ctx`'s host to `addr`: a request travels there, the
    /// answer travels back; `TimedOut` if none comes within the network's
    /// connect timeout (a partitioned link or a host that is down).
    pub(crate) async fn connect(ctx: Arc<HostCtx>, addr: SocketAddr) -> io::Result<SimStream> {
        let (conn, timeout, rx) = {
            let mut st = ctx.net.state.lock();
            st.check_current(&ctx)?;
            let to = st.route(&ctx, addr.ip())?;
            let port = st.port(ctx.id, 0, true)?;
            let mut st_addrs = [
                st.addr(ctx.id, port),
                SocketAddr::new(st.hosts[to].ip, addr.port()),
            ];
            if to == ctx.id && addr.ip().is_loopback() {
                st_addrs = [SocketAddr::new(addr.ip(), port), addr];
            }
            let conn = Arc::new(Conn::new(st_addrs, [ctx.id, to]));
            st.add_conn(ctx.id, &conn);
            let (tx, rx) = oneshot::channel();
            let syn = Syn {
                conn: conn.clone(),
                reply: tx,
            };
            let at = crate::time::Instant::now() + st.latency(ctx.id, to);
            let waker = st.push(at, ctx.id, to, Event::Syn(syn));
            drop(st);
            if let Some(w) = waker {
                w.wake();
            }
            let timeout = ctx.net.state.lock().cfg.connect_timeout;
            (conn, timeout, rx)
        };
        match crate::time::timeout(timeout, rx).await {
            Ok(Ok(Ok(()))) => Ok(SimStream { ctx, conn, side: 0 }),
            Ok(Ok(Err(e))) => Err(e),
            Ok(Err(_)) | Err(_) => {
                conn.reset();
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("connecting to {addr} timed out (simulated)"),
                ))
            }
        }
    }

    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.conn.addrs[self.side]
    }

    pub(crate) fn peer_addr(&self) -> SocketAddr {
        self.conn.addrs[1 - self.side]
    }

    pub(crate) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.conn.poll_read_ready(self.side, cx)
    }

    pub(crate) fn try_read(&self, dst: &mut [u8]) -> io::Result<usize> {
        self.conn.try_read(self.side, dst, false)
    }

    pub(crate) fn try_peek(&self, dst: &mut [u8]) -> io::Result<usize> {
        self.conn.try_read(self.side, dst, true)
    }

    /// Polls a read (or a peek) into `buf`.
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
        peek: bool,
    ) -> Poll<io::Result<usize>> {
        loop {
            match self
                .conn
                .try_read(self.side, buf.initialize_unfilled(), peek)
            {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::task::ready!(self.poll_read_ready(cx))?;
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    pub(crate) fn write(&self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.ctx
            .net
            .send_segment(&self.conn, self.side, Seg::Data(buf.to_vec()))?;
        Ok(buf.len())
    }

    pub(crate) fn write_vectored(&self, bufs: &[std::io::IoSlice<'_>]) -> io::Result<usize> {
        let all: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
        self.write(&all)
    }

    pub(crate) fn write_ready(&self) -> io::Result<()> {
        if self.conn.is_reset() {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection reset by peer (simulated)",
            ));
        }
        Ok(())
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        if matches!(how, Shutdown::Write | Shutdown::Both) && self.conn.shut_write(self.side) {
            self.ctx.net.send_fin(&self.conn, self.side);
        }
        Ok(())
    }
}

impl Drop for SimStream {
    fn drop(&mut self) {
        if self.conn.close(self.side) {
            self.ctx.net.send_fin(&self.conn, self.side);
        }
    }
}
