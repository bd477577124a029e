//! One simulated TCP connection: two byte pipes, one per direction.
//!
//! # Rules
//!
//! 1. Side 0 is the connecting end, side 1 the accepting end; `inbox[s]`
//!    holds the bytes that reached side `s` and not yet read.
//! 2. Bytes reach an inbox only through the router (`world.rs`), in the
//!    order they were written: each segment's delivery time is at least the
//!    previous segment's of the same direction (`last`).
//! 3. A reset is final: it discards both inboxes, wakes every waiter, and
//!    from then on reads and writes fail with `ConnectionReset`.
//! 4. Data reaching a side that was closed (its stream dropped) resets the
//!    connection, as a real stack answers it with RST.
//! 5. Locks: the world lock is never taken while a connection's lock is
//!    held.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::Mutex;
use crate::sim::net::world::HostId;
use crate::time::Instant;

/// What travels on a connection.
#[derive(Debug)]
pub(crate) enum Seg {
    Data(Vec<u8>),
    Fin,
}

#[derive(Debug, Default)]
struct Pipe {
    buf: VecDeque<u8>,
    fin: bool,
    wakers: Vec<Waker>,
}

impl Pipe {
    fn wake(&mut self) {
        for w in self.wakers.drain(..) {
            w.wake();
        }
    }

    fn park(&mut self, cx: &Context<'_>) {
        if !self.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            self.wakers.push(cx.waker().clone());
        }
    }
}

#[derive(Debug, Default)]
struct ConnState {
    inbox: [Pipe; 2],
    reset: bool,
    closed: [bool; 2],
    wr_shut: [bool; 2],
    /// Rule 2: delivery time of the last segment sent towards each side.
    last: [Option<Instant>; 2],
}

/// A connection between two simulated endpoints.
#[derive(Debug)]
pub(crate) struct Conn {
    /// The address of each side (rule 1).
    pub(crate) addrs: [SocketAddr; 2],
    /// The host of each side.
    pub(crate) hosts: [HostId; 2],
    state: Mutex<ConnState>,
}

fn reset_err() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "connection reset by peer (simulated)",
    )
}

impl Conn {
    pub(crate) fn new(addrs: [SocketAddr; 2], hosts: [HostId; 2]) -> Conn {
        Conn {
            addrs,
            hosts,
            state: Mutex::new(ConnState::default()),
        }
    }

    /// Rule 3.
    pub(crate) fn reset(&self) {
        let mut st = self.state.lock();
        if st.reset {
            return;
        }
        st.reset = true;
        for pipe in &mut st.inbox {
            pipe.buf.clear();
            pipe.wake();
        }
    }

    pub(crate) fn is_reset(&self) -> bool {
        self.state.lock().reset
    }

    /// Whether nothing more can happen on the connection.
    pub(crate) fn is_done(&self) -> bool {
        let st = self.state.lock();
        st.reset || (st.closed[0] && st.closed[1])
    }

    /// Checks that `side` may send, and gives the delivery time of its next
    /// segment: `at`, or later to keep the order (rule 2).
    pub(crate) fn sending(&self, side: usize, at: Instant) -> io::Result<Instant> {
        let mut st = self.state.lock();
        if st.reset {
            return Err(reset_err());
        }
        if st.wr_shut[side] || st.closed[side] {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the write side of this connection was shut down",
            ));
        }
        let to = 1 - side;
        let at = match st.last[to] {
            Some(last) if last > at => last,
            _ => at,
        };
        st.last[to] = Some(at);
        Ok(at)
    }

    /// The delivery time of a FIN from `side`, after its data (rule 2).
    pub(crate) fn fin_time(&self, side: usize, at: Instant) -> Instant {
        let mut st = self.state.lock();
        let to = 1 - side;
        let at = match st.last[to] {
            Some(last) if last > at => last,
            _ => at,
        };
        st.last[to] = Some(at);
        at
    }

    /// Marks `side`'s write direction shut; true if a FIN must be sent.
    pub(crate) fn shut_write(&self, side: usize) -> bool {
        let mut st = self.state.lock();
        let send = !st.reset && !st.wr_shut[side] && !st.closed[side];
        st.wr_shut[side] = true;
        send
    }

    /// `side`'s stream was dropped; true if a FIN must be sent.
    pub(crate) fn close(&self, side: usize) -> bool {
        let mut st = self.state.lock();
        let send = !st.reset && !st.wr_shut[side] && !st.closed[side];
        st.closed[side] = true;
        st.wr_shut[side] = true;
        send
    }

    /// The router delivers `seg` to side `to` (rules 2 and 4).
    pub(crate) fn deliver(&self, to: usize, seg: Seg) {
        let mut st = self.state.lock();
        if st.reset {
            return;
        }
        match seg {
            Seg::Data(data) => {
                if st.closed[to] {
                    drop(st);
                    self.reset();
                    return;
                }
                st.inbox[to].buf.extend(data);
            }
            Seg::Fin => st.inbox[to].fin = true,
        }
        st.inbox[to].wake();
    }

    /// Reads what reached `side` into `dst`; `WouldBlock` if nothing did.
    /// With `peek`, the bytes stay.
    pub(crate) fn try_read(&self, side: usize, dst: &mut [u8], peek: bool) -> io::Result<usize> {
        let mut st = self.state.lock();
        if st.reset {
            return Err(reset_err());
        }
        let pipe = &mut st.inbox[side];
        if pipe.buf.is_empty() {
            if pipe.fin || dst.is_empty() {
                return Ok(0);
            }
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = dst.len().min(pipe.buf.len());
        for (d, s) in dst[..n].iter_mut().zip(pipe.buf.iter()) {
            *d = *s;
        }
        if !peek {
            pipe.buf.drain(..n);
        }
        Ok(n)
    }

    /// Waits until a read on `side` would not block.
    pub(crate) fn poll_read_ready(&self, side: usize, cx: &Context<'_>) -> Poll<io::Result<()>> {
        let mut st = self.state.lock();
        if st.reset {
            return Poll::Ready(Ok(()));
        }
        let pipe = &mut st.inbox[side];
        if !pipe.buf.is_empty() || pipe.fin {
            return Poll::Ready(Ok(()));
        }
        pipe.park(cx);
        Poll::Pending
    }
}
