//! Property target: the oneshot channel against a small state model.
//!
//! Operations: `send`, drop the sender, `Sender::closed()` left waiting,
//! `try_recv`, the receiver awaited and left waiting, `close`, drop the
//! receiver. Checked after every step: the value arrives once, `send`
//! fails (handing the value back) exactly when the receiver closed or
//! left, `try_recv` says `Empty` only while the sender may still send, a
//! value sent before `close` can still be received, a waiting receive is
//! woken by the send or the sender's drop, a waiting `closed()` by the
//! receiver's close or drop, and every value is dropped exactly once (an
//! unreceived one when the receiver drops).

use std::task::Poll;

use arbitrary::{Arbitrary, Unstructured};

use super::support::{ops, trace, Parked, Tracked, Tracker};
use crate::sync::oneshot::{self, error::RecvError, error::TryRecvError, Receiver, Sender};

#[derive(Arbitrary, Debug)]
enum Op {
    Send,
    DropSender,
    SenderClosed,
    TryRecv,
    Recv,
    Close,
    DropReceiver,
}

type RecvOut = (Receiver<Tracked>, Result<Tracked, RecvError>);

enum Rx {
    Idle(Receiver<Tracked>),
    Waiting(Parked<RecvOut>),
}

enum Tx {
    Idle(Sender<Tracked>),
    Waiting(Parked<Sender<Tracked>>),
}

struct State {
    tracker: Tracker,
    tx: Option<Tx>,
    rx: Option<Rx>,
    /// the value sent and not yet received
    value: Option<u64>,
    /// `close` was called
    closed: bool,
    /// the receiver yielded its value or its error
    done: bool,
}

impl State {
    fn rx_gone(&self) -> bool {
        self.rx.is_none() || self.closed
    }

    /// The model's answer to a receive, or `None` while it would wait.
    fn expect(&self) -> Option<Option<u64>> {
        if let Some(id) = self.value {
            Some(Some(id))
        } else if self.tx.is_none() || self.closed || self.done {
            Some(None)
        } else {
            None
        }
    }

    fn received(&mut self, got: Result<Tracked, ()>) {
        let want = self
            .expect()
            .expect("a receive completed while it should wait");
        match got {
            Ok(v) => {
                assert_eq!(Some(v.id), want, "received another value");
                let id = v.id;
                drop(v);
                assert_eq!(self.tracker.drops(id), 1);
                self.value = None;
            }
            Err(()) => assert_eq!(want, None, "receive failed with a value waiting"),
        }
        self.done = true;
    }

    fn step(&mut self, op: Op) {
        match op {
            Op::Send => {
                let Some(Tx::Idle(_)) = &self.tx else { return };
                let Some(Tx::Idle(tx)) = self.tx.take() else {
                    unreachable!()
                };
                let v = self.tracker.make();
                let id = v.id;
                match tx.send(v) {
                    Ok(()) => {
                        assert!(!self.rx_gone(), "send succeeded with the receiver gone");
                        self.value = Some(id);
                    }
                    Err(v) => {
                        assert!(self.rx_gone(), "send failed with the receiver there");
                        assert_eq!(v.id, id);
                        drop(v);
                        assert_eq!(self.tracker.drops(id), 1);
                    }
                }
            }
            Op::DropSender => self.tx = None,
            Op::SenderClosed => {
                let Some(Tx::Idle(_)) = &self.tx else { return };
                let Some(Tx::Idle(mut tx)) = self.tx.take() else {
                    unreachable!()
                };
                let (parked, poll) = Parked::start(async move {
                    tx.closed().await;
                    tx
                });
                match poll {
                    Poll::Ready(tx) => {
                        assert!(self.rx_gone(), "closed() with the receiver there");
                        self.tx = Some(Tx::Idle(tx));
                    }
                    Poll::Pending => {
                        assert!(!self.rx_gone(), "closed() waits with the receiver gone");
                        self.tx = Some(Tx::Waiting(parked));
                    }
                }
            }
            Op::TryRecv => {
                let Some(Rx::Idle(rx)) = &mut self.rx else {
                    return;
                };
                match rx.try_recv() {
                    Ok(v) => self.received(Ok(v)),
                    Err(TryRecvError::Empty) => {
                        assert_eq!(self.expect(), None, "try_recv: Empty");
                    }
                    Err(TryRecvError::Closed) => self.received(Err(())),
                }
            }
            Op::Recv => {
                if self.done {
                    return;
                }
                let Some(Rx::Idle(_)) = &self.rx else { return };
                let Some(Rx::Idle(mut rx)) = self.rx.take() else {
                    unreachable!()
                };
                let (parked, poll) = Parked::start(async move {
                    let got = (&mut rx).await;
                    (rx, got)
                });
                match poll {
                    Poll::Ready(out) => self.recv_done(out),
                    Poll::Pending => {
                        assert_eq!(self.expect(), None, "recv waits");
                        self.rx = Some(Rx::Waiting(parked));
                    }
                }
            }
            Op::Close => {
                let Some(Rx::Idle(rx)) = &mut self.rx else {
                    return;
                };
                rx.close();
                self.closed = true;
            }
            Op::DropReceiver => {
                if self.rx.take().is_some() {
                    if let Some(id) = self.value.take() {
                        assert_eq!(self.tracker.drops(id), 1, "unreceived value kept");
                    }
                }
            }
        }
    }

    fn recv_done(&mut self, (rx, got): RecvOut) {
        self.received(got.map_err(|_| ()));
        self.rx = Some(Rx::Idle(rx));
    }

    fn settle(&mut self) {
        if let Some(Rx::Waiting(p)) = &mut self.rx {
            if p.flag.is_set() {
                if let Poll::Ready(out) = p.poll() {
                    self.recv_done(out);
                }
            }
        }
        if let Some(Rx::Waiting(_)) = &self.rx {
            assert_eq!(
                self.expect(),
                None,
                "a waiting recv was not woken (lost wake)"
            );
        }
        let rx_gone = self.rx_gone();
        if let Some(Tx::Waiting(p)) = &mut self.tx {
            if p.flag.is_set() {
                if let Poll::Ready(tx) = p.poll() {
                    assert!(rx_gone, "closed() completed with the receiver there");
                    self.tx = Some(Tx::Idle(tx));
                }
            }
        }
        if let Some(Tx::Waiting(_)) = &self.tx {
            assert!(!rx_gone, "a waiting closed() was not woken (lost wake)");
        }
        if let Some(Tx::Idle(tx)) = &self.tx {
            assert_eq!(tx.is_closed(), rx_gone, "Sender::is_closed");
        }
        if let Some(Rx::Idle(rx)) = &self.rx {
            assert_eq!(rx.is_empty(), self.value.is_none(), "Receiver::is_empty");
            assert_eq!(rx.is_terminated(), self.done, "Receiver::is_terminated");
        }
    }
}

/// Runs the operations in `data` against the channel and the model.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let ops: Vec<Op> = ops(&mut u);
    let tracker = Tracker::new();
    let (tx, rx) = oneshot::channel();
    let mut s = State {
        tracker: tracker.clone(),
        tx: Some(Tx::Idle(tx)),
        rx: Some(Rx::Idle(rx)),
        value: None,
        closed: false,
        done: false,
    };
    for op in ops {
        trace(&op);
        s.step(op);
        s.settle();
    }
    drop(s);
    tracker.assert_all_dropped_once();
}
