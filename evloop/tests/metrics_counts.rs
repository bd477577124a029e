//! Runtime metrics on known workloads.

use std::time::Duration;

use evloop::runtime::Builder;

mod support;

#[test]
fn spawn_100_tasks() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .enable_metrics_poll_time_histogram()
        .build()
        .unwrap();
    let metrics = rt.handle().metrics();
    assert_eq!(metrics.num_workers(), 1);
    assert_eq!(metrics.spawned_tasks_count(), 0);
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..100u64)
            .map(|i| {
                evloop::spawn(async move {
                    evloop::task::yield_now().await;
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 4950);
    assert_eq!(metrics.spawned_tasks_count(), 100);
    // Each task: a poll that yields, a poll that completes. The
    // current-thread loop publishes a batch's count before it polls the
    // `block_on` future again, so it is exact once `block_on` returned.
    assert_eq!(metrics.worker_poll_count(0), 200, "{metrics:?}");
    assert_eq!(metrics.num_alive_tasks(), 0);
    assert_eq!(metrics.global_queue_depth(), 0);
    assert_eq!(metrics.worker_steal_count(0), 0);
    assert!(metrics.poll_time_histogram_enabled());
    assert_eq!(
        metrics.poll_time_histogram().total(),
        metrics.worker_poll_count(0)
    );
    // Every poll followed a wake or spawn.
    assert_eq!(
        metrics.schedule_latency_histogram().total(),
        metrics.worker_poll_count(0)
    );
    assert!(metrics.worker_total_busy_duration(0) > Duration::ZERO);
}

#[test]
fn parks_and_remote_spawns() {
    let rt = support::rt();
    let metrics = rt.handle().metrics();
    let gate = support::Gate::new();
    let g = gate.clone();
    let opener = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        g.open();
    });
    rt.block_on(gate.wait());
    opener.join().unwrap();
    assert!(metrics.worker_park_count(0) >= 1, "{metrics:?}");
    // From outside the loop: into the global queue, visible until run.
    let h = rt.spawn(async { 5 });
    assert_eq!(metrics.global_queue_depth(), 1);
    assert_eq!(metrics.num_alive_tasks(), 1);
    assert_eq!(rt.block_on(h).unwrap(), 5);
    assert_eq!(metrics.global_queue_depth(), 0);
    assert_eq!(metrics.num_alive_tasks(), 0);
    assert_eq!(metrics.poll_time_histogram().total(), 0, "off by default");
}

#[test]
#[should_panic(expected = "worker index 1 out of range")]
fn worker_index_is_checked() {
    let rt = support::rt();
    rt.handle().metrics().worker_poll_count(1);
}

#[test]
fn multi_thread_counts_polls_on_every_worker() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let metrics = rt.handle().metrics();
    assert_eq!(metrics.num_workers(), 2);
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..100u64)
            .map(|i| {
                evloop::spawn(async move {
                    evloop::task::yield_now().await;
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 4950);
    assert_eq!(metrics.spawned_tasks_count(), 100);
    // Each task: a poll that yields, a poll that completes. Workers
    // publish their counts at the end of a batch (when they park, at the
    // latest): wait for the last one, then the sum is exact.
    let polls = || metrics.worker_poll_count(0) + metrics.worker_poll_count(1);
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while polls() < 200 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(polls(), 200, "{metrics:?}");
    assert_eq!(metrics.num_alive_tasks(), 0);
    let dump = rt.handle().dump();
    assert_eq!(dump.tasks().len(), 0, "{dump}");
}

#[test]
fn counts_are_published_at_the_end_of_each_batch() {
    // Batches of 10 polls: the `block_on` future sees, between batches,
    // exactly the polls of the batches that ended and the queue they left.
    let rt = Builder::new_current_thread()
        .enable_all()
        .event_interval(10)
        .build()
        .unwrap();
    let metrics = rt.handle().metrics();
    let seen = rt.block_on(async {
        let handles: Vec<_> = (0..25).map(|_| evloop::spawn(async {})).collect();
        let mut seen = Vec::new();
        for _ in 0..3 {
            evloop::task::yield_now().await;
            seen.push((
                metrics.worker_poll_count(0),
                metrics.worker_local_queue_depth(0),
            ));
        }
        for h in handles {
            h.await.unwrap();
        }
        seen
    });
    assert_eq!(seen, [(10, 15), (20, 5), (25, 0)]);
    assert_eq!(metrics.worker_poll_count(0), 25);
}
