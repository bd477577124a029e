//! `interval`: schedule, missed-tick behaviours (in paused time), reset.

mod support;

use std::time::Duration;

use evloop::runtime::Builder;
use evloop::time::{self, interval, interval_at, Instant, MissedTickBehavior};

fn paused() -> evloop::runtime::Runtime {
    Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

const MS: Duration = Duration::from_millis(1);

/// Ticks of `iv`, as milliseconds since `start`.
async fn ticks(iv: &mut time::Interval, start: Instant, n: usize) -> Vec<u64> {
    let mut out = Vec::new();
    for _ in 0..n {
        let due = iv.tick().await;
        out.push((due - start).as_millis() as u64);
    }
    out
}

#[test]
fn first_tick_is_immediate_then_every_period() {
    paused().block_on(async {
        let start = Instant::now();
        let mut iv = interval(10 * MS);
        assert_eq!(iv.period(), 10 * MS);
        assert_eq!(iv.missed_tick_behavior(), MissedTickBehavior::Burst);
        assert_eq!(ticks(&mut iv, start, 4).await, vec![0, 10, 20, 30]);
        assert_eq!(start.elapsed(), 30 * MS);
    });
}

#[test]
fn interval_at_starts_later() {
    paused().block_on(async {
        let start = Instant::now();
        let mut iv = interval_at(start + 25 * MS, 10 * MS);
        assert_eq!(ticks(&mut iv, start, 3).await, vec![25, 35, 45]);
    });
}

/// Ticks at 0, then the task is away until 35 ms (ticks 10, 20, 30 missed).
async fn behind(behavior: MissedTickBehavior) -> (Vec<u64>, Vec<u64>) {
    let start = Instant::now();
    let mut iv = interval(10 * MS);
    iv.set_missed_tick_behavior(behavior);
    iv.tick().await;
    time::advance(35 * MS).await;
    let mut returned = Vec::new();
    let mut at = Vec::new();
    for _ in 0..5 {
        let due = iv.tick().await;
        returned.push((due - start).as_millis() as u64);
        at.push((Instant::now() - start).as_millis() as u64);
    }
    (returned, at)
}

#[test]
fn burst_catches_up_then_keeps_the_grid() {
    paused().block_on(async {
        let (returned, at) = behind(MissedTickBehavior::Burst).await;
        assert_eq!(returned, vec![10, 20, 30, 40, 50]);
        assert_eq!(at, vec![35, 35, 35, 40, 50]);
    });
}

#[test]
fn delay_restarts_the_schedule_from_now() {
    paused().block_on(async {
        let (returned, at) = behind(MissedTickBehavior::Delay).await;
        assert_eq!(returned, vec![10, 45, 55, 65, 75]);
        assert_eq!(at, vec![35, 45, 55, 65, 75]);
    });
}

#[test]
fn skip_drops_missed_ticks_and_keeps_the_grid() {
    paused().block_on(async {
        let (returned, at) = behind(MissedTickBehavior::Skip).await;
        assert_eq!(returned, vec![10, 40, 50, 60, 70]);
        assert_eq!(at, vec![35, 40, 50, 60, 70]);
    });
}

#[test]
fn reset_restarts_one_period_from_now() {
    paused().block_on(async {
        let start = Instant::now();
        let mut iv = interval(10 * MS);
        iv.tick().await;
        time::advance(4 * MS).await;
        iv.reset();
        assert_eq!(ticks(&mut iv, start, 2).await, vec![14, 24]);
        iv.reset_immediately();
        let due = iv.tick().await;
        assert_eq!(due, Instant::now());
        iv.reset_at(start + 100 * MS);
        assert_eq!(ticks(&mut iv, start, 1).await, vec![100]);
    });
}

#[test]
fn dropped_tick_future_loses_no_tick() {
    paused().block_on(async {
        let start = Instant::now();
        let mut iv = interval(10 * MS);
        iv.tick().await;
        // Race a tick against a shorter sleep; the tick future is dropped.
        evloop::select! {
            _ = iv.tick() => panic!("tick came early"),
            _ = time::sleep(5 * MS) => {}
        }
        assert_eq!(ticks(&mut iv, start, 1).await, vec![10]);
    });
}

#[test]
#[should_panic(expected = "`period` must be non-zero")]
fn zero_period_panics() {
    paused().block_on(async {
        let _ = interval(Duration::ZERO);
    });
}
