use super::error::{TryRecvError, TrySendError};
use super::*;
use crate::sync::test_util::spawn;

#[test]
fn order_across_many_blocks_and_end() {
    let (tx, mut rx) = unbounded_channel();
    for i in 0..1000 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.len(), 1000);
    drop(tx);
    for i in 0..1000 {
        assert_eq!(rx.try_recv(), Ok(i));
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(spawn(rx.recv()).expect_ready(), None);
}

#[test]
fn recv_waits_and_wakes() {
    let (tx, mut rx) = channel(4);
    let mut t = spawn(async move { rx.recv().await });
    t.expect_pending();
    tx.try_send(5).unwrap();
    assert!(t.is_woken());
    assert_eq!(t.expect_ready(), Some(5));
}

#[test]
fn bounded_capacity_and_fifo_senders() {
    let (tx, mut rx) = channel(1);
    tx.try_send(0).unwrap();
    assert!(matches!(tx.try_send(9), Err(TrySendError::Full(9))));
    assert_eq!(tx.capacity(), 0);
    assert_eq!(tx.max_capacity(), 1);
    let mut a = spawn(tx.send(1));
    let mut b = spawn(tx.send(2));
    a.expect_pending();
    b.expect_pending();
    assert_eq!(rx.try_recv(), Ok(0));
    assert!(a.is_woken() && !b.is_woken());
    a.expect_ready().unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    b.expect_ready().unwrap();
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn cancelled_send_after_grant_returns_slot() {
    let (tx, mut rx) = channel(1);
    tx.try_send(0).unwrap();
    let mut a = spawn(tx.send(1));
    a.expect_pending();
    assert_eq!(rx.try_recv(), Ok(0)); // the slot is handed to `a`
    a.cancel();
    assert_eq!(tx.capacity(), 1);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn cancelled_recv_loses_nothing() {
    let (tx, mut rx) = channel(4);
    {
        let mut t = spawn(rx.recv());
        t.expect_pending();
        tx.try_send(1).unwrap();
        t.cancel(); // woken but dropped before it polled again
    }
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn permits_reserve_and_release() {
    let (tx, mut rx) = channel::<u8>(2);
    let p = tx.try_reserve().unwrap();
    let q = spawn(tx.reserve()).expect_ready().unwrap();
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    drop(p);
    q.send(3);
    let owned = tx.clone().try_reserve_owned().unwrap();
    let tx2 = owned.send(4);
    assert!(tx2.same_channel(&tx));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Ok(4));
    assert_eq!(tx.capacity(), 2);
}

#[test]
fn receiver_close_fails_waiting_senders_and_drains() {
    let (tx, mut rx) = channel(1);
    tx.try_send(1).unwrap();
    let mut waiting = spawn(tx.send(2));
    waiting.expect_pending();
    let mut closed = spawn(tx.closed());
    closed.expect_pending();
    rx.close();
    assert!(closed.is_woken());
    closed.expect_ready();
    assert_eq!(waiting.expect_ready().unwrap_err().0, 2);
    assert!(tx.is_closed());
    assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn weak_sender() {
    let (tx, mut rx) = unbounded_channel::<u8>();
    let weak = tx.downgrade();
    let tx2 = weak.upgrade().unwrap();
    assert_eq!(tx.strong_count(), 2);
    drop(tx);
    tx2.send(1).unwrap();
    drop(tx2);
    assert!(weak.upgrade().is_none());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn receiver_drop_drops_queued_messages() {
    let marker = std::sync::Arc::new(());
    let (tx, rx) = unbounded_channel();
    for _ in 0..100 {
        tx.send(marker.clone()).unwrap();
    }
    drop(rx);
    assert_eq!(std::sync::Arc::strong_count(&marker), 1);
    assert!(tx.send(marker.clone()).is_err());
    assert_eq!(std::sync::Arc::strong_count(&marker), 1);
}

#[test]
fn recv_many() {
    let (tx, mut rx) = channel(64);
    for i in 0..10 {
        tx.try_send(i).unwrap();
    }
    let mut buf = vec![];
    assert_eq!(spawn(rx.recv_many(&mut buf, 4)).expect_ready(), 4);
    assert_eq!(spawn(rx.recv_many(&mut buf, 100)).expect_ready(), 6);
    assert_eq!(buf, (0..10).collect::<Vec<_>>());
    drop(tx);
    assert_eq!(spawn(rx.recv_many(&mut buf, 100)).expect_ready(), 0);
}

#[test]
fn threads_many_producers_bounded() {
    let per_producer: u64 = if cfg!(miri) { 100 } else { 20_000 };
    let (tx, mut rx) = channel(16);
    let ths: Vec<_> = (0..4u64)
        .map(|p| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..per_producer {
                    tx.blocking_send((p, i)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut next = [0u64; 4];
    while let Some((p, i)) = rx.blocking_recv() {
        assert_eq!(next[p as usize], i, "per-producer order");
        next[p as usize] += 1;
    }
    assert_eq!(next, [per_producer; 4]);
    for t in ths {
        t.join().unwrap();
    }
}

#[test]
fn threads_burst_unbounded_with_reuse() {
    let (rounds, per_thread) = if cfg!(miri) { (3, 100) } else { (20, 2_000) };
    let (tx, mut rx) = unbounded_channel();
    for round in 0..rounds {
        let ths: Vec<_> = (0..3)
            .map(|_| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for i in 0..per_thread {
                        tx.send(round * 10_000 + i).unwrap();
                    }
                })
            })
            .collect();
        let mut n = 0;
        while n < 3 * per_thread {
            if rx.blocking_recv().is_some() {
                n += 1;
            }
        }
        for t in ths {
            t.join().unwrap();
        }
        assert!(rx.is_empty());
    }
}

#[test]
fn reserve_many_waits_for_all_slots_together() {
    let (tx, mut rx) = channel::<u32>(3);
    tx.try_send(0).unwrap();
    tx.try_send(1).unwrap();
    let mut many = spawn(async { tx.reserve_many(2).await.map(|it| it.len()) });
    many.expect_pending(); // one slot free, two needed
    assert_eq!(rx.try_recv(), Ok(0));
    assert!(many.is_woken());
    assert_eq!(many.expect_ready(), Ok(2));
    // The iterator was dropped unused: both slots are back.
    assert_eq!(tx.capacity(), 2);
}

#[test]
fn permit_iterator_returns_untaken_slots() {
    let (tx, mut rx) = channel::<u32>(4);
    let mut it = tx.try_reserve_many(3).unwrap();
    assert_eq!(it.len(), 3);
    assert_eq!(tx.capacity(), 1);
    it.next().unwrap().send(7);
    let unused = it.next().unwrap();
    assert_eq!(it.size_hint(), (1, Some(1)));
    drop(unused);
    assert_eq!(tx.capacity(), 2);
    drop(it);
    assert_eq!(tx.capacity(), 3);
    assert_eq!(rx.try_recv(), Ok(7));
    assert_eq!(tx.capacity(), 4);
}

#[test]
fn try_reserve_many_errors() {
    let (tx, rx) = channel::<u32>(2);
    assert_eq!(tx.try_reserve_many(0).unwrap().next().map(|_| ()), None);
    assert!(matches!(
        tx.try_reserve_many(3),
        Err(TrySendError::Full(()))
    ));
    let _held = tx.try_reserve().unwrap();
    assert!(matches!(
        tx.try_reserve_many(2),
        Err(TrySendError::Full(()))
    ));
    drop(rx);
    assert!(matches!(
        tx.try_reserve_many(1),
        Err(TrySendError::Closed(()))
    ));
    assert!(matches!(
        tx.try_reserve_many(0),
        Err(TrySendError::Closed(()))
    ));
    assert!(matches!(
        tx.try_reserve_many(5),
        Err(TrySendError::Closed(()))
    ));
}

#[test]
fn reserve_many_errors() {
    let (tx, rx) = channel::<u32>(2);
    assert!(spawn(tx.reserve_many(3)).expect_ready().is_err());
    drop(rx);
    assert!(spawn(tx.reserve_many(1)).expect_ready().is_err());
    assert!(spawn(tx.reserve_many(0)).expect_ready().is_err());
}

#[test]
fn cancelled_reserve_many_gives_slots_back() {
    let (tx, mut rx) = channel::<u32>(2);
    tx.try_send(0).unwrap();
    let mut many = spawn(tx.reserve_many(2));
    many.expect_pending();
    let mut one = spawn(tx.reserve());
    one.expect_pending(); // queued behind the larger request (FIFO)
    many.cancel();
    assert!(one.is_woken());
    assert!(one.expect_ready().is_ok());
    assert_eq!(rx.try_recv(), Ok(0));
}

#[test]
fn weak_and_strong_counts() {
    let (tx, rx) = channel::<u8>(1);
    let w = tx.downgrade();
    let w2 = w.clone();
    assert_eq!((tx.strong_count(), tx.weak_count()), (1, 2));
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (1, 2));
    let tx2 = w.upgrade().unwrap();
    assert_eq!((w2.strong_count(), w2.weak_count()), (2, 2));
    drop(w);
    drop(tx);
    drop(tx2);
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (0, 1));
    assert!(w2.upgrade().is_none());

    let (utx, urx) = unbounded_channel::<u8>();
    let uw = utx.downgrade();
    assert_eq!((utx.strong_count(), utx.weak_count()), (1, 1));
    assert_eq!((uw.strong_count(), uw.weak_count()), (1, 1));
    drop(uw);
    assert_eq!((urx.sender_strong_count(), urx.sender_weak_count()), (1, 0));
}

#[test]
fn owned_permit_same_channel() {
    let (tx, _rx) = channel::<u8>(4);
    let (other, _orx) = channel::<u8>(4);
    let a = tx.clone().try_reserve_owned().unwrap();
    let b = tx.clone().try_reserve_owned().unwrap();
    let c = other.clone().try_reserve_owned().unwrap();
    assert!(a.same_channel(&b));
    assert!(!a.same_channel(&c));
    assert!(a.same_channel_as_sender(&tx));
    assert!(!c.same_channel_as_sender(&tx));
}

#[test]
fn poll_and_blocking_recv_many() {
    let (tx, mut rx) = channel::<u8>(8);
    for i in 0..5 {
        tx.try_send(i).unwrap();
    }
    let mut buf = vec![];
    let n = spawn(std::future::poll_fn(|cx| {
        rx.poll_recv_many(cx, &mut buf, 3)
    }))
    .expect_ready();
    assert_eq!((n, &buf[..]), (3, &[0, 1, 2][..]));
    let th = std::thread::spawn(move || {
        let mut buf = vec![];
        let n = rx.blocking_recv_many(&mut buf, 10);
        (n, buf)
    });
    assert_eq!(th.join().unwrap(), (2, vec![3, 4]));
    drop(tx);
}
