//! `sync::CancellationToken` on the current-thread runtime: trees of tasks
//! stopped by one cancel, guards, and waiting futures dropped at their await.

use evloop::runtime::Builder;
use evloop::sync::{oneshot, CancellationToken};

fn rt() -> evloop::runtime::Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn cancelling_the_root_stops_every_worker_in_the_tree() {
    rt().block_on(async {
        let root = CancellationToken::new();
        let mut workers = vec![];
        for group in 0..4 {
            let group_token = root.child_token();
            for _ in 0..25 {
                let token = group_token.child_token();
                workers.push(evloop::spawn(async move {
                    token.cancelled().await;
                    group
                }));
            }
        }
        evloop::task::yield_now().await;
        root.cancel();
        let mut per_group = [0; 4];
        for w in workers {
            per_group[w.await.unwrap()] += 1;
        }
        assert_eq!(per_group, [25; 4]);
    });
}

#[test]
fn cancelling_a_child_leaves_siblings_running() {
    rt().block_on(async {
        let root = CancellationToken::new();
        let a = root.child_token();
        let b = root.child_token();
        let (done_tx, done_rx) = oneshot::channel();
        let b2 = b.clone();
        let sibling = evloop::spawn(async move {
            evloop::select! {
                _ = b2.cancelled() => {}
                _ = done_rx => return "sibling finished on its own",
            }
            "sibling cancelled"
        });
        a.cancel();
        evloop::task::yield_now().await;
        assert!(!b.is_cancelled());
        done_tx.send(()).unwrap();
        assert_eq!(sibling.await.unwrap(), "sibling finished on its own");
    });
}

#[test]
fn cancelled_dropped_in_select_loses_nothing() {
    rt().block_on(async {
        let token = CancellationToken::new();
        let (tx, rx) = oneshot::channel::<()>();
        tx.send(()).unwrap();
        // The `cancelled()` branch is polled, then dropped when `rx` wins.
        evloop::select! {
            biased;
            _ = token.cancelled() => panic!("not cancelled yet"),
            r = rx => r.unwrap(),
        }
        let t2 = token.clone();
        let waiter = evloop::spawn(t2.cancelled_owned());
        evloop::task::yield_now().await;
        token.cancel();
        waiter.await.unwrap();
    });
}

#[test]
fn drop_guard_cancels_when_its_task_ends() {
    rt().block_on(async {
        let token = CancellationToken::new();
        let guard = token.clone().drop_guard();
        let owner = evloop::spawn(async move {
            let _guard = guard;
            evloop::task::yield_now().await;
        });
        token.clone().cancelled_owned().await;
        owner.await.unwrap();
        assert!(token.is_cancelled());
    });
}

#[test]
fn children_created_and_dropped_in_a_loop_from_tasks() {
    rt().block_on(async {
        let root = CancellationToken::new();
        let mut tasks = vec![];
        for _ in 0..4 {
            let root = root.clone();
            tasks.push(evloop::spawn(async move {
                for i in 0..25_000 {
                    let child = root.child_token();
                    assert!(!child.is_cancelled());
                    if i % 1_000 == 0 {
                        evloop::task::yield_now().await;
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let late = root.child_token();
        root.cancel();
        assert!(late.is_cancelled());
    });
}

#[test]
fn multi_thread_cancel_races_with_child_creation() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..50 {
            let root = CancellationToken::new();
            let mut tasks = vec![];
            for _ in 0..4 {
                let root = root.clone();
                tasks.push(evloop::spawn(async move {
                    for _ in 0..20 {
                        let child = root.child_token();
                        if root.is_cancelled() {
                            assert!(child.is_cancelled());
                            child.cancelled().await;
                            return;
                        }
                        evloop::task::yield_now().await;
                    }
                    root.child_token().cancelled_owned().await;
                }));
            }
            evloop::task::yield_now().await;
            root.cancel();
            for t in tasks {
                t.await.unwrap();
            }
        }
    });
}
