//! A task that yields (`yield_now`, or a spent coop budget) goes behind the
//! next poll of the I/O driver, on both flavours: a connection waiting to be
//! accepted is seen after a yield or two, not after a batch of them.

mod support;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::net::TcpListener;
use evloop::runtime::{Builder, Runtime};
use support::rt;

/// How the spinning task gives the scheduler its turn.
#[derive(Clone, Copy)]
enum Spin {
    /// `yield_now()`: one turn per call.
    Yield,
    /// `consume_budget()`: one turn per spent budget.
    Budget,
}

/// Turns the spinning task may take before it sees the accept. One would
/// do; two leave room for a readiness event that lands just after the
/// first driver poll.
const TURNS: usize = 3;

/// `consume_budget` calls in one coop budget (more than the budget: the
/// bound only has to tell a turn or two from the ~60 of a batch).
const PER_BUDGET: usize = 130;

/// Spawns an accept task, connects to it, then spins (`spin`) until the
/// accept is done; returns how many turns the spinner took. Runs inside a
/// task of `rt`, or in the `block_on` future itself.
fn turns_until_accept(rt: &Runtime, spin: Spin, in_block_on: bool) -> usize {
    let body = async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicBool::new(false));
        let flag = accepted.clone();
        let acceptor = evloop::spawn(async move {
            let conn = listener.accept().await.unwrap();
            flag.store(true, Ordering::Release);
            conn
        });
        // Let the accept task register its interest.
        evloop::task::yield_now().await;
        evloop::task::yield_now().await;
        let _client = std::net::TcpStream::connect(addr).unwrap();
        // The connection is in the listener's queue by now.
        std::thread::sleep(Duration::from_millis(20));
        let mut calls = 0usize;
        while !accepted.load(Ordering::Acquire) {
            match spin {
                Spin::Yield => evloop::task::yield_now().await,
                Spin::Budget => evloop::task::consume_budget().await,
            }
            calls += 1;
            assert!(calls < 1_000_000, "the accept never completed");
        }
        acceptor.await.unwrap();
        match spin {
            Spin::Yield => calls,
            Spin::Budget => calls / PER_BUDGET,
        }
    };
    run(rt, body, in_block_on)
}

fn run<F>(rt: &Runtime, body: F, in_block_on: bool) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // A watchdog: a regression fails instead of hanging.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if done_rx.recv_timeout(Duration::from_secs(60)).is_err() {
            eprintln!("rt_yield_driver: timed out");
            std::process::abort();
        }
    });
    let out = if in_block_on {
        rt.block_on(body)
    } else {
        rt.block_on(async move { evloop::spawn(body).await.unwrap() })
    };
    let _ = done_tx.send(());
    out
}

/// One worker: the spinner holds the only worker, so nobody else polls the
/// driver for it.
fn mt1() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn yield_now_lets_io_in_current_thread_task() {
    let turns = turns_until_accept(&rt(), Spin::Yield, false);
    assert!(turns <= TURNS, "accepted after {turns} yields");
}

#[test]
fn yield_now_lets_io_in_current_thread_block_on() {
    let turns = turns_until_accept(&rt(), Spin::Yield, true);
    assert!(turns <= TURNS, "accepted after {turns} yields");
}

#[test]
fn yield_now_lets_io_in_multi_thread_task() {
    let turns = turns_until_accept(&mt1(), Spin::Yield, false);
    assert!(turns <= TURNS, "accepted after {turns} yields");
}

#[test]
fn spent_budget_lets_io_in_current_thread_task() {
    let turns = turns_until_accept(&rt(), Spin::Budget, false);
    assert!(turns <= TURNS, "accepted after {turns} spent budgets");
}

#[test]
fn spent_budget_lets_io_in_current_thread_block_on() {
    let turns = turns_until_accept(&rt(), Spin::Budget, true);
    assert!(turns <= TURNS, "accepted after {turns} spent budgets");
}

#[test]
fn spent_budget_lets_io_in_multi_thread_task() {
    let turns = turns_until_accept(&mt1(), Spin::Budget, false);
    assert!(turns <= TURNS, "accepted after {turns} spent budgets");
}
