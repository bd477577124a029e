//! `LocalSet` and `spawn_local`: `!Send` tasks on the current thread.

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use evloop::task::{self, LocalSet};
use support::{rt, DropCounter, Gate};

#[test]
fn runs_not_send_tasks() {
    let rt = rt();
    let local = LocalSet::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    local.block_on(&rt, async move {
        let hs: Vec<_> = (0..10)
            .map(|i| {
                let l = l.clone();
                task::spawn_local(async move {
                    task::yield_now().await;
                    l.borrow_mut().push(i);
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    });
    assert_eq!(*log.borrow(), (0..10).collect::<Vec<_>>());
}

#[test]
fn spawn_local_outside_a_set_panics() {
    let rt = rt();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            task::spawn_local(async {});
        })
    }))
    .unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("outside of a `LocalSet`"), "{msg}");
}

#[test]
fn awaiting_the_set_runs_all_tasks() {
    let rt = rt();
    let local = LocalSet::new();
    let count = Rc::new(RefCell::new(0));
    for _ in 0..100 {
        let c = count.clone();
        local.spawn_local(async move {
            task::yield_now().await;
            *c.borrow_mut() += 1;
        });
    }
    rt.block_on(local);
    assert_eq!(*count.borrow(), 100);
}

#[test]
fn woken_from_another_thread() {
    let rt = rt();
    let local = LocalSet::new();
    let gate = Gate::new();
    let g = gate.clone();
    let out = local.block_on(&rt, async move {
        let h = task::spawn_local(async move {
            let not_send = Rc::new(3);
            g.wait().await;
            *not_send
        });
        let opener = std::thread::spawn(move || gate.open());
        let v = h.await.unwrap();
        opener.join().unwrap();
        v
    });
    assert_eq!(out, 3);
}

#[test]
fn dropping_the_set_cancels_its_tasks() {
    let rt = rt();
    let drops = DropCounter::new();
    let local = LocalSet::new();
    let handles: Vec<_> = (0..5)
        .map(|_| {
            let t = drops.track();
            local.spawn_local(async move {
                let _t = t;
                std::future::pending::<()>().await;
            })
        })
        .collect();
    local.block_on(&rt, task::yield_now());
    assert_eq!(drops.dropped(), 0);
    drop(local);
    assert_eq!(drops.dropped(), 5);
    rt.block_on(async {
        for h in handles {
            assert!(h.await.unwrap_err().is_cancelled());
        }
    });
}

#[test]
fn local_tasks_panics_are_join_errors() {
    let rt = rt();
    let local = LocalSet::new();
    local.block_on(&rt, async {
        let err = task::spawn_local(async { panic!("local boom") })
            .await
            .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(task::spawn_local(async { 1 }).await.unwrap(), 1);
    });
}

#[test]
fn set_and_runtime_tasks_interleave() {
    let rt = rt();
    let local = LocalSet::new();
    let out = local.block_on(&rt, async {
        let a = evloop::spawn(async { 1 });
        let b = task::spawn_local(async { 2 });
        a.await.unwrap() + b.await.unwrap()
    });
    assert_eq!(out, 3);
}
