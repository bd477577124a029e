//! `LocalRuntime`, `Builder::build_local` and `flavor = "local"`: `!Send`
//! tasks on the runtime's thread, `task::spawn_local` without a `LocalSet`
//! from every task it polls, shutdown order.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::runtime::{Builder, Handle, LocalOptions, LocalRuntime, RuntimeFlavor};
use evloop::task::{spawn_local, yield_now, JoinSet};

#[test]
fn not_send_tasks_run_on_the_runtime_thread() {
    let rt = LocalRuntime::new().unwrap();
    let me = std::thread::current().id();
    let counter = Rc::new(Cell::new(0));
    let c = counter.clone();
    let total = rt.block_on(async move {
        let mut handles = Vec::new();
        for _ in 0..10 {
            let c = c.clone();
            handles.push(spawn_local(async move {
                yield_now().await;
                c.set(c.get() + 1);
                std::thread::current().id()
            }));
        }
        for h in handles {
            assert_eq!(h.await.unwrap(), me);
        }
        c.get()
    });
    assert_eq!(total, 10);
    assert_eq!(counter.get(), 10);
}

#[test]
fn spawn_local_works_inside_send_tasks_of_the_runtime() {
    let rt = LocalRuntime::new().unwrap();
    let out = rt.block_on(async {
        evloop::spawn(async {
            // A `Send` task polled by the same loop can spawn `!Send` work.
            let v = Rc::new(5);
            let inner = spawn_local(async move { *v * 2 });
            inner.await.unwrap()
        })
        .await
        .unwrap()
    });
    assert_eq!(out, 10);
}

#[test]
fn spawn_local_before_block_on_runs_inside_it() {
    let rt = LocalRuntime::new().unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let handle = rt.spawn_local(async move {
        evloop::time::sleep(Duration::from_millis(1)).await;
        l.borrow_mut().push("task");
        7
    });
    assert!(log.borrow().is_empty());
    assert_eq!(rt.block_on(handle).unwrap(), 7);
    assert_eq!(*log.borrow(), ["task"]);
}

#[test]
fn enter_makes_spawn_local_and_the_runtime_current() {
    let rt = LocalRuntime::new().unwrap();
    let handle = {
        let _guard = rt.enter();
        assert_eq!(Handle::current().id(), rt.handle().id());
        spawn_local(async { Rc::new(3) })
    };
    assert!(Handle::try_current().is_err());
    assert_eq!(*rt.block_on(handle).unwrap(), 3);
}

#[test]
fn the_handle_is_a_current_thread_handle_and_spawns_from_other_threads() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .name("local-one")
        .build_local(LocalOptions::default())
        .unwrap();
    assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
    assert_eq!(rt.handle().name(), Some("local-one"));
    let handle = rt.handle().clone();
    let join = std::thread::spawn(move || handle.spawn(async { 40 + 2 }))
        .join()
        .unwrap();
    assert_eq!(rt.block_on(join).unwrap(), 42);
    let blocking = rt.spawn_blocking(|| 1 + 1);
    assert_eq!(rt.block_on(blocking).unwrap(), 2);
    assert!(rt.metrics().spawned_tasks_count() >= 1);
    assert_eq!(rt.metrics().num_workers(), 1);
}

#[test]
#[should_panic(expected = "a LocalRuntime needs `Builder::new_current_thread`")]
fn build_local_on_a_multi_thread_builder_panics() {
    let _ = Builder::new_multi_thread().build_local(LocalOptions::default());
}

/// Records whether the runtime was current when it was dropped.
struct SeesRuntime(Arc<AtomicBool>);

impl Drop for SeesRuntime {
    fn drop(&mut self) {
        self.0
            .store(Handle::try_current().is_ok(), Ordering::SeqCst);
    }
}

#[test]
fn drop_cancels_local_tasks_with_the_runtime_current() {
    let rt = LocalRuntime::new().unwrap();
    let seen = Arc::new(AtomicBool::new(false));
    let guard = SeesRuntime(seen.clone());
    let not_send = Rc::new(());
    rt.spawn_local(async move {
        let _keep = (guard, not_send);
        std::future::pending::<()>().await;
    });
    // Let it start.
    rt.block_on(yield_now());
    drop(rt);
    assert!(seen.load(Ordering::SeqCst));
}

#[test]
fn shutdown_timeout_and_background_cancel_every_task() {
    for background in [false, true] {
        let rt = LocalRuntime::new().unwrap();
        let seen = Arc::new(AtomicBool::new(false));
        let guard = SeesRuntime(seen.clone());
        rt.spawn_local(async move {
            let _guard = guard;
            evloop::time::sleep(Duration::from_secs(3600)).await;
        });
        let send_seen = Arc::new(AtomicBool::new(false));
        let send_guard = SeesRuntime(send_seen.clone());
        rt.handle().spawn(async move {
            let _guard = send_guard;
            std::future::pending::<()>().await;
        });
        rt.block_on(yield_now());
        if background {
            rt.shutdown_background();
        } else {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
        assert!(seen.load(Ordering::SeqCst), "local task cancelled in scope");
        assert!(send_seen.load(Ordering::SeqCst), "send task cancelled");
    }
}

#[test]
fn block_on_inside_block_on_panics() {
    let rt = LocalRuntime::new().unwrap();
    let rt2 = LocalRuntime::new().unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { rt2.block_on(async {}) })
    }));
    assert!(caught.is_err());
}

#[evloop::test(flavor = "local")]
async fn test_attribute_runs_on_a_local_runtime() {
    let v = Rc::new(RefCell::new(0));
    let mut set = JoinSet::new();
    for i in 1..=3 {
        let v = v.clone();
        set.spawn_local(async move {
            yield_now().await;
            *v.borrow_mut() += i;
        });
    }
    set.join_all().await;
    assert_eq!(*v.borrow(), 6);
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::CurrentThread
    );
}

#[evloop::test(flavor = "local", start_paused = true)]
async fn local_flavor_with_paused_time() {
    let start = evloop::time::Instant::now();
    let not_send = Rc::new(Duration::from_secs(60));
    spawn_local(async move { evloop::time::sleep(*not_send).await })
        .await
        .unwrap();
    assert!(start.elapsed() >= Duration::from_secs(60));
}

#[evloop::main(flavor = "local", name = "local-main")]
async fn local_main() -> Option<String> {
    let name = Rc::new(Handle::current().name().map(str::to_owned));
    spawn_local(async move { (*name).clone() }).await.unwrap()
}

#[test]
fn main_attribute_runs_on_a_named_local_runtime() {
    assert_eq!(local_main().as_deref(), Some("local-main"));
}
