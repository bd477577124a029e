//! `sync::watch` on the current-thread runtime: many receivers following the
//! latest value, shutdown signalling, cancellation at the await point.

use evloop::runtime::Builder;
use evloop::sync::watch;

fn rt() -> evloop::runtime::Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn receivers_see_a_monotonic_subsequence_ending_at_the_last_value() {
    rt().block_on(async {
        let (tx, rx) = watch::channel(0u32);
        let mut tasks = vec![];
        for _ in 0..8 {
            let mut rx = rx.clone();
            tasks.push(evloop::spawn(async move {
                let mut last = *rx.borrow_and_update();
                let mut updates = 0;
                while rx.changed().await.is_ok() {
                    let v = *rx.borrow_and_update();
                    assert!(v > last, "saw {v} after {last}");
                    last = v;
                    updates += 1;
                }
                (last, updates)
            }));
        }
        drop(rx);
        for i in 1..=1_000 {
            tx.send(i).unwrap();
            if i % 7 == 0 {
                evloop::task::yield_now().await;
            }
        }
        drop(tx);
        for t in tasks {
            let (last, updates) = t.await.unwrap();
            assert_eq!(last, 1_000);
            assert!((1..=1_000).contains(&updates));
        }
    });
}

#[test]
fn shutdown_flag_stops_workers_and_closed_resolves() {
    rt().block_on(async {
        let (tx, rx) = watch::channel(false);
        let mut workers = vec![];
        for id in 0..4 {
            let mut rx = rx.clone();
            workers.push(evloop::spawn(async move {
                rx.wait_for(|stop| *stop).await.unwrap();
                id
            }));
        }
        drop(rx);
        evloop::task::yield_now().await;
        assert_eq!(tx.receiver_count(), 4);
        tx.send(true).unwrap();
        let mut ids = vec![];
        for w in workers {
            ids.push(w.await.unwrap());
        }
        assert_eq!(ids, vec![0, 1, 2, 3]);
        // Every receiver has been dropped with its task.
        tx.closed().await;
        assert!(tx.send(false).is_err());
    });
}

#[test]
fn changed_dropped_in_select_loses_no_update() {
    rt().block_on(async {
        let (tx, mut rx) = watch::channel(0);
        let (other_tx, mut other_rx) = watch::channel(());
        let sender = evloop::spawn(async move {
            other_tx.send(()).unwrap();
            evloop::task::yield_now().await;
            tx.send(1).unwrap();
            tx
        });
        // `other_rx` is checked first, so the `changed()` branch is dropped
        // even if the update was already sent when `select!` wakes.
        evloop::select! {
            biased;
            r = other_rx.changed() => r.unwrap(),
            _ = rx.changed() => panic!("the other branch comes first"),
        }
        let _tx = sender.await.unwrap();
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow_and_update(), 1);
    });
}

#[test]
fn sender_clone_and_subscribe() {
    rt().block_on(async {
        let (tx, _rx) = watch::channel(String::new());
        let tx2 = tx.clone();
        let mut late = tx2.subscribe();
        let t = evloop::spawn(async move {
            late.changed().await.unwrap();
            late.borrow_and_update().clone()
        });
        evloop::task::yield_now().await;
        tx.send_modify(|s| s.push_str("hi"));
        assert_eq!(t.await.unwrap(), "hi");
    });
}

#[test]
fn multi_thread_receivers_end_at_the_last_value() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, rx) = watch::channel(0u32);
        let mut tasks = vec![];
        for _ in 0..4 {
            let mut rx = rx.clone();
            tasks.push(evloop::spawn(async move {
                let mut last = 0;
                while rx.changed().await.is_ok() {
                    let v = *rx.borrow_and_update();
                    assert!(v > last);
                    last = v;
                }
                last
            }));
        }
        drop(rx);
        let sender = evloop::spawn(async move {
            for i in 1..=2_000 {
                tx.send(i).unwrap();
                if i % 16 == 0 {
                    evloop::task::yield_now().await;
                }
            }
        });
        sender.await.unwrap();
        for t in tasks {
            assert_eq!(t.await.unwrap(), 2_000);
        }
    });
}
