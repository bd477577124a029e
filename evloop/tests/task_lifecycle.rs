//! The task lifecycle cross-product: the task completes, panics or is
//! aborted (before it runs, while it waits, while it is being polled, after
//! it completed), and its JoinHandle is awaited, dropped early or dropped
//! late. In every case the future and the output are dropped exactly once
//! and the JoinHandle reports what happened.

mod support;

use std::sync::{Arc, Mutex};

use evloop::task::{self, AbortHandle, JoinError};
use support::{rt, DropCounter, Gate, Tracked};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    Complete,
    Panic,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Abort {
    Never,
    BeforeRun,
    WhileIdle,
    WhileRunning,
    AfterComplete,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Join {
    Await,
    DropBeforeRun,
    DropAfterComplete,
}

/// Runs one combination and checks the drops and the join result.
fn run_case(outcome: Outcome, abort: Abort, join: Join) {
    let rt = rt();
    let future_drops = DropCounter::new();
    let output_drops = DropCounter::new();
    let gate = Gate::new();
    let self_abort: Arc<Mutex<Option<AbortHandle>>> = Arc::new(Mutex::new(None));

    let result: Option<Result<(), JoinError>> = rt.block_on(async {
        let in_future = future_drops.track();
        let out = output_drops.clone();
        let g = gate.clone();
        let slot = self_abort.clone();
        let handle = evloop::spawn(async move {
            let _keep = in_future;
            if abort == Abort::WhileRunning {
                // Abort ourselves in the middle of a poll, then wait: the
                // task must be cancelled when this poll returns Pending.
                slot.lock().unwrap().as_ref().unwrap().abort();
            }
            g.wait().await;
            if outcome == Outcome::Panic {
                panic!("task failed on purpose");
            }
            out.track()
        });
        *self_abort.lock().unwrap() = Some(handle.abort_handle());
        let abort_handle = handle.abort_handle();

        let mut handle = Some(handle);
        if join == Join::DropBeforeRun {
            drop(handle.take());
        }
        if abort == Abort::BeforeRun {
            abort_handle.abort();
        }
        // Let the task run up to its wait.
        task::yield_now().await;
        if abort == Abort::WhileIdle {
            abort_handle.abort();
            task::yield_now().await;
        }
        gate.open();
        // Let it finish (or be cancelled).
        for _ in 0..4 {
            task::yield_now().await;
        }
        assert!(abort_handle.is_finished(), "task did not finish");
        if abort == Abort::AfterComplete {
            abort_handle.abort();
        }
        match (join, handle) {
            (Join::Await, Some(h)) => Some(h.await.map(|tracked: Tracked| drop(tracked))),
            (Join::DropAfterComplete, Some(h)) => {
                drop(h);
                None
            }
            (_, None) => None,
            (Join::DropBeforeRun, Some(_)) => unreachable!(),
        }
    });
    drop(rt);
    *self_abort.lock().unwrap() = None;

    let cancelled = matches!(
        abort,
        Abort::BeforeRun | Abort::WhileIdle | Abort::WhileRunning
    );
    let case = format!("{outcome:?} / abort {abort:?} / join {join:?}");
    assert_eq!(future_drops.dropped(), 1, "future drops: {case}");
    let expect_output = !cancelled && outcome == Outcome::Complete;
    assert_eq!(
        output_drops.dropped(),
        usize::from(expect_output),
        "output drops: {case}"
    );
    if let Some(result) = result {
        match (cancelled, outcome) {
            (true, _) => assert!(result.unwrap_err().is_cancelled(), "{case}"),
            (false, Outcome::Panic) => {
                let err = result.unwrap_err();
                assert!(err.is_panic(), "{case}");
                let msg = *err.into_panic().downcast::<&str>().unwrap();
                assert_eq!(msg, "task failed on purpose");
            }
            (false, Outcome::Complete) => result.unwrap(),
        }
    }
}

#[test]
fn lifecycle_cross_product() {
    for outcome in [Outcome::Complete, Outcome::Panic] {
        for abort in [
            Abort::Never,
            Abort::BeforeRun,
            Abort::WhileIdle,
            Abort::WhileRunning,
            Abort::AfterComplete,
        ] {
            for join in [Join::Await, Join::DropBeforeRun, Join::DropAfterComplete] {
                run_case(outcome, abort, join);
            }
        }
    }
}

#[test]
fn join_error_reports_id_and_message() {
    let rt = rt();
    rt.block_on(async {
        let h = evloop::spawn(async { panic!("kaboom {}", 7) });
        let id = h.id();
        let err = h.await.unwrap_err();
        assert_eq!(err.id(), id);
        assert!(err.to_string().contains("kaboom 7"), "{err}");
        assert!(format!("{err:?}").contains("Panic"));
        let h = evloop::spawn(std::future::pending::<()>());
        h.abort();
        let err = h.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(err.to_string().contains("cancelled"));
        let err = err.try_into_panic().unwrap_err();
        assert!(err.is_cancelled());
    });
}

#[test]
fn runtime_keeps_running_after_a_panic() {
    let rt = rt();
    let out = rt.block_on(async {
        for _ in 0..10 {
            assert!(evloop::spawn(async { panic!("x") }).await.is_err());
        }
        evloop::spawn(async { 5 }).await.unwrap()
    });
    assert_eq!(out, 5);
}

#[test]
fn task_id_inside_and_outside() {
    let rt = rt();
    rt.block_on(async {
        assert!(task::try_id().is_none(), "block_on's future is not a task");
        let h = evloop::spawn(async { task::id() });
        let id = h.id();
        assert_eq!(h.await.unwrap(), id);
        let a = evloop::spawn(async {});
        let b = evloop::spawn(async {});
        assert_ne!(a.id(), b.id());
    });
}

#[test]
fn dropping_join_handle_detaches() {
    let rt = rt();
    let gate = Gate::new();
    let done = Arc::new(Mutex::new(false));
    rt.block_on(async {
        let g = gate.clone();
        let d = done.clone();
        drop(evloop::spawn(async move {
            g.wait().await;
            *d.lock().unwrap() = true;
        }));
        task::yield_now().await;
        gate.open();
        for _ in 0..3 {
            task::yield_now().await;
        }
    });
    assert!(*done.lock().unwrap());
}

#[test]
fn abort_from_another_thread() {
    let rt = rt();
    rt.block_on(async {
        let h = evloop::spawn(std::future::pending::<()>());
        let ah = h.abort_handle();
        std::thread::spawn(move || ah.abort()).join().unwrap();
        assert!(h.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn join_handle_is_finished_and_debug() {
    let rt = rt();
    rt.block_on(async {
        let h = evloop::spawn(async { 1 });
        assert!(!h.is_finished());
        let dbg = format!("{h:?}");
        assert!(dbg.contains("JoinHandle"), "{dbg}");
        task::yield_now().await;
        assert!(h.is_finished());
        assert_eq!(h.await.unwrap(), 1);
    });
}

/// After `Ready`, the output is no longer in the task: polling the handle
/// again panics, and dropping it then does not drop the output a second
/// time.
#[test]
fn join_handle_polled_again_after_ready_panics_and_drops_nothing_twice() {
    use std::future::Future;
    use std::pin::Pin;

    let rt = rt();
    let output_drops = DropCounter::new();
    let out = output_drops.clone();
    let mut handle = rt.spawn(async move { out.track() });
    let tracked = rt
        .block_on(std::future::poll_fn(|cx| Pin::new(&mut handle).poll(cx)))
        .expect("the task completed");
    drop(tracked);
    assert_eq!(output_drops.dropped(), 1);
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(std::future::poll_fn(|cx| Pin::new(&mut handle).poll(cx)))
    }));
    let Err(panic) = again else {
        panic!("polling the handle again returned");
    };
    let message = *panic.downcast::<&str>().unwrap();
    assert_eq!(message, "JoinHandle polled after completion");
    assert!(handle.is_finished());
    let _ = handle.id();
    drop(handle);
    drop(rt);
    assert_eq!(output_drops.dropped(), 1);
}
