//! Dropping a runtime in awkward places: on one of its blocking-pool
//! threads, inside its own tasks, from a thread-local destructor; and
//! `block_on` called where it cannot work. Each of these once hung or aborted
//! the process, so every case runs under a watchdog (a hang fails the test)
//! and the thread-local cases run in a child process (an abort fails the
//! test instead of killing the suite).

mod support;

use std::cell::RefCell;
use std::future::pending;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use evloop::runtime::{Builder, Runtime};
use evloop::task::LocalSet;

/// How long a case may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(20);

/// Runs `f` on its own thread and returns its result; fails the test if `f`
/// has not returned within [`LIMIT`] (the stuck thread is left behind).
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(LIMIT) {
        Ok(v) => {
            worker.join().unwrap();
            v
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the watched closure neither returned nor panicked"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still running after {LIMIT:?}"),
    }
}

/// Sets its flag when dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn flag() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        String::from("<non-string panic>")
    }
}

// ---- 1. Dropped on one of its own blocking-pool threads ----

/// Drops `rt` inside one of its `spawn_blocking` closures, with a task
/// pending, a timer armed, a closure queued behind the dropping one and a
/// closure running on another pool thread. The drop returns; the pending
/// task and the queued closure are dropped, never run; the running closure
/// is waited for.
fn drop_in_spawn_blocking(mut builder: Builder) {
    let rt = builder
        .max_blocking_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let handle = rt.handle().clone();

    let task_dropped = flag();
    let guard = DropFlag(task_dropped.clone());
    rt.spawn(async move {
        let _guard = guard;
        evloop::time::sleep(Duration::from_secs(3600)).await;
    });

    // Another pool thread, busy for a while (long enough for the closure
    // below to be queued behind the dropping one).
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let other_done = flag();
    let other_done2 = other_done.clone();
    handle.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        thread::sleep(Duration::from_millis(500));
        other_done2.store(true, Ordering::SeqCst);
    });
    started_rx.recv().unwrap();

    let (dropped_tx, dropped_rx) = mpsc::channel();
    let other_done3 = other_done.clone();
    handle.spawn_blocking(move || {
        drop(rt);
        dropped_tx.send(other_done3.load(Ordering::SeqCst)).unwrap();
    });

    // Both pool threads are busy: this one stays queued until shutdown
    // cancels it (or is cancelled at once if shutdown came first).
    let queued_ran = flag();
    let queued_dropped = flag();
    let (ran, guard) = (queued_ran.clone(), DropFlag(queued_dropped.clone()));
    let queued = handle.spawn_blocking(move || {
        let _guard = guard;
        ran.store(true, Ordering::SeqCst);
    });

    let other_finished_first = dropped_rx
        .recv_timeout(LIMIT)
        .expect("dropping the runtime on its own blocking thread did not return");
    assert!(
        other_finished_first,
        "the drop returned before the closure running on the other pool thread finished"
    );
    assert!(
        task_dropped.load(Ordering::SeqCst),
        "pending task not dropped"
    );
    assert!(!queued_ran.load(Ordering::SeqCst), "queued closure ran");
    assert!(
        queued_dropped.load(Ordering::SeqCst),
        "queued closure not dropped"
    );
    let err = block_on_elsewhere(queued).unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
}

/// Awaits a `JoinHandle` of a runtime that is gone on a fresh runtime (the
/// shutdown already settled its result).
fn block_on_elsewhere<F: std::future::Future>(f: F) -> F::Output {
    let rt = support::rt();
    rt.block_on(f)
}

#[test]
fn drop_in_spawn_blocking_current_thread() {
    within("drop in spawn_blocking (current_thread)", || {
        drop_in_spawn_blocking(Builder::new_current_thread())
    });
}

#[test]
fn drop_in_spawn_blocking_multi_thread() {
    within("drop in spawn_blocking (multi_thread)", || {
        let mut builder = Builder::new_multi_thread();
        builder.worker_threads(2);
        drop_in_spawn_blocking(builder)
    });
}

/// `shutdown_timeout` on a pool thread: returns within its bound even
/// though the calling closure is still running (it cannot wait for itself).
#[test]
fn shutdown_timeout_in_spawn_blocking() {
    within("shutdown_timeout in spawn_blocking", || {
        for mut builder in [Builder::new_current_thread(), Builder::new_multi_thread()] {
            let rt = builder.enable_all().build().unwrap();
            let handle = rt.handle().clone();
            let (tx, rx) = mpsc::channel();
            handle.spawn_blocking(move || {
                let start = Instant::now();
                rt.shutdown_timeout(Duration::from_secs(3600));
                tx.send(start.elapsed()).unwrap();
            });
            let took = rx.recv_timeout(LIMIT).expect("shutdown_timeout hung");
            assert!(took < LIMIT, "{took:?}");
        }
    });
}

// ---- 2. Dropped inside its own loop; `block_on` inside a runtime ----

const OWN_LOOP: &str = "cannot drop a current_thread runtime from inside its own loop";

/// A current_thread runtime dropped from one of its own tasks: the drop
/// panics with a message naming the mistake (the task ends in a panic
/// `JoinError`) instead of waiting forever for the thread's own core.
#[test]
fn current_thread_drop_in_own_task_panics() {
    within("current_thread drop in own task", || {
        let rt = support::rt();
        let handle = rt.handle().clone();
        let slot = Arc::new(Mutex::new(Some(rt)));
        let res = handle.block_on(async move {
            evloop::spawn(async move {
                let rt = slot.lock().unwrap().take();
                drop(rt);
            })
            .await
        });
        let err = res.expect_err("dropping the runtime in its own task returned normally");
        let msg = panic_message(&*err.into_panic());
        assert!(msg.contains(OWN_LOOP), "{msg}");
        // The loop survived the task's panic: the handle still drives it.
        assert_eq!(
            handle.block_on(async { evloop::spawn(async { 3 }).await.unwrap() }),
            3
        );
    });
}

/// Same, from the `block_on` future itself: `block_on` panics.
#[test]
fn current_thread_drop_in_block_on_panics() {
    within("current_thread drop in block_on", || {
        let rt = support::rt();
        let handle = rt.handle().clone();
        let slot = Mutex::new(Some(rt));
        let res = catch_unwind(AssertUnwindSafe(|| {
            handle.block_on(async {
                let rt = slot.lock().unwrap().take();
                drop(rt);
            })
        }));
        let msg = panic_message(&*res.expect_err("dropping the runtime in block_on returned"));
        assert!(msg.contains(OWN_LOOP), "{msg}");
    });
}

/// The same mistake inside a `LocalSet` driven by the runtime.
#[test]
fn current_thread_drop_in_local_task_panics() {
    within("current_thread drop in a LocalSet task", || {
        let rt = support::rt();
        let handle = rt.handle().clone();
        let slot = Rc::new(RefCell::new(Some(rt)));
        let local = LocalSet::new();
        let res = handle.block_on(local.run_until(async move {
            evloop::task::spawn_local(async move {
                let rt = slot.borrow_mut().take();
                drop(rt);
            })
            .await
        }));
        let msg = panic_message(&*res.unwrap_err().into_panic());
        assert!(msg.contains(OWN_LOOP), "{msg}");
    });
}

/// A multi-thread runtime dropped from one of its own tasks shuts down: the
/// drop returns and every other task is dropped.
#[test]
fn multi_thread_drop_in_own_task_shuts_down() {
    within("multi_thread drop in own task", || {
        let rt = support::mt();
        let other_dropped = flag();
        let guard = DropFlag(other_dropped.clone());
        rt.spawn(async move {
            let _guard = guard;
            pending::<()>().await;
        });
        let (tx, rx) = mpsc::channel();
        let slot = Arc::new(Mutex::new(None::<Runtime>));
        let slot2 = slot.clone();
        let (go_tx, go_rx) = evloop::sync::oneshot::channel::<()>();
        rt.spawn(async move {
            go_rx.await.unwrap();
            let rt = slot2.lock().unwrap().take();
            drop(rt);
            tx.send(()).unwrap();
        });
        *slot.lock().unwrap() = Some(rt);
        go_tx.send(()).unwrap();
        rx.recv_timeout(LIMIT).expect("the drop did not return");
        let start = Instant::now();
        while !other_dropped.load(Ordering::SeqCst) {
            assert!(start.elapsed() < LIMIT, "the other task was never dropped");
            thread::sleep(Duration::from_millis(5));
        }
    });
}

const NESTED: &str = "cannot start a runtime from within a runtime";

/// `block_on` of another runtime (or the same one, through its handle)
/// from inside a task or a `block_on` future panics with a clear message,
/// on both flavours, instead of deadlocking.
#[test]
fn block_on_inside_runtime_panics() {
    within("nested block_on", || {
        for outer in [support::rt(), support::mt()] {
            let inner = Arc::new(support::rt());
            let same = outer.handle().clone();

            let inner2 = inner.clone();
            let err = outer
                .block_on(outer.spawn(async move { inner2.block_on(async {}) }))
                .unwrap_err();
            let msg = panic_message(&*err.into_panic());
            assert!(msg.contains(NESTED), "{msg}");

            let err = outer
                .block_on(outer.spawn(async move { same.block_on(async {}) }))
                .unwrap_err();
            let msg = panic_message(&*err.into_panic());
            assert!(msg.contains(NESTED), "{msg}");

            let res = catch_unwind(AssertUnwindSafe(|| {
                outer.block_on(async { inner.block_on(async {}) })
            }));
            let msg = panic_message(&*res.unwrap_err());
            assert!(msg.contains(NESTED), "{msg}");

            // Still usable afterwards.
            assert_eq!(outer.block_on(async { 5 }), 5);
        }
    });
}

/// `block_on` is fine on a blocking-pool thread (it is not driving a
/// runtime), including the pool's own runtime through its handle.
#[test]
fn block_on_in_spawn_blocking_works() {
    within("block_on in spawn_blocking", || {
        for rt in [support::rt(), support::mt()] {
            let handle = rt.handle().clone();
            let got = rt.block_on(async move {
                evloop::task::spawn_blocking(move || {
                    handle.block_on(async { evloop::spawn(async { 9 }).await.unwrap() })
                })
                .await
                .unwrap()
            });
            assert_eq!(got, 9);
        }
    });
}

// ---- 3. Dropped by a thread-local destructor ----

/// Environment variable that makes a test run its child-process half.
const CHILD_ENV: &str = "EVLOOP_RT_DROP_CHILD";

/// Runs the test named `name` again in a child process with [`CHILD_ENV`]
/// set to `name`; fails unless the child exits successfully within
/// [`LIMIT`] and printed `marker`.
fn run_child(name: &str, marker: &str) {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name}: the child process hung");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        status.success() && stdout.contains(marker),
        "{name}: child exited with {status}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
}

fn is_child(name: &str) -> bool {
    std::env::var(CHILD_ENV).as_deref() == Ok(name)
}

/// What a thread keeps in its thread-local: runtimes of both flavours with
/// live tasks, an armed timer and an open socket, and a `LocalSet` with a
/// pending local task.
struct Held {
    _current: Runtime,
    _multi: Runtime,
    _local: LocalSet,
}

thread_local! {
    static HELD: RefCell<Option<Held>> = const { RefCell::new(None) };
}

/// Counts the futures the thread-local's destructor dropped.
static DROPPED: AtomicUsize = AtomicUsize::new(0);

struct CountDrop;

impl Drop for CountDrop {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

fn populate(rt: &Runtime, local: Option<&LocalSet>) {
    let listener =
        rt.block_on(async { evloop::net::TcpListener::bind("127.0.0.1:0").await.unwrap() });
    rt.spawn(async move {
        let _c = CountDrop;
        let _ = listener.accept().await;
    });
    rt.spawn(async {
        let _c = CountDrop;
        evloop::time::sleep(Duration::from_secs(3600)).await;
    });
    rt.spawn_blocking(|| ());
    match local {
        Some(local) => local.block_on(rt, async {
            evloop::task::spawn_local(async {
                let _c = CountDrop;
                evloop::time::sleep(Duration::from_secs(3600)).await;
            });
            evloop::task::yield_now().await;
        }),
        // Let the tasks start, so the socket and the timer are registered.
        None => rt.block_on(async { evloop::time::sleep(Duration::from_millis(20)).await }),
    }
}

/// The futures `populate` leaves pending: 2 per runtime, 1 in the set.
const POPULATED: usize = 5;

/// Child half: a thread stores two runtimes and a `LocalSet` in a
/// thread-local and exits. With `held_first`, the thread-local is
/// registered before evloop's own, so its destructor runs after theirs:
/// the case that used to abort.
fn tls_child(held_first: bool) {
    let t = thread::spawn(move || {
        if held_first {
            HELD.with(|_| ());
        }
        let current = Builder::new_current_thread().enable_all().build().unwrap();
        let multi = Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let local = LocalSet::new();
        populate(&current, Some(&local));
        populate(&multi, None);
        HELD.with(|h| {
            *h.borrow_mut() = Some(Held {
                _current: current,
                _multi: multi,
                _local: local,
            })
        });
    });
    t.join().expect("the thread panicked");
    // Multi-thread tasks are dropped on the workers, possibly just after
    // the drop returned.
    let start = Instant::now();
    while DROPPED.load(Ordering::SeqCst) < POPULATED && start.elapsed() < LIMIT {
        thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(DROPPED.load(Ordering::SeqCst), POPULATED);
    println!("thread joined cleanly");
}

#[test]
fn thread_local_drop_after_evloop_context() {
    const NAME: &str = "thread_local_drop_after_evloop_context";
    if is_child(NAME) {
        return tls_child(true);
    }
    run_child(NAME, "thread joined cleanly");
}

#[test]
fn thread_local_drop_before_evloop_context() {
    const NAME: &str = "thread_local_drop_before_evloop_context";
    if is_child(NAME) {
        return tls_child(false);
    }
    run_child(NAME, "thread joined cleanly");
}
