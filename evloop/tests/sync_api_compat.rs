//! tokio-compatible corners of `evloop::sync`: broadcast sender
//! bookkeeping, blocking semaphore acquires, and the auto traits
//! (`Send`, `Sync`, `UnwindSafe`) that generic code relies on.

use std::cell::Cell;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use evloop::sync::broadcast::{self, error::TryRecvError};
use evloop::sync::{mpsc, Notify, Semaphore};

mod support;

fn send_sync<T: Send + Sync>() {}
fn unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}

/// `Cell<u8>` is `Send` but not `Sync`: broadcast handles holding it must
/// still be `Send + Sync`, as tokio's are.
#[test]
fn broadcast_handles_are_send_sync_for_send_values() {
    send_sync::<broadcast::Sender<Cell<u8>>>();
    send_sync::<broadcast::Receiver<Cell<u8>>>();
    send_sync::<broadcast::WeakSender<Cell<u8>>>();
}

#[test]
fn mpsc_handles_are_unwind_safe() {
    struct NotUnwindSafe(#[allow(dead_code)] &'static mut u8);
    unwind_safe::<mpsc::Sender<NotUnwindSafe>>();
    unwind_safe::<mpsc::Receiver<NotUnwindSafe>>();
    unwind_safe::<mpsc::WeakSender<NotUnwindSafe>>();
    unwind_safe::<mpsc::Permit<'static, NotUnwindSafe>>();
    unwind_safe::<mpsc::PermitIterator<'static, NotUnwindSafe>>();
    unwind_safe::<mpsc::OwnedPermit<NotUnwindSafe>>();
    unwind_safe::<mpsc::UnboundedSender<NotUnwindSafe>>();
    unwind_safe::<mpsc::UnboundedReceiver<NotUnwindSafe>>();
    unwind_safe::<mpsc::WeakUnboundedSender<NotUnwindSafe>>();
}

#[test]
fn notify_is_unwind_safe() {
    unwind_safe::<Notify>();
}

#[test]
fn broadcast_sender_new_has_no_receiver() {
    let tx = broadcast::Sender::<u8>::new(2);
    assert_eq!(tx.receiver_count(), 0);
    assert_eq!(tx.send(1).unwrap_err().0, 1);
    let mut rx = tx.subscribe();
    assert_eq!(tx.send(2).unwrap(), 1);
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn broadcast_weak_sender_and_counts() {
    let (tx, mut rx) = broadcast::channel::<u8>(4);
    let weak = tx.downgrade();
    let weak2 = weak.clone();
    assert_eq!((tx.strong_count(), tx.weak_count()), (1, 2));
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (1, 2));
    let tx2 = weak.upgrade().expect("a sender is alive");
    assert!(tx2.same_channel(&tx));
    assert_eq!((weak2.strong_count(), weak2.weak_count()), (2, 2));
    drop(weak);
    assert_eq!(tx.weak_count(), 1);
    tx2.send(3).unwrap();
    drop(tx2);
    drop(tx);
    // Weak senders do not keep the channel open.
    assert!(rx.is_closed());
    assert!(weak2.upgrade().is_none());
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (0, 1));
}

#[test]
fn broadcast_len_and_is_empty() {
    let (tx, mut rx) = broadcast::channel::<u8>(4);
    assert!(tx.is_empty());
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!((tx.len(), rx.len()), (2, 2));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!((tx.len(), rx.len()), (1, 1));
    assert_eq!(rx.try_recv(), Ok(2));
    assert!(tx.is_empty() && rx.is_empty());
}

#[test]
fn broadcast_closed_waits_for_the_last_receiver() {
    support::rt().block_on(async {
        let (tx, rx) = broadcast::channel::<u8>(4);
        let rx2 = tx.subscribe();
        let tx = Arc::new(tx);
        let t = tx.clone();
        let closed = evloop::spawn(async move { t.closed().await });
        evloop::task::yield_now().await;
        assert!(!closed.is_finished());
        drop(rx);
        evloop::task::yield_now().await;
        assert!(!closed.is_finished());
        drop(rx2);
        evloop::time::timeout(Duration::from_secs(10), closed)
            .await
            .expect("closed() missed the last receiver")
            .unwrap();
        // With no receiver it completes at once.
        tx.closed().await;
    });
}

#[test]
fn broadcast_closed_across_threads() {
    support::mt().block_on(async {
        for _ in 0..200 {
            let (tx, rx) = broadcast::channel::<u8>(1);
            let th = std::thread::spawn(move || drop(rx));
            evloop::time::timeout(Duration::from_secs(10), tx.closed())
                .await
                .expect("closed() missed a receiver drop on another thread");
            th.join().unwrap();
        }
    });
}

#[test]
fn semaphore_blocking_acquire_from_threads() {
    let sem = Arc::new(Semaphore::new(2));
    let held = sem.clone().try_acquire_many_owned(2).unwrap();
    let borrowed = {
        let sem = sem.clone();
        std::thread::spawn(move || {
            let p = sem.blocking_acquire().unwrap();
            assert!(std::ptr::eq(p.semaphore(), &*sem));
            p.num_permits()
        })
    };
    let many = {
        let sem = sem.clone();
        std::thread::spawn(move || sem.blocking_acquire_many(2).unwrap().num_permits())
    };
    let owned = {
        let sem = sem.clone();
        std::thread::spawn(move || sem.blocking_acquire_owned().unwrap().num_permits())
    };
    let owned_many = {
        let sem = sem.clone();
        std::thread::spawn(move || sem.blocking_acquire_many_owned(2).unwrap().num_permits())
    };
    drop(held);
    assert_eq!(borrowed.join().unwrap(), 1);
    assert_eq!(many.join().unwrap(), 2);
    assert_eq!(owned.join().unwrap(), 1);
    assert_eq!(owned_many.join().unwrap(), 2);
    assert_eq!(sem.available_permits(), 2);
    sem.close();
    assert!(sem.blocking_acquire().is_err());
}

#[test]
fn semaphore_blocking_acquire_panics_inside_the_runtime() {
    let sem = Semaphore::new(1);
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        support::rt().block_on(async {
            let _p = sem.blocking_acquire();
        })
    }));
    let err = res.expect_err("blocking_acquire inside a runtime must panic");
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or_default();
    assert!(msg.contains("Semaphore::blocking_acquire"), "{msg}");
    // The permit was never taken.
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn mutex_owned_mapped_guards() {
    use evloop::sync::{
        MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard,
    };
    send_sync::<OwnedMappedMutexGuard<Vec<u8>, [u8]>>();
    let m = Arc::new(Mutex::new((1, String::from("a"))));
    let g = m.clone().try_lock_owned().unwrap();
    let g = OwnedMutexGuard::try_map(g, |_| None::<&mut u8>).unwrap_err();
    let mut s = OwnedMutexGuard::map(g, |p| &mut p.1);
    s.push('b');
    assert!(m.try_lock().is_err());
    assert!(Arc::ptr_eq(OwnedMappedMutexGuard::mutex(&s), &m));
    let s = OwnedMappedMutexGuard::try_map(s, |_| None::<&mut u8>).unwrap_err();
    let s = OwnedMappedMutexGuard::map(s, String::as_mut_str);
    assert_eq!(format!("{s} {s:?}"), "ab \"ab\"");
    let mut s = OwnedMappedMutexGuard::try_map(s, |s| s.get_mut(1..)).unwrap();
    s.make_ascii_uppercase();
    drop(s);
    assert_eq!(Arc::strong_count(&m), 1);
    assert_eq!(m.try_lock().unwrap().1, "aB");

    let g = MutexGuard::map(m.try_lock().unwrap(), |p| &mut p.0);
    let g = MappedMutexGuard::try_map(g, |_| None::<&mut u8>).unwrap_err();
    let mut g = MappedMutexGuard::try_map(g, |v| Some(v)).unwrap();
    *g += 1;
    assert_eq!(format!("{g}"), "2");
    drop(g);
    assert_eq!(m.try_lock().unwrap().0, 2);
}

#[test]
fn once_cell_const_new_with_and_eq() {
    use evloop::sync::OnceCell;
    static READY: OnceCell<u8> = OnceCell::const_new_with(4);
    assert!(READY.initialized());
    assert_eq!(READY.get(), Some(&4));
    assert!(READY.set(5).unwrap_err().is_already_init_err());
    support::rt().block_on(async {
        assert_eq!(*READY.get_or_init(|| async { 6 }).await, 4);
    });
    assert_eq!(OnceCell::from(1), OnceCell::from(1));
    assert_ne!(OnceCell::from(1), OnceCell::new());
}

#[test]
fn watch_sender_new_and_default() {
    use evloop::sync::watch;
    let tx = watch::Sender::new(1u8);
    assert_eq!(tx.receiver_count(), 0);
    assert!(tx.send(2).is_err());
    let rx = tx.subscribe();
    tx.send(3).unwrap();
    assert_eq!(*rx.borrow(), 3);
    let d: watch::Sender<u8> = Default::default();
    assert_eq!(*d.borrow(), 0);
    assert!(!rx.is_closed());
    drop(tx);
    assert!(rx.is_closed());
    assert_eq!(*rx.borrow(), 3);
}
