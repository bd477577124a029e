//! `sleep`: ordering, accuracy, cancellation, reset, idle CPU, misuse.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use evloop::runtime::Builder;
use evloop::time::{self, sleep, sleep_until, Instant};
use support::rt;

#[test]
fn many_sleeps_wake_in_deadline_order() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    rt.block_on(async {
        // Deadlines spread over several wheel levels, spawned shuffled.
        let mut handles = Vec::new();
        for i in 0..500u64 {
            let ms = (i * 7919) % 500 * 37 + 1;
            let log = log.clone();
            handles.push(evloop::spawn(async move {
                sleep(Duration::from_millis(ms)).await;
                log.lock().unwrap().push(ms);
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
    });
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 500);
    assert!(log.windows(2).all(|w| w[0] <= w[1]), "out of order");
}

#[test]
fn sleep_is_accurate_in_real_time() {
    let rt = rt();
    rt.block_on(async {
        let start = std::time::Instant::now();
        sleep(Duration::from_millis(50)).await;
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(50), "woke early: {took:?}");
        assert!(took < Duration::from_millis(150), "woke late: {took:?}");
    });
}

#[test]
fn sleep_until_past_deadline_is_ready_at_once() {
    let rt = rt();
    rt.block_on(async {
        let start = std::time::Instant::now();
        sleep_until(Instant::now() - Duration::from_millis(10)).await;
        sleep(Duration::ZERO).await;
        assert!(start.elapsed() < Duration::from_millis(50));
    });
}

#[test]
fn dropped_sleeps_never_fire_and_leave_nothing_behind() {
    let rt = rt();
    rt.block_on(async {
        // Arm 10,000 timers (first poll registers them), then drop them all.
        let mut sleeps: Vec<_> = (0..10_000u64)
            .map(|i| Box::pin(sleep(Duration::from_millis(1 + i % 2000))))
            .collect();
        for s in &mut sleeps {
            let polled = futures_poll_once(s.as_mut()).await;
            assert!(!polled);
        }
        drop(sleeps);
        // Dropping half way through a batch, as well.
        let mut keep = Vec::new();
        for i in 0..10_000u64 {
            let mut s = Box::pin(sleep(Duration::from_millis(20 + i % 50)));
            assert!(!futures_poll_once(s.as_mut()).await);
            if i % 2 == 0 {
                keep.push(s);
            }
        }
        for s in keep {
            s.await;
        }
    });
}

/// Polls `f` once, returning whether it was ready.
async fn futures_poll_once<F: std::future::Future + Unpin>(mut f: F) -> bool {
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(std::pin::Pin::new(&mut f).poll(cx).is_ready())
    })
    .await
}

#[test]
fn reset_moves_the_deadline_both_ways() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let start = Instant::now();
        let mut s = std::pin::pin!(sleep(Duration::from_secs(10)));
        assert!(!futures_poll_once(s.as_mut()).await);
        s.as_mut().reset(start + Duration::from_secs(2));
        assert_eq!(s.deadline(), start + Duration::from_secs(2));
        s.as_mut().await;
        assert!(s.is_elapsed());
        assert_eq!(start.elapsed(), Duration::from_secs(2));

        // A completed sleep can be reset and awaited again.
        s.as_mut().reset(Instant::now() + Duration::from_secs(60));
        assert!(!s.is_elapsed());
        s.as_mut().await;
        assert_eq!(start.elapsed(), Duration::from_secs(62));
    });
}

#[test]
fn sleep_on_another_task_thread_wakes_blocked_runtime() {
    // A timer registered from a thread other than the parked one, earlier
    // than the one the driver sleeps towards, must cut the park short.
    let rt = rt();
    let handle = rt.handle().clone();
    let start = std::time::Instant::now();
    rt.block_on(async move {
        let long = evloop::spawn(sleep(Duration::from_secs(30)));
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            let _g = handle.enter();
            let s = sleep(Duration::from_millis(20));
            handle.spawn(s)
        });
        // Spin the runtime until the other thread handed its task over.
        let short = loop {
            if t.is_finished() {
                break t.join().unwrap();
            }
            sleep(Duration::from_millis(5)).await;
        };
        short.await.unwrap();
        long.abort();
    });
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn idle_runtime_waiting_on_a_timer_uses_no_cpu() {
    let rt = rt();
    rt.block_on(async {
        sleep(Duration::from_millis(1)).await; // warm up
        let cpu0 = cpu_time();
        let wall0 = std::time::Instant::now();
        sleep(Duration::from_millis(300)).await;
        let cpu = cpu_time() - cpu0;
        assert!(wall0.elapsed() >= Duration::from_millis(300));
        assert!(
            cpu < Duration::from_millis(50),
            "idle runtime used {cpu:?} of CPU"
        );
    });
}

/// User + system CPU time of the calling thread: the current_thread runtime
/// runs on it, and other tests of this binary run on other threads.
/// `CLOCK_THREAD_CPUTIME_ID` rather than `RUSAGE_THREAD`, which macOS lacks.
fn cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec`.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[test]
fn sleep_outside_a_runtime_panics_with_the_fix() {
    let err = std::panic::catch_unwind(|| sleep(Duration::from_millis(1))).unwrap_err();
    let msg = err.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("no evloop runtime"), "{msg}");
}

#[test]
fn sleep_without_enable_time_panics_with_the_fix() {
    let rt = Builder::new_current_thread().build().unwrap();
    let _g = rt.enter();
    let err = std::panic::catch_unwind(|| sleep(Duration::from_millis(1))).unwrap_err();
    let msg = err.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("enable_time"), "{msg}");
}

#[test]
fn sleeps_spend_coop_budget() {
    // A task that awaits ready sleeps in a loop still yields to others.
    let rt = rt();
    rt.block_on(async {
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let f = flag.clone();
        evloop::spawn(async move { f.store(true, std::sync::atomic::Ordering::SeqCst) });
        let past = Instant::now();
        let mut saw = false;
        for _ in 0..1000 {
            sleep_until(past).await;
            if flag.load(std::sync::atomic::Ordering::SeqCst) {
                saw = true;
                break;
            }
        }
        assert!(saw, "the busy task never yielded");
    });
}

#[test]
fn time_instant_honours_paused_clock() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let t0 = Instant::now();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(Instant::now(), t0);
        time::advance(Duration::from_millis(1500)).await;
        assert_eq!(t0.elapsed(), Duration::from_millis(1500));
        assert_eq!(Instant::now() - t0, Duration::from_millis(1500));
        assert_eq!(
            Instant::from_std(t0.into_std()).checked_add(Duration::from_secs(1)),
            Some(t0 + Duration::from_secs(1))
        );
    });
}

/// A timer belongs to the runtime entered last, even inside a task of
/// another one: here a runtime without timers, so `sleep` panics, and
/// works again once the guard is gone.
#[test]
fn sleep_uses_the_innermost_entered_runtime() {
    let outer = rt();
    let no_timers = Builder::new_current_thread().build().unwrap();
    outer.block_on(async {
        {
            let _guard = no_timers.enter();
            let res = std::panic::catch_unwind(|| drop(sleep(Duration::from_millis(1))));
            let err = res.expect_err("sleep on a runtime without timers");
            let msg = err
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| err.downcast_ref::<String>().cloned())
                .unwrap();
            assert!(msg.contains("timers are disabled"), "{msg}");
        }
        sleep(Duration::from_millis(1)).await;
    });
}
