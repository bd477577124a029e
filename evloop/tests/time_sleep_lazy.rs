//! `sleep` on a worker does not read the clock: its duration counts from
//! the worker's next driver visit. These tests check that such a sleep is
//! never short, that its deadline is fixed by that visit (or by
//! `deadline()`), and that it behaves like any other sleep.

mod support;

use std::time::Duration;

use evloop::runtime::Builder;
use evloop::time::{sleep, timeout, Instant};
use support::rt;

const D: Duration = Duration::from_millis(50);

#[test]
fn deadline_is_never_before_creation_plus_duration() {
    rt().block_on(async {
        let before = Instant::now();
        let s = sleep(D);
        std::thread::sleep(Duration::from_millis(10));
        let deadline = s.deadline();
        let after = Instant::now();
        assert!(deadline >= before + D, "deadline is early");
        assert!(deadline <= after + D, "deadline is later than the call");
        // Fixed once: asking again gives the same answer.
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(s.deadline(), deadline);
        s.await;
        assert!(Instant::now() >= deadline);
        assert!(before.elapsed() >= D);
    });
}

#[test]
fn deadline_is_fixed_by_the_next_driver_visit() {
    rt().block_on(async {
        let before = Instant::now();
        let s = sleep(D);
        // Parks in the driver: that visit fixes `s`'s deadline.
        sleep(Duration::from_millis(2)).await;
        let visited = Instant::now();
        std::thread::sleep(Duration::from_millis(20));
        let deadline = s.deadline();
        assert!(deadline >= before + D, "deadline is early");
        assert!(deadline <= visited + D, "deadline not fixed at the visit");
        s.await;
        assert!(Instant::now() >= deadline);
    });
}

#[test]
fn deadline_fixed_on_another_thread_is_kept() {
    rt().block_on(async {
        let before = Instant::now();
        let s = sleep(D);
        let (s, deadline) = std::thread::spawn(move || {
            let d = s.deadline();
            (s, d)
        })
        .join()
        .unwrap();
        assert!(deadline >= before + D, "deadline is early");
        // A sleep created after that close belongs to a new epoch.
        let later = Instant::now();
        let t = sleep(D);
        assert!(t.deadline() >= later + D, "a closed epoch gained a sleep");
        sleep(Duration::from_millis(1)).await;
        assert_eq!(s.deadline(), deadline);
        s.await;
        assert!(Instant::now() >= deadline);
        t.await;
    });
}

#[test]
fn polled_before_the_visit_fires_on_time() {
    rt().block_on(async {
        let before = Instant::now();
        // Polled at once (queued with an unresolved deadline), then the task
        // parks: the flush resolves it.
        sleep(Duration::from_millis(20)).await;
        let elapsed = before.elapsed();
        assert!(
            elapsed >= Duration::from_millis(20),
            "fired early: {elapsed:?}"
        );
        assert!(
            elapsed < Duration::from_secs(2),
            "fired very late: {elapsed:?}"
        );
    });
}

#[test]
fn zero_sleeps_complete() {
    rt().block_on(async {
        for _ in 0..100 {
            sleep(Duration::ZERO).await;
        }
        let handles: Vec<_> = (0..10)
            .map(|_| evloop::spawn(async { sleep(Duration::ZERO).await }))
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
}

#[test]
fn many_short_timeouts_fire_and_none_early() {
    for rt in [
        rt(),
        Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
    ] {
        rt.block_on(async {
            let handles: Vec<_> = (0..50u64)
                .map(|i| {
                    evloop::spawn(async move {
                        let d = Duration::from_millis(1 + i % 7);
                        let before = Instant::now();
                        let res = timeout(d, std::future::pending::<()>()).await;
                        assert!(res.is_err());
                        assert!(before.elapsed() >= d, "timeout fired early");
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        });
    }
}

#[test]
fn huge_duration_sleeps_effectively_forever() {
    rt().block_on(async {
        let s = sleep(Duration::MAX);
        assert!(s.deadline() > Instant::now() + Duration::from_secs(86_400 * 365 * 10));
        let res = timeout(Duration::from_millis(5), s).await;
        assert!(res.is_err());
    });
}
