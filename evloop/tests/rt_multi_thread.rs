//! The multi-thread runtime: work spreading, fairness, the stealable LIFO
//! slot, shutdown, spawning from outside threads, builder options.

mod support;

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use evloop::runtime::{Builder, Runtime};
use support::{DropCounter, Gate};

fn rt(workers: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("mt-test-worker")
        .build()
        .unwrap()
}

#[test]
fn work_spreads_to_all_workers() {
    const WORKERS: usize = 4;
    let rt = rt(WORKERS);
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let t = threads.clone();
    // Spawned from a worker, so every task starts in that worker's local
    // queue: the others only get work by stealing it.
    let all = rt.spawn(async move {
        let handles: Vec<_> = (0..64)
            .map(|_| {
                let t = t.clone();
                evloop::spawn(async move {
                    t.lock().unwrap().insert(thread::current().id());
                    // Block the worker, so the batch cannot finish on one.
                    thread::sleep(Duration::from_millis(5));
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    rt.block_on(all).unwrap();
    assert_eq!(threads.lock().unwrap().len(), WORKERS);
}

/// A 20 ms timer fires on time although the only worker is busy with a
/// task that yields in a loop: the worker polls the driver every
/// `event_interval` ticks, and the timer's wake is served promptly.
#[test]
fn yield_loop_does_not_delay_a_timer() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let spinner = rt.spawn(async move {
        while !s.load(Ordering::Relaxed) {
            evloop::task::yield_now().await;
        }
    });
    let (tx, rx) = mpsc::channel();
    let sleeper = rt.spawn(async move {
        let start = Instant::now();
        tx.send(()).unwrap();
        evloop::time::sleep(Duration::from_millis(20)).await;
        start.elapsed()
    });
    rx.recv().unwrap();
    let elapsed = rt.block_on(sleeper).unwrap();
    stop.store(true, Ordering::Relaxed);
    rt.block_on(spinner).unwrap();
    assert!(elapsed >= Duration::from_millis(20));
    assert!(
        elapsed < Duration::from_millis(200),
        "20 ms timer served after {elapsed:?}"
    );
}

/// Task A wakes B (which lands in A's worker's LIFO slot) and then blocks
/// its worker for a long time: the other worker steals B from the slot.
#[test]
fn long_poll_does_not_strand_the_lifo_slot() {
    let rt = rt(2);
    let gate = Gate::new();
    let g = gate.clone();
    let b = rt.spawn(async move {
        g.wait().await;
        Instant::now()
    });
    while gate.waiters() == 0 {
        thread::sleep(Duration::from_millis(1));
    }
    let (tx, rx) = mpsc::channel();
    let a = rt.spawn(async move {
        let opened = Instant::now();
        gate.open();
        tx.send(opened).unwrap();
        thread::sleep(Duration::from_millis(1000));
    });
    let ran_at = rt.block_on(b).unwrap();
    let opened = rx.recv().unwrap();
    let waited = ran_at.duration_since(opened);
    assert!(
        waited < Duration::from_millis(500),
        "B waited {waited:?} behind A's long poll"
    );
    rt.block_on(a).unwrap();
}

/// A future that never completes and hands its latest waker out, so another
/// thread can keep waking it.
struct Forever {
    wakers: Arc<Mutex<Vec<Waker>>>,
    registered: bool,
    _tracked: OnWorker,
}

impl Future for Forever {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if !self.registered {
            self.registered = true;
            self.wakers.lock().unwrap().push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// Counts its drop, and whether it happened on a runtime worker thread.
struct OnWorker {
    _t: support::Tracked,
    off_worker: Arc<AtomicUsize>,
}

impl Drop for OnWorker {
    fn drop(&mut self) {
        if thread::current().name() != Some("mt-test-worker") {
            self.off_worker.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[test]
fn shutdown_drops_every_task_on_a_worker_while_another_thread_wakes_them() {
    const TASKS: usize = 10_000;
    let rt = rt(4);
    let drops = DropCounter::new();
    let off_worker = Arc::new(AtomicUsize::new(0));
    let wakers = Arc::new(Mutex::new(Vec::new()));
    for _ in 0..TASKS {
        drop(rt.spawn(Forever {
            wakers: wakers.clone(),
            registered: false,
            _tracked: OnWorker {
                _t: drops.track(),
                off_worker: off_worker.clone(),
            },
        }));
    }
    while wakers.lock().unwrap().len() < TASKS {
        thread::sleep(Duration::from_millis(1));
    }
    let all: Vec<Waker> = wakers.lock().unwrap().clone();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let waker_thread = thread::spawn(move || {
        let mut rounds = 0;
        while !s.load(Ordering::SeqCst) || rounds == 0 {
            for w in &all {
                w.wake_by_ref();
            }
            rounds += 1;
        }
        // Wakes after shutdown are no-ops; they drop the last refs too.
        for w in &all {
            w.wake_by_ref();
        }
        drop(all);
        rounds
    });
    thread::sleep(Duration::from_millis(5));
    drop(rt);
    assert_eq!(drops.dropped(), TASKS);
    stop.store(true, Ordering::SeqCst);
    assert!(waker_thread.join().unwrap() > 0);
    assert_eq!(off_worker.load(Ordering::SeqCst), 0);
    wakers.lock().unwrap().clear();
}

#[test]
fn spawns_from_four_outside_threads() {
    let rt = Arc::new(rt(2));
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let rt = rt.clone();
            thread::spawn(move || {
                let handles: Vec<_> = (0..1_000u64)
                    .map(|i| rt.spawn(async move { t * 1_000 + i }))
                    .collect();
                rt.block_on(async {
                    let mut sum = 0;
                    for h in handles {
                        sum += h.await.unwrap();
                    }
                    sum
                })
            })
        })
        .collect();
    let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(total, (0..4_000u64).sum::<u64>());
}

#[test]
fn tasks_spawned_from_tasks_chain_and_complete() {
    let rt = rt(3);
    fn chain(depth: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
        Box::pin(async move {
            if depth == 0 {
                0
            } else {
                evloop::spawn(chain(depth - 1)).await.unwrap() + 1
            }
        })
    }
    assert_eq!(rt.block_on(chain(500)), 500);
}

#[test]
fn thread_hooks_and_names() {
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let names = Arc::new(Mutex::new(HashSet::new()));
    let (s1, s2, n) = (started.clone(), stopped.clone(), names.clone());
    let rt = Builder::new_multi_thread()
        .worker_threads(3)
        .thread_name("hooked")
        .thread_stack_size(256 * 1024)
        .on_thread_start(move || {
            s1.fetch_add(1, Ordering::SeqCst);
            n.lock()
                .unwrap()
                .insert(thread::current().name().map(str::to_owned));
        })
        .on_thread_stop(move || {
            s2.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5);
    drop(rt);
    assert_eq!(started.load(Ordering::SeqCst), 3);
    assert_eq!(stopped.load(Ordering::SeqCst), 3);
    assert_eq!(
        *names.lock().unwrap(),
        HashSet::from([Some("hooked".to_owned())])
    );
}

#[test]
fn shutdown_timeout_returns_while_a_worker_is_stuck() {
    let rt = rt(2);
    let (tx, rx) = mpsc::channel();
    let _stuck = rt.spawn(async move {
        tx.send(()).unwrap();
        thread::sleep(Duration::from_millis(600));
    });
    rx.recv().unwrap();
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(50));
    assert!(start.elapsed() < Duration::from_millis(400));
}

#[test]
fn shutdown_background_does_not_wait() {
    let rt = rt(1);
    let (tx, rx) = mpsc::channel();
    let _stuck = rt.spawn(async move {
        tx.send(()).unwrap();
        thread::sleep(Duration::from_millis(400));
    });
    rx.recv().unwrap();
    let start = Instant::now();
    rt.shutdown_background();
    assert!(start.elapsed() < Duration::from_millis(300));
}

#[test]
fn panicking_task_does_not_kill_a_worker() {
    let rt = rt(1);
    let err = rt.block_on(rt.spawn(async { panic!("boom") })).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
}

#[test]
fn runtime_new_is_multi_thread() {
    let rt = Runtime::new().unwrap();
    let on = rt
        .block_on(rt.spawn(async { thread::current().name().map(str::to_owned) }))
        .unwrap();
    assert_ne!(on, thread::current().name().map(str::to_owned));
    // The worker releases the task just after the JoinHandle sees its output.
    let deadline = Instant::now() + Duration::from_secs(5);
    while rt.handle().num_alive_tasks() != 0 {
        assert!(Instant::now() < deadline, "completed task never released");
        thread::yield_now();
    }
}
