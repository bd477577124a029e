//! Sync primitives on the current-thread runtime: channels, locks and
//! notifications driven by real tasks.

use std::sync::Arc;

use evloop::runtime::Builder;
use evloop::sync::{mpsc, oneshot, Barrier, Mutex, Notify, Semaphore};

fn rt() -> evloop::runtime::Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn mpsc_ping_pong_between_tasks() {
    rt().block_on(async {
        let (to_b, mut b_rx) = mpsc::channel::<u32>(1);
        let (to_a, mut a_rx) = mpsc::channel::<u32>(1);
        let b = evloop::spawn(async move {
            while let Some(n) = b_rx.recv().await {
                if to_a.send(n + 1).await.is_err() {
                    break;
                }
            }
        });
        let mut n = 0;
        for _ in 0..5_000 {
            to_b.send(n).await.unwrap();
            n = a_rx.recv().await.unwrap();
        }
        assert_eq!(n, 5_000);
        drop(to_b);
        b.await.unwrap();
    });
}

#[test]
fn mpsc_many_producers_bounded() {
    rt().block_on(async {
        let (tx, mut rx) = mpsc::channel::<u64>(64);
        for p in 0..4u64 {
            let tx = tx.clone();
            evloop::spawn(async move {
                for i in 0..10_000u64 {
                    tx.send(p * 1_000_000 + i).await.unwrap();
                }
            });
        }
        drop(tx);
        let mut count = 0;
        let mut last = [None::<u64>; 4];
        while let Some(v) = rx.recv().await {
            let p = (v / 1_000_000) as usize;
            assert!(last[p].is_none_or(|l| l < v));
            last[p] = Some(v);
            count += 1;
        }
        assert_eq!(count, 40_000);
    });
}

#[test]
fn oneshot_and_notify_across_tasks() {
    rt().block_on(async {
        let notify = Arc::new(Notify::new());
        let (tx, rx) = oneshot::channel();
        let n = notify.clone();
        let h = evloop::spawn(async move {
            n.notified().await;
            tx.send("done").unwrap();
        });
        evloop::task::yield_now().await;
        notify.notify_one();
        assert_eq!(rx.await, Ok("done"));
        h.await.unwrap();
    });
}

#[test]
fn mutex_and_semaphore_under_contention() {
    rt().block_on(async {
        let m = Arc::new(Mutex::new(0u32));
        let sem = Arc::new(Semaphore::new(3));
        let hs: Vec<_> = (0..50)
            .map(|_| {
                let (m, sem) = (m.clone(), sem.clone());
                evloop::spawn(async move {
                    let _permit = sem.acquire().await.unwrap();
                    let mut g = m.lock().await;
                    evloop::task::yield_now().await;
                    *g += 1;
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        assert_eq!(*m.lock().await, 50);
        assert_eq!(sem.available_permits(), 3);
    });
}

#[test]
fn barrier_releases_all_tasks() {
    rt().block_on(async {
        let b = Arc::new(Barrier::new(10));
        let hs: Vec<_> = (0..10)
            .map(|_| {
                let b = b.clone();
                evloop::spawn(async move { b.wait().await.is_leader() })
            })
            .collect();
        let mut leaders = 0;
        for h in hs {
            leaders += h.await.unwrap() as usize;
        }
        assert_eq!(leaders, 1);
    });
}

#[test]
#[should_panic(expected = "from within an asynchronous runtime")]
fn blocking_recv_inside_runtime_panics() {
    rt().block_on(async {
        let (_tx, rx) = oneshot::channel::<u8>();
        let _ = rx.blocking_recv();
    });
}

#[test]
fn mpsc_send_timeout_times_out_then_succeeds() {
    use evloop::sync::mpsc::error::SendTimeoutError;
    use std::time::Duration;
    Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(async {
            let (tx, mut rx) = mpsc::channel::<u32>(1);
            tx.send(1).await.unwrap();
            let start = evloop::time::Instant::now();
            match tx.send_timeout(2, Duration::from_millis(50)).await {
                Err(SendTimeoutError::Timeout(2)) => {}
                other => panic!("expected a timeout, got {other:?}"),
            }
            assert!(start.elapsed() >= Duration::from_millis(50));
            // Capacity freed while waiting: the send goes through.
            let receiver = evloop::spawn(async move {
                evloop::time::sleep(Duration::from_millis(10)).await;
                let first = rx.recv().await;
                (first, rx.recv().await)
            });
            tx.send_timeout(3, Duration::from_secs(1)).await.unwrap();
            drop(tx);
            assert_eq!(receiver.await.unwrap(), (Some(1), Some(3)));
            // Closed receiver: the value comes back as Closed.
            let (tx, rx) = mpsc::channel::<u32>(1);
            drop(rx);
            match tx.send_timeout(4, Duration::from_millis(5)).await {
                Err(e @ SendTimeoutError::Closed(_)) => assert_eq!(e.into_inner(), 4),
                other => panic!("expected closed, got {other:?}"),
            }
        });
}
