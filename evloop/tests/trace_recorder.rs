//! The event recorder: what it records, ring overflow, EVLOOP_TRACE.

use evloop::runtime::Builder;
use evloop::trace::{EventKind, PollResult, TraceConfig, WakerKind};

mod support;

/// A current-thread runtime recording with `config`.
fn traced(config: TraceConfig) -> evloop::runtime::Runtime {
    Builder::new_current_thread().trace(config).build().unwrap()
}

#[test]
fn off_by_default() {
    let rt = support::rt();
    rt.block_on(async { evloop::spawn(async {}).await.unwrap() });
    assert!(rt.trace_snapshot().is_none());
}

#[test]
fn records_spawn_poll_wake_with_parent_and_site() {
    let rt = traced(TraceConfig::new());
    let (parent_id, child_id) = rt.block_on(async {
        let parent = evloop::task::Builder::new()
            .name("parent")
            .spawn(async {
                let child = evloop::spawn(async {
                    evloop::task::yield_now().await;
                    evloop::task::id()
                });
                let child_id = child.await.unwrap();
                (evloop::task::id(), child_id)
            })
            .unwrap();
        parent.await.unwrap()
    });
    let line = line!() - 10; // the `evloop::spawn` inside the parent
    let trace = rt.trace_snapshot().unwrap();
    let (p, c) = (parent_id.as_u64(), child_id.as_u64());

    let tasks = trace.tasks();
    let parent = tasks.iter().find(|t| t.id == p).unwrap();
    let child = tasks.iter().find(|t| t.id == c).unwrap();
    assert_eq!(parent.name.as_deref(), Some("parent"));
    assert_eq!(trace.task_name(p), Some("parent"));
    assert_eq!(child.parent, Some(p));
    assert_eq!(parent.parent, None);
    let site = child.spawned_at.unwrap();
    assert!(site.file().ends_with("trace_recorder.rs"), "{site}");
    assert_eq!(site.line(), line);
    // The child yields once: two polls, the first rescheduled by itself.
    assert_eq!(child.polls, 2);
    assert_eq!(child.end, Some(PollResult::Complete));
    let child_events: Vec<_> = trace
        .events()
        .iter()
        .filter(|e| e.task() == Some(c))
        .collect();
    let kinds: Vec<_> = child_events.iter().map(|e| e.kind()).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Spawn,
            EventKind::Wake,
            EventKind::PollStart,
            EventKind::Wake,
            EventKind::PollEnd,
            EventKind::PollStart,
            EventKind::PollEnd
        ]
    );
    // First wake: by the spawning task; second: by itself (yield_now).
    assert_eq!(child_events[1].waker(), Some(WakerKind::Task));
    assert_eq!(child_events[1].waker_task(), Some(p));
    assert_eq!(child_events[3].waker_task(), Some(c));
    assert_eq!(child_events[4].poll_result(), Some(PollResult::Rescheduled));
    // The parent was woken by the child's completion (its JoinHandle).
    let parent_wakes: Vec<_> = trace
        .events()
        .iter()
        .filter(|e| e.task() == Some(p) && e.kind() == EventKind::Wake)
        .collect();
    assert_eq!(parent_wakes[0].waker(), Some(WakerKind::BlockOn));
    assert_eq!(parent_wakes[1].waker_task(), Some(c));
    // Timestamps are ordered.
    assert!(trace
        .events()
        .windows(2)
        .all(|w| w[0].time() <= w[1].time()));
    assert_eq!(trace.dropped(), 0);
    assert_eq!(trace.lanes().len(), 1);
}

#[test]
fn wake_from_another_thread_is_outside() {
    let rt = traced(TraceConfig::new());
    let gate = support::Gate::new();
    let g = gate.clone();
    let id = rt.block_on(async move {
        let h = evloop::spawn(async move { g.wait().await });
        let id = h.id();
        evloop::task::yield_now().await;
        std::thread::spawn(move || gate.open()).join().unwrap();
        h.await.unwrap();
        id
    });
    let trace = rt.trace_snapshot().unwrap();
    let outside = trace
        .events()
        .iter()
        .find(|e| e.task() == Some(id.as_u64()) && e.waker() == Some(WakerKind::Outside))
        .expect("a wake from the other thread");
    assert_ne!(
        outside.lane(),
        0,
        "recorded on the waking thread's own lane"
    );
    assert_eq!(trace.lanes().len(), 2);
}

#[test]
fn full_ring_drops_oldest_and_counts() {
    let rt = traced(TraceConfig::new().ring_capacity(64));
    rt.block_on(async {
        for _ in 0..100 {
            evloop::spawn(async {}).await.unwrap();
        }
    });
    let trace = rt.trace_snapshot().unwrap();
    // Each task: spawn, wake, poll start, poll end (+ block_on polls and
    // wakes); a record of the 64 holds one event or two (a spawn with its
    // wake, a poll end with the next poll start).
    let held = trace.events().len() as u64;
    assert!(held <= 2 * 64, "held {held}");
    assert!(held >= 63, "held {held}");
    let dropped = trace.dropped();
    assert!(dropped >= 400 - 2 * 64, "dropped {dropped}");
    // Nothing runs meanwhile: held + dropped is every event recorded.
    assert!(held + dropped >= 400, "held {held} + dropped {dropped}");
    assert!(
        held + dropped <= 400 + 3 * 100 + 10,
        "held {held} + dropped {dropped}"
    );
    assert_eq!(trace.lanes()[0].dropped(), trace.dropped());
    // What is left is the newest: the last task's completion is there.
    assert_eq!(
        trace
            .events()
            .iter()
            .rev()
            .find(|e| e.kind() == EventKind::PollEnd && e.task().is_some())
            .unwrap()
            .poll_result(),
        Some(PollResult::Complete)
    );
}

#[test]
fn shutdown_records_cancel_and_writes_output() {
    let dir = std::env::temp_dir().join(format!("evloop-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("out.json");
    let rt = traced(TraceConfig::new().output(&json));
    let h = rt.spawn(std::future::pending::<()>());
    rt.block_on(evloop::task::yield_now());
    let id = h.id().as_u64();
    drop(h);
    drop(rt);
    let text = std::fs::read_to_string(&json).unwrap();
    assert!(text.starts_with("{\"displayTimeUnit\""));
    assert!(text.contains(&format!(
        "\"cat\":\"cancel\",\"name\":\"cancel\",\"args\":{{\"task\":{id}"
    )));
    assert!(text.contains("\"ph\":\"X\""));
    assert!(text.contains("\"name\":\"run queue: "));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A socket becoming readable while the loop is parked shows up as an
/// `IoReady` event, and the task it wakes is woken by I/O.
#[test]
fn io_readiness_is_recorded_and_attributed() {
    use evloop::io::{AsyncReadExt, AsyncWriteExt};
    let rt = Builder::new_current_thread()
        .enable_all()
        .trace(TraceConfig::new())
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = evloop::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = evloop::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        });
        let mut c = evloop::net::TcpStream::connect(addr).await.unwrap();
        c.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        server.await.unwrap();
    });
    let trace = rt.trace_snapshot().unwrap();
    assert!(trace.count(EventKind::IoReady) >= 1);
    let io_wakes = trace
        .events()
        .iter()
        .filter(|e| e.kind() == EventKind::Wake && e.waker() == Some(WakerKind::Io))
        .count();
    assert!(io_wakes >= 1, "no wake attributed to I/O");
}

/// A sleep that expires while the loop is parked shows up as a timer event,
/// and the task it wakes is woken by a timer.
#[test]
fn timer_firing_is_recorded_and_attributed() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .trace(TraceConfig::new())
        .build()
        .unwrap();
    rt.block_on(async {
        evloop::spawn(async {
            evloop::time::sleep(std::time::Duration::from_millis(5)).await;
        })
        .await
        .unwrap();
    });
    let trace = rt.trace_snapshot().unwrap();
    assert!(trace.count(EventKind::TimerFired) >= 1);
    let timer_wakes = trace
        .events()
        .iter()
        .filter(|e| e.kind() == EventKind::Wake && e.waker() == Some(WakerKind::Timer))
        .count();
    assert!(timer_wakes >= 1, "no wake attributed to a timer");
}

/// A timer that expires while the loop is busy (it visits the driver
/// between batches without blocking) still wakes its task "by a timer",
/// at the time the batch of timers fired.
#[test]
fn timer_fired_between_batches_is_attributed_to_the_timer() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .trace(TraceConfig::new().ring_capacity(1 << 22))
        .build()
        .unwrap();
    let sleeper = rt.block_on(async {
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = done.clone();
        let sleeper = evloop::spawn(async move {
            evloop::time::sleep(std::time::Duration::from_millis(5)).await;
            flag.store(true, std::sync::atomic::Ordering::Release);
            evloop::task::id()
        });
        let busy = evloop::spawn(async move {
            while !done.load(std::sync::atomic::Ordering::Acquire) {
                evloop::task::yield_now().await;
            }
        });
        busy.await.unwrap();
        sleeper.await.unwrap()
    });
    let trace = rt.trace_snapshot().unwrap();
    assert_eq!(trace.dropped(), 0);
    let s = sleeper.as_u64();
    let wakes: Vec<_> = trace
        .events()
        .iter()
        .filter(|e| e.task() == Some(s) && e.kind() == EventKind::Wake)
        .collect();
    // Queued by its spawn, then woken once by its timer.
    assert_eq!(wakes.len(), 2, "{wakes:?}");
    assert_eq!(wakes[1].waker(), Some(WakerKind::Timer));
    let fired_at: Vec<_> = trace
        .events()
        .iter()
        .filter(|e| e.kind() == EventKind::TimerFired)
        .map(|e| e.time())
        .collect();
    assert!(
        fired_at.contains(&wakes[1].time()),
        "{fired_at:?} {wakes:?}"
    );
}

#[test]
fn multi_thread_records_every_spawn_wake_and_poll_in_order() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .trace(TraceConfig::new())
        .build()
        .unwrap();
    let ids = rt.block_on(async {
        let handles: Vec<_> = (0..200)
            .map(|_| {
                evloop::spawn(async {
                    evloop::task::yield_now().await;
                    evloop::task::id()
                })
            })
            .collect();
        let mut ids = Vec::new();
        for h in handles {
            ids.push(h.await.unwrap().as_u64());
        }
        ids
    });
    // Let the workers report the end of their last polls (a worker reports
    // a poll's end when it starts the next one or goes idle).
    std::thread::sleep(std::time::Duration::from_millis(50));
    let trace = rt.trace_snapshot().unwrap();
    assert_eq!(trace.dropped(), 0);
    for &id in &ids {
        let events: Vec<_> = trace
            .events()
            .iter()
            .filter(|e| e.task() == Some(id))
            .collect();
        let kinds: Vec<_> = events.iter().map(|e| e.kind()).collect();
        // Spawned from outside the workers: spawn and wake first, then
        // two polls; the yield's wake comes within the first.
        assert_eq!(
            kinds[..2],
            [EventKind::Spawn, EventKind::Wake],
            "{events:?}"
        );
        // (`block_on` of a multi-thread runtime runs on no worker.)
        assert_eq!(events[1].waker(), Some(WakerKind::Outside));
        let polls: Vec<_> = kinds
            .iter()
            .filter(|k| matches!(k, EventKind::PollStart | EventKind::PollEnd))
            .collect();
        assert_eq!(
            polls,
            [
                &EventKind::PollStart,
                &EventKind::PollEnd,
                &EventKind::PollStart,
                &EventKind::PollEnd
            ],
            "{events:?}"
        );
        let ends: Vec<_> = events.iter().filter_map(|e| e.poll_result()).collect();
        assert_eq!(ends, [PollResult::Rescheduled, PollResult::Complete]);
        // A poll starts and ends on one lane.
        let lanes: Vec<_> = events
            .iter()
            .filter(|e| matches!(e.kind(), EventKind::PollStart | EventKind::PollEnd))
            .map(|e| e.lane())
            .collect();
        assert_eq!(lanes[0], lanes[1]);
        assert_eq!(lanes[2], lanes[3]);
    }
    // On each lane, polls alternate: start, end, start, end.
    for lane in 0..trace.lanes().len() {
        let mut polling = None;
        for e in trace.events().iter().filter(|e| e.lane() == lane) {
            match e.kind() {
                EventKind::PollStart => {
                    assert_eq!(polling, None, "{e:?}");
                    polling = Some(e.task());
                }
                EventKind::PollEnd => {
                    assert_eq!(polling, Some(e.task()), "{e:?}");
                    polling = None;
                }
                EventKind::Park => assert_eq!(polling, None, "{e:?}"),
                _ => {}
            }
        }
    }
}

/// A burst of spawns reads the clock for one spawn in sixteen (recorder
/// rule 7); the others get times spread between their stamped neighbours:
/// in spawn order, inside the spawning poll, the first one exact.
#[test]
fn spawn_burst_times_are_ordered_and_inside_the_spawning_poll() {
    let rt = traced(TraceConfig::new());
    let (parent, children) = rt.block_on(async {
        evloop::spawn(async {
            let handles: Vec<_> = (0..100)
                .map(|_| evloop::spawn(async { evloop::task::id() }))
                .collect();
            let mut ids = Vec::new();
            for h in handles {
                ids.push(h.await.unwrap().as_u64());
            }
            (evloop::task::id().as_u64(), ids)
        })
        .await
        .unwrap()
    });
    let trace = rt.trace_snapshot().unwrap();
    let events = trace.events();
    let parent_polls: Vec<_> = events
        .iter()
        .filter(|e| e.task() == Some(parent))
        .filter(|e| matches!(e.kind(), EventKind::PollStart | EventKind::PollEnd))
        .collect();
    let (start, end) = (parent_polls[0].time(), parent_polls[1].time());
    assert_eq!(parent_polls[0].kind(), EventKind::PollStart);
    let spawn_time = |id: u64| {
        let spawns: Vec<_> = events
            .iter()
            .filter(|e| e.task() == Some(id) && e.kind() == EventKind::Spawn)
            .collect();
        assert_eq!(spawns.len(), 1, "task {id}");
        assert_eq!(spawns[0].parent(), Some(parent));
        spawns[0].time()
    };
    let times: Vec<_> = children.iter().map(|&c| spawn_time(c)).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(
        times[0] >= start && times[99] <= end,
        "{start:?} {times:?} {end:?}"
    );
    // Spread, not piled on the stamped ones: more distinct times than the
    // 7 stamped spawns.
    let mut distinct = times.clone();
    distinct.dedup();
    assert!(distinct.len() > 50, "{distinct:?}");
    // Each child's wake shares its spawn's time (one record).
    for &c in &children {
        let wake = events
            .iter()
            .find(|e| e.task() == Some(c) && e.kind() == EventKind::Wake)
            .unwrap();
        assert_eq!(wake.time(), spawn_time(c));
    }
}
