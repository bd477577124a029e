//! The runtime API tokio code reaches for: `Runtime::metrics` and the
//! stable `RuntimeMetrics` accessors, park/unpark callbacks, `Handle::id`,
//! `name`, `runtime_flavor`, `max_io_events_per_tick`, `is_rt_shutdown_err`,
//! `Handle::try_current`, and the unwind-safety of `Runtime` and `Handle`.

mod support;

use std::collections::HashSet;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::runtime::{is_rt_shutdown_err, Builder, Handle, Runtime, RuntimeFlavor};

const _: () = {
    const fn unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}
    unwind_safe::<Runtime>();
    unwind_safe::<Handle>();
};

/// Waits (bounded) until `f` is true.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn stable_metrics_on_the_current_thread_runtime() {
    let rt = support::rt();
    let m = rt.metrics();
    assert_eq!(m.num_workers(), 1);
    assert_eq!(m.num_alive_tasks(), 0);
    let before = m.worker_park_count(0);
    let pending = rt.spawn(std::future::pending::<()>());
    assert_eq!(m.num_alive_tasks(), 1);
    // Spawned from outside the loop: it waits in the global queue.
    assert_eq!(m.global_queue_depth(), 1);
    rt.block_on(async {
        evloop::time::sleep(Duration::from_millis(5)).await;
        // Busy for a while, so the busy time grows.
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(5) {
            std::hint::spin_loop();
        }
        evloop::time::sleep(Duration::from_millis(1)).await;
    });
    assert_eq!(m.global_queue_depth(), 0);
    let parks = m.worker_park_count(0);
    assert!(parks > before, "{parks} parks");
    // Not parked now: every park has its unpark.
    assert_eq!(m.worker_park_unpark_count(0), 2 * parks);
    assert!(m.worker_total_busy_duration(0) >= Duration::from_millis(5));
    pending.abort();
    rt.block_on(evloop::task::yield_now());
    assert_eq!(m.num_alive_tasks(), 0);
}

#[test]
fn park_unpark_count_is_odd_while_a_worker_is_parked() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let m = rt.metrics();
    assert_eq!(m.num_workers(), 2);
    // Idle: both workers end up parked.
    eventually("parked workers", || {
        (0..2).all(|w| m.worker_park_unpark_count(w) % 2 == 1)
    });
    let parked: Vec<u64> = (0..2).map(|w| m.worker_park_count(w)).collect();
    for (w, parks) in parked.iter().enumerate() {
        assert_eq!(m.worker_park_unpark_count(w), 2 * parks - 1);
    }
    // Work wakes at least one, which parks again afterwards.
    rt.block_on(rt.spawn(async { evloop::task::yield_now().await }))
        .unwrap();
    eventually("a worker to park again", || {
        (0..2).any(|w| m.worker_park_count(w) > parked[w])
    });
}

#[test]
fn park_and_unpark_callbacks_run_on_the_parking_thread() {
    for multi in [false, true] {
        let parks = Arc::new(AtomicUsize::new(0));
        let unparks = Arc::new(AtomicUsize::new(0));
        let threads = Arc::new(Mutex::new(HashSet::new()));
        let (p, u, t) = (parks.clone(), unparks.clone(), threads.clone());
        let mut builder = if multi {
            let mut b = Builder::new_multi_thread();
            b.worker_threads(2).thread_name("park-cb");
            b
        } else {
            Builder::new_current_thread()
        };
        let rt = builder
            .enable_all()
            .on_thread_park(move || {
                p.fetch_add(1, Ordering::SeqCst);
                let name = std::thread::current().name().map(str::to_owned);
                t.lock().unwrap().insert(name);
            })
            .on_thread_unpark(move || {
                u.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap();
        rt.block_on(async {
            for _ in 0..3 {
                evloop::spawn(evloop::time::sleep(Duration::from_millis(2)))
                    .await
                    .unwrap();
            }
        });
        let m = rt.metrics();
        eventually("callbacks", || parks.load(Ordering::SeqCst) >= 1);
        // Each callback pairs with the counter of the same moment.
        let total_parks: u64 = (0..m.num_workers()).map(|w| m.worker_park_count(w)).sum();
        assert!(parks.load(Ordering::SeqCst) as u64 >= total_parks.min(1));
        assert!(unparks.load(Ordering::SeqCst) <= parks.load(Ordering::SeqCst));
        let names = threads.lock().unwrap().clone();
        if multi {
            assert_eq!(names, HashSet::from([Some("park-cb".to_string())]));
        } else {
            // The thread inside `block_on`: this test's thread.
            let me = std::thread::current().name().map(str::to_owned);
            assert_eq!(names, HashSet::from([me]));
            assert_eq!(
                unparks.load(Ordering::SeqCst),
                parks.load(Ordering::SeqCst),
                "current-thread: every park returned"
            );
        }
    }
}

#[test]
fn ids_flavors_and_names() {
    let a = support::rt();
    let b = support::mt();
    assert_ne!(a.handle().id(), b.handle().id());
    assert_eq!(a.handle().id(), a.handle().clone().id());
    assert_eq!(
        a.block_on(async { Handle::current().id() }),
        a.handle().id()
    );
    assert!(a.handle().id().to_string().parse::<u64>().unwrap() > 0);
    assert_eq!(a.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
    assert_eq!(b.handle().runtime_flavor(), RuntimeFlavor::MultiThread);
    assert_eq!(a.handle().name(), None);
    let named = Builder::new_multi_thread()
        .worker_threads(1)
        .name("workers")
        .build()
        .unwrap();
    assert_eq!(named.handle().name(), Some("workers"));
    assert!(format!("{:?}", Builder::new_current_thread().name("dbg")).contains("dbg"));
}

#[test]
#[should_panic(expected = "a runtime name must not be empty")]
fn empty_name_panics() {
    Builder::new_current_thread().name("  ");
}

#[test]
#[should_panic(expected = "max_io_events_per_tick must be greater than 0")]
fn zero_io_events_per_tick_panics() {
    Builder::new_current_thread().max_io_events_per_tick(0);
}

#[test]
fn one_io_event_per_tick_still_serves_every_connection() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .max_io_events_per_tick(1)
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = evloop::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = evloop::spawn(async move {
            let mut conns = Vec::new();
            for _ in 0..8 {
                let (mut s, _) = listener.accept().await.unwrap();
                conns.push(evloop::spawn(async move {
                    let mut buf = [0u8; 4];
                    s.read_exact(&mut buf).await.unwrap();
                    s.write_all(&buf).await.unwrap();
                }));
            }
            for c in conns {
                c.await.unwrap();
            }
        });
        let mut clients = Vec::new();
        for i in 0..8u32 {
            clients.push(evloop::spawn(async move {
                let mut s = evloop::net::TcpStream::connect(addr).await.unwrap();
                s.write_all(&i.to_le_bytes()).await.unwrap();
                let mut buf = [0u8; 4];
                s.read_exact(&mut buf).await.unwrap();
                u32::from_le_bytes(buf)
            }));
        }
        for (i, c) in clients.into_iter().enumerate() {
            assert_eq!(c.await.unwrap(), i as u32);
        }
        server.await.unwrap();
    });
}

#[test]
fn shutdown_errors_are_recognised() {
    let rt1 = support::rt();
    let listener = rt1
        .block_on(evloop::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    drop(rt1);
    let rt2 = support::rt();
    let err = rt2.block_on(listener.accept()).unwrap_err();
    assert!(is_rt_shutdown_err(&err), "{err}");
    assert_eq!(err.kind(), std::io::ErrorKind::Other);
    assert!(!is_rt_shutdown_err(&std::io::Error::other(err.to_string())));
    assert!(!is_rt_shutdown_err(&std::io::ErrorKind::Other.into()));
}

#[test]
fn try_current_says_why_there_is_none() {
    let err = Handle::try_current().unwrap_err();
    assert!(err.is_missing_context());
    assert!(!err.is_thread_local_destroyed());
    let rt = support::rt();
    let _g = rt.enter();
    assert_eq!(Handle::try_current().unwrap().id(), rt.handle().id());
}

#[test]
fn thread_start_and_stop_callbacks_run_on_blocking_threads_too() {
    let starts = Arc::new(Mutex::new(Vec::new()));
    let stops = Arc::new(AtomicUsize::new(0));
    let (s, t) = (starts.clone(), stops.clone());
    let rt = Builder::new_current_thread()
        .thread_name("blocking-cb")
        .on_thread_start(move || {
            let name = std::thread::current().name().map(str::to_owned);
            s.lock().unwrap().push(name);
        })
        .on_thread_stop(move || {
            t.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let name = rt
        .block_on(rt.spawn_blocking(|| std::thread::current().name().map(str::to_owned)))
        .unwrap();
    assert_eq!(name.as_deref(), Some("blocking-cb"));
    assert_eq!(*starts.lock().unwrap(), [Some("blocking-cb".to_string())]);
    // The drop waits for the pool's threads, which run the stop callback.
    drop(rt);
    assert_eq!(stops.load(Ordering::SeqCst), 1);
}

#[test]
fn worker_index_names_the_worker_running_the_task() {
    assert_eq!(evloop::runtime::worker_index(), None);
    let ct = support::rt();
    assert_eq!(
        ct.block_on(async { evloop::runtime::worker_index() }),
        Some(0)
    );
    assert_eq!(
        ct.block_on(ct.spawn(async { evloop::runtime::worker_index() }))
            .unwrap(),
        Some(0)
    );
    assert_eq!(
        ct.block_on(ct.spawn_blocking(evloop::runtime::worker_index))
            .unwrap(),
        None
    );
    let mt = support::mt();
    let seen: HashSet<Option<usize>> = mt.block_on(async {
        let mut seen = HashSet::new();
        for _ in 0..64 {
            seen.insert(
                evloop::spawn(async { evloop::runtime::worker_index() })
                    .await
                    .unwrap(),
            );
        }
        seen
    });
    assert!(seen.iter().all(|i| matches!(i, Some(0 | 1))), "{seen:?}");
    // The multi-thread runtime's `block_on` thread is not a worker.
    assert_eq!(mt.block_on(async { evloop::runtime::worker_index() }), None);
}
