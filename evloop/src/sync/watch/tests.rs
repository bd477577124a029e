use super::*;
use crate::sync::test_util::spawn;

#[test]
fn changed_reports_each_version_once() {
    let (tx, mut rx) = channel(0);
    let mut fut = spawn(async move {
        let mut seen = vec![];
        while rx.changed().await.is_ok() {
            seen.push(*rx.borrow_and_update());
        }
        seen
    });
    fut.expect_pending();
    tx.send(1).unwrap();
    assert!(fut.is_woken());
    fut.expect_pending();
    // Two sends before the next poll: only the latest value is seen.
    tx.send(2).unwrap();
    tx.send(3).unwrap();
    fut.expect_pending();
    drop(tx);
    assert_eq!(fut.expect_ready(), vec![1, 3]);
}

#[test]
fn unseen_value_reported_before_close() {
    let (tx, mut rx) = channel(0);
    tx.send(5).unwrap();
    drop(tx);
    let mut fut = spawn(async move {
        let first = rx.changed().await;
        let value = *rx.borrow();
        let second = rx.changed().await;
        (first, value, second)
    });
    let (first, value, second) = fut.expect_ready();
    assert_eq!(first, Ok(()));
    assert_eq!(value, 5);
    assert_eq!(second, Err(error::RecvError(())));
}

#[test]
fn borrow_flags_and_marks() {
    let (tx, mut rx) = channel(String::from("a"));
    assert!(!rx.borrow().has_changed());
    assert_eq!(rx.has_changed(), Ok(false));
    tx.send_modify(|s| s.push('b'));
    assert_eq!(rx.has_changed(), Ok(true));
    {
        let r = rx.borrow();
        assert!(r.has_changed());
        assert_eq!(*r, "ab");
    }
    // `borrow` did not mark it seen; `borrow_and_update` does.
    assert!(rx.borrow_and_update().has_changed());
    assert!(!rx.borrow_and_update().has_changed());
    rx.mark_changed();
    assert_eq!(rx.has_changed(), Ok(true));
    rx.mark_unchanged();
    assert_eq!(rx.has_changed(), Ok(false));
    assert!(!tx.borrow().has_changed());
    assert_eq!(tx.send_replace("c".into()), "ab");
    drop(tx);
    assert!(rx.has_changed().is_err());
}

#[test]
fn send_without_receivers_fails_but_replace_works() {
    let (tx, rx) = channel(1);
    assert_eq!(tx.receiver_count(), 1);
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(2), Err(error::SendError(2)));
    assert_eq!(*tx.borrow(), 1);
    assert_eq!(tx.send_replace(3), 1);
    let rx = tx.subscribe();
    assert_eq!(*rx.borrow(), 3);
    assert_eq!(rx.has_changed(), Ok(false));
    assert!(!tx.is_closed());
}

#[test]
fn send_if_modified_only_notifies_when_told() {
    let (tx, mut rx) = channel(0);
    let mut fut = spawn(async move { rx.changed().await });
    fut.expect_pending();
    assert!(!tx.send_if_modified(|v| {
        *v = 9;
        false
    }));
    assert!(!fut.is_woken());
    fut.expect_pending();
    assert!(tx.send_if_modified(|_| true));
    assert!(fut.is_woken());
    assert_eq!(fut.expect_ready(), Ok(()));
}

#[test]
fn changed_cancelled_at_await_loses_nothing() {
    let (tx, mut rx) = channel(0);
    {
        let mut fut = spawn(rx.changed());
        fut.expect_pending();
        tx.send(1).unwrap();
        assert!(fut.is_woken());
        // Dropped after the wake, before it observed the change.
    }
    let mut fut = spawn(rx.changed());
    assert_eq!(fut.expect_ready(), Ok(()));
    drop(fut);
    assert_eq!(*rx.borrow(), 1);
    assert!(!rx.borrow().has_changed());
}

#[test]
fn clones_track_their_own_version() {
    let (tx, mut a) = channel(0);
    tx.send(1).unwrap();
    let mut b = a.clone();
    assert!(a.same_channel(&b));
    assert_eq!(tx.receiver_count(), 2);
    assert!(a.borrow_and_update().has_changed());
    assert_eq!(a.has_changed(), Ok(false));
    assert_eq!(b.has_changed(), Ok(true));
    assert!(b.borrow_and_update().has_changed());
    let (other, _) = channel(0);
    assert!(!tx.same_channel(&other));
    assert!(tx.same_channel(&tx.clone()));
}

#[test]
fn wait_for_checks_current_then_waits() {
    let (tx, mut rx) = channel(0);
    let mut fut = spawn(async move {
        let hit = *rx.wait_for(|v| *v == 0).await.unwrap();
        let next = *rx.wait_for(|v| *v >= 2).await.unwrap();
        let closed = rx.wait_for(|v| *v == 100).await.is_err();
        (hit, next, closed)
    });
    fut.expect_pending();
    tx.send(1).unwrap();
    fut.expect_pending();
    tx.send(2).unwrap();
    fut.expect_pending();
    drop(tx);
    assert_eq!(fut.expect_ready(), (0, 2, true));
}

#[test]
fn wait_for_sees_last_value_sent_before_close() {
    let (tx, mut rx) = channel(0);
    let mut fut = spawn(async move { rx.wait_for(|v| *v == 7).await.map(|r| *r) });
    fut.expect_pending();
    tx.send(7).unwrap();
    drop(tx);
    assert_eq!(fut.expect_ready(), Ok(7));
}

#[test]
fn sender_closed_waits_for_last_receiver() {
    let (tx, rx) = channel(());
    let rx2 = rx.clone();
    let mut fut = spawn(async move { tx.closed().await });
    fut.expect_pending();
    drop(rx);
    fut.expect_pending();
    drop(rx2);
    assert!(fut.is_woken());
    fut.expect_ready();
}

#[test]
fn cloned_sender_keeps_channel_open() {
    let (tx, rx) = channel(0);
    let tx2 = tx.clone();
    assert_eq!(tx.sender_count(), 2);
    drop(tx);
    assert_eq!(rx.has_changed(), Ok(false));
    drop(tx2);
    assert!(rx.has_changed().is_err());
}
