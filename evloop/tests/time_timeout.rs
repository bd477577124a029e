//! `timeout`: elapsed vs ready, lazy arming, cancellation, accessors.

mod support;

use std::future::{pending, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use evloop::runtime::Builder;
use evloop::time::{error::Elapsed, sleep, timeout, timeout_at, Instant};
use support::rt;

fn paused() -> evloop::runtime::Runtime {
    Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

#[test]
fn ready_future_wins_even_with_zero_duration() {
    rt().block_on(async {
        assert_eq!(timeout(Duration::ZERO, async { 1 }).await, Ok(1));
        let past = Instant::now() - Duration::from_secs(1);
        assert_eq!(timeout_at(past, async { 2 }).await, Ok(2));
    });
}

#[test]
fn pending_future_times_out_at_the_deadline() {
    paused().block_on(async {
        let start = Instant::now();
        let res = timeout(Duration::from_secs(30), pending::<()>()).await;
        assert!(res.is_err());
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    });
}

#[test]
fn future_finishing_first_returns_ok() {
    paused().block_on(async {
        let start = Instant::now();
        let res = timeout(Duration::from_secs(10), async {
            sleep(Duration::from_secs(3)).await;
            "done"
        })
        .await;
        assert_eq!(res, Ok("done"));
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    });
}

#[test]
fn real_time_timeout_elapses() {
    rt().block_on(async {
        let start = std::time::Instant::now();
        let res = timeout(Duration::from_millis(30), sleep(Duration::from_secs(60))).await;
        assert!(res.is_err());
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(30) && took < Duration::from_secs(2));
    });
}

#[test]
fn elapsed_error_displays_and_converts() {
    let e: Elapsed = paused()
        .block_on(async { timeout(Duration::ZERO, pending::<()>()).await })
        .unwrap_err();
    assert_eq!(e.to_string(), "deadline has elapsed");
    let io: std::io::Error = e.into();
    assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
}

#[test]
fn accessors_and_into_inner() {
    rt().block_on(async {
        let mut t = timeout(Duration::from_secs(1), async { 5 });
        let _ = t.get_ref();
        let _ = t.get_mut();
        let inner = t.into_inner();
        assert_eq!(inner.await, 5);
    });
}

#[test]
fn many_timeouts_armed_and_cancelled() {
    // The churn pattern: every inner future yields once, so each timer is
    // armed and then cancelled.
    rt().block_on(async {
        for i in 0..100_000u32 {
            let r = timeout(Duration::from_secs(60), async {
                evloop::task::yield_now().await;
                i
            })
            .await;
            assert_eq!(r, Ok(i));
        }
    });
}

#[test]
fn dropping_an_armed_timeout_cancels_it() {
    paused().block_on(async {
        let start = Instant::now();
        {
            let mut t = pin!(timeout(Duration::from_secs(5), pending::<()>()));
            let polled = std::future::poll_fn(|cx| Poll::Ready(t.as_mut().poll(cx))).await;
            assert!(polled.is_pending());
        }
        // With the only timer gone, the next auto-advance goes to this one.
        sleep(Duration::from_secs(100)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(100));
    });
}

#[test]
fn busy_future_still_times_out() {
    // A future that never completes but always spends its whole budget
    // (it is woken again at once) must still see its timer fire.
    rt().block_on(async {
        let start = std::time::Instant::now();
        let busy = async {
            loop {
                evloop::task::consume_budget().await;
            }
        };
        let res: Result<(), Elapsed> = timeout(Duration::from_millis(20), busy).await;
        assert!(res.is_err());
        assert!(start.elapsed() < Duration::from_secs(2));
    });
}
