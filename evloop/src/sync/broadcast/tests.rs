use super::*;
use crate::sync::test_util::spawn;
use std::sync::atomic::AtomicUsize as StdAtomicUsize;
use std::sync::Arc as StdArc;

/// A value that counts its live instances.
#[derive(Debug)]
struct Counted(StdArc<StdAtomicUsize>, u32);

impl Counted {
    fn new(live: &StdArc<StdAtomicUsize>, v: u32) -> Counted {
        live.fetch_add(1, SeqCst);
        Counted(live.clone(), v)
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted::new(&self.0, self.1)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

#[test]
fn capacity_rounds_up_to_power_of_two() {
    let (tx, _rx) = channel::<u8>(3);
    assert_eq!(tx.shared.buffer.len(), 4);
    let (tx, _rx) = channel::<u8>(1);
    assert_eq!(tx.shared.buffer.len(), 1);
}

#[test]
#[should_panic(expected = "at least 1")]
fn zero_capacity_panics() {
    let _ = channel::<u8>(0);
}

#[test]
fn every_receiver_sees_every_value() {
    let (tx, mut a) = channel(8);
    let mut b = tx.subscribe();
    assert_eq!(tx.send(1), Ok(2));
    assert_eq!(tx.send(2), Ok(2));
    assert_eq!(tx.len(), 2);
    assert_eq!(a.len(), 2);
    assert_eq!(a.try_recv(), Ok(1));
    assert_eq!(b.try_recv(), Ok(1));
    // Position 1 is read by both; position 2 only by `a` so far.
    assert_eq!(tx.len(), 1);
    assert_eq!(a.try_recv(), Ok(2));
    assert_eq!(a.try_recv(), Err(TryRecvError::Empty));
    assert!(a.is_empty());
    assert_eq!(b.try_recv(), Ok(2));
    assert!(tx.is_empty());
}

#[test]
fn late_subscriber_sees_only_later_values() {
    let (tx, mut a) = channel(4);
    tx.send(1).unwrap();
    let mut b = tx.subscribe();
    let mut c = a.resubscribe();
    tx.send(2).unwrap();
    assert_eq!(a.try_recv(), Ok(1));
    assert_eq!(b.try_recv(), Ok(2));
    assert_eq!(c.try_recv(), Ok(2));
    assert!(a.same_channel(&b));
}

#[test]
fn lagged_receiver_resumes_from_oldest() {
    let (tx, mut rx) = channel(4);
    for i in 0..10 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.len(), 10);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(6)));
    for i in 6..10 {
        assert_eq!(rx.try_recv(), Ok(i));
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn send_without_receivers_returns_value() {
    let (tx, rx) = channel(2);
    drop(rx);
    assert_eq!(tx.send(5), Err(SendError(5)));
    assert_eq!(tx.receiver_count(), 0);
    let mut rx = tx.subscribe();
    assert_eq!(tx.send(6), Ok(1));
    assert_eq!(rx.try_recv(), Ok(6));
}

#[test]
fn closed_after_values_drained() {
    let (tx, mut rx) = channel(2);
    let tx2 = tx.clone();
    tx.send(1).unwrap();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx2.send(2).unwrap();
    drop(tx2);
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn values_dropped_when_read_by_all_or_overwritten() {
    let live = StdArc::new(StdAtomicUsize::new(0));
    let (tx, mut a) = channel(2);
    let mut b = tx.subscribe();
    tx.send(Counted::new(&live, 1)).unwrap();
    assert_eq!(live.load(SeqCst), 1);
    let v = a.try_recv().unwrap();
    drop(v);
    assert_eq!(live.load(SeqCst), 1, "b has not read it yet");
    drop(b.try_recv().unwrap());
    assert_eq!(live.load(SeqCst), 0, "read by all: dropped");
    // Overwrite: b never reads.
    for i in 0..5 {
        tx.send(Counted::new(&live, i)).unwrap();
        drop(a.try_recv().unwrap());
    }
    assert_eq!(live.load(SeqCst), 2, "only the ring's two slots are kept");
    // Dropping the lagging receiver releases what it still owed.
    drop(b);
    assert_eq!(live.load(SeqCst), 0);
    assert!(tx.is_empty());
}

#[test]
fn dropped_receiver_releases_its_share() {
    let live = StdArc::new(StdAtomicUsize::new(0));
    let (tx, mut a) = channel(8);
    let b = tx.subscribe();
    for i in 0..3 {
        tx.send(Counted::new(&live, i)).unwrap();
    }
    drop(b);
    assert_eq!(tx.receiver_count(), 1);
    assert_eq!(live.load(SeqCst), 3);
    for _ in 0..3 {
        drop(a.try_recv().unwrap());
    }
    assert_eq!(live.load(SeqCst), 0);
}

#[test]
fn recv_waits_and_wakes() {
    let (tx, mut rx) = channel(2);
    let mut fut = spawn(async move {
        let a = rx.recv().await;
        let b = rx.recv().await;
        (a, b)
    });
    fut.expect_pending();
    tx.send(1).unwrap();
    assert!(fut.is_woken());
    fut.expect_pending();
    drop(tx);
    assert!(fut.is_woken());
    assert_eq!(fut.expect_ready(), (Ok(1), Err(RecvError::Closed)));
}

#[test]
fn recv_reports_lag() {
    let (tx, mut rx) = channel(1);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    let mut fut = spawn(async move { (rx.recv().await, rx.recv().await) });
    assert_eq!(fut.expect_ready(), (Err(RecvError::Lagged(1)), Ok(2)));
}

#[test]
fn recv_cancelled_at_await_loses_nothing() {
    let (tx, mut rx) = channel(4);
    {
        let mut fut = spawn(rx.recv());
        fut.expect_pending();
        tx.send(7).unwrap();
        assert!(fut.is_woken());
        // Dropped after the wake, before it read the value: it unlinks.
    }
    assert!(tx.shared.tail.lock().waiters.is_empty());
    assert_eq!(rx.try_recv(), Ok(7));
    // A waiter dropped while still linked unlinks its node too.
    {
        let mut fut = spawn(rx.recv());
        fut.expect_pending();
    }
    assert!(tx.shared.tail.lock().waiters.is_empty());
    tx.send(8).unwrap();
    assert_eq!(rx.try_recv(), Ok(8));
}

#[test]
fn many_waiters_all_woken() {
    let (tx, rx) = channel(4);
    let mut futs: Vec<_> = (0..100)
        .map(|_| {
            let mut rx = rx.resubscribe();
            spawn(async move { rx.recv().await })
        })
        .collect();
    for f in &mut futs {
        f.expect_pending();
    }
    tx.send(3u8).unwrap();
    for f in &mut futs {
        assert!(f.is_woken());
        assert_eq!(f.expect_ready(), Ok(3));
    }
}
