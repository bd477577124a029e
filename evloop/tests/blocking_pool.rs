//! The blocking pool seen from outside: results, panics, threads, shutdown.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use evloop::runtime::{Builder, Handle, Runtime};
use evloop::task;

fn rt() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

/// Polls `cond` until it holds or `limit` passes.
fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        thread::sleep(Duration::from_millis(5));
    }
    cond()
}

#[test]
fn returns_the_closure_value() {
    let rt = rt();
    let out = rt.block_on(async {
        let a = task::spawn_blocking(|| 40);
        let b = task::spawn_blocking(|| String::from("two"));
        (a.await.unwrap(), b.await.unwrap())
    });
    assert_eq!(out, (40, "two".to_string()));
}

#[test]
fn runs_off_the_loop_thread() {
    let rt = rt();
    let loop_thread = thread::current().id();
    let pool_thread = rt.block_on(rt.spawn_blocking(|| thread::current().id()));
    assert_ne!(pool_thread.unwrap(), loop_thread);
}

#[test]
fn runtime_and_handle_spawn_blocking() {
    let rt = rt();
    let a = rt.spawn_blocking(|| 1);
    let b = rt.handle().spawn_blocking(|| 2);
    let sum = rt.block_on(async { a.await.unwrap() + b.await.unwrap() });
    assert_eq!(sum, 3);
}

#[test]
fn a_panic_becomes_a_join_error() {
    let rt = rt();
    let err = rt
        .block_on(rt.spawn_blocking(|| -> u32 { panic!("blocking boom") }))
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(
        *err.into_panic().downcast::<&str>().unwrap(),
        "blocking boom"
    );
    // The pool survives a panicking closure.
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 5)).unwrap(), 5);
}

#[test]
fn a_long_closure_leaves_the_loop_free() {
    let rt = rt();
    let count = rt.block_on(async {
        let done = Arc::new(AtomicBool::new(false));
        let counter = evloop::spawn({
            let done = done.clone();
            async move {
                let mut n = 0u64;
                while !done.load(Ordering::Acquire) {
                    n += 1;
                    task::yield_now().await;
                }
                n
            }
        });
        task::spawn_blocking(move || {
            thread::sleep(Duration::from_millis(200));
            done.store(true, Ordering::Release);
        })
        .await
        .unwrap();
        counter.await.unwrap()
    });
    // Had the closure run on the loop's thread, the counter would not
    // have run at all while it slept.
    assert!(count >= 100, "counter only reached {count}");
}

#[test]
fn handle_current_works_inside_the_closure() {
    let rt = rt();
    let out = rt.block_on(rt.spawn_blocking(|| {
        let handle = Handle::current();
        handle.block_on(async { evloop::spawn(async { 6 * 7 }).await.unwrap() })
    }));
    assert_eq!(out.unwrap(), 42);
}

#[test]
fn threads_are_named_by_the_builder() {
    let rt = Builder::new_current_thread()
        .thread_name("pool-under-test")
        .thread_stack_size(256 * 1024)
        .build()
        .unwrap();
    let name = rt.block_on(rt.spawn_blocking(|| thread::current().name().map(str::to_owned)));
    assert_eq!(name.unwrap().as_deref(), Some("pool-under-test"));
}

thread_local! {
    /// Its destructor runs when the thread exits.
    static EXIT_WATCH: RefCell<Option<ExitCounter>> = const { RefCell::new(None) };
}

/// Counts thread exits: held in a thread-local, bumped on destruction.
struct ExitCounter(Arc<AtomicUsize>);

impl Drop for ExitCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Makes the current thread's exit bump `exits` (once per thread).
fn watch_exit(exits: &Arc<AtomicUsize>) {
    EXIT_WATCH.with(|w| {
        w.borrow_mut()
            .get_or_insert_with(|| ExitCounter(exits.clone()));
    });
}

#[test]
fn threads_are_reused_and_exit_after_keep_alive() {
    let rt = Builder::new_current_thread()
        .thread_keep_alive(Duration::from_millis(150))
        .build()
        .unwrap();
    let exits = Arc::new(AtomicUsize::new(0));

    // Sequential closures, each spawned after the previous thread went
    // idle, all run on the same thread.
    let mut ids = HashSet::new();
    for _ in 0..5 {
        let exits = exits.clone();
        let id = rt
            .block_on(rt.spawn_blocking(move || {
                watch_exit(&exits);
                thread::current().id()
            }))
            .unwrap();
        ids.insert(id);
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(ids.len(), 1, "closures ran on {} threads", ids.len());
    assert_eq!(exits.load(Ordering::SeqCst), 0);

    // After the keep-alive without work, the thread exits...
    assert!(
        eventually(Duration::from_secs(5), || exits.load(Ordering::SeqCst) == 1),
        "the idle thread did not exit"
    );
    // ...and the next closure starts a new one.
    let id = rt
        .block_on(rt.spawn_blocking(|| thread::current().id()))
        .unwrap();
    assert!(!ids.contains(&id));
}

#[test]
fn max_blocking_threads_bounds_concurrency() {
    let rt = Builder::new_current_thread()
        .max_blocking_threads(3)
        .build()
        .unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let high_water = Arc::new(AtomicUsize::new(0));
    let threads = Arc::new(Mutex::new(HashSet::new()));
    rt.block_on(async {
        let handles: Vec<_> = (0..9)
            .map(|_| {
                let running = running.clone();
                let high_water = high_water.clone();
                let threads = threads.clone();
                task::spawn_blocking(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    high_water.fetch_max(now, Ordering::SeqCst);
                    threads.lock().unwrap().insert(thread::current().id());
                    thread::sleep(Duration::from_millis(100));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    assert_eq!(high_water.load(Ordering::SeqCst), 3);
    assert_eq!(threads.lock().unwrap().len(), 3);
}

#[test]
#[should_panic(expected = "max_blocking_threads must be greater than 0")]
fn zero_max_blocking_threads_panics() {
    Builder::new_current_thread().max_blocking_threads(0);
}

#[test]
fn drop_waits_for_running_closures() {
    let rt = rt();
    let finished = Arc::new(AtomicBool::new(false));
    let (started_tx, started_rx) = mpsc::channel();
    let f = finished.clone();
    let _detached = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        thread::sleep(Duration::from_millis(200));
        f.store(true, Ordering::SeqCst);
    });
    started_rx.recv().unwrap();
    drop(rt);
    assert!(finished.load(Ordering::SeqCst));
}

#[test]
fn shutdown_timeout_returns_while_a_closure_still_runs() {
    let rt = rt();
    let finished = Arc::new(AtomicBool::new(false));
    let (started_tx, started_rx) = mpsc::channel();
    let f = finished.clone();
    let _detached = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        thread::sleep(Duration::from_millis(800));
        f.store(true, Ordering::SeqCst);
    });
    started_rx.recv().unwrap();

    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(100));
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(100), "waited {waited:?}");
    assert!(waited < Duration::from_millis(600), "waited {waited:?}");
    assert!(!finished.load(Ordering::SeqCst));

    // The closure is not killed: it finishes on its detached thread.
    assert!(eventually(Duration::from_secs(5), || finished.load(Ordering::SeqCst)));
}

#[test]
fn shutdown_background_does_not_wait() {
    let rt = rt();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let _detached = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    started_rx.recv().unwrap();
    let start = Instant::now();
    rt.shutdown_background();
    assert!(start.elapsed() < Duration::from_millis(500));
    release_tx.send(()).unwrap();
}

/// Sets a flag when dropped: tells whether a closure was dropped unrun.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn queued_closures_are_cancelled_at_shutdown() {
    let rt = Builder::new_current_thread()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let first = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        "first"
    });
    started_rx.recv().unwrap();

    let ran = Arc::new(AtomicBool::new(false));
    let dropped = Arc::new(AtomicBool::new(false));
    let second = {
        let ran = ran.clone();
        let guard = DropFlag(dropped.clone());
        rt.spawn_blocking(move || {
            let _guard = guard;
            ran.store(true, Ordering::SeqCst);
        })
    };

    rt.shutdown_background();
    // The queued closure was dropped without running.
    assert!(dropped.load(Ordering::SeqCst));
    assert!(!ran.load(Ordering::SeqCst));
    release_tx.send(()).unwrap();

    let other = rt_for_joining();
    assert!(other.block_on(second).unwrap_err().is_cancelled());
    // The running one completed; its handle still reads the result.
    assert_eq!(other.block_on(first).unwrap(), "first");
}

/// A second runtime, to await handles of a runtime that is gone.
fn rt_for_joining() -> Runtime {
    Builder::new_current_thread().build().unwrap()
}

#[test]
fn spawn_blocking_after_shutdown_is_cancelled() {
    let rt = rt();
    let handle = rt.handle().clone();
    drop(rt);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let join = handle.spawn_blocking(move || r.store(true, Ordering::SeqCst));
    let err = rt_for_joining().block_on(join).unwrap_err();
    assert!(err.is_cancelled());
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
fn abort_before_start_cancels_after_start_does_not() {
    let rt = Builder::new_current_thread()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let first = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        1
    });
    started_rx.recv().unwrap();

    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let second = rt.spawn_blocking(move || r.store(true, Ordering::SeqCst));
    second.abort();
    // Aborting a started closure does not stop it.
    first.abort();
    release_tx.send(()).unwrap();

    rt.block_on(async {
        assert_eq!(first.await.unwrap(), 1);
        assert!(second.await.unwrap_err().is_cancelled());
    });
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
#[should_panic(expected = "`spawn_blocking` called at")]
fn spawn_blocking_outside_a_runtime_panics() {
    drop(task::spawn_blocking(|| ()));
}

#[test]
fn many_closures_complete() {
    let rt = Builder::new_current_thread()
        .max_blocking_threads(4)
        .build()
        .unwrap();
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..500u64)
            .map(|i| task::spawn_blocking(move || i))
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 499 * 500 / 2);
}
