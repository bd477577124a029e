use super::*;
use crate::loom::thread;
use loom::future::block_on;
use std::sync::atomic::AtomicUsize as StdAtomicUsize;

/// Counts live values; loom runs one model at a time, so a static is fine
/// when reset at the start of each execution.
static LIVE: StdAtomicUsize = StdAtomicUsize::new(0);

struct Counted(u32);

impl Counted {
    fn new(v: u32) -> Counted {
        LIVE.fetch_add(1, SeqCst);
        Counted(v)
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted::new(self.0)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, SeqCst);
    }
}

#[test]
fn loom_send_vs_recv_vs_receiver_drop() {
    loom::model(|| {
        LIVE.store(0, SeqCst);
        let (tx, mut rx) = channel::<Counted>(2);
        let other = tx.subscribe();
        let sender = thread::spawn(move || {
            tx.send(Counted::new(1)).unwrap();
            tx.send(Counted::new(2)).unwrap();
        });
        let dropper = thread::spawn(move || drop(other));
        let mut got = vec![];
        loop {
            match block_on(rx.recv()) {
                Ok(v) => got.push(v.0),
                Err(RecvError::Closed) => break,
                Err(RecvError::Lagged(_)) => panic!("capacity 2 never lags here"),
            }
        }
        assert_eq!(got, vec![1, 2]);
        sender.join().unwrap();
        dropper.join().unwrap();
        // Read by every receiver still counted: nothing is retained.
        assert_eq!(LIVE.load(SeqCst), 0);
        drop(rx);
    });
}

#[test]
fn loom_recv_cancel_vs_send() {
    loom::model(|| {
        let (tx, mut rx) = channel::<u32>(1);
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
        });
        {
            let mut fut = Box::pin(rx.recv());
            if let Poll::Ready(v) = crate::sync::loom_util::poll_once(&mut fut) {
                assert_eq!(v, Ok(1));
                sender.join().unwrap();
                return;
            }
        }
        sender.join().unwrap();
        assert_eq!(rx.try_recv(), Ok(1));
    });
}

#[test]
fn loom_closed_vs_last_receiver_drop() {
    loom::model(|| {
        let (tx, rx) = channel::<u8>(1);
        let rx2 = tx.subscribe();
        let th = thread::spawn(move || drop(rx2));
        drop(rx);
        block_on(tx.closed());
        th.join().unwrap();
        assert_eq!(tx.receiver_count(), 0);
    });
}

#[test]
fn loom_upgrade_vs_last_sender_drop() {
    // An upgrade racing the last sender's drop either wins (the channel
    // stays open) or fails (it closed): never a sender on a closed channel.
    loom::model(|| {
        let (tx, mut rx) = channel::<u8>(1);
        let weak = tx.downgrade();
        let th = thread::spawn(move || weak.upgrade().map(|tx| tx.send(1).is_ok()));
        drop(tx);
        match th.join().unwrap() {
            Some(sent) => {
                assert!(sent);
                assert_eq!(rx.try_recv(), Ok(1));
            }
            None => {}
        }
        assert_eq!(rx.try_recv(), Err(error::TryRecvError::Closed));
    });
}
