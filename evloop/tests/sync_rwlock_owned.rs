//! `RwLock`'s owned guards moved into tasks, on both runtime flavours.

use std::sync::Arc;
use std::time::Duration;

use evloop::sync::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
};

mod support;

fn send_sync<T: Send + Sync>() {}

#[test]
fn owned_guards_are_send_sync_and_static() {
    send_sync::<OwnedRwLockReadGuard<String>>();
    send_sync::<OwnedRwLockReadGuard<String, str>>();
    send_sync::<OwnedRwLockWriteGuard<String>>();
    send_sync::<OwnedRwLockMappedWriteGuard<String, str>>();
    fn is_static<T: 'static>(_: &T) {}
    let l = Arc::new(RwLock::new(1));
    is_static(&l.clone().try_read_owned().unwrap());
}

#[test]
fn writers_in_tasks_see_each_others_updates() {
    support::mt().block_on(async {
        let lock = Arc::new(RwLock::with_max_readers(0u64, 8));
        let mut tasks = vec![];
        for i in 0..16 {
            let lock = lock.clone();
            tasks.push(evloop::spawn(async move {
                if i % 2 == 0 {
                    let mut w = lock.write_owned().await;
                    *w += 1;
                    evloop::task::yield_now().await; // held across a yield
                    *w += 1;
                } else {
                    let r = lock.read_owned().await;
                    assert_eq!(*r % 2, 0, "a reader saw a half-done write");
                }
            }));
        }
        for t in tasks {
            evloop::time::timeout(Duration::from_secs(10), t)
                .await
                .expect("lock users stalled")
                .unwrap();
        }
        assert_eq!(*lock.read().await, 16);
    });
}

#[test]
fn downgraded_owned_guard_blocks_writers_until_dropped() {
    support::rt().block_on(async {
        let lock = Arc::new(RwLock::new(vec![1, 2]));
        let mut w = lock.clone().write_owned().await;
        w.push(3);
        let first = OwnedRwLockWriteGuard::downgrade_map(w, |v| &v[0]);
        let l2 = lock.clone();
        let writer = evloop::spawn(async move { l2.write_owned().await.len() });
        evloop::task::yield_now().await;
        assert!(!writer.is_finished());
        assert_eq!(*first, 1);
        drop(first);
        assert_eq!(writer.await.unwrap(), 3);
    });
}
