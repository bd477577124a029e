//! Task API tokio code calls: `JoinSet::spawn_local_on`,
//! `spawn_blocking_on`, `FromIterator` / `Extend`, the public `coop`
//! module, `LocalSet::id`, and the handles' ids and `is_finished`.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use evloop::task::{self, coop, JoinSet, LocalSet};

#[test]
fn join_set_spawn_local_on_runs_on_the_given_set() {
    let rt = support::rt();
    let local = LocalSet::new();
    let mut set = JoinSet::new();
    for i in 0..5u32 {
        let not_send = Rc::new(i);
        set.spawn_local_on(async move { *not_send }, &local);
    }
    let mut out = local.block_on(&rt, async {
        let mut out = Vec::new();
        while let Some(res) = set.join_next().await {
            out.push(res.unwrap());
        }
        out
    });
    out.sort();
    assert_eq!(out, [0, 1, 2, 3, 4]);
}

#[test]
fn join_set_spawn_blocking_on_uses_that_runtime() {
    let rt = support::rt();
    let other = support::mt();
    let mut set = JoinSet::new();
    set.spawn_blocking_on(
        || std::thread::current().name().map(str::to_owned),
        other.handle(),
    );
    let name = rt.block_on(set.join_next()).unwrap().unwrap();
    assert_eq!(name.as_deref(), Some("evloop-runtime-worker"));
}

#[test]
fn join_set_collects_and_extends_from_futures() {
    let rt = support::mt();
    rt.block_on(async {
        let mut set: JoinSet<u64> = (0..10u64).map(|i| async move { i }).collect();
        assert_eq!(set.len(), 10);
        set.extend((10..20u64).map(|i| async move { i }));
        assert_eq!(set.len(), 20);
        let mut all = set.join_all().await;
        all.sort();
        assert_eq!(all, (0..20).collect::<Vec<_>>());
    });
}

#[test]
fn join_set_polling_and_draining_apis() {
    let rt = support::rt();
    rt.block_on(async {
        let mut set = JoinSet::new();
        let a = set.spawn(async { 1 });
        assert!(set.try_join_next().is_none() || a.is_finished());
        task::yield_now().await;
        assert!(a.is_finished());
        let (id, v) = set.try_join_next_with_id().unwrap().unwrap();
        assert_eq!((id, v), (a.id(), 1));
        let b = set.spawn(std::future::pending::<u32>());
        set.abort_all();
        let err = set.join_next_with_id().await.unwrap().unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(err.id(), b.id());
        // poll_join_next from a hand-written future.
        set.spawn(async { 5 });
        let got = std::future::poll_fn(|cx| set.poll_join_next(cx)).await;
        assert_eq!(got.unwrap().unwrap(), 5);
        set.spawn(async { 6 });
        let got = std::future::poll_fn(|cx| set.poll_join_next_with_id(cx)).await;
        assert_eq!(got.unwrap().unwrap().1, 6);
        // detach_all leaves the tasks running.
        let (tx, rx) = evloop::sync::oneshot::channel();
        set.spawn(async move {
            task::yield_now().await;
            tx.send(7).unwrap();
            0
        });
        set.detach_all();
        assert!(set.is_empty());
        assert_eq!(rx.await.unwrap(), 7);
    });
}

#[test]
fn handles_report_ids_and_completion() {
    let rt = support::rt();
    rt.block_on(async {
        // The `block_on` future is not a task.
        assert!(task::try_id().is_none());
        let join = evloop::spawn(async { task::id() });
        let abort = join.abort_handle();
        assert_eq!(abort.id(), join.id());
        let id = join.id();
        assert_eq!(join.await.unwrap(), id);
        assert!(abort.is_finished());
    });
    assert!(task::try_id().is_none());
}

#[test]
fn local_sets_have_distinct_ids() {
    let a = LocalSet::new();
    let b = LocalSet::new();
    assert_ne!(a.id(), b.id());
    let rt = support::rt();
    assert_ne!(a.id(), rt.handle().id());
}

/// Always ready; spends budget through `poll_proceed`.
struct Budgeted {
    polls: u32,
}

impl Future for Budgeted {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = std::task::ready!(coop::poll_proceed(cx));
        self.polls += 1;
        coop.made_progress();
        Poll::Ready(())
    }
}

#[test]
fn coop_module_spends_and_reports_the_budget() {
    let rt = support::rt();
    rt.block_on(async {
        evloop::spawn(async {
            assert!(coop::has_budget_remaining());
            let mut spent = 0u32;
            while coop::has_budget_remaining() {
                coop::consume_budget().await;
                spent += 1;
                assert!(spent < 10_000, "the budget never ran out");
            }
            // Spent: the next budgeted operation yields first, then goes on
            // with a fresh budget.
            assert!(spent > 1);
            let mut f = Budgeted { polls: 0 };
            (&mut f).await;
            assert_eq!(f.polls, 1);
            assert!(coop::has_budget_remaining());

            // `cooperative` spends a unit per completed poll.
            let mut n = 0u32;
            while coop::has_budget_remaining() {
                coop::cooperative(async {}).await;
                n += 1;
                assert!(n < 10_000);
            }
            // The fresh budget lost one unit to `Budgeted`.
            assert_eq!(n + 1, spent);

            // Unconstrained: never runs out.
            coop::unconstrained(async {
                for _ in 0..10 * spent {
                    coop::consume_budget().await;
                }
                assert!(coop::has_budget_remaining());
            })
            .await;
        })
        .await
        .unwrap();
    });
    // Outside a task there is no limit.
    assert!(coop::has_budget_remaining());
}

#[test]
fn a_restore_guard_dropped_without_progress_gives_the_unit_back() {
    let rt = support::rt();
    rt.block_on(async {
        evloop::spawn(std::future::poll_fn(|cx| {
            let mut spent = 0u32;
            while let Poll::Ready(guard) = coop::poll_proceed(cx) {
                guard.made_progress();
                spent += 1;
            }
            assert!(!coop::has_budget_remaining());
            Poll::Ready(spent)
        }))
        .await
        .unwrap();
        evloop::spawn(std::future::poll_fn(|cx| {
            for _ in 0..100_000 {
                // Never `made_progress`: the unit comes back each time.
                let Poll::Ready(guard) = coop::poll_proceed(cx) else {
                    panic!("budget spent by guards that gave it back");
                };
                drop(guard);
            }
            Poll::Ready(())
        }))
        .await
        .unwrap();
    });
}
