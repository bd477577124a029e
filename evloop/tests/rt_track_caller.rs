//! Misuse panics name the caller's line, not a line inside evloop: the
//! panic's location (what a panic hook and the default message print) is
//! in this file, wherever tokio's is the caller's.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::time::Duration;

use evloop::runtime::{Builder, Handle};

thread_local! {
    static LAST: RefCell<Option<(String, u32)>> = const { RefCell::new(None) };
}

/// Runs `f`, which must panic, and returns the file and line the panic
/// reported.
fn panic_location(f: impl FnOnce() + Send + 'static) -> (String, u32) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if let Some(loc) = info.location() {
                LAST.with(|l| *l.borrow_mut() = Some((loc.file().to_owned(), loc.line())));
            }
            // Keep the default report for panics this test does not expect.
            if std::thread::current()
                .name()
                .is_none_or(|n| !n.starts_with("misuse"))
            {
                default(info);
            }
        }));
    });
    // Run on a named thread so the hook stays quiet for it.
    std::thread::Builder::new()
        .name("misuse".into())
        .spawn(move || {
            LAST.with(|l| l.borrow_mut().take());
            let res = panic::catch_unwind(AssertUnwindSafe(f));
            assert!(res.is_err(), "expected a panic");
            LAST.with(|l| l.borrow_mut().take())
                .expect("the hook saw the panic")
        })
        .unwrap()
        .join()
        .unwrap()
}

/// Takes whatever a misuse would have returned.
fn consume<T>(_: T) {}

/// Asserts that the panic happened in this file, within the lines of the
/// macro call.
macro_rules! assert_here {
    ($body:expr) => {{
        let start = line!();
        let (file, line) = panic_location(move || {
            consume($body);
        });
        assert_eq!(file, file!(), "panic location: {file}:{line}");
        assert!(
            (start..start + 8).contains(&line),
            "panic at line {line}, not in the call at line {start}"
        );
    }};
}

fn current_thread() -> evloop::runtime::Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn spawn_outside_a_runtime() {
    assert_here!(evloop::spawn(async {}));
}

#[test]
fn spawn_blocking_outside_a_runtime() {
    assert_here!(evloop::task::spawn_blocking(|| ()));
}

#[test]
fn spawn_local_outside_a_local_set() {
    assert_here!(evloop::task::spawn_local(async {}));
}

#[test]
fn handle_current_outside_a_runtime() {
    assert_here!(Handle::current());
}

#[test]
fn task_id_outside_a_task() {
    assert_here!(evloop::task::id());
}

#[test]
fn nested_block_on() {
    assert_here!({
        let rt = current_thread();
        let rt2 = current_thread();
        rt.block_on(async { rt2.block_on(async {}) })
    });
}

#[test]
fn nested_block_on_through_a_handle_and_a_local_runtime() {
    assert_here!({
        let rt = current_thread();
        let h = rt.handle().clone();
        rt.block_on(async move { h.block_on(async {}) })
    });
    assert_here!({
        let rt = evloop::runtime::LocalRuntime::new().unwrap();
        let rt2 = evloop::runtime::LocalRuntime::new().unwrap();
        rt.block_on(async { rt2.block_on(async {}) })
    });
}

#[test]
fn block_in_place_on_a_current_thread_runtime() {
    assert_here!({
        let rt = current_thread();
        rt.block_on(async { evloop::task::block_in_place(|| ()) })
    });
}

#[test]
fn sleep_outside_a_runtime() {
    assert_here!(evloop::time::sleep(Duration::from_millis(1)));
}

#[test]
fn sleep_without_the_time_driver() {
    assert_here!({
        let rt = Builder::new_current_thread().build().unwrap();
        rt.block_on(async { evloop::time::sleep(Duration::from_millis(1)).await })
    });
}

#[test]
fn interval_with_a_zero_period() {
    assert_here!({
        let rt = current_thread();
        let _g = rt.enter();
        evloop::time::interval(Duration::ZERO)
    });
}

#[test]
fn timeout_outside_a_runtime() {
    assert_here!(evloop::time::timeout(Duration::from_millis(1), async {}));
}

#[test]
fn builder_misuse() {
    assert_here!(Builder::new_multi_thread().worker_threads(0));
    assert_here!(Builder::new_current_thread().name(""));
    assert_here!(Builder::new_multi_thread().build_local(Default::default()));
}

evloop::task_local! { static KEY: u8; }

#[test]
fn task_local_read_outside_its_scope() {
    assert_here!(KEY.get());
    assert_here!(KEY.with(|_| ()));
}

#[test]
fn pause_and_resume_misuse() {
    assert_here!({
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let _g = rt.enter();
        evloop::time::pause()
    });
    assert_here!({
        let rt = current_thread();
        let _g = rt.enter();
        evloop::time::resume()
    });
}

#[test]
fn pause_outside_a_runtime() {
    assert_here!(evloop::time::pause());
}
