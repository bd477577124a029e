//! multi_thread: a timer armed on a worker that then runs a long poll still
//! fires near its deadline while the other worker is free (the driver takes
//! the stalled worker's timers over). Bounds are wide: the failure they
//! catch is a timer held back for the whole long poll.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use evloop::time::{sleep, Instant};
use support::mt;

/// Runs `f` on its own thread; fails if it does not finish in time.
fn watchdog(f: impl FnOnce() + Send + 'static) {
    support::watchdog(Duration::from_secs(30), "the runtime hung", f)
}

fn busy_for(d: Duration) {
    let start = std::time::Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// `sleep(20ms)` armed just before its worker starts a 1 s busy poll (the
/// busy task is spawned onto the same worker, which runs it next): the
/// sleep completes long before the poll ends, on the other worker.
#[test]
fn sleep_armed_before_a_long_poll_fires_on_time() {
    watchdog(|| {
        let rt = mt();
        for _ in 0..3 {
            let took = rt.block_on(async {
                evloop::spawn(async {
                    let start = Instant::now();
                    let busy = evloop::spawn(async { busy_for(Duration::from_secs(1)) });
                    sleep(Duration::from_millis(20)).await;
                    let took = start.elapsed();
                    busy.await.unwrap();
                    took
                })
                .await
                .unwrap()
            });
            assert!(
                took >= Duration::from_millis(20),
                "the sleep was short: {took:?}"
            );
            assert!(
                took < Duration::from_millis(500),
                "the sleep waited for the long poll: {took:?}"
            );
        }
    });
}

/// A 10 ms ticker (`sleep` in a loop) keeps ticking while the worker it ran
/// on is blocked for a second by `std::thread::sleep`.
#[test]
fn ticker_keeps_ticking_while_its_worker_is_blocked() {
    watchdog(|| {
        let rt = mt();
        rt.block_on(async {
            let ticks = Arc::new(AtomicUsize::new(0));
            let blocked = Arc::new(AtomicUsize::new(0));
            let (t, b) = (ticks.clone(), blocked.clone());
            let ticker = evloop::spawn(async move {
                // The blocking task goes to this worker's queue and runs
                // as soon as the ticker awaits its first sleep.
                let blocker = evloop::spawn(async move {
                    b.store(1, SeqCst);
                    std::thread::sleep(Duration::from_secs(1));
                    b.store(2, SeqCst);
                });
                let mut during = 0;
                while blocked.load(SeqCst) != 2 {
                    sleep(Duration::from_millis(10)).await;
                    t.fetch_add(1, SeqCst);
                    if blocked.load(SeqCst) == 1 {
                        during += 1;
                    }
                }
                blocker.await.unwrap();
                during
            });
            let during = ticker.await.unwrap();
            // ~100 ticks fit in the second; a stalled ticker gets 0 or 1.
            assert!(
                during >= 10,
                "only {during} ticks while the worker was blocked"
            );
            assert!(ticks.load(SeqCst) >= during);
        });
    });
}
