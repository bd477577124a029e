//! Finding the cause: suspension points, lints, summaries, wake edges.

use std::time::Duration;

use evloop::runtime::Builder;
use evloop::trace::{Causes, EventKind, LintKind, Resource, TraceConfig};

mod support;

fn traced() -> evloop::runtime::Runtime {
    Builder::new_current_thread()
        .enable_all()
        .trace(TraceConfig::new())
        .build()
        .unwrap()
}

/// The file:line of a site label, e.g. `tests/trace_causes.rs:42:10`.
fn line_of(at: &str) -> u32 {
    at.rsplit(':').nth(1).unwrap().parse().unwrap()
}

#[test]
fn each_pending_task_says_what_it_waits_on_and_where() {
    support::watchdog(
        Duration::from_secs(30),
        "each_pending_task_says_what_it_waits_on_and_where hung",
        each_pending_task_says_what_it_waits_on_and_where_body,
    );
}

fn each_pending_task_says_what_it_waits_on_and_where_body() {
    let rt = traced();
    let (ids, lines, _keep) = rt.block_on(async {
        let (tx, mut rx) = evloop::sync::mpsc::channel::<u32>(1);
        let (otx, orx) = evloop::sync::oneshot::channel::<u32>();
        let mutex = std::sync::Arc::new(evloop::sync::Mutex::new(()));
        let guard = mutex.clone().lock_owned().await;
        let m = mutex.clone();
        let recv = evloop::spawn(async move {
            rx.recv().await; // line A
        });
        let a = line!() - 2;
        let sleep = evloop::spawn(async move {
            evloop::time::sleep(Duration::from_secs(60)).await; // line B
        });
        let b = line!() - 2;
        let once = evloop::spawn(async move {
            let _ = orx.await; // line C
        });
        let c = line!() - 2;
        let lock = evloop::spawn(async move {
            let _g = m.lock().await; // line D
        });
        let d = line!() - 2;
        let join = evloop::spawn(async move {
            let _ = sleep.await; // line E
        });
        let e = line!() - 2;
        for _ in 0..5 {
            evloop::task::yield_now().await;
        }
        let ids = [recv.id(), join.id(), once.id(), lock.id()];
        // The senders and the lock outlive the snapshot: nobody is woken.
        (ids.map(|i| i.as_u64()), [a, b, c, d, e], (tx, otx, guard))
    });
    let trace = rt.trace_snapshot().unwrap();
    assert!(trace.count(EventKind::Suspend) >= 5, "{trace:?}");
    let causes = trace.causes();
    let find = |task: u64| {
        causes
            .suspended
            .iter()
            .find(|s| s.task == task)
            .unwrap_or_else(|| panic!("task {task} not suspended: {:?}", causes.suspended))
    };
    let check = |task: u64, resource: Resource, line: u32| {
        let s = find(task);
        assert_eq!(s.resource, Some(resource), "{s:?}");
        let at = s.site.expect("a site");
        assert!(at.file().ends_with("trace_causes.rs"), "{at}");
        assert_eq!(at.line(), line, "{s:?}");
    };
    check(ids[0], Resource::MpscRecv, lines[0]);
    check(ids[1], Resource::JoinHandle, lines[4]);
    check(ids[2], Resource::OneshotRecv, lines[2]);
    check(ids[3], Resource::Acquire, lines[3]);
    // The sleeping task: found through its Sleep.
    let sleeping = causes
        .suspended
        .iter()
        .find(|s| s.resource == Some(Resource::Sleep))
        .expect("the sleeping task");
    assert_eq!(sleeping.site.unwrap().line(), lines[1]);
    // The page carries the same sentence's parts.
    let page = trace.to_html();
    assert!(page.contains("EVLOOP_CAUSES"));
    assert!(page.contains("mpsc::Receiver::recv"));
    let label = format!("tests/trace_causes.rs:{}", lines[0]);
    assert!(page.contains(&label), "no {label} in the page");
    assert_eq!(line_of(&format!("{label}:9")), lines[0]);
}

#[test]
fn a_blocking_poll_is_a_stall_and_delays_a_timer() {
    support::watchdog(
        Duration::from_secs(30),
        "a_blocking_poll_is_a_stall_and_delays_a_timer hung",
        a_blocking_poll_is_a_stall_and_delays_a_timer_body,
    );
}

fn a_blocking_poll_is_a_stall_and_delays_a_timer_body() {
    let rt = traced();
    rt.block_on(async {
        let sleeper = evloop::spawn(async {
            evloop::time::sleep(Duration::from_millis(2)).await;
        });
        let blocker = evloop::spawn(async {
            evloop::task::yield_now().await;
            std::thread::sleep(Duration::from_millis(40));
        });
        blocker.await.unwrap();
        sleeper.await.unwrap();
    });
    let causes = rt.trace_snapshot().unwrap().causes();
    let kinds: Vec<_> = causes.lints.iter().map(|l| l.kind).collect();
    assert!(kinds.contains(&LintKind::Stall), "{:?}", causes.lints);
    assert!(kinds.contains(&LintKind::LateTimer), "{:?}", causes.lints);
    let slowest = causes.slowest_polls.first().expect("polls");
    assert!(slowest.took >= Duration::from_millis(40));
    // The busy share of the loop's lane counts the blocking poll.
    assert!(
        causes.busy_share.iter().any(|b| *b > 0.3),
        "{:?}",
        causes.busy_share
    );
    // Per spawn site: both tasks come from this file.
    assert!(causes.sites.iter().any(|s| s
        .site
        .is_some_and(|l| l.file().ends_with("trace_causes.rs"))));
}

#[test]
fn a_task_that_keeps_waking_itself_is_a_storm() {
    support::watchdog(
        Duration::from_secs(30),
        "a_task_that_keeps_waking_itself_is_a_storm hung",
        a_task_that_keeps_waking_itself_is_a_storm_body,
    );
}

fn a_task_that_keeps_waking_itself_is_a_storm_body() {
    let rt = traced();
    let id = rt.block_on(async {
        let spinner = evloop::spawn(async {
            for _ in 0..300 {
                evloop::task::yield_now().await;
            }
        });
        let id = spinner.id().as_u64();
        spinner.await.unwrap();
        id
    });
    let causes = rt.trace_snapshot().unwrap().causes();
    let storm = causes
        .lints
        .iter()
        .find(|l| l.kind == LintKind::SelfWakeStorm)
        .expect("a self-wake storm");
    assert_eq!(storm.task, id);
}

#[test]
fn a_task_pending_with_no_waker_is_a_lost_wake() {
    support::watchdog(
        Duration::from_secs(30),
        "a_task_pending_with_no_waker_is_a_lost_wake hung",
        a_task_pending_with_no_waker_is_a_lost_wake_body,
    );
}

fn a_task_pending_with_no_waker_is_a_lost_wake_body() {
    let rt = traced();
    let id = rt.block_on(async {
        // Returns Pending and keeps no waker: nothing will ever wake it.
        let lost = evloop::spawn(std::future::poll_fn(|_| std::task::Poll::<()>::Pending));
        let id = lost.id().as_u64();
        evloop::time::sleep(Duration::from_millis(150)).await;
        id
    });
    let causes = rt.trace_snapshot().unwrap().causes();
    let lint = causes
        .lints
        .iter()
        .find(|l| l.kind == LintKind::LostWake)
        .unwrap_or_else(|| panic!("no lost wake in {:?}", causes.lints));
    assert_eq!(lint.task, id);
    let s = causes.suspended.iter().find(|s| s.task == id).unwrap();
    assert_eq!(s.resource, None);
}

#[test]
fn chrome_json_draws_wake_edges_and_suspensions() {
    support::watchdog(
        Duration::from_secs(30),
        "chrome_json_draws_wake_edges_and_suspensions hung",
        chrome_json_draws_wake_edges_and_suspensions_body,
    );
}

fn chrome_json_draws_wake_edges_and_suspensions_body() {
    let rt = traced();
    rt.block_on(async {
        let (tx, rx) = evloop::sync::oneshot::channel::<u32>();
        let waiter = evloop::spawn(async move { rx.await.unwrap() });
        evloop::task::yield_now().await;
        let sender = evloop::spawn(async move { tx.send(7).unwrap() });
        sender.await.unwrap();
        assert_eq!(waiter.await.unwrap(), 7);
        evloop::time::sleep(Duration::from_millis(1)).await;
    });
    let trace = rt.trace_snapshot().unwrap();
    let json = trace.to_chrome_json();
    assert!(json.contains(r#""cat":"suspend""#), "no suspend instant");
    assert!(json.contains("waits on oneshot::Receiver"));
    let starts = json.matches(r#""ph":"s""#).count();
    let ends = json.matches(r#""ph":"f","bp":"e""#).count();
    assert!(
        starts > 0 && starts == ends,
        "{starts} flow starts, {ends} ends"
    );
    assert!(json.contains("wake by task"));
    // Still one JSON document.
    assert!(json.trim_end().ends_with("]}"));
}

#[test]
fn thresholds_are_the_callers() {
    support::watchdog(Duration::from_secs(30), "thresholds hung", thresholds_body);
}

fn thresholds_body() {
    let rt = traced();
    rt.block_on(async {
        evloop::spawn(async { std::thread::sleep(Duration::from_millis(3)) })
            .await
            .unwrap();
    });
    let trace = rt.trace_snapshot().unwrap();
    let strict = evloop::trace::LintThresholds {
        stall: Duration::from_millis(2),
        ..Default::default()
    };
    assert!(Causes::with_thresholds(&trace, strict)
        .lints
        .iter()
        .any(|l| l.kind == LintKind::Stall));
    // Thresholds far above anything the poll can take, even on a loaded
    // machine: no lint.
    let lax = evloop::trace::LintThresholds {
        stall: Duration::from_secs(3600),
        budget: Duration::from_secs(3600),
        ..Default::default()
    };
    assert!(!Causes::with_thresholds(&trace, lax)
        .lints
        .iter()
        .any(|l| matches!(l.kind, LintKind::Stall | LintKind::NeverYields)));
}

#[test]
fn a_socket_read_is_suspended_at_its_await() {
    support::watchdog(Duration::from_secs(30), "socket read hung", socket_body);
}

fn socket_body() {
    use evloop::io::AsyncReadExt;
    let rt = traced();
    let (id, line, _keep) = rt.block_on(async {
        let listener = evloop::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = evloop::net::TcpStream::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let reader = evloop::spawn(async move {
            let mut buf = [0u8; 16];
            let _ = server.read(&mut buf).await; // nothing is ever sent
        });
        let line = line!() - 2;
        for _ in 0..5 {
            evloop::task::yield_now().await;
        }
        (reader.id().as_u64(), line, client)
    });
    let causes = rt.trace_snapshot().unwrap().causes();
    let s = causes
        .suspended
        .iter()
        .find(|s| s.task == id)
        .expect("suspended");
    assert_eq!(s.resource, Some(Resource::IoRead));
    let at = s.site.unwrap();
    assert!(at.file().ends_with("trace_causes.rs"), "{at}");
    assert_eq!(at.line(), line);
}
