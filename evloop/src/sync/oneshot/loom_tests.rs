//! Loom models of the races in the module docs' transition table. Values are
//! drop-counted: each model checks the value is dropped exactly once, on the
//! side rule 1 assigns it to, and loom's leak check covers the allocation.

use super::*;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::thread;
use loom::future::block_on;

struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn loom_send_vs_receiver_drop() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = channel();
        let v = Tracked(drops.clone());
        let d = drops.clone();
        let th = thread::spawn(move || match tx.send(v) {
            Ok(()) => {}
            Err(back) => {
                // Handed back, not yet dropped by anybody.
                assert_eq!(d.load(SeqCst), 0);
                drop(back);
            }
        });
        drop(rx);
        th.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
    });
}

#[test]
fn loom_send_vs_close() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = channel();
        let v = Tracked(drops.clone());
        let th = thread::spawn(move || tx.send(v).is_ok());
        rx.close();
        let got = rx.try_recv();
        let sent = th.join().unwrap();
        match got {
            Ok(v) => {
                assert!(sent);
                drop(v);
            }
            Err(TryRecvError::Closed) => {}
            Err(TryRecvError::Empty) => {
                // The sender had not finished when we looked; it must then
                // fail (the channel is closed).
                assert!(!sent);
            }
        }
        drop(rx);
        assert_eq!(drops.load(SeqCst), 1);
    });
}

#[test]
fn loom_recv_vs_send() {
    loom::model(|| {
        let (tx, rx) = channel::<usize>();
        let th = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(block_on(rx), Ok(7));
        th.join().unwrap();
    });
}

#[test]
fn loom_recv_vs_sender_drop() {
    loom::model(|| {
        let (tx, rx) = channel::<usize>();
        let th = thread::spawn(move || drop(tx));
        assert!(block_on(rx).is_err());
        th.join().unwrap();
    });
}

#[test]
fn loom_recv_repoll_vs_send() {
    // The receiver polls, then re-registers (a different task) while the
    // value is being sent: the second registration must not be lost.
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = channel();
        let v = Tracked(drops.clone());
        let th = thread::spawn(move || {
            let _ = tx.send(v);
        });
        let first = crate::sync::loom_util::poll_once(&mut rx);
        match first {
            Poll::Ready(got) => drop(got.expect("sent")),
            Poll::Pending => drop(block_on(&mut rx).expect("sent")),
        }
        th.join().unwrap();
        drop(rx);
        assert_eq!(drops.load(SeqCst), 1);
    });
}

#[test]
fn loom_closed_vs_receiver_drop() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut tx, rx) = channel();
        let th = thread::spawn(move || drop(rx));
        block_on(tx.closed());
        assert!(tx.is_closed());
        assert!(tx.send(Tracked(drops.clone())).is_err());
        th.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
    });
}

#[test]
fn loom_closed_vs_close_then_recv() {
    loom::model(|| {
        let (mut tx, mut rx) = channel::<usize>();
        let th = thread::spawn(move || {
            rx.close();
            rx.try_recv()
        });
        block_on(tx.closed());
        assert_eq!(tx.send(1), Err(1));
        assert_eq!(th.join().unwrap(), Err(TryRecvError::Closed));
    });
}
