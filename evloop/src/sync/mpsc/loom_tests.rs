use super::error::TryRecvError;
use super::*;
use crate::loom::thread;
use loom::future::block_on;

#[test]
fn loom_two_senders_across_blocks() {
    // BLOCK_CAP is 2 under loom: 3 messages + close cross a block boundary
    // and exercise growth, tail advance and reclamation.
    loom::model(|| {
        let (tx, mut rx) = unbounded_channel();
        let tx2 = tx.clone();
        let th = thread::spawn(move || {
            tx2.send(1).unwrap();
            tx2.send(2).unwrap();
        });
        tx.send(3).unwrap();
        drop(tx);
        let mut sum = 0;
        while let Some(v) = block_on(rx.recv()) {
            sum += v;
        }
        assert_eq!(sum, 6);
        th.join().unwrap();
    });
}

#[test]
fn loom_bounded_send_recv_close() {
    loom::model(|| {
        let (tx, mut rx) = channel(1);
        let th = thread::spawn(move || {
            block_on(tx.send(1)).unwrap();
            let _ = block_on(tx.send(2));
        });
        assert_eq!(block_on(rx.recv()), Some(1));
        rx.close();
        // 2 was either sent before the close or refused.
        match rx.try_recv() {
            Ok(v) => assert_eq!(v, 2),
            Err(e) => assert!(matches!(
                e,
                TryRecvError::Disconnected | TryRecvError::Empty
            )),
        }
        th.join().unwrap();
    });
}

#[test]
fn loom_receiver_drop_vs_send() {
    // A value is never leaked nor dropped twice (loom's Arc leak check).
    loom::model(|| {
        let (tx, rx) = unbounded_channel();
        let th = thread::spawn(move || {
            let _ = tx.send(crate::loom::sync::Arc::new(()));
        });
        drop(rx);
        th.join().unwrap();
    });
}

#[test]
fn loom_close_vs_permit_release() {
    // Rule 5 of `chan`: the receiver closes and waits while another thread
    // gives back the last reserved unit; `recv` must end, never sleep.
    loom::model(|| {
        let (tx, mut rx) = channel::<u8>(1);
        // A second sender keeps the channel open: only the permit's release
        // can end `recv`.
        let _tx2 = tx.clone();
        let permit = tx.try_reserve_owned().unwrap();
        let th = thread::spawn(move || drop(permit));
        rx.close();
        assert_eq!(block_on(rx.recv()), None);
        th.join().unwrap();
    });
}

#[test]
fn loom_close_vs_permit_send() {
    // The reserved unit is used instead: the message arrives, then the end.
    loom::model(|| {
        let (tx, mut rx) = channel::<u8>(1);
        let _tx2 = tx.clone();
        let permit = tx.try_reserve_owned().unwrap();
        let th = thread::spawn(move || drop(permit.send(7)));
        rx.close();
        assert_eq!(block_on(rx.recv()), Some(7));
        assert_eq!(block_on(rx.recv()), None);
        th.join().unwrap();
    });
}

#[test]
fn loom_reserve_many_unused_permits_vs_close() {
    // A sender holds two reserved slots, uses one and drops the rest while
    // the receiver closes and drains: the receiver sees the message (or
    // not, if it was never sent) and then the end; it is never left waiting
    // for a slot that went back.
    loom::model(|| {
        let (tx, mut rx) = channel::<u8>(2);
        let th = thread::spawn(move || {
            if let Ok(mut permits) = tx.try_reserve_many(2) {
                permits.next().unwrap().send(1);
                drop(permits);
            }
        });
        rx.close();
        let mut got = 0;
        while let Some(v) = block_on(rx.recv()) {
            got += v;
        }
        assert!(got <= 1);
        th.join().unwrap();
    });
}
