//! Property target: the unbounded mpsc channel against a `VecDeque` model.
//!
//! Operations: clone, drop, downgrade and upgrade senders, `send`,
//! `try_recv`, `poll_recv` and `recv_many` left waiting, `close`, dropping
//! the receiver. Checked after every step: messages arrive in send order,
//! each once; `send` fails (handing the value back) exactly when the
//! receiver closed; the end is seen exactly when every sender is gone or
//! the receiver closed, and the queue is empty; a waiting receiver is woken
//! by the next message or by the last sender's drop; a weak sender upgrades
//! only while a strong one lives; every value is dropped exactly once, the
//! queued ones when the receiver drops.

use std::task::Poll;

use arbitrary::{Arbitrary, Unstructured};

use super::recv::RecvModel;
use super::support::{clone_one, drop_one, ops, pick, poll_with, trace, Flag, Tracked, Tracker};
use crate::sync::mpsc::{self, UnboundedReceiver, UnboundedSender, WeakUnboundedSender};

const MAX_SENDERS: usize = 6;

#[derive(Arbitrary, Debug)]
enum Op {
    CloneSender(u8),
    DropSender(u8),
    Downgrade(u8),
    Upgrade(u8),
    Send(u8),
    TryRecv,
    PollRecv,
    RecvMany(u8),
    Close,
    DropReceiver,
}

struct State {
    tracker: Tracker,
    senders: Vec<UnboundedSender<Tracked>>,
    weak: Vec<WeakUnboundedSender<Tracked>>,
    rx: RecvModel<UnboundedReceiver<Tracked>>,
}

impl State {
    fn ended(&self) -> bool {
        self.rx.closed || self.senders.is_empty()
    }

    fn step(&mut self, op: Op) {
        match op {
            Op::CloneSender(i) => clone_one(&mut self.senders, i, MAX_SENDERS),
            Op::DropSender(i) => drop_one(&mut self.senders, i),
            Op::Downgrade(i) => {
                if let Some(i) = pick(&self.senders, i) {
                    if self.weak.len() < MAX_SENDERS {
                        let w = self.senders[i].downgrade();
                        self.weak.push(w);
                    }
                }
            }
            Op::Upgrade(i) => {
                let Some(i) = pick(&self.weak, i) else { return };
                match self.weak[i].upgrade() {
                    Some(tx) => {
                        assert!(!self.senders.is_empty(), "upgraded with no sender alive");
                        if self.senders.len() < MAX_SENDERS {
                            self.senders.push(tx);
                        }
                    }
                    None => assert!(self.senders.is_empty(), "upgrade failed, senders alive"),
                }
            }
            Op::Send(i) => {
                let Some(i) = pick(&self.senders, i) else {
                    return;
                };
                let v = self.tracker.make();
                let id = v.id;
                match self.senders[i].send(v) {
                    Ok(()) => {
                        assert!(!self.rx.closed, "send succeeded after close");
                        self.rx.queue.push_back(id);
                    }
                    Err(e) => {
                        assert!(self.rx.closed, "send failed on an open channel");
                        assert_eq!(e.0.id, id);
                        drop(e);
                        self.rx.assert_dropped(id);
                    }
                }
            }
            Op::TryRecv => {
                let ended = self.ended();
                self.rx.try_recv(ended);
            }
            Op::PollRecv => {
                let ended = self.ended();
                self.rx.poll_recv(ended);
            }
            Op::RecvMany(limit) => {
                let ended = self.ended();
                let rx = &mut self.rx;
                let Some(inner) = rx.rx.as_mut() else { return };
                let limit = limit as usize % 5 + 1;
                let mut buf = Vec::new();
                let flag = Flag::new();
                let poll = poll_with(std::pin::pin!(inner.recv_many(&mut buf, limit)), &flag);
                match poll {
                    Poll::Ready(n) => {
                        assert_eq!(n, buf.len());
                        assert_eq!(n, rx.queue.len().min(limit), "recv_many count");
                        for v in buf {
                            rx.received(v);
                        }
                        if n == 0 {
                            assert!(ended, "recv_many: 0 on an open channel");
                        }
                    }
                    Poll::Pending => {
                        assert!(rx.queue.is_empty() && !ended, "recv_many: Pending");
                        rx.waiting = Some(flag);
                    }
                }
            }
            Op::Close => self.rx.close(),
            Op::DropReceiver => self.rx.drop_receiver(),
        }
    }

    fn check(&mut self) {
        let ended = self.ended();
        self.rx.check(ended);
        for tx in &self.senders {
            assert_eq!(tx.is_closed(), self.rx.closed, "Sender::is_closed");
            assert_eq!(tx.strong_count(), self.senders.len(), "strong_count");
        }
    }
}

/// Runs the operations in `data` against the channel and the model.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let ops: Vec<Op> = ops(&mut u);
    let tracker = Tracker::new();
    let (tx, rx) = mpsc::unbounded_channel();
    let mut s = State {
        tracker: tracker.clone(),
        senders: vec![tx],
        weak: Vec::new(),
        rx: RecvModel::new(rx, tracker.clone()),
    };
    for op in ops {
        trace(&op);
        s.step(op);
        s.check();
    }
    drop(s);
    tracker.assert_all_dropped_once();
}
