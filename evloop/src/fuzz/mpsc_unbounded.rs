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

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use arbitrary::{Arbitrary, Unstructured};

use super::support::{ops, poll_with, trace, Flag, Tracked, Tracker};
use crate::sync::mpsc::error::TryRecvError;
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
    rx: Option<UnboundedReceiver<Tracked>>,
    queue: VecDeque<u64>,
    closed: bool,
    recv_waiting: Option<Arc<Flag>>,
}

fn pick<T>(v: &[T], i: u8) -> Option<usize> {
    (!v.is_empty()).then(|| i as usize % v.len())
}

impl State {
    fn ended(&self) -> bool {
        self.closed || self.senders.is_empty()
    }

    fn received(&mut self, v: Tracked) {
        assert_eq!(Some(v.id), self.queue.pop_front(), "received out of order");
        let id = v.id;
        drop(v);
        assert_eq!(self.tracker.drops(id), 1);
    }

    fn step(&mut self, op: Op) {
        match op {
            Op::CloneSender(i) => {
                if let Some(i) = pick(&self.senders, i) {
                    if self.senders.len() < MAX_SENDERS {
                        let tx = self.senders[i].clone();
                        self.senders.push(tx);
                    }
                }
            }
            Op::DropSender(i) => {
                if let Some(i) = pick(&self.senders, i) {
                    self.senders.swap_remove(i);
                }
            }
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
                        assert!(!self.closed, "send succeeded after close");
                        self.queue.push_back(id);
                    }
                    Err(e) => {
                        assert!(self.closed, "send failed on an open channel");
                        assert_eq!(e.0.id, id);
                        drop(e);
                        assert_eq!(self.tracker.drops(id), 1);
                    }
                }
            }
            Op::TryRecv => {
                let Some(rx) = self.rx.as_mut() else { return };
                match rx.try_recv() {
                    Ok(v) => self.received(v),
                    Err(TryRecvError::Empty) => {
                        assert!(self.queue.is_empty() && !self.ended(), "try_recv: Empty")
                    }
                    Err(TryRecvError::Disconnected) => {
                        assert!(
                            self.queue.is_empty() && self.ended(),
                            "try_recv: Disconnected"
                        )
                    }
                }
            }
            Op::PollRecv => {
                let Some(rx) = self.rx.as_mut() else { return };
                let flag = Flag::new();
                let waker = Waker::from(flag.clone());
                match rx.poll_recv(&mut Context::from_waker(&waker)) {
                    Poll::Ready(Some(v)) => self.received(v),
                    Poll::Ready(None) => {
                        assert!(self.queue.is_empty() && self.ended(), "recv: None")
                    }
                    Poll::Pending => {
                        assert!(self.queue.is_empty() && !self.ended(), "recv: Pending");
                        self.recv_waiting = Some(flag);
                    }
                }
            }
            Op::RecvMany(limit) => {
                let Some(rx) = self.rx.as_mut() else { return };
                let limit = limit as usize % 5 + 1;
                let mut buf = Vec::new();
                let flag = Flag::new();
                let poll = poll_with(std::pin::pin!(rx.recv_many(&mut buf, limit)), &flag);
                match poll {
                    Poll::Ready(n) => {
                        assert_eq!(n, buf.len());
                        assert_eq!(n, self.queue.len().min(limit), "recv_many count");
                        for v in buf {
                            self.received(v);
                        }
                        if n == 0 {
                            assert!(self.ended(), "recv_many: 0 on an open channel");
                        }
                    }
                    Poll::Pending => {
                        assert!(self.queue.is_empty() && !self.ended(), "recv_many: Pending");
                        self.recv_waiting = Some(flag);
                    }
                }
            }
            Op::Close => {
                if let Some(rx) = self.rx.as_mut() {
                    rx.close();
                    self.closed = true;
                    self.recv_waiting = None;
                }
            }
            Op::DropReceiver => {
                let Some(rx) = self.rx.take() else { return };
                drop(rx);
                self.closed = true;
                for id in std::mem::take(&mut self.queue) {
                    assert_eq!(self.tracker.drops(id), 1, "queued message not dropped");
                }
                if let Some(flag) = self.recv_waiting.take() {
                    assert_eq!(
                        Arc::strong_count(&flag),
                        1,
                        "a dropped receiver's waker is kept"
                    );
                }
            }
        }
    }

    fn check(&mut self) {
        if let Some(flag) = &self.recv_waiting {
            if !self.queue.is_empty() || self.ended() {
                assert!(flag.is_set(), "a waiting recv was not woken (lost wake)");
                self.recv_waiting = None;
            }
        }
        if let Some(rx) = &self.rx {
            assert_eq!(rx.len(), self.queue.len(), "len");
            assert_eq!(rx.is_closed(), self.ended(), "Receiver::is_closed");
        }
        for tx in &self.senders {
            assert_eq!(tx.is_closed(), self.closed, "Sender::is_closed");
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
        rx: Some(rx),
        queue: VecDeque::new(),
        closed: false,
        recv_waiting: None,
    };
    for op in ops {
        trace(&op);
        s.step(op);
        s.check();
    }
    drop(s);
    tracker.assert_all_dropped_once();
}
