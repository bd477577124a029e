//! Virtual time: sleeps, intervals and timeouts jump instead of waiting.

use std::time::Duration;

use evloop::sim::Builder;
use evloop::time::{interval, sleep, timeout, Instant};

#[test]
fn an_hour_of_timers_in_virtual_time() {
    let hour = Duration::from_secs(3600);
    let (ticks, report) = Builder::new().workers(2).run(|| async move {
        let start = Instant::now();
        let mut set = evloop::task::JoinSet::new();
        for i in 0..50u64 {
            set.spawn(async move {
                let mut iv = interval(Duration::from_secs(10 + i % 7));
                let mut n = 0u64;
                while iv.tick().await.duration_since(start) < Duration::from_secs(3500) {
                    n += 1;
                }
                n
            });
        }
        let mut ticks = 0;
        while let Some(n) = set.join_next().await {
            ticks += n.unwrap();
        }
        sleep(hour.saturating_sub(start.elapsed())).await;
        assert_eq!(start.elapsed(), hour);
        ticks
    });
    // Every tick at k * period < 3500 s, exactly: none lost, none extra.
    let expected: u64 = (0..50u64).map(|i| 3500u64.div_ceil(10 + i % 7)).sum();
    assert_eq!(ticks, expected);
    assert_eq!(report.elapsed, hour);
    // The figure, for the record (not asserted: machines differ).
    eprintln!(
        "1 h of virtual time with {ticks} interval ticks took {:?} real ({:.0}x)",
        report.real,
        hour.as_secs_f64() / report.real.as_secs_f64()
    );
}

#[test]
fn time_stands_still_while_tasks_run_and_timeouts_fire() {
    Builder::new().block_on(async {
        let t0 = Instant::now();
        for _ in 0..100 {
            evloop::task::yield_now().await;
        }
        assert_eq!(t0.elapsed(), Duration::ZERO);
        let r = timeout(Duration::from_secs(30), sleep(Duration::from_secs(31))).await;
        assert!(r.is_err());
        assert_eq!(t0.elapsed(), Duration::from_secs(30));
        assert_eq!(evloop::sim::elapsed(), Some(Duration::from_secs(30)));
        let r = timeout(Duration::from_secs(30), async { 7 }).await;
        assert_eq!(r.unwrap(), 7);
    });
}

#[test]
fn deadlock_is_reported_not_hung() {
    let err = std::panic::catch_unwind(|| {
        Builder::new()
            .idle_timeout(Duration::from_millis(10))
            .block_on(async {
                let (_tx, rx) = evloop::sync::oneshot::channel::<()>();
                let _ = evloop::spawn(rx).await;
            })
    })
    .expect_err("a deadlock must panic");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("deadlock"), "{msg}");
}

#[test]
fn a_spinning_task_hits_max_steps() {
    let err = std::panic::catch_unwind(|| {
        Builder::new().max_steps(1000).block_on(async {
            let deadline = Instant::now() + Duration::from_secs(1);
            while Instant::now() < deadline {
                evloop::task::yield_now().await;
            }
        })
    })
    .expect_err("virtual time does not pass while a task is runnable");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("no end after 1000 steps"), "{msg}");
}
