//! Property target: the watch channel against a model of versions.
//!
//! The model is the current value's id, a version counted up by every
//! change, the number of senders, and each receiver's last seen version.
//! Operations: `send`, `send_replace`, `send_modify`, `send_if_modified`,
//! clone/drop senders, `subscribe`, clone/drop receivers, `borrow`,
//! `borrow_and_update`, `has_changed`, `mark_changed`/`mark_unchanged`,
//! `changed()` left waiting (the future owns its receiver), and
//! `Sender::closed()` left waiting. Checked after every step: each receiver
//! sees the current value and whether it changed since it last looked;
//! `changed()` completes exactly when there is an unseen change (or fails
//! once every sender is gone), and a waiting one is woken by the next
//! change or the last sender's drop; `closed()` completes exactly when no
//! receiver is left, and wakes then; a replaced value is dropped at once,
//! every value exactly once.

use std::task::Poll;

use arbitrary::{Arbitrary, Unstructured};

use super::support::{
    clone_one, drop_one, next_woken, ops, pick, trace, Held, Parked, Tracked, Tracker,
};
use crate::sync::watch::{self, error::RecvError, Receiver, Sender};

const MAX_HANDLES: usize = 5;

#[derive(Arbitrary, Debug)]
enum Op {
    Send(u8),
    SendReplace(u8),
    SendModify(u8),
    SendIfModified { sender: u8, modify: bool },
    CloneSender(u8),
    DropSender(u8),
    Subscribe(u8),
    CloneReceiver(u8),
    DropReceiver(u8),
    Borrow(u8),
    BorrowAndUpdate(u8),
    HasChanged(u8),
    MarkChanged(u8),
    MarkUnchanged(u8),
    Changed(u8),
    Closed(u8),
}

type ChangedOut = (Receiver<Tracked>, Result<(), RecvError>);

type Rx = Held<Receiver<Tracked>, ChangedOut>;

struct ModelRx {
    rx: Rx,
    seen: u64,
}

struct State {
    tracker: Tracker,
    senders: Vec<Sender<Tracked>>,
    closed_waiters: Vec<Parked<Sender<Tracked>>>,
    rxs: Vec<ModelRx>,
    current: u64,
    version: u64,
}

impl State {
    fn senders_alive(&self) -> usize {
        self.senders.len() + self.closed_waiters.len()
    }

    /// The value changed to `new`; the old one must be gone.
    fn replaced(&mut self, new: u64) {
        assert_eq!(
            self.tracker.drops(self.current),
            1,
            "a replaced value was kept"
        );
        self.current = new;
        self.version += 1;
    }

    fn idle(&mut self, r: u8) -> Option<(usize, &mut Receiver<Tracked>)> {
        let r = pick(&self.rxs, r)?;
        match &mut self.rxs[r].rx {
            Held::Idle(rx) => Some((r, rx)),
            Held::Waiting(_) => None,
        }
    }

    fn step(&mut self, op: Op) {
        match op {
            Op::Send(i) => {
                let Some(i) = pick(&self.senders, i) else {
                    return;
                };
                let v = self.tracker.make();
                let id = v.id;
                match self.senders[i].send(v) {
                    Ok(()) => {
                        assert!(!self.rxs.is_empty(), "send with no receiver succeeded");
                        self.replaced(id);
                    }
                    Err(e) => {
                        assert!(self.rxs.is_empty(), "send failed with receivers");
                        drop(e);
                        assert_eq!(self.tracker.drops(id), 1);
                    }
                }
            }
            Op::SendReplace(i) => {
                let Some(i) = pick(&self.senders, i) else {
                    return;
                };
                let v = self.tracker.make();
                let id = v.id;
                let old = self.senders[i].send_replace(v);
                assert_eq!(old.id, self.current, "send_replace: old value");
                drop(old);
                self.replaced(id);
            }
            Op::SendModify(i) => {
                let Some(i) = pick(&self.senders, i) else {
                    return;
                };
                let v = self.tracker.make();
                let id = v.id;
                self.senders[i].send_modify(|cur| *cur = v);
                self.replaced(id);
            }
            Op::SendIfModified { sender, modify } => {
                let Some(i) = pick(&self.senders, sender) else {
                    return;
                };
                let v = self.tracker.make();
                let id = v.id;
                let sent = self.senders[i].send_if_modified(|cur| {
                    if modify {
                        *cur = v;
                    }
                    modify
                });
                assert_eq!(sent, modify, "send_if_modified: result");
                if modify {
                    self.replaced(id);
                } else {
                    assert_eq!(self.tracker.drops(id), 1);
                }
            }
            Op::CloneSender(i) => clone_one(&mut self.senders, i, MAX_HANDLES),
            Op::DropSender(i) => drop_one(&mut self.senders, i),
            Op::Subscribe(i) => {
                let Some(i) = pick(&self.senders, i) else {
                    return;
                };
                if self.rxs.len() < MAX_HANDLES {
                    let rx = self.senders[i].subscribe();
                    let seen = self.version;
                    self.rxs.push(ModelRx {
                        rx: Held::Idle(rx),
                        seen,
                    });
                }
            }
            Op::CloneReceiver(r) => {
                if self.rxs.len() >= MAX_HANDLES {
                    return;
                }
                let Some((r, rx)) = self.idle(r) else { return };
                let new = rx.clone();
                let seen = self.rxs[r].seen;
                self.rxs.push(ModelRx {
                    rx: Held::Idle(new),
                    seen,
                });
            }
            Op::DropReceiver(r) => {
                if let Some(r) = pick(&self.rxs, r) {
                    self.rxs.remove(r);
                }
            }
            Op::Borrow(r) | Op::BorrowAndUpdate(r) => {
                let (version, current) = (self.version, self.current);
                let update = matches!(op, Op::BorrowAndUpdate(_));
                let Some((r, rx)) = self.idle(r) else { return };
                let (id, changed) = {
                    let v = if update {
                        rx.borrow_and_update()
                    } else {
                        rx.borrow()
                    };
                    (v.id, v.has_changed())
                };
                let m = &mut self.rxs[r];
                assert_eq!(id, current, "borrow: value");
                assert_eq!(changed, m.seen != version, "Ref::has_changed");
                if update {
                    m.seen = version;
                }
            }
            Op::HasChanged(r) => {
                let (version, closed) = (self.version, self.senders_alive() == 0);
                let Some((r, rx)) = self.idle(r) else { return };
                let got = rx.has_changed();
                if closed {
                    assert!(got.is_err(), "has_changed with no sender: {got:?}");
                } else {
                    assert_eq!(got, Ok(self.rxs[r].seen != version), "has_changed");
                }
            }
            Op::MarkChanged(r) | Op::MarkUnchanged(r) => {
                let version = self.version;
                let Some((r, rx)) = self.idle(r) else { return };
                if matches!(op, Op::MarkChanged(_)) {
                    rx.mark_changed();
                    // Unseen, whatever the version.
                    self.rxs[r].seen = version.wrapping_sub(1);
                } else {
                    rx.mark_unchanged();
                    self.rxs[r].seen = version;
                }
            }
            Op::Changed(r) => {
                let Some((r, _)) = self.idle(r) else { return };
                let poll = self.rxs[r].rx.park(|mut rx| async move {
                    let got = rx.changed().await;
                    (rx, got)
                });
                match poll {
                    Poll::Ready(out) => self.changed_done(r, out),
                    Poll::Pending => assert!(!self.changed_ready(r), "changed() waits"),
                }
            }
            Op::Closed(i) => {
                let Some(i) = pick(&self.senders, i) else {
                    return;
                };
                let tx = self.senders.swap_remove(i);
                let (parked, poll) = Parked::start(async move {
                    tx.closed().await;
                    tx
                });
                match poll {
                    Poll::Ready(tx) => {
                        assert!(self.rxs.is_empty(), "closed() with receivers");
                        self.senders.push(tx);
                    }
                    Poll::Pending => {
                        assert!(!self.rxs.is_empty(), "closed() waits with no receiver");
                        self.closed_waiters.push(parked);
                    }
                }
            }
        }
    }

    fn changed_ready(&self, r: usize) -> bool {
        self.rxs[r].seen != self.version || self.senders_alive() == 0
    }

    fn changed_done(&mut self, r: usize, (rx, got): ChangedOut) {
        assert!(
            self.changed_ready(r),
            "changed() completed with nothing new"
        );
        if self.rxs[r].seen != self.version {
            assert!(got.is_ok(), "changed(): an unseen change, but {got:?}");
            self.rxs[r].seen = self.version;
        } else {
            assert!(got.is_err(), "changed(): no sender, but Ok");
        }
        self.rxs[r].rx = Held::Idle(rx);
    }

    fn settle(&mut self) {
        while let Some((r, out)) = next_woken(&mut self.rxs, |m| &mut m.rx) {
            self.changed_done(r, out);
        }
        for r in 0..self.rxs.len() {
            if self.rxs[r].rx.is_waiting() {
                assert!(!self.changed_ready(r), "changed() not woken (lost wake)");
            }
        }
        let mut i = 0;
        while i < self.closed_waiters.len() {
            let w = &mut self.closed_waiters[i];
            if w.flag.is_set() {
                if let Poll::Ready(tx) = w.poll() {
                    assert!(self.rxs.is_empty(), "closed() completed with receivers");
                    self.closed_waiters.swap_remove(i);
                    self.senders.push(tx);
                    continue;
                }
            }
            assert!(!self.rxs.is_empty(), "closed() not woken (lost wake)");
            i += 1;
        }
        let alive = self.senders_alive() + self.rxs.len() > 0;
        let want = u32::from(!alive);
        assert_eq!(
            self.tracker.drops(self.current),
            want,
            "the current value: drops"
        );
        for tx in &self.senders {
            assert_eq!(tx.receiver_count(), self.rxs.len(), "receiver_count");
            assert_eq!(tx.sender_count(), self.senders_alive(), "sender_count");
            assert_eq!(tx.is_closed(), self.rxs.is_empty(), "is_closed");
            assert_eq!(tx.borrow().id, self.current, "Sender::borrow");
        }
    }
}

/// Runs the operations in `data` against the channel and the model.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let ops: Vec<Op> = ops(&mut u);
    let tracker = Tracker::new();
    let first = tracker.make();
    let current = first.id;
    let (tx, rx) = watch::channel(first);
    let mut s = State {
        tracker: tracker.clone(),
        senders: vec![tx],
        closed_waiters: Vec::new(),
        rxs: vec![ModelRx {
            rx: Held::Idle(rx),
            seen: 0,
        }],
        current,
        version: 0,
    };
    for op in ops {
        trace(&op);
        s.step(op);
        s.settle();
    }
    drop(s);
    tracker.assert_all_dropped_once();
}
