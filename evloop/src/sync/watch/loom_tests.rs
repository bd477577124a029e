use super::*;
use crate::loom::thread;
use loom::future::block_on;

#[test]
fn loom_send_vs_changed() {
    // Each `changed()` reports a version the receiver has not seen, and the
    // last value sent is always observed: no missed and no duplicate update.
    loom::model(|| {
        let (tx, mut rx) = channel(0);
        let th = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        let mut last = 0;
        while block_on(rx.changed()).is_ok() {
            let v = *rx.borrow_and_update();
            assert!(v > last, "update {v} reported after {last}");
            last = v;
        }
        assert_eq!(last, 2);
        th.join().unwrap();
    });
}

#[test]
fn loom_closed_vs_receiver_drop() {
    loom::model(|| {
        let (tx, rx) = channel(0);
        let th = thread::spawn(move || drop(rx));
        block_on(tx.closed());
        assert!(tx.is_closed());
        th.join().unwrap();
    });
}
