//! `task::block_in_place`: the blocked worker's tasks, timers and queue
//! move to another thread; nested `block_on`; where it may be called.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use evloop::runtime::{Builder, Handle, Runtime};
use evloop::task::block_in_place;

fn rt(workers: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

/// Both workers of a 2-worker runtime block in place for 300 ms; 100 tasks
/// that each wait on a timer and yield all complete before either blocking
/// section ends. Without the hand-off, no worker would be left to run them.
#[test]
fn other_tasks_keep_completing_while_every_worker_blocks() {
    let rt = rt(2);
    let blocking_done = Arc::new(AtomicBool::new(false));
    // Both blockers and this thread: both workers are inside `f` at once.
    let barrier = Arc::new(Barrier::new(3));
    let blockers: Vec<_> = (0..2)
        .map(|_| {
            let (done, barrier) = (blocking_done.clone(), barrier.clone());
            rt.spawn(async move {
                let waited = block_in_place(|| {
                    let start = Instant::now();
                    barrier.wait();
                    thread::sleep(Duration::from_millis(300));
                    done.store(true, Ordering::SeqCst);
                    start.elapsed()
                });
                // The task goes on after the blocking section.
                evloop::task::yield_now().await;
                waited
            })
        })
        .collect();
    barrier.wait();

    let completed_during = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let (done, during) = (blocking_done.clone(), completed_during.clone());
            rt.spawn(async move {
                evloop::time::sleep(Duration::from_millis(1 + i % 5)).await;
                evloop::task::yield_now().await;
                if !done.load(Ordering::SeqCst) {
                    during.fetch_add(1, Ordering::SeqCst);
                }
                i
            })
        })
        .collect();
    let sum = rt.block_on(async {
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, (0..100).sum::<u64>());
    assert_eq!(completed_during.load(Ordering::SeqCst), 100);
    for b in blockers {
        assert!(rt.block_on(b).unwrap() >= Duration::from_millis(300));
    }
}

/// Inside the blocking section the thread may drive a future with
/// `Handle::block_on`, including spawning onto the same runtime and waiting
/// on its timers (the only worker's core went to another thread).
#[test]
fn nested_block_on_inside_block_in_place() {
    let rt = rt(1);
    let out = rt.block_on(rt.spawn(async {
        let handle = Handle::current();
        let n = block_in_place(move || {
            handle.block_on(async {
                evloop::time::sleep(Duration::from_millis(5)).await;
                evloop::spawn(async { 40 }).await.unwrap() + 1
            })
        });
        evloop::task::yield_now().await;
        n + 1
    }));
    assert_eq!(out.unwrap(), 42);
}

#[test]
#[should_panic(expected = "cannot be called on a current_thread runtime")]
fn panics_in_current_thread_block_on() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async { block_in_place(|| ()) });
}

#[test]
fn panics_in_a_current_thread_task() {
    let rt = Builder::new_current_thread().build().unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let err = rt
        .block_on(rt.spawn(async move { block_in_place(move || r.store(true, Ordering::SeqCst)) }))
        .unwrap_err();
    assert!(err.is_panic());
    let msg = err.into_panic();
    let msg = msg.downcast_ref::<&str>().copied().unwrap_or("");
    assert!(msg.contains("current_thread"), "unexpected panic: {msg}");
    assert!(!ran.load(Ordering::SeqCst));
}

/// Where there are no tasks to hand over, `f` simply runs.
#[test]
fn runs_directly_outside_a_worker() {
    assert_eq!(block_in_place(|| 1), 1);
    let rt = rt(1);
    assert_eq!(rt.block_on(async { block_in_place(|| 2) }), 2);
}

/// A task blocking in place again and again reuses the threads left
/// without a core instead of starting one per call.
#[test]
fn repeated_calls_reuse_threads() {
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(move || {
            s.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let total = rt.block_on(rt.spawn(async {
        let mut total = 0;
        for i in 0..40u64 {
            total += block_in_place(|| {
                thread::sleep(Duration::from_millis(1));
                i
            });
            evloop::task::yield_now().await;
        }
        total
    }));
    assert_eq!(total.unwrap(), (0..40).sum::<u64>());
    let started = started.load(Ordering::SeqCst);
    assert!(
        started <= 5,
        "{started} threads started for 40 sequential calls"
    );
}

/// A panic inside the blocking section becomes the task's `JoinError`; the
/// runtime keeps all its workers.
#[test]
fn panic_inside_block_in_place_stays_in_its_task() {
    let rt = rt(2);
    let err = rt
        .block_on(rt.spawn(async {
            block_in_place(|| {
                thread::sleep(Duration::from_millis(5));
                panic!("blocked and failed")
            })
        }))
        .unwrap_err();
    assert!(err.is_panic());
    let sum = rt.block_on(async {
        let hs: Vec<_> = (0..50u32)
            .map(|i| evloop::spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for h in hs {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, (0..50).sum::<u32>());
}

/// Dropping the runtime while a task blocks in place waits for the blocking
/// section, and every core is still accounted for (the drop returns).
#[test]
fn shutdown_while_blocked_in_place() {
    let rt = rt(2);
    let entered = Arc::new(Barrier::new(2));
    let e = entered.clone();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    drop(rt.spawn(async move {
        block_in_place(|| {
            e.wait();
            thread::sleep(Duration::from_millis(50));
            f.store(true, Ordering::SeqCst);
        });
        std::future::pending::<()>().await;
    }));
    for _ in 0..10 {
        drop(rt.spawn(std::future::pending::<()>()));
    }
    entered.wait();
    drop(rt);
    assert!(finished.load(Ordering::SeqCst));
}
