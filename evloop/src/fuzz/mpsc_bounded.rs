//! Property target: the bounded mpsc channel against a `VecDeque` model.
//!
//! Operations: clone and drop senders, `try_send`, `send` and
//! `reserve_owned` left waiting (parked futures), `try_reserve` /
//! `try_reserve_owned` and their permits (send, release, drop), cancelling
//! a waiting sender, `try_recv`, `poll_recv` left waiting, `close`, and
//! dropping the receiver. The model is the queue of message ids, the count
//! of reserved slots and whether the receiver closed. After every step
//! (and after polling every woken future):
//!
//! - messages arrive in send order, each exactly once, and every value is
//!   dropped exactly once (the ones still queued when the receiver drops,
//!   at that moment);
//! - queued messages plus reserved slots never pass the capacity, and a
//!   sender waits only while they fill it (else a wake was lost);
//! - waiting senders complete in the order they started;
//! - after `close` or the receiver's drop, every waiting sender fails and
//!   gets its value back; a waiting `recv` is woken when a message
//!   arrives or when the channel ends (no sender, or closed with no slot
//!   reserved);
//! - a dropped receiver or cancelled sender leaves no waker behind.

use std::sync::Arc;
use std::task::Poll;

use arbitrary::{Arbitrary, Unstructured};

use super::recv::RecvModel;
use super::support::{clone_one, drop_one, ops, pick, trace, Parked, Tracked, Tracker};
use crate::sync::mpsc::error::{SendError, TrySendError};
use crate::sync::mpsc::{self, OwnedPermit, Receiver, Sender};

const MAX_SENDERS: usize = 6;

#[derive(Arbitrary, Debug)]
enum Op {
    CloneSender(u8),
    DropSender(u8),
    TrySend(u8),
    Send(u8),
    Reserve(u8),
    TryReserveOwned(u8),
    TryReserve { sender: u8, send: bool },
    PermitSend(u8),
    PermitRelease(u8),
    PermitDrop(u8),
    CancelWaiter(u8),
    TryRecv,
    PollRecv,
    Close,
    DropReceiver,
}

enum Out {
    Sent(Result<(), SendError<Tracked>>),
    Reserved(Result<OwnedPermit<Tracked>, SendError<()>>),
}

struct Waiter {
    parked: Parked<Out>,
    /// the message a waiting `send` carries
    id: Option<u64>,
}

struct State {
    tracker: Tracker,
    cap: usize,
    senders: Vec<Sender<Tracked>>,
    /// the receiver, the queue of ids and whether the receiver closed
    rx: RecvModel<Receiver<Tracked>>,
    permits: Vec<OwnedPermit<Tracked>>,
    waiters: Vec<Waiter>,
}

impl State {
    /// Handles that keep the channel open for the receiver.
    fn senders_alive(&self) -> usize {
        self.senders.len() + self.permits.len() + self.waiters.len()
    }

    /// Whether the receiver sees the end once the queue is empty.
    fn ended(&self) -> bool {
        (self.rx.closed || self.senders_alive() == 0) && self.permits.is_empty()
    }

    fn assert_dropped(&self, id: u64) {
        self.rx.assert_dropped(id);
    }

    /// Polls woken waiters until none is woken, then checks the invariants.
    fn settle(&mut self) {
        while let Some(w) = self.waiters.iter().position(|w| w.parked.flag.is_set()) {
            let Poll::Ready(out) = self.waiters[w].parked.poll() else {
                continue;
            };
            let waiter = self.waiters.remove(w);
            match out {
                Out::Sent(Ok(())) | Out::Reserved(Ok(_)) => {
                    assert!(!self.rx.closed, "a waiting sender got a slot after close");
                    assert_eq!(w, 0, "waiting sender {w} overtook an earlier one");
                }
                Out::Sent(Err(_)) | Out::Reserved(Err(_)) => {
                    assert!(self.rx.closed, "a waiting sender failed on an open channel");
                }
            }
            match out {
                Out::Sent(Ok(())) => self.rx.queue.push_back(waiter.id.unwrap()),
                Out::Sent(Err(SendError(v))) => {
                    assert_eq!(Some(v.id), waiter.id, "send failed with another value");
                    let id = v.id;
                    drop(v);
                    self.assert_dropped(id);
                }
                Out::Reserved(Ok(p)) => self.permits.push(p),
                Out::Reserved(Err(_)) => {}
            }
        }
        let used = self.rx.queue.len() + self.permits.len();
        assert!(used <= self.cap, "{used} slots used of {}", self.cap);
        if let Some(w) = self.waiters.first() {
            assert!(
                !self.rx.closed,
                "a sender still waits after close (lost wake)"
            );
            assert_eq!(
                used,
                self.cap,
                "a sender waits with a free slot (lost wake), waiter flag {}",
                w.parked.flag.is_set()
            );
        }
        let ended = self.ended();
        self.rx.check(ended);
        for tx in &self.senders {
            assert_eq!(tx.is_closed(), self.rx.closed, "Sender::is_closed");
        }
    }

    fn try_send_expect(&self) -> Result<(), bool> {
        if self.rx.closed {
            Err(true)
        } else if self.rx.queue.len() + self.permits.len() < self.cap {
            Ok(())
        } else {
            Err(false)
        }
    }

    fn step(&mut self, op: Op) {
        match op {
            Op::CloneSender(i) => clone_one(&mut self.senders, i, MAX_SENDERS),
            Op::DropSender(i) => drop_one(&mut self.senders, i),
            Op::TrySend(i) => {
                let Some(i) = pick(&self.senders, i) else {
                    return;
                };
                let v = self.tracker.make();
                let id = v.id;
                let expect = self.try_send_expect();
                match (self.senders[i].try_send(v), expect) {
                    (Ok(()), Ok(())) => self.rx.queue.push_back(id),
                    (Err(TrySendError::Full(v)), Err(false))
                    | (Err(TrySendError::Closed(v)), Err(true)) => {
                        assert_eq!(v.id, id);
                        drop(v);
                        self.assert_dropped(id);
                    }
                    (got, want) => panic!("try_send: got {got:?}, model {want:?}"),
                }
            }
            Op::Send(i) => {
                let Some(i) = pick(&self.senders, i) else {
                    return;
                };
                let tx = self.senders[i].clone();
                let v = self.tracker.make();
                let id = v.id;
                let (parked, poll) = Parked::start(async move { Out::Sent(tx.send(v).await) });
                let w = Waiter {
                    parked,
                    id: Some(id),
                };
                if poll.is_ready() {
                    self.finish_now(w, poll);
                } else {
                    self.waiters.push(w);
                }
            }
            Op::Reserve(i) => {
                let Some(i) = pick(&self.senders, i) else {
                    return;
                };
                let tx = self.senders[i].clone();
                let (parked, poll) =
                    Parked::start(async move { Out::Reserved(tx.reserve_owned().await) });
                let w = Waiter { parked, id: None };
                if poll.is_ready() {
                    self.finish_now(w, poll);
                } else {
                    self.waiters.push(w);
                }
            }
            Op::TryReserveOwned(i) => {
                let Some(i) = pick(&self.senders, i) else {
                    return;
                };
                let tx = self.senders[i].clone();
                let expect = self.try_send_expect();
                match (tx.try_reserve_owned(), expect) {
                    (Ok(p), Ok(())) => self.permits.push(p),
                    (Err(TrySendError::Full(_)), Err(false))
                    | (Err(TrySendError::Closed(_)), Err(true)) => {}
                    (got, want) => panic!("try_reserve_owned: ok {}, model {want:?}", got.is_ok()),
                }
            }
            Op::TryReserve { sender, send } => {
                let Some(i) = pick(&self.senders, sender) else {
                    return;
                };
                let expect = self.try_send_expect();
                match (self.senders[i].try_reserve(), expect) {
                    (Ok(p), Ok(())) => {
                        if send {
                            let v = self.tracker.make();
                            self.rx.queue.push_back(v.id);
                            p.send(v);
                        }
                    }
                    (Err(TrySendError::Full(())), Err(false))
                    | (Err(TrySendError::Closed(())), Err(true)) => {}
                    (got, want) => panic!("try_reserve: ok {}, model {want:?}", got.is_ok()),
                }
            }
            Op::PermitSend(j) => {
                let Some(j) = pick(&self.permits, j) else {
                    return;
                };
                let p = self.permits.swap_remove(j);
                let v = self.tracker.make();
                self.rx.queue.push_back(v.id);
                let tx = p.send(v);
                if self.senders.len() < MAX_SENDERS {
                    self.senders.push(tx);
                }
            }
            Op::PermitRelease(j) => {
                let Some(j) = pick(&self.permits, j) else {
                    return;
                };
                let tx = self.permits.swap_remove(j).release();
                self.senders.push(tx);
            }
            Op::PermitDrop(j) => drop_one(&mut self.permits, j),
            Op::CancelWaiter(j) => {
                let Some(j) = pick(&self.waiters, j) else {
                    return;
                };
                let w = self.waiters.remove(j);
                let flag = w.parked.flag.clone();
                let id = w.id;
                drop(w);
                if let Some(id) = id {
                    self.assert_dropped(id);
                }
                assert_eq!(
                    Arc::strong_count(&flag),
                    1,
                    "a cancelled sender's waker is kept"
                );
            }
            Op::TryRecv => {
                let ended = self.ended();
                self.rx.try_recv(ended);
            }
            Op::PollRecv => {
                let ended = self.ended();
                self.rx.poll_recv(ended);
            }
            Op::Close => self.rx.close(),
            Op::DropReceiver => self.rx.drop_receiver(),
        }
    }

    /// Accounts for a send or reserve that completed on its first poll.
    fn finish_now(&mut self, w: Waiter, poll: Poll<Out>) {
        let Poll::Ready(out) = poll else {
            unreachable!()
        };
        assert!(
            self.waiters.is_empty() || self.rx.closed,
            "a new sender overtook a waiting one"
        );
        match out {
            Out::Sent(Ok(())) => {
                assert!(
                    self.try_send_expect().is_ok(),
                    "send succeeded, model says no"
                );
                self.rx.queue.push_back(w.id.unwrap());
            }
            Out::Reserved(Ok(p)) => {
                assert!(
                    self.try_send_expect().is_ok(),
                    "reserve succeeded, model says no"
                );
                self.permits.push(p);
            }
            Out::Sent(Err(SendError(v))) => {
                assert!(self.rx.closed, "send failed on an open channel");
                let id = v.id;
                drop(v);
                self.assert_dropped(id);
            }
            Out::Reserved(Err(_)) => assert!(self.rx.closed, "reserve failed on an open channel"),
        }
    }
}

/// Runs the operations in `data` against the channel and the model.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let cap = u.int_in_range(1..=4).unwrap_or(1);
    let ops: Vec<Op> = ops(&mut u);
    let tracker = Tracker::new();
    let (tx, rx) = mpsc::channel(cap);
    let mut s = State {
        tracker: tracker.clone(),
        cap,
        senders: vec![tx],
        rx: RecvModel::new(rx, tracker.clone()),
        permits: Vec::new(),
        waiters: Vec::new(),
    };
    for op in ops {
        trace(&op);
        s.step(op);
        s.settle();
    }
    drop(s);
    tracker.assert_all_dropped_once();
}
