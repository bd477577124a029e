//! Property target: the broadcast channel against a model of positions.
//!
//! The model is the list of values sent (position → id), the capacity
//! (rounded up to a power of two) and each receiver's next position.
//! Operations: send, clone/drop senders, subscribe, resubscribe,
//! `try_recv`, `recv` left waiting (the future owns its receiver, so
//! cancelling it drops the receiver too), dropping receivers. Checked after
//! every step:
//!
//! - each receiver reads every value sent after it subscribed, in order,
//!   unless it falls more than `capacity` behind: then it is told exactly
//!   how many it missed (`Lagged`) and resumes at the oldest value kept;
//! - `Closed` comes exactly when every sender is gone and the receiver read
//!   everything; `send` fails exactly when no receiver is left;
//! - a waiting receiver is woken by the next send and by the last sender's
//!   drop;
//! - a value is dropped (once) as soon as every receiver that counted it
//!   has read it or left, or it was overwritten, and not before.

use std::sync::Arc;
use std::task::Poll;

use arbitrary::{Arbitrary, Unstructured};

use super::support::{clone_one, drop_one, next_woken, ops, pick, trace, Held, Tracked, Tracker};
use crate::sync::broadcast::error::{RecvError, TryRecvError};
use crate::sync::broadcast::{self, Receiver, Sender};

const MAX_HANDLES: usize = 5;

type Msg = Arc<Tracked>;

#[derive(Arbitrary, Debug)]
enum Op {
    Send(u8),
    CloneSender(u8),
    DropSender(u8),
    Subscribe(u8),
    Resubscribe(u8),
    TryRecv(u8),
    Recv(u8),
    CancelRecv(u8),
    DropReceiver(u8),
}

type Rx = Held<Receiver<Msg>, (Receiver<Msg>, Result<Msg, RecvError>)>;

struct ModelRx {
    rx: Rx,
    next: u64,
}

/// What the model says a receive returns.
#[derive(Debug, PartialEq)]
enum Expect {
    Value(u64),
    Lagged(u64),
    Empty,
    Closed,
}

struct State {
    tracker: Tracker,
    cap: u64,
    senders: Vec<Sender<Msg>>,
    rxs: Vec<ModelRx>,
    /// id of the value at each position
    sent: Vec<u64>,
}

impl State {
    fn tail(&self) -> u64 {
        self.sent.len() as u64
    }

    fn oldest(&self) -> u64 {
        self.tail().saturating_sub(self.cap)
    }

    /// The model's receive for receiver `r`; advances its position.
    fn expect(&mut self, r: usize) -> Expect {
        let (tail, oldest) = (self.tail(), self.oldest());
        let next = &mut self.rxs[r].next;
        if *next < oldest {
            let missed = oldest - *next;
            *next = oldest;
            Expect::Lagged(missed)
        } else if *next < tail {
            *next += 1;
            Expect::Value(self.sent[*next as usize - 1])
        } else if self.senders.is_empty() {
            Expect::Closed
        } else {
            Expect::Empty
        }
    }

    fn got(&self, got: Result<Msg, RecvError>) -> Expect {
        match got {
            Ok(m) => Expect::Value(m.id),
            Err(RecvError::Lagged(n)) => Expect::Lagged(n),
            Err(RecvError::Closed) => Expect::Closed,
        }
    }

    fn new_rx(&mut self, rx: Receiver<Msg>) {
        if self.rxs.len() < MAX_HANDLES {
            let next = self.tail();
            self.rxs.push(ModelRx {
                rx: Held::Idle(rx),
                next,
            });
        }
    }

    fn step(&mut self, op: Op) {
        match op {
            Op::Send(i) => {
                let Some(i) = pick(&self.senders, i) else {
                    return;
                };
                let v = Arc::new(self.tracker.make());
                let id = v.id;
                match self.senders[i].send(v) {
                    Ok(n) => {
                        assert_eq!(n, self.rxs.len(), "send: receiver count");
                        self.sent.push(id);
                    }
                    Err(e) => {
                        assert!(self.rxs.is_empty(), "send failed with receivers alive");
                        drop(e);
                        assert_eq!(self.tracker.drops(id), 1);
                    }
                }
            }
            Op::CloneSender(i) => clone_one(&mut self.senders, i, MAX_HANDLES),
            Op::DropSender(i) => drop_one(&mut self.senders, i),
            Op::Subscribe(i) => {
                if let Some(i) = pick(&self.senders, i) {
                    let rx = self.senders[i].subscribe();
                    self.new_rx(rx);
                }
            }
            Op::Resubscribe(r) => {
                let Some(r) = pick(&self.rxs, r) else { return };
                if let Held::Idle(rx) = &self.rxs[r].rx {
                    let new = rx.resubscribe();
                    self.new_rx(new);
                }
            }
            Op::TryRecv(r) => {
                let Some(r) = pick(&self.rxs, r) else { return };
                let Held::Idle(rx) = &mut self.rxs[r].rx else {
                    return;
                };
                let got = match rx.try_recv() {
                    Ok(m) => Expect::Value(m.id),
                    Err(TryRecvError::Lagged(n)) => Expect::Lagged(n),
                    Err(TryRecvError::Closed) => Expect::Closed,
                    Err(TryRecvError::Empty) => Expect::Empty,
                };
                assert_eq!(got, self.expect(r), "try_recv on receiver {r}");
            }
            Op::Recv(r) => {
                let Some(r) = pick(&self.rxs, r) else { return };
                let Held::Idle(_) = &self.rxs[r].rx else {
                    return;
                };
                let poll = self.rxs[r].rx.park(|mut rx| async move {
                    let got = rx.recv().await;
                    (rx, got)
                });
                match poll {
                    Poll::Ready(out) => self.recv_done(r, out),
                    Poll::Pending => {
                        let want = self.expect_peek(r);
                        assert_eq!(want, Expect::Empty, "recv on receiver {r} waits");
                    }
                }
            }
            Op::CancelRecv(r) | Op::DropReceiver(r) => {
                let Some(r) = pick(&self.rxs, r) else { return };
                if matches!(op, Op::CancelRecv(_)) && matches!(self.rxs[r].rx, Held::Idle(_)) {
                    return;
                }
                self.rxs.remove(r);
            }
        }
    }

    /// The model's answer for receiver `r`, without advancing it.
    fn expect_peek(&mut self, r: usize) -> Expect {
        let next = self.rxs[r].next;
        let e = self.expect(r);
        self.rxs[r].next = next;
        e
    }

    fn recv_done(&mut self, r: usize, (rx, got): (Receiver<Msg>, Result<Msg, RecvError>)) {
        let got = self.got(got);
        let want = self.expect(r);
        assert_ne!(
            want,
            Expect::Empty,
            "recv on receiver {r} completed with nothing to read"
        );
        assert_eq!(got, want, "recv on receiver {r}");
        self.rxs[r].rx = Held::Idle(rx);
    }

    fn settle(&mut self) {
        while let Some((r, out)) = next_woken(&mut self.rxs, |m| &mut m.rx) {
            self.recv_done(r, out);
        }
        for r in 0..self.rxs.len() {
            if self.rxs[r].rx.is_waiting() {
                let want = self.expect_peek(r);
                assert_eq!(
                    want,
                    Expect::Empty,
                    "receiver {r} waits, not woken (lost wake)"
                );
            }
        }
        // Drops: a value lives while it is kept and some receiver still
        // has to read it.
        let oldest = self.oldest();
        for (p, &id) in self.sent.iter().enumerate() {
            let p = p as u64;
            let owed = p >= oldest && self.rxs.iter().any(|m| m.next <= p);
            let want = u32::from(!owed);
            assert_eq!(self.tracker.drops(id), want, "value at position {p}: drops");
        }
        for tx in &self.senders {
            assert_eq!(tx.receiver_count(), self.rxs.len(), "receiver_count");
        }
    }
}

/// Runs the operations in `data` against the channel and the model.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let requested = u.int_in_range(1..=6).unwrap_or(1);
    let ops: Vec<Op> = ops(&mut u);
    let tracker = Tracker::new();
    let (tx, rx) = broadcast::channel(requested);
    let mut s = State {
        tracker: tracker.clone(),
        cap: requested.next_power_of_two() as u64,
        senders: vec![tx],
        rxs: vec![ModelRx {
            rx: Held::Idle(rx),
            next: 0,
        }],
        sent: Vec::new(),
    };
    for op in ops {
        trace(&op);
        s.step(op);
        s.settle();
    }
    drop(s);
    tracker.assert_all_dropped_once();
}
