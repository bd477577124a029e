//! The public `task::coop` module: `poll_proceed`, `RestoreOnPending`,
//! `has_budget_remaining`.

use std::future::poll_fn;
use std::task::{ready, Poll};

use evloop::task::coop;

#[evloop::test]
async fn poll_proceed_runs_out_and_has_budget_remaining_says_so() {
    assert!(coop::has_budget_remaining());
    // Spend units until the budget says yield.
    let mut spent = 0u32;
    let yielded = poll_fn(|cx| loop {
        match coop::poll_proceed(cx) {
            Poll::Ready(restore) => {
                restore.made_progress();
                spent += 1;
                if spent > 10_000 {
                    return Poll::Ready(false);
                }
            }
            Poll::Pending => {
                assert!(!coop::has_budget_remaining());
                return Poll::Ready(true);
            }
        }
    })
    .await;
    assert!(yielded, "the budget never ran out");
    assert!(spent > 0);
    // After a yield the task has a fresh budget.
    evloop::task::yield_now().await;
    assert!(coop::has_budget_remaining());
}

#[evloop::test]
async fn a_unit_not_marked_as_progress_is_given_back() {
    let mut first = true;
    // Take and give back far more units than a budget holds: never Pending.
    poll_fn(|cx| {
        for _ in 0..10_000 {
            let restore = ready!(coop::poll_proceed(cx));
            drop(restore);
        }
        first = false;
        Poll::Ready(())
    })
    .await;
    assert!(!first);
    assert!(coop::has_budget_remaining());
}

#[test]
fn outside_a_task_the_budget_is_unlimited() {
    assert!(coop::has_budget_remaining());
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..10_000 {
        match coop::poll_proceed(&mut cx) {
            Poll::Ready(r) => r.made_progress(),
            Poll::Pending => panic!("budget outside a task"),
        }
    }
}
