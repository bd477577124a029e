use super::error::{RecvError, TryRecvError};
use super::*;
use crate::sync::test_util::{poll_once, spawn};

/// Counts drops of values sent through the channel.
#[derive(Debug)]
struct Tracked(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

fn tracked() -> (Tracked, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    (Tracked(n.clone()), n)
}

fn drops(n: &std::sync::atomic::AtomicUsize) -> usize {
    n.load(std::sync::atomic::Ordering::SeqCst)
}

#[test]
fn send_then_recv() {
    let (tx, rx) = channel();
    tx.send(5).unwrap();
    let mut t = spawn(rx);
    assert_eq!(t.expect_ready(), Ok(5));
}

#[test]
fn recv_waits_then_wakes() {
    let (tx, rx) = channel();
    let mut t = spawn(rx);
    t.expect_pending();
    t.expect_pending();
    assert!(!t.is_woken());
    tx.send(1).unwrap();
    assert_eq!(t.woken(), 1);
    assert_eq!(t.expect_ready(), Ok(1));
}

#[test]
fn sender_drop_wakes_with_error() {
    let (tx, rx) = channel::<u8>();
    let mut t = spawn(rx);
    t.expect_pending();
    drop(tx);
    assert!(t.is_woken());
    assert_eq!(t.expect_ready(), Err(RecvError(())));
}

#[test]
fn waker_is_replaced() {
    let (tx, mut rx) = channel::<u8>();
    assert!(poll_once(&mut rx).is_pending());
    // Re-poll with a different waker: only the new one fires.
    let mut t = spawn(rx);
    t.expect_pending();
    tx.send(2).unwrap();
    assert_eq!(t.woken(), 1);
    assert_eq!(t.expect_ready(), Ok(2));
}

#[test]
fn send_to_dropped_receiver_returns_value() {
    let (v, n) = tracked();
    let (tx, rx) = channel();
    drop(rx);
    assert!(tx.is_closed());
    let back = tx.send(v).unwrap_err();
    assert_eq!(drops(&n), 0, "value must be handed back, not dropped");
    drop(back);
    assert_eq!(drops(&n), 1);
}

#[test]
fn send_after_close_returns_value_and_earlier_value_survives_close() {
    let (tx, mut rx) = channel::<u8>();
    rx.close();
    assert_eq!(tx.send(1), Err(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let (tx, mut rx) = channel::<u8>();
    tx.send(9).unwrap();
    rx.close();
    assert_eq!(rx.try_recv(), Ok(9));
}

#[test]
fn unreceived_value_dropped_once_with_receiver() {
    let (v, n) = tracked();
    let (tx, rx) = channel();
    tx.send(v).unwrap();
    assert_eq!(drops(&n), 0);
    drop(rx);
    assert_eq!(drops(&n), 1);
}

#[test]
fn unreceived_value_dropped_once_receiver_first_polled() {
    let (v, n) = tracked();
    let (tx, rx) = channel();
    let mut t = spawn(rx);
    t.expect_pending();
    tx.send(v).unwrap();
    t.cancel();
    assert_eq!(drops(&n), 1);
}

#[test]
fn try_recv_states() {
    let (tx, mut rx) = channel::<u8>();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert!(rx.is_empty());
    tx.send(3).unwrap();
    assert!(!rx.is_empty());
    assert_eq!(rx.try_recv(), Ok(3));
    assert!(rx.is_terminated());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let (tx, mut rx) = channel::<u8>();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn closed_future_wakes_on_receiver_drop() {
    let (mut tx, rx) = channel::<u8>();
    {
        let mut t = spawn(tx.closed());
        t.expect_pending();
        t.expect_pending();
        drop(rx);
        assert_eq!(t.woken(), 1);
        t.expect_ready();
    }
    assert!(tx.is_closed());
}

#[test]
fn closed_future_wakes_on_close() {
    let (mut tx, mut rx) = channel::<u8>();
    let mut t = spawn(async move {
        tx.closed().await;
        tx
    });
    t.expect_pending();
    rx.close();
    assert!(t.is_woken());
    let tx = t.expect_ready();
    assert_eq!(tx.send(1), Err(1));
}

#[test]
fn closed_future_cancelled_then_repolled() {
    let (mut tx, rx) = channel::<u8>();
    let mut t = spawn(async move {
        tx.closed().await;
    });
    t.expect_pending();
    t.cancel();
    drop(rx);
}

#[test]
fn blocking_recv_across_threads() {
    let (tx, rx) = channel();
    let th = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(10));
        tx.send(String::from("late")).unwrap();
    });
    assert_eq!(rx.blocking_recv().unwrap(), "late");
    th.join().unwrap();
}

#[test]
fn stress_threads_no_leak_no_double_drop() {
    let rounds = if cfg!(miri) { 30 } else { 2_000 };
    for i in 0..rounds {
        let (v, n) = tracked();
        let (tx, rx) = channel();
        let th = std::thread::spawn(move || {
            let _ = tx.send(v);
        });
        let mut rx = Some(rx);
        match i % 3 {
            0 => rx = None,
            1 => rx.as_mut().unwrap().close(),
            _ => {
                let _ = poll_once(rx.as_mut().unwrap());
            }
        }
        th.join().unwrap();
        drop(rx);
        assert_eq!(drops(&n), 1);
    }
}
