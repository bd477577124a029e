use super::*;
use crate::loom::sync::Arc;
use crate::loom::thread;
use loom::future::block_on;

#[test]
fn loom_notify_one_vs_wait() {
    loom::model(|| {
        let n = Arc::new(Notify::new());
        let n2 = n.clone();
        let th = thread::spawn(move || n2.notify_one());
        block_on(n.notified());
        th.join().unwrap();
    });
}

#[test]
fn loom_notify_waiters_vs_poll() {
    loom::model(|| {
        let n = Arc::new(Notify::new());
        let fut = n.notified();
        let n2 = n.clone();
        let th = thread::spawn(move || n2.notify_waiters());
        block_on(fut);
        th.join().unwrap();
    });
}

#[test]
fn loom_notify_one_vs_cancel_not_lost() {
    // One waiter is cancelled while notify_one runs: the notification ends
    // up with the second waiter or stored as the permit.
    loom::model(|| {
        let n = Arc::new(Notify::new());
        let n2 = n.clone();
        let th = thread::spawn(move || {
            let mut fut = Box::pin(n2.notified());
            crate::sync::loom_util::poll_once(&mut fut).is_ready()
        });
        n.notify_one();
        let consumed = th.join().unwrap();
        if !consumed {
            block_on(n.notified());
        }
    });
}
