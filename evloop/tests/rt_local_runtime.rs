//! `runtime::LocalRuntime`: `!Send` tasks without a separate `LocalSet`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use evloop::runtime::LocalRuntime;

#[test]
fn spawn_local_inside_block_on_needs_no_local_set() {
    let rt = LocalRuntime::new().unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let got = rt.block_on({
        let log = log.clone();
        async move {
            let a = evloop::task::spawn_local({
                let log = log.clone();
                async move {
                    evloop::time::sleep(Duration::from_millis(2)).await;
                    log.borrow_mut().push("local");
                    1
                }
            });
            // `Send` tasks go to the same runtime.
            let b = evloop::spawn(async { 2 });
            a.await.unwrap() + b.await.unwrap()
        }
    });
    assert_eq!(got, 3);
    assert_eq!(*log.borrow(), vec!["local"]);
}

#[test]
fn tasks_spawned_from_outside_run_once_block_on_runs() {
    let rt = LocalRuntime::new().unwrap();
    let flag = Rc::new(RefCell::new(false));
    let task = rt.spawn_local({
        let flag = flag.clone();
        async move {
            *flag.borrow_mut() = true;
        }
    });
    assert!(!*flag.borrow());
    rt.block_on(async { task.await.unwrap() });
    assert!(*flag.borrow());
    let blocking = rt.spawn_blocking(|| 7);
    assert_eq!(rt.block_on(blocking).unwrap(), 7);
}

#[test]
fn handle_reaches_the_same_runtime_and_shutdown_drops_local_tasks() {
    let rt = LocalRuntime::new().unwrap();
    let handle = rt.handle().clone();
    let from_thread = std::thread::spawn(move || handle.spawn(async { 5 }))
        .join()
        .unwrap();
    assert_eq!(rt.block_on(from_thread).unwrap(), 5);

    struct SetOnDrop(Rc<RefCell<bool>>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            *self.0.borrow_mut() = true;
        }
    }
    let dropped = Rc::new(RefCell::new(false));
    let guard = SetOnDrop(dropped.clone());
    let _never = rt.spawn_local(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    rt.block_on(evloop::task::yield_now());
    rt.shutdown_timeout(Duration::from_secs(1));
    assert!(*dropped.borrow());
}
