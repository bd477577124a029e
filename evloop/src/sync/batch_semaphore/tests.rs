use super::*;
use crate::sync::test_util::spawn;

#[test]
fn fast_path_and_try_acquire() {
    let s = Semaphore::new(3);
    assert_eq!(s.try_acquire(2), Ok(()));
    assert_eq!(s.try_acquire(2), Err(TryAcquireError::NoPermits));
    assert_eq!(s.available_permits(), 1);
    s.release(2);
    assert_eq!(s.available_permits(), 3);
    let mut t = spawn(s.acquire(3));
    assert_eq!(t.expect_ready(), Ok(()));
    assert_eq!(s.available_permits(), 0);
}

#[test]
fn fifo_and_no_barging() {
    let s = Semaphore::new(0);
    let mut big = spawn(s.acquire(3));
    let mut small = spawn(s.acquire(1));
    big.expect_pending();
    small.expect_pending();
    s.release(2);
    // The big waiter at the front holds the 2 permits; the small one waits.
    assert!(!big.is_woken() && !small.is_woken());
    assert_eq!(s.available_permits(), 0);
    assert_eq!(s.try_acquire(1), Err(TryAcquireError::NoPermits));
    s.release(2);
    assert!(big.is_woken() && small.is_woken());
    assert_eq!(big.expect_ready(), Ok(()));
    assert_eq!(small.expect_ready(), Ok(()));
    assert_eq!(s.available_permits(), 0);
}

#[test]
fn cancelled_partial_acquire_returns_permits() {
    let s = Semaphore::new(0);
    let mut a = spawn(s.acquire(5));
    let mut b = spawn(s.acquire(2));
    a.expect_pending();
    b.expect_pending();
    s.release(3); // a holds 3 of 5
    assert!(!b.is_woken());
    a.cancel(); // its 3 go to b (2) and the rest to the pool (1)
    assert!(b.is_woken());
    assert_eq!(b.expect_ready(), Ok(()));
    assert_eq!(s.available_permits(), 1);
}

#[test]
fn cancelled_after_grant_returns_all() {
    let s = Semaphore::new(0);
    let mut a = spawn(s.acquire(4));
    a.expect_pending();
    s.release(4);
    assert!(a.is_woken());
    a.cancel(); // granted but never observed
    assert_eq!(s.available_permits(), 4);
    assert_eq!(s.try_acquire(4), Ok(()));
}

#[test]
fn cancelled_waiter_clears_waiters_flag() {
    let s = Semaphore::new(0);
    let mut a = spawn(s.acquire(1));
    a.expect_pending();
    a.cancel();
    s.release(1);
    assert_eq!(s.try_acquire(1), Ok(()));
}

#[test]
fn close_fails_waiters_and_returns_partial() {
    let s = Semaphore::new(1);
    let mut a = spawn(s.acquire(3));
    a.expect_pending();
    assert_eq!(s.available_permits(), 0);
    s.close();
    assert!(a.is_woken());
    assert_eq!(a.expect_ready(), Err(AcquireError));
    assert_eq!(s.available_permits(), 1);
    assert_eq!(s.try_acquire(1), Err(TryAcquireError::Closed));
    let mut b = spawn(s.acquire(1));
    assert_eq!(b.expect_ready(), Err(AcquireError));
}

#[test]
fn many_waiters_beyond_wakelist_capacity() {
    let s = Semaphore::new(0);
    let mut ts: Vec<_> = (0..100).map(|_| spawn(s.acquire(1))).collect();
    for t in &mut ts {
        t.expect_pending();
    }
    s.release(100);
    for t in &mut ts {
        assert!(t.is_woken());
        assert_eq!(t.expect_ready(), Ok(()));
    }
    let mut ts: Vec<_> = (0..100).map(|_| spawn(s.acquire(1))).collect();
    for t in &mut ts {
        t.expect_pending();
    }
    s.close();
    for t in &mut ts {
        assert_eq!(t.expect_ready(), Err(AcquireError));
    }
}

#[test]
fn forget_permits() {
    let s = Semaphore::new(5);
    assert_eq!(s.forget_permits(3), 3);
    assert_eq!(s.forget_permits(3), 2);
    assert_eq!(s.available_permits(), 0);
}

#[test]
fn threads_stress_counts_balance() {
    let rounds = if cfg!(miri) { 50 } else { 2_000 };
    let s = std::sync::Arc::new(Semaphore::new(2));
    let inside = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let ths: Vec<_> = (0..4)
        .map(|_| {
            let s = s.clone();
            let inside = inside.clone();
            std::thread::spawn(move || {
                for _ in 0..rounds {
                    crate::sync::block_on::block_on("test", s.acquire(1)).unwrap();
                    let now = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    assert!(now < 2);
                    inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    s.release(1);
                }
            })
        })
        .collect();
    for t in ths {
        t.join().unwrap();
    }
    assert_eq!(s.available_permits(), 2);
}
