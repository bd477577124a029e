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

#[test]
fn loom_notify_last_vs_owned_cancel_not_lost() {
    // Two owned waiters; the newer one is picked by notify_last while it is
    // being cancelled on another thread: the notification ends up with the
    // older waiter or stored, never lost.
    loom::model(|| {
        let n = std::sync::Arc::new(Notify::new());
        let mut older = Box::pin(n.clone().notified_owned());
        assert!(!older.as_mut().enable());
        let n2 = n.clone();
        let th = thread::spawn(move || {
            let mut newer = Box::pin(n2.notified_owned());
            crate::sync::loom_util::poll_once(&mut newer).is_ready()
        });
        n.notify_last();
        let consumed = th.join().unwrap();
        if !consumed {
            block_on(older);
        }
    });
}

#[test]
fn loom_owned_notified_vs_notify_one() {
    loom::model(|| {
        let n = std::sync::Arc::new(Notify::new());
        let fut = n.clone().notified_owned();
        let n2 = n.clone();
        let th = thread::spawn(move || n2.notify_last());
        block_on(fut);
        th.join().unwrap();
    });
}
