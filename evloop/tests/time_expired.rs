//! A deadline that has already passed completes on the first poll: no
//! `Pending`, no wait for a turn of the driver. Each case is polled exactly
//! once, with a waker that does nothing, on both flavours.

mod support;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use evloop::runtime::Runtime;
use evloop::time::{interval, interval_at, sleep, sleep_until, timeout_at, Instant};
use support::{mt, rt};

fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

fn flavours() -> [Runtime; 2] {
    [rt(), mt()]
}

#[test]
fn sleep_until_a_past_instant_is_ready_at_once() {
    for rt in flavours() {
        rt.block_on(async {
            let past = Instant::now() - Duration::from_millis(5);
            let mut s = pin!(sleep_until(past));
            assert_eq!(poll_once(s.as_mut()), Poll::Ready(()));
            assert!(s.is_elapsed());
            // Reset to the future: armed like any other sleep.
            s.as_mut().reset(Instant::now() + Duration::from_millis(5));
            assert!(!s.is_elapsed());
            s.await;
        });
        // Also from a task, where timers are armed lazily.
        rt.block_on(async {
            evloop::spawn(async {
                let now = Instant::now();
                let mut s = pin!(sleep_until(now));
                assert_eq!(poll_once(s.as_mut()), Poll::Ready(()));
            })
            .await
            .unwrap();
        });
    }
}

#[test]
fn sleep_of_zero_is_ready_at_once() {
    for rt in flavours() {
        rt.block_on(async {
            evloop::spawn(async {
                let mut s = pin!(sleep(Duration::ZERO));
                assert_eq!(poll_once(s.as_mut()), Poll::Ready(()));
            })
            .await
            .unwrap();
        });
    }
}

#[test]
fn the_first_tick_of_an_interval_is_immediate() {
    for rt in flavours() {
        rt.block_on(async {
            let mut ticks = interval(Duration::from_millis(10));
            let start = Instant::now();
            let first = poll_once(std::pin::Pin::new(&mut Box::pin(ticks.tick())));
            assert!(first.is_ready(), "first tick pending");
            // The second one is a period later.
            let second = ticks.tick().await;
            assert!(second >= start + Duration::from_millis(10) - Duration::from_millis(1));
        });
    }
}

#[test]
fn interval_at_a_past_start_ticks_at_once() {
    for rt in flavours() {
        rt.block_on(async {
            let start = Instant::now() - Duration::from_millis(30);
            let mut ticks = interval_at(start, Duration::from_secs(3600));
            let first = poll_once(std::pin::Pin::new(&mut Box::pin(ticks.tick())));
            match first {
                Poll::Ready(at) => assert_eq!(at, start),
                Poll::Pending => panic!("a tick due in the past was pending"),
            }
        });
    }
}

#[test]
fn timeout_at_now_elapses_on_the_first_poll() {
    for rt in flavours() {
        rt.block_on(async {
            let mut t = pin!(timeout_at(Instant::now(), std::future::pending::<()>()));
            match poll_once(t.as_mut()) {
                Poll::Ready(res) => assert!(res.is_err(), "a pending future completed"),
                Poll::Pending => panic!("an elapsed timeout was pending"),
            }
        });
    }
}

#[test]
fn a_future_deadline_still_waits() {
    for rt in flavours() {
        rt.block_on(async {
            let deadline = Instant::now() + Duration::from_millis(20);
            let mut s = pin!(sleep_until(deadline));
            assert_eq!(poll_once(s.as_mut()), Poll::Pending);
            s.await;
            assert!(Instant::now() >= deadline);
        });
    }
}
