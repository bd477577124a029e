//! `#[evloop::main]` and `#[evloop::test]`: the expansions build a runtime
//! and block on the body, keeping the signature and attributes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use evloop::task::yield_now;

#[derive(Debug, PartialEq)]
struct AppError(String);

impl From<std::num::ParseIntError> for AppError {
    fn from(e: std::num::ParseIntError) -> AppError {
        AppError(e.to_string())
    }
}

static INPUT: std::sync::Mutex<&str> = std::sync::Mutex::new("");

/// A `main`-style entry point (the test harness owns the real `main`): it
/// returns a `Result` and uses `?` and `return` in its body.
#[evloop::main(flavor = "current_thread")]
async fn app() -> Result<u32, AppError> {
    let input = *INPUT.lock().unwrap();
    if input.is_empty() {
        return Err(AppError("empty".into()));
    }
    let n: u32 = input.parse()?;
    let doubled = evloop::spawn(async move { n * 2 }).await.unwrap();
    Ok(doubled)
}

#[test]
fn main_returning_result() {
    *INPUT.lock().unwrap() = "21";
    assert_eq!(app(), Ok(42));
    *INPUT.lock().unwrap() = "x";
    assert_eq!(app(), Err(AppError("invalid digit found in string".into())));
    *INPUT.lock().unwrap() = "";
    assert_eq!(app(), Err(AppError("empty".into())));
}

/// `main` with no return type, run from inside a plain thread.
#[evloop::main(flavor = "current_thread")]
async fn unit_app() {
    yield_now().await;
}

#[test]
fn main_without_return_type() {
    unit_app();
    // Callable again: each call builds its own runtime.
    thread::spawn(unit_app).join().unwrap();
}

#[evloop::test]
async fn test_runs_on_a_current_thread_runtime() {
    let here = thread::current().id();
    let there = evloop::spawn(async { thread::current().id() })
        .await
        .unwrap();
    // current_thread: spawned tasks run on the thread that blocks on the test.
    assert_eq!(here, there);
    assert!(evloop::runtime::Handle::try_current().is_ok());
}

#[evloop::test]
async fn test_returning_result() -> Result<(), AppError> {
    let n: u32 = "7".parse()?;
    assert_eq!(n, 7);
    Ok(())
}

#[evloop::test]
#[should_panic(expected = "boom from the body")]
async fn test_attributes_are_kept() {
    yield_now().await;
    panic!("boom from the body");
}

#[evloop::test(start_paused = true)]
async fn test_with_start_paused() {
    // The builder accepted `start_paused(true)` and the body runs. (Once the
    // timer lands, a long sleep here should complete at once.)
    let counter = Arc::new(AtomicUsize::new(0));
    let c = counter.clone();
    evloop::spawn(async move { c.fetch_add(1, Ordering::SeqCst) })
        .await
        .unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 1);
}

#[evloop::test(flavor = "current_thread", crate = "evloop")]
async fn test_with_explicit_flavor_and_crate_path() {
    assert_eq!(evloop::join!(async { 1 }, async { 2 }), (1, 2));
}

mod renamed {
    // `crate = "..."` lets a re-exporting crate point the expansion at its
    // own path.
    pub use evloop as rt;

    #[evloop::test(crate = "crate::renamed::rt")]
    async fn through_a_reexport() {
        rt::task::yield_now().await;
    }
}

/// The multi_thread flavour, the default of `#[evloop::main]`.
mod multi_thread {
    use super::*;

    #[evloop::main]
    async fn default_main() -> usize {
        let ids = (0..64)
            .map(|_| evloop::spawn(async { thread::current().id() }))
            .collect::<Vec<_>>();
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            seen.insert(id.await.unwrap());
        }
        seen.len()
    }

    #[test]
    fn main_defaults_to_multi_thread() {
        assert!(default_main() >= 1);
    }

    #[evloop::test(flavor = "multi_thread", worker_threads = 2)]
    async fn test_on_two_workers() {
        let main_thread = thread::current().id();
        let on = evloop::spawn(async { thread::current().id() })
            .await
            .unwrap();
        assert_ne!(main_thread, on);
    }
}
