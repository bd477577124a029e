//! `SetOnce`: set once, waited for by many tasks, on both runtime flavours.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::sync::{SetOnce, SetOnceError};

mod support;

#[test]
fn set_once_wakes_every_waiter() {
    support::rt().block_on(async {
        let cell = Arc::new(SetOnce::<u32>::new());
        let waiters: Vec<_> = (0..8)
            .map(|_| {
                let c = cell.clone();
                evloop::spawn(async move { *c.wait().await })
            })
            .collect();
        evloop::task::yield_now().await;
        assert!(!cell.initialized());
        assert_eq!(cell.get(), None);
        cell.set(5).unwrap();
        for w in waiters {
            assert_eq!(w.await.unwrap(), 5);
        }
        // After the set, `wait` completes at once.
        assert_eq!(*cell.wait().await, 5);
    });
}

#[test]
fn set_once_second_set_gives_the_value_back() {
    let cell = SetOnce::new();
    cell.set(String::from("a")).unwrap();
    let err: SetOnceError<String> = cell.set(String::from("b")).unwrap_err();
    assert_eq!(err.0, "b");
    assert_eq!(err.to_string(), "SetOnce value already set");
    assert_eq!(cell.get().map(String::as_str), Some("a"));
}

#[test]
fn set_once_constructors() {
    static EMPTY: SetOnce<u8> = SetOnce::const_new();
    static FULL: SetOnce<u8> = SetOnce::const_new_with(3);
    assert!(!EMPTY.initialized());
    assert_eq!(FULL.get(), Some(&3));
    assert!(FULL.set(4).is_err());
    assert_eq!(SetOnce::new_with(Some(1)).get(), Some(&1));
    assert_eq!(SetOnce::<u8>::new_with(None).get(), None);
    assert_eq!(SetOnce::from(9).into_inner(), Some(9));
    assert_eq!(SetOnce::<u8>::default().into_inner(), None);
    let a = SetOnce::from(2);
    assert_eq!(a.clone(), a);
    assert_ne!(a, SetOnce::new());
    assert_eq!(format!("{:?}", a), "SetOnce { value: Some(2) }");
}

#[test]
fn set_once_drops_its_value_once() {
    struct D(Arc<AtomicUsize>);
    impl Drop for D {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let cell = SetOnce::new();
    assert!(cell.set(D(drops.clone())).is_ok());
    // The rejected value is handed back, not dropped by the cell.
    let rejected = cell.set(D(drops.clone())).unwrap_err();
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(rejected);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(cell);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    let inner = SetOnce::from(D(drops.clone())).into_inner();
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    drop(inner);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

#[test]
fn set_once_cancelled_wait_loses_nothing() {
    support::rt().block_on(async {
        let cell = Arc::new(SetOnce::new());
        let r = evloop::time::timeout(Duration::from_millis(5), cell.wait()).await;
        assert!(r.is_err());
        let c = cell.clone();
        let w = evloop::spawn(async move { *c.wait().await });
        evloop::task::yield_now().await;
        cell.set(1u8).unwrap();
        assert_eq!(w.await.unwrap(), 1);
    });
}

#[test]
fn set_once_set_from_threads_while_tasks_wait() {
    support::mt().block_on(async {
        for round in 0..200u32 {
            let cell = Arc::new(SetOnce::new());
            let waiters: Vec<_> = (0..4)
                .map(|_| {
                    let c = cell.clone();
                    evloop::spawn(async move { *c.wait().await })
                })
                .collect();
            let setters: Vec<_> = (0..2u32)
                .map(|i| {
                    let c = cell.clone();
                    std::thread::spawn(move || {
                        // The loser sees the winner's value at once.
                        match c.set(round * 2 + i) {
                            Ok(()) => round * 2 + i,
                            Err(_) => *c.get().unwrap(),
                        }
                    })
                })
                .collect();
            let seen: Vec<u32> = setters.into_iter().map(|t| t.join().unwrap()).collect();
            assert_eq!(seen[0], seen[1]);
            for w in waiters {
                let v = evloop::time::timeout(Duration::from_secs(10), w)
                    .await
                    .expect("waiter missed the set")
                    .unwrap();
                assert_eq!(v, seen[0]);
            }
        }
    });
}

#[test]
fn set_once_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SetOnce<u8>>();
    assert_send_sync::<SetOnceError<u8>>();
}
