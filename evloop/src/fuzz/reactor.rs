//! Property target: reactor registration, deregistration and reuse.
//!
//! Unix socket pairs are opened and closed in random order, so the kernel
//! hands the same fd numbers (and the reactor the same registration slots)
//! to new sockets over and over. Operations: open a pair, close one end
//! (with any `readable()` future parked on it), write from one end, read
//! from one end until the model's bytes arrive, `try_read`, park a
//! `readable()` future, and let the driver turn. The model is, per
//! direction, the count of bytes in flight and the next byte expected
//! (a running pattern) and whether the writer closed. Checked:
//!
//! - bytes arrive complete and in order, EOF (`Ok(0)`) comes exactly when
//!   the peer closed and every byte was read, and a read of data the model
//!   says is there completes (bounded by a watchdog: no lost wake);
//! - a parked `readable()` future is woken within a few driver turns of
//!   its data or its peer's close;
//! - a socket that was never sent a byte and whose peer is open is never
//!   readable: `readable()` stays pending and `try_read` says
//!   `WouldBlock`, however many closed sockets had its fd and slot before
//!   (an event for a closed fd never reaches the new owner).

use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};

use super::support::{ops, pick, runtime, trace, Parked};
use crate::net::UnixStream;
use crate::runtime::Runtime;

const MAX_PAIRS: usize = 6;
/// Bytes in flight per direction: well below the socket buffer, so a write
/// never meets a full buffer.
const MAX_IN_FLIGHT: usize = 16 * 1024;
const WATCHDOG: Duration = Duration::from_secs(20);
/// Operations per input (below `MAX_OPS`: each turn of the driver sleeps).
const MAX_STEPS: usize = 150;
/// Driver turns a woken future may take to be noticed.
const TURNS: usize = 50;

#[derive(Arbitrary, Debug)]
enum Op {
    Open,
    Close { pair: u8, side: bool },
    Write { pair: u8, side: bool, len: u16 },
    Read { pair: u8, side: bool, len: u16 },
    TryRead { pair: u8, side: bool },
    Park { pair: u8, side: bool },
    Turn,
}

/// One end of a pair and the model of what it receives.
struct End {
    stream: Option<Arc<UnixStream>>,
    /// bytes sent to this end and not yet read
    in_flight: usize,
    /// sequence number of the next byte this end reads
    next_in: u64,
    /// sequence number of the next byte this end writes
    next_out: u64,
    /// a byte was ever sent to this end
    ever_sent: bool,
    /// the peer closed with bytes unread: reads may fail with
    /// `ConnectionReset` (the kernel's choice, not the reactor's)
    may_reset: bool,
    /// `readable()` futures parked on this end
    parked: Vec<Parked<std::io::Result<()>>>,
}

struct Pair {
    ends: [End; 2],
}

fn byte(seq: u64) -> u8 {
    (seq % 251) as u8
}

struct State {
    rt: Runtime,
    pairs: Vec<Pair>,
}

impl State {
    /// `(this end, its peer)`, if this end is open.
    fn ends(&mut self, pair: u8, side: bool) -> Option<(&mut End, &mut End)> {
        let p = pick(&self.pairs, pair)?;
        let [a, b] = &mut self.pairs[p].ends;
        let (this, peer) = if side { (b, a) } else { (a, b) };
        this.stream.is_some().then_some((this, peer))
    }

    /// One pass through the driver: a short sleep parks the runtime on it.
    fn turn(&self) {
        self.rt
            .block_on(async { crate::time::sleep(Duration::from_millis(1)).await });
    }

    fn step(&mut self, op: Op) {
        match op {
            Op::Open => {
                if self.pairs.len() >= MAX_PAIRS {
                    // Make room: drop the oldest pair, freeing two fds.
                    self.pairs.remove(0);
                }
                let (a, b) = {
                    let _enter = self.rt.enter();
                    UnixStream::pair().expect("socketpair")
                };
                let end = |s| End {
                    stream: Some(Arc::new(s)),
                    in_flight: 0,
                    next_in: 0,
                    next_out: 0,
                    ever_sent: false,
                    may_reset: false,
                    parked: Vec::new(),
                };
                self.pairs.push(Pair {
                    ends: [end(a), end(b)],
                });
            }
            Op::Close { pair, side } => {
                let Some((this, peer)) = self.ends(pair, side) else {
                    return;
                };
                this.parked.clear();
                this.stream = None;
                peer.may_reset |= this.in_flight > 0;
            }
            Op::Write { pair, side, len } => {
                let Some((this, peer)) = self.ends(pair, side) else {
                    return;
                };
                // Never write to a closed peer (EPIPE, and SIGPIPE where
                // nothing ignores it).
                if peer.stream.is_none() {
                    return;
                }
                let len = (len as usize % 4096 + 1).min(MAX_IN_FLIGHT - peer.in_flight);
                if len == 0 {
                    return;
                }
                let buf: Vec<u8> = (0..len as u64).map(|i| byte(this.next_out + i)).collect();
                let n = this.stream.as_ref().unwrap().try_write(&buf);
                // A fresh or drained buffer may still report `WouldBlock`
                // until the driver has seen the socket writable.
                let n = match n {
                    Ok(n) => n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => 0,
                    Err(e) => panic!("write: {e}"),
                };
                this.next_out += n as u64;
                peer.in_flight += n;
                peer.ever_sent |= n > 0;
            }
            Op::Read { pair, side, len } => {
                let Some((this, peer)) = self.ends(pair, side) else {
                    return;
                };
                let peer_closed = peer.stream.is_none();
                if this.in_flight == 0 && !peer_closed {
                    return; // would wait forever
                }
                let stream = this.stream.clone().unwrap();
                let mut buf = vec![0u8; len as usize % 8192 + 1];
                let read = self.rt.block_on(async {
                    crate::time::timeout(WATCHDOG, async {
                        loop {
                            stream.readable().await?;
                            match stream.try_read(&mut buf) {
                                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                                r => return r,
                            }
                        }
                    })
                    .await
                });
                let read = read.expect("read of data in flight hung (lost wake)");
                let (this, _) = self.ends(pair, side).unwrap();
                match read {
                    Ok(n) => this.check_read(&buf[..n], peer_closed),
                    Err(e) => this.failed(e),
                }
            }
            Op::TryRead { pair, side } => {
                let Some((this, peer)) = self.ends(pair, side) else {
                    return;
                };
                let peer_closed = peer.stream.is_none();
                let mut buf = [0u8; 512];
                match this.stream.as_ref().unwrap().try_read(&mut buf) {
                    Ok(n) => this.check_read(&buf[..n], peer_closed),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => this.failed(e),
                }
            }
            Op::Park { pair, side } => {
                let Some((this, _)) = self.ends(pair, side) else {
                    return;
                };
                if this.parked.len() >= 2 {
                    return;
                }
                let stream = this.stream.clone().unwrap();
                let (parked, poll) = Parked::start(async move { stream.readable().await });
                if poll.is_pending() {
                    this.parked.push(parked);
                }
            }
            Op::Turn => self.turn(),
        }
    }

    /// Checks the invariants; turns the driver until every parked future
    /// that has something to see was woken.
    fn check(&mut self) {
        for turn in 0.. {
            let mut waiting = false;
            for pair in &mut self.pairs {
                for k in 0..2 {
                    let peer_closed = pair.ends[1 - k].stream.is_none();
                    let this = &mut pair.ends[k];
                    let due = this.in_flight > 0 || peer_closed;
                    let ever_sent = this.ever_sent;
                    this.parked.retain_mut(|p| {
                        if p.flag.is_set() {
                            if p.poll().is_ready() {
                                assert!(due || ever_sent, "readable with nothing ever sent");
                                return false;
                            }
                        } else if due {
                            waiting = true;
                        }
                        true
                    });
                }
            }
            if !waiting {
                break;
            }
            assert!(
                turn < TURNS,
                "a readable() future was not woken (lost wake)"
            );
            self.turn();
        }
        // A socket never sent a byte is not readable, whatever used its
        // fd or slot before.
        for pair in &self.pairs {
            let [a, b] = &pair.ends;
            for (this, peer) in [(a, b), (b, a)] {
                let Some(s) = &this.stream else { continue };
                if this.ever_sent || peer.stream.is_none() {
                    continue;
                }
                let mut buf = [0u8; 16];
                let r = s.try_read(&mut buf);
                assert!(
                    matches!(&r, Err(e) if e.kind() == ErrorKind::WouldBlock),
                    "fresh socket: try_read gave {r:?}"
                );
                for p in &this.parked {
                    assert!(!p.flag.is_set(), "fresh socket woken for readable");
                }
            }
        }
    }
}

impl End {
    /// A read failed: only a reset after the peer left bytes unread is
    /// expected; the end is closed then (the model cannot follow further).
    fn failed(&mut self, e: std::io::Error) {
        assert!(
            self.may_reset && e.kind() == ErrorKind::ConnectionReset,
            "read failed: {e}"
        );
        self.parked.clear();
        self.stream = None;
    }

    fn check_read(&mut self, got: &[u8], peer_closed: bool) {
        if got.is_empty() {
            assert!(
                peer_closed && self.in_flight == 0,
                "EOF with bytes in flight"
            );
            return;
        }
        assert!(got.len() <= self.in_flight, "read more than was sent");
        for (i, &b) in got.iter().enumerate() {
            assert_eq!(
                b,
                byte(self.next_in + i as u64),
                "byte {} out of order",
                self.next_in
            );
        }
        self.next_in += got.len() as u64;
        self.in_flight -= got.len();
    }
}

/// Runs the operations in `data` on a runtime of the flavour it names.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let multi = u.arbitrary::<bool>().unwrap_or(false);
    let mut ops: Vec<Op> = ops(&mut u);
    // Driver turns take real time (a 1 ms sleep each): fewer steps.
    ops.truncate(MAX_STEPS);
    let rt = runtime(multi);
    let mut s = State {
        rt,
        pairs: Vec::new(),
    };
    for op in ops {
        trace(&op);
        s.step(op);
        s.check();
    }
}
