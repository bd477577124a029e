//! `sync::broadcast` on the current-thread runtime: fan-out to many tasks,
//! lagging receivers, closing, cancellation at the await point.

use evloop::runtime::Builder;
use evloop::sync::broadcast::{self, error::RecvError};

fn rt() -> evloop::runtime::Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn fan_out_every_receiver_gets_every_value_in_order() {
    rt().block_on(async {
        let (tx, rx) = broadcast::channel::<u32>(1024);
        let mut tasks = vec![];
        for _ in 0..10 {
            let mut rx = rx.resubscribe();
            tasks.push(evloop::spawn(async move {
                let mut sum = 0u64;
                let mut expect = 0;
                loop {
                    match rx.recv().await {
                        Ok(v) => {
                            assert_eq!(v, expect);
                            expect += 1;
                            sum += v as u64;
                        }
                        Err(RecvError::Closed) => return (expect, sum),
                        Err(RecvError::Lagged(n)) => panic!("lagged by {n}"),
                    }
                }
            }));
        }
        drop(rx);
        for i in 0..1_000 {
            tx.send(i).unwrap();
            if i % 100 == 0 {
                evloop::task::yield_now().await;
            }
        }
        drop(tx);
        for t in tasks {
            assert_eq!(t.await.unwrap(), (1_000, 999 * 1_000 / 2));
        }
    });
}

#[test]
fn slow_receiver_lags_then_catches_up() {
    rt().block_on(async {
        let (tx, mut slow) = broadcast::channel::<u32>(8);
        let mut fast = tx.subscribe();
        let fast_task = evloop::spawn(async move {
            let mut n = 0;
            while fast.recv().await.is_ok() {
                n += 1;
            }
            n
        });
        for i in 0..100 {
            tx.send(i).unwrap();
            evloop::task::yield_now().await;
        }
        drop(tx);
        assert_eq!(fast_task.await.unwrap(), 100);
        assert_eq!(slow.recv().await, Err(RecvError::Lagged(92)));
        let mut rest = vec![];
        while let Ok(v) = slow.recv().await {
            rest.push(v);
        }
        assert_eq!(rest, (92..100).collect::<Vec<_>>());
    });
}

#[test]
fn recv_dropped_in_select_loses_nothing() {
    rt().block_on(async {
        let (tx, mut rx) = broadcast::channel::<u32>(4);
        let (wake_tx, mut wake_rx) = broadcast::channel::<()>(1);
        let sender = evloop::spawn(async move {
            wake_tx.send(()).unwrap();
            evloop::task::yield_now().await;
            tx.send(1).unwrap();
            tx.send(2).unwrap();
            tx
        });
        // `wake_rx` is checked first, so the `recv()` branch is dropped
        // even if the values were already sent when `select!` wakes.
        evloop::select! {
            biased;
            r = wake_rx.recv() => r.unwrap(),
            v = rx.recv() => panic!("the wake branch comes first, got {v:?}"),
        }
        let _tx = sender.await.unwrap();
        assert_eq!(rx.recv().await, Ok(1));
        assert_eq!(rx.recv().await, Ok(2));
    });
}

#[test]
fn senders_from_many_tasks() {
    rt().block_on(async {
        let (tx, mut rx) = broadcast::channel::<(u8, u32)>(4096);
        for p in 0..4u8 {
            let tx = tx.clone();
            evloop::spawn(async move {
                for i in 0..500 {
                    tx.send((p, i)).unwrap();
                    evloop::task::yield_now().await;
                }
            });
        }
        drop(tx);
        let mut next = [0u32; 4];
        while let Ok((p, i)) = rx.recv().await {
            assert_eq!(next[p as usize], i, "per-sender order kept");
            next[p as usize] += 1;
        }
        assert_eq!(next, [500; 4]);
    });
}

#[test]
fn blocking_recv_from_a_thread() {
    let (tx, mut rx) = broadcast::channel::<u32>(4);
    let th = std::thread::spawn(move || {
        let mut got = vec![];
        while let Ok(v) = rx.blocking_recv() {
            got.push(v);
        }
        got
    });
    rt().block_on(async move {
        for i in 0..3 {
            while tx.len() >= 3 {
                evloop::task::yield_now().await;
            }
            tx.send(i).unwrap();
        }
    });
    assert_eq!(th.join().unwrap(), vec![0, 1, 2]);
}

#[test]
fn multi_thread_fan_out_without_loss() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, rx) = broadcast::channel::<u32>(4096);
        let mut tasks = vec![];
        for _ in 0..4 {
            let mut rx = rx.resubscribe();
            tasks.push(evloop::spawn(async move {
                let mut expect = 0;
                loop {
                    match rx.recv().await {
                        Ok(v) => {
                            assert_eq!(v, expect);
                            expect += 1;
                        }
                        Err(RecvError::Closed) => return expect,
                        Err(RecvError::Lagged(n)) => panic!("lagged by {n}"),
                    }
                }
            }));
        }
        drop(rx);
        let sender = evloop::spawn(async move {
            for i in 0..4_000 {
                tx.send(i).unwrap();
                if i % 64 == 0 {
                    evloop::task::yield_now().await;
                }
            }
        });
        sender.await.unwrap();
        for t in tasks {
            assert_eq!(t.await.unwrap(), 4_000);
        }
    });
}

#[test]
fn multi_thread_lagging_receivers_drop_everything() {
    let live = std::sync::Arc::new(());
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let l = live.clone();
    rt.block_on(async move {
        let (tx, rx) = broadcast::channel::<std::sync::Arc<()>>(8);
        let mut tasks = vec![];
        for _ in 0..3 {
            let mut rx = rx.resubscribe();
            tasks.push(evloop::spawn(async move {
                let mut n = 0u64;
                loop {
                    match rx.recv().await {
                        Ok(_) => n += 1,
                        Err(RecvError::Lagged(k)) => n += k,
                        Err(RecvError::Closed) => return n,
                    }
                }
            }));
        }
        drop(rx);
        for _ in 0..1_000 {
            tx.send(l.clone()).unwrap();
        }
        drop(tx);
        drop(l);
        for t in tasks {
            assert_eq!(t.await.unwrap(), 1_000);
        }
    });
    assert_eq!(
        std::sync::Arc::strong_count(&live),
        1,
        "every value dropped"
    );
}
