//! The simulated half of `net::UdpSocket`.
//!
//! A socket is an [`Inbox`] registered under its port on its host. Sending
//! draws the network's faults once per datagram (`world.rs`, rule 4): loss
//! drops it, duplication sends a second copy with its own latency,
//! reordering adds up to twice the largest latency to it so later
//! datagrams overtake it. Between sockets of one host nothing is lost. An
//! inbox holds at most [`INBOX_CAP`] datagrams; more are dropped, as a full
//! receive buffer drops them.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::io::ReadBuf;
use crate::loom::sync::Mutex;
use crate::sim::net::host::HostCtx;
use crate::sim::net::world::Event;
use crate::time::Instant;
use std::sync::Arc;

/// Datagrams an inbox holds before it drops more.
pub(crate) const INBOX_CAP: usize = 1024;

#[derive(Debug, Default)]
struct InboxState {
    queue: VecDeque<(SocketAddr, Vec<u8>)>,
    wakers: Vec<Waker>,
    closed: bool,
}

/// Datagrams that reached one socket.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    state: Mutex<InboxState>,
}

impl Inbox {
    pub(crate) fn push(&self, src: SocketAddr, data: Vec<u8>) {
        let mut st = self.state.lock();
        if st.closed || st.queue.len() >= INBOX_CAP {
            return;
        }
        st.queue.push_back((src, data));
        for w in st.wakers.drain(..) {
            w.wake();
        }
    }

    pub(crate) fn close(&self) {
        let mut st = self.state.lock();
        st.closed = true;
        st.queue.clear();
        for w in st.wakers.drain(..) {
            w.wake();
        }
    }
}

/// A simulated UDP socket.
#[derive(Debug)]
pub(crate) struct SimUdp {
    ctx: Arc<HostCtx>,
    local: SocketAddr,
    inbox: Arc<Inbox>,
    peer: Mutex<Option<SocketAddr>>,
}

fn crashed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "the simulated host of this socket crashed",
    )
}

impl SimUdp {
    pub(crate) fn bind(ctx: Arc<HostCtx>, addr: SocketAddr) -> io::Result<SimUdp> {
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
        let port = st.port(ctx.id, addr.port(), false)?;
        let inbox = Arc::new(Inbox::default());
        st.hosts[ctx.id].udp.insert(port, inbox.clone());
        let local = st.addr(ctx.id, port);
        drop(st);
        Ok(SimUdp {
            ctx,
            local,
            inbox,
            peer: Mutex::new(None),
        })
    }

    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub(crate) fn connect(&self, addr: SocketAddr) {
        *self.peer.lock() = Some(addr);
    }

    pub(crate) fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.peer.lock().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotConnected,
                "the UDP socket is not connected",
            )
        })
    }

    /// Sends one datagram to `dst` (never waits).
    pub(crate) fn send_to(&self, buf: &[u8], dst: SocketAddr) -> io::Result<usize> {
        let waker = {
            let mut st = self.ctx.net.state.lock();
            st.check_current(&self.ctx)?;
            let Ok(to) = st.route(&self.ctx, dst.ip()) else {
                // Nobody has that address: the datagram is lost.
                return Ok(buf.len());
            };
            let from = self.ctx.id;
            let faults = from != to;
            let cfg = st.cfg.clone();
            if faults && st.chance(cfg.udp_loss) {
                return Ok(buf.len());
            }
            let copies = if faults && st.chance(cfg.udp_duplicate) {
                2
            } else {
                1
            };
            let src = if dst.ip().is_loopback() {
                SocketAddr::new(dst.ip(), self.local.port())
            } else {
                self.local
            };
            let mut waker = None;
            for _ in 0..copies {
                let mut lat = st.latency(from, to);
                if faults && st.chance(cfg.udp_reorder) {
                    let max = cfg.latency.1.max(Duration::from_millis(1));
                    let extra = st.random() % (2 * max.as_nanos() as u64 + 1);
                    lat += max + Duration::from_nanos(extra);
                }
                let event = Event::Datagram {
                    src,
                    dst_port: dst.port(),
                    data: buf.to_vec(),
                };
                if let Some(w) = st.push(Instant::now() + lat, from, to, event) {
                    waker = Some(w);
                }
            }
            waker
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(buf.len())
    }

    pub(crate) fn send(&self, buf: &[u8]) -> io::Result<usize> {
        let peer = self.peer_addr()?;
        self.send_to(buf, peer)
    }

    /// Takes (or, with `peek`, copies) the next datagram from the peer, or
    /// any sender when unconnected; `WouldBlock` if none is there.
    pub(crate) fn try_recv_from(
        &self,
        dst: &mut [u8],
        peek: bool,
    ) -> io::Result<(usize, SocketAddr)> {
        let peer = *self.peer.lock();
        let mut st = self.inbox.state.lock();
        if st.closed {
            return Err(crashed());
        }
        while let Some((src, data)) = st.queue.front() {
            if peer.is_some_and(|p| p != *src) {
                st.queue.pop_front();
                continue;
            }
            let n = data.len().min(dst.len());
            dst[..n].copy_from_slice(&data[..n]);
            let src = *src;
            if !peek {
                st.queue.pop_front();
            }
            return Ok((n, src));
        }
        Err(io::ErrorKind::WouldBlock.into())
    }

    pub(crate) fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = self.inbox.state.lock();
        if st.closed || !st.queue.is_empty() {
            return Poll::Ready(Ok(()));
        }
        if !st.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            st.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Polls a receive into `buf`.
    pub(crate) fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
        peek: bool,
    ) -> Poll<io::Result<SocketAddr>> {
        loop {
            match self.try_recv_from(buf.initialize_unfilled(), peek) {
                Ok((n, src)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(src));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::task::ready!(self.poll_recv_ready(cx))?;
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl Drop for SimUdp {
    fn drop(&mut self) {
        let mut st = self.ctx.net.state.lock();
        let udp = &mut st.hosts[self.ctx.id].udp;
        if udp
            .get(&self.local.port())
            .is_some_and(|b| Arc::ptr_eq(b, &self.inbox))
        {
            udp.remove(&self.local.port());
        }
    }
}
