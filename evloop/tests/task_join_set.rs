//! `task::JoinSet`: completion-order joins, abort on drop, shutdown, panics,
//! cancel safety of `join_next`.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use evloop::runtime::Builder;
use evloop::sync::{oneshot, Notify};
use evloop::task::JoinSet;

fn rt() -> evloop::runtime::Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

fn rt_mt() -> evloop::runtime::Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Drops when the task's future is dropped (completed or aborted).
struct OnDrop(Arc<AtomicUsize>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn thousand_tasks_complete_in_any_order_all_collected() {
    rt().block_on(async {
        let mut set = JoinSet::new();
        let mut senders = vec![];
        for i in 0..1_000u32 {
            let (tx, rx) = oneshot::channel::<()>();
            senders.push(tx);
            set.spawn(async move {
                rx.await.unwrap();
                i
            });
        }
        assert_eq!(set.len(), 1_000);
        // Release them in a scrambled order.
        let mut order: Vec<usize> = (0..1_000).collect();
        order.sort_by_key(|i| (i * 7_919) % 1_000);
        let mut senders: Vec<_> = senders.into_iter().map(Some).collect();
        let mut expected = vec![];
        for &i in &order {
            senders[i].take().unwrap().send(()).unwrap();
            expected.push(i as u32);
        }
        let mut got = vec![];
        while let Some(res) = set.join_next().await {
            got.push(res.unwrap());
        }
        assert!(set.is_empty());
        got.sort();
        assert_eq!(got, (0..1_000).collect::<Vec<_>>());
    });
}

#[test]
fn completion_order_is_reported() {
    rt().block_on(async {
        let mut set = JoinSet::new();
        let (tx_a, rx_a) = oneshot::channel::<()>();
        let (tx_b, rx_b) = oneshot::channel::<()>();
        let a = set.spawn(async move { rx_a.await.map(|_| "a") });
        set.spawn(async move { rx_b.await.map(|_| "b") });
        tx_b.send(()).unwrap();
        assert_eq!(set.join_next().await.unwrap().unwrap(), Ok("b"));
        tx_a.send(()).unwrap();
        let (id, v) = set.join_next_with_id().await.unwrap().unwrap();
        assert_eq!(id, a.id());
        assert_eq!(v, Ok("a"));
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn dropping_the_set_aborts_every_task() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let rt = rt();
    rt.block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..50 {
            let guard = OnDrop(dropped.clone());
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        evloop::task::yield_now().await;
        drop(set);
        for _ in 0..3 {
            evloop::task::yield_now().await;
        }
        assert_eq!(dropped.load(SeqCst), 50);
    });
}

#[test]
fn shutdown_aborts_and_waits() {
    rt().block_on(async {
        let dropped = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        for _ in 0..20 {
            let guard = OnDrop(dropped.clone());
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        set.shutdown().await;
        assert!(set.is_empty());
        assert_eq!(dropped.load(SeqCst), 20);
    });
}

#[test]
fn panics_and_aborts_are_reported() {
    rt().block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { panic!("boom") });
        let pending = set.spawn(std::future::pending::<()>());
        pending.abort();
        let mut panics = 0;
        let mut cancels = 0;
        while let Some(res) = set.join_next().await {
            let err = res.unwrap_err();
            if err.is_panic() {
                panics += 1;
            } else if err.is_cancelled() {
                cancels += 1;
            }
        }
        assert_eq!((panics, cancels), (1, 1));
    });
}

#[test]
fn join_all_resumes_a_panic() {
    let res = std::panic::catch_unwind(|| {
        rt().block_on(async {
            let mut set = JoinSet::new();
            set.spawn(async { 1 });
            set.spawn(async { panic!("inner") });
            set.join_all().await
        })
    });
    let payload = res.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"inner"));
}

#[test]
fn join_all_collects() {
    let mut out = rt().block_on(async {
        let mut set = JoinSet::new();
        for i in 0..10 {
            set.spawn(async move { i });
        }
        set.join_all().await
    });
    out.sort();
    assert_eq!(out, (0..10).collect::<Vec<_>>());
}

#[test]
fn try_join_next_and_detach_all() {
    rt().block_on(async {
        let mut set = JoinSet::new();
        assert!(set.try_join_next().is_none());
        set.spawn(async { 5 });
        assert!(set.try_join_next().is_none(), "not run yet");
        evloop::task::yield_now().await;
        assert_eq!(set.try_join_next().unwrap().unwrap(), 5);
        let notify = Arc::new(Notify::new());
        let n = notify.clone();
        let (tx, rx) = oneshot::channel();
        set.spawn(async move {
            n.notified().await;
            tx.send(()).unwrap();
            6
        });
        set.detach_all();
        assert!(set.is_empty());
        notify.notify_one();
        // The detached task still runs to completion.
        rx.await.unwrap();
    });
}

#[test]
fn join_next_dropped_in_select_loses_nothing() {
    rt().block_on(async {
        let mut set = JoinSet::new();
        let (tx, rx) = oneshot::channel::<()>();
        set.spawn(async move {
            rx.await.unwrap();
            7
        });
        let (go_tx, go_rx) = oneshot::channel::<()>();
        go_tx.send(()).unwrap();
        evloop::select! {
            biased;
            _ = go_rx => {}
            _ = set.join_next() => panic!("task cannot be done"),
        }
        tx.send(()).unwrap();
        assert_eq!(set.join_next().await.unwrap().unwrap(), 7);
    });
}

#[test]
fn spawn_on_spawn_local_and_spawn_blocking() {
    let rt = rt();
    let handle = rt.handle().clone();
    let local = evloop::task::LocalSet::new();
    local.block_on(&rt, async move {
        let mut set = JoinSet::new();
        set.spawn_on(async { 1 }, &handle);
        let not_send = std::rc::Rc::new(2);
        set.spawn_local(async move { *not_send });
        set.spawn_blocking(|| 3);
        let mut got = vec![];
        while let Some(r) = set.join_next().await {
            got.push(r.unwrap());
        }
        got.sort();
        assert_eq!(got, vec![1, 2, 3]);
    });
}

#[test]
fn multi_thread_tasks_complete_concurrently() {
    rt_mt().block_on(async {
        let mut set = JoinSet::new();
        for i in 0..1_000u64 {
            set.spawn(async move {
                if i % 3 == 0 {
                    evloop::time::sleep(Duration::from_millis(1)).await;
                }
                evloop::task::yield_now().await;
                i
            });
        }
        let mut sum = 0;
        while let Some(r) = set.join_next().await {
            sum += r.unwrap();
        }
        assert_eq!(sum, 999 * 1_000 / 2);
    });
}
