//! Stall detection: a poll that blocks its worker is reported while it is
//! still blocking, through the user's `tracing` subscriber.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use evloop::runtime::Builder;

mod support;

#[derive(Debug, Clone)]
struct Report {
    at: Instant,
    fields: Vec<(String, String)>,
}

impl Report {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Keeps every event of target `evloop::stall`.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Report>>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .push((field.name().to_string(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_string(), value.to_string()));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "evloop::stall"
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Report {
            at: Instant::now(),
            fields,
        });
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn blocked_poll_is_reported_while_running_and_after() {
    let capture = Capture::default();
    // Global: the watchdog thread reports from its own thread.
    tracing::subscriber::set_global_default(capture.clone()).unwrap();

    let rt = Builder::new_current_thread()
        .enable_all()
        .stall_threshold(Duration::from_millis(50))
        .build()
        .unwrap();
    let line = line!() + 4; // the `.spawn(` call
    let (id, returned_at) = rt.block_on(async {
        let h = evloop::task::Builder::new()
            .name("sleeper")
            .spawn(async {
                std::thread::sleep(Duration::from_millis(200));
                Instant::now()
            })
            .unwrap();
        let id = h.id();
        (id, h.await.unwrap())
    });
    // A quick task must not be reported.
    rt.block_on(async { evloop::spawn(async {}).await.unwrap() });
    drop(rt);

    let reports = capture.0.lock().unwrap().clone();
    let running: Vec<_> = reports
        .iter()
        .filter(|r| r.get("still_running") == Some("true"))
        .collect();
    assert_eq!(running.len(), 1, "{reports:#?}");
    let r = running[0];
    assert!(
        r.at < returned_at,
        "reported while the poll was still running"
    );
    assert_eq!(r.get("task_id"), Some(id.to_string().as_str()));
    assert_eq!(r.get("task_name"), Some("sleeper"));
    let site = r.get("spawned_at").unwrap();
    assert!(
        site.ends_with(&format!("trace_stall.rs:{line}:14")),
        "{site}"
    );
    let ms: f64 = r.get("poll_ms").unwrap().parse().unwrap();
    assert!((50.0..200.0).contains(&ms), "{ms}");

    let finished: Vec<_> = reports
        .iter()
        .filter(|r| r.get("still_running") == Some("false"))
        .collect();
    assert_eq!(finished.len(), 1, "{reports:#?}");
    assert_eq!(finished[0].get("task_name"), Some("sleeper"));
    let ms: f64 = finished[0].get("poll_ms").unwrap().parse().unwrap();
    assert!(ms >= 200.0, "{ms}");
}
