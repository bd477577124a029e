use super::*;
use crate::sync::test_util::spawn;
use std::task::Poll;

#[test]
fn permit_stored_once() {
    let n = Notify::new();
    n.notify_one();
    n.notify_one();
    let mut a = spawn(n.notified());
    a.expect_ready();
    let mut b = spawn(n.notified());
    b.expect_pending();
}

#[test]
fn fifo_wakeup() {
    let n = Notify::new();
    let mut a = spawn(n.notified());
    let mut b = spawn(n.notified());
    a.expect_pending();
    b.expect_pending();
    n.notify_one();
    assert!(a.is_woken() && !b.is_woken());
    a.expect_ready();
    b.expect_pending();
    n.notify_one();
    assert!(b.is_woken());
    b.expect_ready();
}

#[test]
fn notify_waiters_wakes_all_created_and_stores_nothing() {
    let n = Notify::new();
    let mut polled = spawn(n.notified());
    polled.expect_pending();
    let mut created = spawn(n.notified()); // never polled before the call
    n.notify_waiters();
    assert!(polled.is_woken());
    polled.expect_ready();
    created.expect_ready();
    let mut later = spawn(n.notified());
    later.expect_pending();
}

#[test]
fn notify_waiters_many_in_batches() {
    let n = Notify::new();
    let mut ts: Vec<_> = (0..100).map(|_| spawn(n.notified())).collect();
    for t in &mut ts {
        t.expect_pending();
    }
    n.notify_waiters();
    for t in &mut ts {
        assert!(t.is_woken());
        t.expect_ready();
    }
    // The list is empty again: notify_one stores a permit.
    n.notify_one();
    spawn(n.notified()).expect_ready();
}

#[test]
fn cancelled_notified_forwards_notify_one() {
    let n = Notify::new();
    let mut a = spawn(n.notified());
    let mut b = spawn(n.notified());
    a.expect_pending();
    b.expect_pending();
    n.notify_one();
    a.cancel(); // picked but never completed: passes on to b
    assert!(b.is_woken());
    b.expect_ready();
}

#[test]
fn cancelled_last_waiter_forwards_as_permit() {
    let n = Notify::new();
    let mut a = spawn(n.notified());
    a.expect_pending();
    n.notify_one();
    a.cancel();
    spawn(n.notified()).expect_ready();
}

#[test]
fn cancelled_unnotified_waiter_leaves_quietly() {
    let n = Notify::new();
    let mut a = spawn(n.notified());
    a.expect_pending();
    a.cancel();
    // Mode went back to EMPTY: the permit is stored, not lost.
    n.notify_one();
    spawn(n.notified()).expect_ready();
}

#[test]
fn enable_takes_a_place_in_line() {
    let n = Notify::new();
    let mut fut = Box::pin(n.notified());
    assert!(!fut.as_mut().enable());
    n.notify_one();
    let mut other = spawn(n.notified());
    other.expect_pending(); // the notification went to the enabled future
    assert_eq!(crate::sync::test_util::poll_once(&mut fut), Poll::Ready(()));
}

#[test]
fn threads_ping() {
    let rounds = if cfg!(miri) { 50 } else { 1000 };
    let n = std::sync::Arc::new(Notify::new());
    let n2 = n.clone();
    let th = std::thread::spawn(move || {
        for _ in 0..rounds {
            crate::sync::block_on::block_on("test", n2.notified());
        }
    });
    let mut sent = 0;
    while !th.is_finished() {
        n.notify_one();
        sent += 1;
        std::thread::yield_now();
    }
    th.join().unwrap();
    assert!(sent >= rounds);
}

#[test]
fn notify_last_wakes_the_newest_waiter() {
    let n = Notify::new();
    let mut a = spawn(n.notified());
    let mut b = spawn(n.notified());
    let mut c = spawn(n.notified());
    a.expect_pending();
    b.expect_pending();
    c.expect_pending();
    n.notify_last();
    assert!(c.is_woken() && !a.is_woken() && !b.is_woken());
    c.expect_ready();
    n.notify_last();
    assert!(b.is_woken() && !a.is_woken());
    b.expect_ready();
    a.expect_pending();
}

#[test]
fn notify_last_without_waiters_stores_one_permit() {
    let n = Notify::new();
    n.notify_last();
    n.notify_last();
    spawn(n.notified()).expect_ready();
    spawn(n.notified()).expect_pending();
}

#[test]
fn cancelled_notify_last_waiter_forwards_to_the_next_newest() {
    let n = Notify::new();
    let mut a = spawn(n.notified());
    let mut b = spawn(n.notified());
    let mut c = spawn(n.notified());
    a.expect_pending();
    b.expect_pending();
    c.expect_pending();
    n.notify_last();
    c.cancel(); // picked but never completed: passes on LIFO, to b
    assert!(b.is_woken() && !a.is_woken());
    b.expect_ready();
    a.expect_pending();
}

#[test]
fn owned_notified_waits_like_notified() {
    let n = std::sync::Arc::new(Notify::new());
    let mut a = spawn(n.clone().notified_owned());
    let mut b = spawn(n.notified());
    a.expect_pending();
    b.expect_pending();
    n.notify_one();
    assert!(a.is_woken() && !b.is_woken());
    a.expect_ready();
    // Created before notify_waiters, never polled: still completes (rule 2).
    let mut c = spawn(n.clone().notified_owned());
    n.notify_waiters();
    b.expect_ready();
    c.expect_ready();
}

#[test]
fn owned_notified_keeps_notify_alive_and_forwards_on_cancel() {
    let n = std::sync::Arc::new(Notify::new());
    let mut a = spawn(n.clone().notified_owned());
    let mut b = spawn(n.clone().notified_owned());
    a.expect_pending();
    b.expect_pending();
    let weak = std::sync::Arc::downgrade(&n);
    n.notify_one();
    drop(n); // the futures hold the only strong references now
    a.cancel();
    assert!(b.is_woken());
    b.expect_ready();
    assert!(weak.upgrade().is_some());
    b.cancel();
    assert!(weak.upgrade().is_none());
}

#[test]
fn owned_notified_enable() {
    let n = std::sync::Arc::new(Notify::new());
    let mut fut = Box::pin(n.clone().notified_owned());
    assert!(!fut.as_mut().enable());
    n.notify_one();
    let mut other = spawn(n.notified());
    other.expect_pending();
    assert_eq!(crate::sync::test_util::poll_once(&mut fut), Poll::Ready(()));
}
