//! The current-thread runtime: ordering, handles, shutdown, failure modes.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::{Duration, Instant};

use evloop::runtime::{Builder, Handle, Runtime};
use evloop::task;
use support::{rt, DropCounter, Gate};

#[test]
fn tasks_run_in_fifo_order() {
    let rt = rt();
    let log = Arc::new(Mutex::new(Vec::new()));
    rt.block_on(async {
        let hs: Vec<_> = (0..100)
            .map(|i| {
                let log = log.clone();
                evloop::spawn(async move { log.lock().unwrap().push(i) })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    });
    assert_eq!(*log.lock().unwrap(), (0..100).collect::<Vec<_>>());
}

#[test]
fn yield_now_interleaves_tasks() {
    let rt = rt();
    let log = Arc::new(Mutex::new(Vec::new()));
    rt.block_on(async {
        let mk = |name: &'static str| {
            let log = log.clone();
            evloop::spawn(async move {
                for i in 0..3 {
                    log.lock().unwrap().push(format!("{name}{i}"));
                    task::yield_now().await;
                }
            })
        };
        let (a, b) = (mk("a"), mk("b"));
        a.await.unwrap();
        b.await.unwrap();
    });
    assert_eq!(
        *log.lock().unwrap(),
        ["a0", "b0", "a1", "b1", "a2", "b2"].map(String::from)
    );
}

#[test]
fn runtime_spawn_from_outside_and_block_on_handle() {
    let rt = rt();
    let h = rt.spawn(async { 3 });
    assert_eq!(rt.block_on(h).unwrap(), 3);
    let handle = rt.handle().clone();
    let h = handle.spawn(async { 4 });
    assert_eq!(rt.block_on(h).unwrap(), 4);
}

#[test]
fn handle_block_on_from_another_thread_drives_tasks() {
    let rt = rt();
    let handle = rt.handle().clone();
    let out = std::thread::spawn(move || {
        handle.block_on(async {
            let h = evloop::spawn(async { 21 });
            h.await.unwrap() * 2
        })
    })
    .join()
    .unwrap();
    assert_eq!(out, 42);
}

#[test]
fn two_threads_block_on_the_same_runtime() {
    let rt = Arc::new(rt());
    let gate = Gate::new();
    let t = {
        let rt = rt.clone();
        let gate = gate.clone();
        std::thread::spawn(move || rt.block_on(gate.wait()))
    };
    // This thread's block_on runs while the other may hold the loop.
    let v = rt.block_on(async {
        let h = evloop::spawn(async { 9 });
        h.await.unwrap()
    });
    assert_eq!(v, 9);
    gate.open();
    t.join().unwrap();
}

#[test]
fn spawn_from_other_threads_wakes_the_loop() {
    let rt = rt();
    let handle = rt.handle().clone();
    let count = Arc::new(AtomicUsize::new(0));
    let done = Gate::new();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let handle = handle.clone();
            let count = count.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                for _ in 0..250 {
                    let count = count.clone();
                    let done = done.clone();
                    handle.spawn(async move {
                        if count.fetch_add(1, Ordering::SeqCst) + 1 == 1000 {
                            done.open();
                        }
                    });
                }
            })
        })
        .collect();
    rt.block_on(done.wait());
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(count.load(Ordering::SeqCst), 1000);
}

#[test]
fn current_and_try_current() {
    assert!(Handle::try_current().unwrap_err().is_missing_context());
    let rt = rt();
    rt.block_on(async {
        let h = Handle::current();
        assert_eq!(h.spawn(async { 1 }).await.unwrap(), 1);
    });
    {
        let _guard = rt.enter();
        let h = Handle::try_current().unwrap();
        // spawn works outside block_on once the runtime is entered.
        let jh = evloop::spawn(async { 2 });
        drop(h);
        assert_eq!(rt.block_on(jh).unwrap(), 2);
    }
    assert!(Handle::try_current().is_err());
}

#[test]
fn spawn_outside_runtime_panics_naming_the_caller() {
    let err = std::panic::catch_unwind(|| {
        evloop::spawn(async {});
    })
    .unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("rt_current_thread.rs"), "{msg}");
    assert!(msg.contains("no evloop runtime"), "{msg}");
}

#[test]
fn nested_block_on_panics_clearly() {
    let rt = rt();
    let inner = support::rt();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { inner.block_on(async {}) });
    }))
    .unwrap_err();
    let msg = err
        .downcast_ref::<&str>()
        .copied()
        .unwrap_or_default()
        .to_string()
        + err
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or("");
    assert!(
        msg.contains("cannot start a runtime from within a runtime"),
        "{msg}"
    );
    // Both runtimes are still usable afterwards.
    assert_eq!(rt.block_on(async { 1 }), 1);
    assert_eq!(inner.block_on(async { 2 }), 2);
}

#[test]
fn nested_block_on_inside_a_task_becomes_a_join_error() {
    let rt = rt();
    let other = Arc::new(support::rt());
    let err = rt.block_on(async move {
        evloop::spawn(async move { other.block_on(async {}) })
            .await
            .unwrap_err()
    });
    assert!(err.is_panic());
}

#[test]
fn drop_runtime_drops_pending_tasks() {
    let drops = DropCounter::new();
    let rt = rt();
    rt.block_on(async {
        for _ in 0..100 {
            let t = drops.track();
            evloop::spawn(async move {
                let _t = t;
                std::future::pending::<()>().await;
            });
        }
        // Also tasks that never ran.
        for _ in 0..100 {
            let t = drops.track();
            evloop::spawn(async move {
                let _t = t;
            });
        }
        while Handle::current().num_alive_tasks() > 100 {
            task::yield_now().await;
        }
    });
    // The 100 tasks that ran to completion dropped their value.
    assert_eq!(drops.dropped(), 100);
    drop(rt);
    assert_eq!(drops.dropped(), 200);
}

#[test]
fn drop_runtime_with_queued_never_polled_tasks() {
    let drops = DropCounter::new();
    let rt = rt();
    for _ in 0..50 {
        let t = drops.track();
        rt.spawn(async move {
            let _t = t;
        });
    }
    drop(rt);
    assert_eq!(drops.dropped(), 50);
}

#[test]
fn task_destructor_sees_runtime_and_may_spawn_during_shutdown() {
    struct SpawnOnDrop(Arc<AtomicUsize>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            // The runtime is current while tasks are dropped at shutdown;
            // a spawn there is cancelled at once instead of leaking.
            assert!(Handle::try_current().is_ok());
            let c = self.0.clone();
            let h = evloop::spawn(async move {
                c.fetch_add(100, Ordering::SeqCst);
            });
            drop(h);
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let count = Arc::new(AtomicUsize::new(0));
    let rt = rt();
    let guard = SpawnOnDrop(count.clone());
    rt.spawn(async move {
        let _g = guard;
        std::future::pending::<()>().await;
    });
    rt.block_on(task::yield_now());
    drop(rt);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[test]
fn waker_outliving_runtime_is_a_no_op() {
    let slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
    let rt = rt();
    let s = slot.clone();
    rt.block_on(async move {
        evloop::spawn(std::future::poll_fn(move |cx| {
            *s.lock().unwrap() = Some(cx.waker().clone());
            std::task::Poll::<()>::Pending
        }));
        task::yield_now().await;
    });
    drop(rt);
    let waker = slot.lock().unwrap().take().unwrap();
    waker.wake_by_ref();
    let w2 = waker.clone();
    waker.wake();
    w2.wake();
}

#[test]
fn waker_woken_from_thread_after_runtime_drop() {
    let slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
    let rt = rt();
    let s = slot.clone();
    rt.spawn(std::future::poll_fn(move |cx| {
        *s.lock().unwrap() = Some(cx.waker().clone());
        std::task::Poll::<()>::Pending
    }));
    rt.block_on(task::yield_now());
    let waker = slot.lock().unwrap().take().unwrap();
    let t = std::thread::spawn(move || {
        for _ in 0..1000 {
            waker.wake_by_ref();
        }
        waker
    });
    drop(rt);
    t.join().unwrap().wake();
}

#[test]
fn idle_runtime_uses_no_cpu() {
    let rt = rt();
    let gate = Gate::new();
    let g = gate.clone();
    // `start` is taken before the opener exists: on a loaded machine this
    // thread may be descheduled for a while after the spawn, and the gate
    // cannot open earlier than 300 ms after `start` whatever the delay.
    let start = Instant::now();
    let opener = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        g.open();
    });
    let cpu_before = thread_cpu_time();
    rt.block_on(gate.wait());
    let cpu = thread_cpu_time() - cpu_before;
    assert!(start.elapsed() >= Duration::from_millis(250));
    opener.join().unwrap();
    assert!(
        cpu < Duration::from_millis(20),
        "idle loop used {cpu:?} of CPU"
    );
}

fn thread_cpu_time() -> Duration {
    let mut ts = libc_timespec::default();
    // SAFETY: clock_gettime writes into the struct we pass.
    let r = unsafe {
        clock_gettime(
            3, /* CLOCK_THREAD_CPUTIME_ID: the loop runs on this thread */
            &mut ts,
        )
    };
    assert_eq!(r, 0);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[repr(C)]
#[derive(Default)]
struct libc_timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

extern "C" {
    fn clock_gettime(clk: i32, ts: *mut libc_timespec) -> i32;
}

#[test]
fn builder_options_and_debug() {
    let rt: Runtime = Builder::new_current_thread()
        .enable_time()
        .enable_io()
        .thread_name("x")
        .event_interval(5)
        .global_queue_interval(3)
        .build()
        .unwrap();
    assert!(format!("{rt:?}").contains("Runtime"));
    let out = rt.block_on(async {
        let hs: Vec<_> = (0..50).map(|i| evloop::spawn(async move { i })).collect();
        let mut s = 0;
        for h in hs {
            s += h.await.unwrap();
        }
        s
    });
    assert_eq!(out, 1225);
    assert!(format!("{:?}", Builder::new_current_thread()).contains("Builder"));
}

#[test]
fn num_alive_tasks_counts() {
    let rt = rt();
    let gate = Gate::new();
    rt.block_on(async {
        let hs: Vec<_> = (0..10).map(|_| evloop::spawn(gate.wait())).collect();
        assert_eq!(Handle::current().num_alive_tasks(), 10);
        gate.open();
        for h in hs {
            h.await.unwrap();
        }
        assert_eq!(Handle::current().num_alive_tasks(), 0);
    });
}

#[test]
fn budget_makes_an_always_ready_task_yield() {
    // A task that loops on `consume_budget` still lets another task run.
    let rt = rt();
    let flag = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let f = flag.clone();
        let other = evloop::spawn(async move { f.store(1, Ordering::SeqCst) });
        let mut spins = 0u64;
        while flag.load(Ordering::SeqCst) == 0 {
            task::consume_budget().await;
            spins += 1;
            assert!(spins < 10_000, "the other task never ran");
        }
        other.await.unwrap();
    });
}
