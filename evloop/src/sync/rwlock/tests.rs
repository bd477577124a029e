use super::*;
use crate::sync::test_util::spawn;

#[test]
fn readers_share_writer_excludes() {
    let l = RwLock::new(1);
    let r1 = l.try_read().unwrap();
    let r2 = l.try_read().unwrap();
    assert!(l.try_write().is_err());
    drop((r1, r2));
    let w = l.try_write().unwrap();
    assert!(l.try_read().is_err());
    drop(w);
}

#[test]
fn waiting_writer_blocks_new_readers() {
    let l = RwLock::with_max_readers(0, 4);
    let r = l.try_read().unwrap();
    let mut w = spawn(async {
        *l.write().await += 1;
    });
    w.expect_pending();
    // Write preference: a new reader queues behind the writer.
    assert!(l.try_read().is_err());
    let mut r2 = spawn(async { *l.read().await });
    r2.expect_pending();
    drop(r);
    assert!(w.is_woken());
    w.expect_ready();
    assert!(r2.is_woken());
    assert_eq!(r2.expect_ready(), 1);
}

#[test]
fn cancelled_writer_returns_reserved_slots() {
    let l = RwLock::with_max_readers(0, 4);
    let r = l.try_read().unwrap();
    let mut w = spawn(l.write());
    w.expect_pending();
    w.cancel();
    let more: Vec<_> = (0..3).map(|_| l.try_read().unwrap()).collect();
    drop(more);
    drop(r);
    assert!(l.try_write().is_ok());
}

#[test]
fn map_and_downgrade() {
    let l = RwLock::new((1, String::from("x")));
    {
        let w = l.try_write().unwrap();
        let mut s = RwLockWriteGuard::map(w, |v| &mut v.1);
        s.push('y');
    }
    let w = l.try_write().unwrap();
    let r = RwLockWriteGuard::downgrade(w);
    let other = l.try_read().unwrap();
    assert!(l.try_write().is_err());
    let name = RwLockReadGuard::map(other, |v| &v.1);
    assert_eq!(&*name, "xy");
    drop((r, name));
    assert!(l.try_write().is_ok());
}

#[test]
fn try_map_gives_the_guard_back_on_none() {
    let l = RwLock::new(vec![1, 2, 3]);
    let r = l.try_read().unwrap();
    let r = RwLockReadGuard::try_map(r, |v| v.get(9)).unwrap_err();
    let second = RwLockReadGuard::try_map(r, |v| v.get(1)).unwrap();
    assert_eq!(*second, 2);
    drop(second);
    let w = l.try_write().unwrap();
    let w = RwLockWriteGuard::try_map(w, |v| v.get_mut(9)).unwrap_err();
    let mut last = RwLockWriteGuard::try_map(w, |v| v.last_mut()).unwrap();
    *last = 30;
    let last = RwLockMappedWriteGuard::try_map(last, |_| None::<&mut i32>).unwrap_err();
    drop(last);
    assert_eq!(*l.try_read().unwrap(), [1, 2, 30]);
    let whole = RwLockWriteGuard::into_mapped(l.try_write().unwrap());
    assert!(l.try_read().is_err());
    drop(whole);
}

#[test]
fn downgrade_map_keeps_writers_out() {
    let l = RwLock::with_max_readers((1, 2), 3);
    let w = l.try_write().unwrap();
    let first = RwLockWriteGuard::downgrade_map(w, |v| &v.0);
    assert_eq!(*first, 1);
    let other = l.try_read().unwrap(); // readers get in...
    assert!(l.try_write().is_err()); // ...writers do not
    drop((first, other));
    let w = l.try_write().unwrap();
    let w = RwLockWriteGuard::try_downgrade_map(w, |_| None::<&u8>).unwrap_err();
    let second = RwLockWriteGuard::try_downgrade_map(w, |v| Some(&v.1)).unwrap();
    assert_eq!(*second, 2);
    assert!(l.try_write().is_err());
    drop(second);
    // Every permit is back: a writer gets in.
    assert!(l.try_write().is_ok());
    // The method form of `downgrade`, as tokio spells it.
    let r = l.try_write().unwrap().downgrade();
    assert!(l.try_write().is_err());
    drop(r);
}

#[test]
fn owned_guards_hold_the_lock_and_its_permits() {
    let l = std::sync::Arc::new(RwLock::with_max_readers(String::from("a"), 4));
    let r = l.clone().try_read_owned().unwrap();
    assert!(l.clone().try_write_owned().is_err());
    assert_eq!(std::sync::Arc::strong_count(&l), 2);
    let len = OwnedRwLockReadGuard::map(r, String::as_str);
    assert_eq!(&*len, "a");
    assert!(std::sync::Arc::ptr_eq(
        OwnedRwLockReadGuard::rwlock(&len),
        &l
    ));
    let len = OwnedRwLockReadGuard::try_map(len, |_| None::<&u8>).unwrap_err();
    drop(len);
    assert_eq!(std::sync::Arc::strong_count(&l), 1);

    let mut w = l.clone().try_write_owned().unwrap();
    w.push('b');
    assert!(l.clone().try_read_owned().is_err());
    let mut m = OwnedRwLockWriteGuard::map(w, |s| s);
    m.push('c');
    let m = OwnedRwLockMappedWriteGuard::try_map(m, |_| None::<&mut u8>).unwrap_err();
    let m = OwnedRwLockMappedWriteGuard::map(m, String::as_mut_str);
    assert_eq!(&*m, "abc");
    assert!(std::sync::Arc::ptr_eq(
        OwnedRwLockMappedWriteGuard::rwlock(&m),
        &l
    ));
    drop(m);
    assert_eq!(std::sync::Arc::strong_count(&l), 1);
    assert_eq!(*l.try_read().unwrap(), "abc");

    let w = l.clone().try_write_owned().unwrap();
    assert!(std::sync::Arc::ptr_eq(
        OwnedRwLockWriteGuard::rwlock(&w),
        &l
    ));
    let r = w.downgrade();
    let r2 = l.clone().try_read_owned().unwrap();
    assert!(l.clone().try_write_owned().is_err());
    drop((r, r2));
    let w = l.clone().try_write_owned().unwrap();
    let w = OwnedRwLockWriteGuard::try_downgrade_map(w, |_| None::<&u8>).unwrap_err();
    let tail = OwnedRwLockWriteGuard::downgrade_map(w, |s| &s[1..]);
    assert_eq!(&*tail, "bc");
    assert!(l.clone().try_write_owned().is_err());
    drop(tail);
    let whole = OwnedRwLockWriteGuard::into_mapped(l.clone().try_write_owned().unwrap());
    assert_eq!(format!("{whole} {whole:?}"), "abc \"abc\"");
    drop(whole);
    assert_eq!(std::sync::Arc::strong_count(&l), 1);
    assert!(l.try_write().is_ok());
}

#[test]
fn owned_write_waits_for_readers() {
    let l = std::sync::Arc::new(RwLock::new(0));
    let r = l.clone().try_read_owned().unwrap();
    let mut w = spawn(l.clone().write_owned());
    w.expect_pending();
    let mut r2 = spawn(l.clone().read_owned());
    r2.expect_pending(); // write preference
    drop(r);
    assert!(w.is_woken());
    let mut guard = w.expect_ready();
    *guard += 1;
    drop(guard);
    assert!(r2.is_woken());
    assert_eq!(*r2.expect_ready(), 1);
}
