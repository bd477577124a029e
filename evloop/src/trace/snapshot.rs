//! `TraceSnapshot`: the recorded events, plus what is needed to read them.

use std::collections::HashMap;
use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::trace::event::{Event, EventKind, PollResult, WakerKind};

/// A copy of everything a runtime's recorder holds, taken by
/// [`Runtime::trace_snapshot`](crate::runtime::Runtime::trace_snapshot).
#[derive(Clone)]
pub struct TraceSnapshot {
    events: Vec<Event>,
    lanes: Vec<Lane>,
    sites: Vec<&'static Location<'static>>,
    names: HashMap<u64, String>,
}

/// One recording thread (a worker, or a thread that spawned or woke tasks
/// from outside).
#[derive(Debug, Clone)]
pub struct Lane {
    pub(crate) name: String,
    pub(crate) worker: Option<usize>,
    pub(crate) dropped: u64,
}

impl Lane {
    /// The thread's name (or its id if it has none).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The index of the multi-thread worker this thread ran (its name is
    /// then `worker-N`); `None` for any other thread.
    pub fn worker(&self) -> Option<usize> {
        self.worker
    }

    /// Events this thread recorded that were overwritten before the snapshot.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// What a trace tells about one task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskTrace {
    /// The task's id (`task::Id::as_u64`).
    pub id: u64,
    /// Its name, if it was spawned with `task::Builder::name`.
    pub name: Option<String>,
    /// The task that spawned it (`None`: spawned from outside any task, or not recorded).
    pub parent: Option<u64>,
    /// Where it was spawned (if the spawn was recorded).
    pub spawned_at: Option<&'static Location<'static>>,
    /// Polls recorded.
    pub polls: u64,
    /// Total time spent in those polls.
    pub busy: Duration,
    /// Total time spent queued: from each wake to the poll that followed.
    pub queued: Duration,
    /// How it ended, if it did while recording.
    pub end: Option<PollResult>,
}

/// A poll as a span on a lane (used by the exporters).
pub(crate) struct Span {
    pub(crate) lane: usize,
    pub(crate) task: u64,
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) result: Option<PollResult>,
}

impl TraceSnapshot {
    pub(crate) fn new(
        events: Vec<Event>,
        lanes: Vec<Lane>,
        sites: Vec<&'static Location<'static>>,
        names: HashMap<u64, String>,
    ) -> TraceSnapshot {
        TraceSnapshot {
            events,
            lanes,
            sites,
            names,
        }
    }

    /// Every event still held, in time order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The recording threads; [`Event::lane`] indexes this.
    pub fn lanes(&self) -> &[Lane] {
        &self.lanes
    }

    /// Spawn sites; [`Event::spawn_site`] indexes this.
    pub fn spawn_sites(&self) -> &[&'static Location<'static>] {
        &self.sites
    }

    /// The name of a task, if it had one.
    pub fn task_name(&self, id: u64) -> Option<&str> {
        self.names.get(&id).map(String::as_str)
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = (u64, &str)> {
        self.names.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// Events lost because a ring was full (oldest first), over all lanes.
    pub fn dropped(&self) -> u64 {
        self.lanes.iter().map(|l| l.dropped).sum()
    }

    /// The run queues the events' depths measure (see [`Queues`]).
    pub(crate) fn queues(&self) -> Queues {
        let multi_thread = self.lanes.iter().any(|l| l.worker.is_some());
        let mut polls = vec![false; self.lanes.len()];
        for e in &self.events {
            if e.kind() == EventKind::PollStart {
                if let Some(p) = polls.get_mut(e.lane()) {
                    *p = true;
                }
            }
        }
        let mut names = vec!["inject".to_string()];
        let local = self
            .lanes
            .iter()
            .zip(polls)
            .map(|(lane, polls)| {
                (polls && (!multi_thread || lane.worker.is_some())).then(|| {
                    names.push(lane.name.clone());
                    names.len() - 1
                })
            })
            .collect();
        Queues {
            names,
            local,
            multi_thread,
        }
    }

    /// Number of events of one kind.
    pub fn count(&self, kind: EventKind) -> usize {
        self.events.iter().filter(|e| e.kind() == kind).count()
    }

    /// A summary per task seen in the trace, ordered by id.
    pub fn tasks(&self) -> Vec<TaskTrace> {
        let mut tasks: HashMap<u64, TaskTrace> = HashMap::new();
        fn entry<'m>(
            tasks: &'m mut HashMap<u64, TaskTrace>,
            names: &HashMap<u64, String>,
            id: u64,
        ) -> &'m mut TaskTrace {
            tasks.entry(id).or_insert_with(|| TaskTrace {
                id,
                name: names.get(&id).cloned(),
                parent: None,
                spawned_at: None,
                polls: 0,
                busy: Duration::ZERO,
                queued: Duration::ZERO,
                end: None,
            })
        }
        let mut woken: HashMap<u64, u64> = HashMap::new();
        for e in &self.events {
            let Some(id) = e.task() else { continue };
            let t = entry(&mut tasks, &self.names, id);
            match e.kind() {
                EventKind::Spawn => {
                    t.parent = e.parent();
                    t.spawned_at = e.spawn_site().and_then(|i| self.sites.get(i).copied());
                }
                EventKind::Wake => {
                    woken.entry(id).or_insert(e.time_ns());
                }
                EventKind::PollStart => {
                    t.polls += 1;
                    if let Some(w) = woken.remove(&id) {
                        t.queued += Duration::from_nanos(e.time_ns().saturating_sub(w));
                    }
                }
                EventKind::PollEnd => {
                    if let Some(
                        r @ (PollResult::Complete | PollResult::Panicked | PollResult::Cancelled),
                    ) = e.poll_result()
                    {
                        t.end = Some(r);
                    }
                }
                EventKind::Cancel => t.end = Some(PollResult::Cancelled),
                _ => {}
            }
        }
        for span in self.spans() {
            if span.task != 0 {
                let t = entry(&mut tasks, &self.names, span.task);
                t.busy += Duration::from_nanos(span.end - span.start);
            }
        }
        let mut out: Vec<_> = tasks.into_values().collect();
        out.sort_by_key(|t| t.id);
        out
    }

    /// What this trace says about why the program is slow: where tasks
    /// are suspended, the slowest polls and longest queue waits,
    /// histograms per spawn site, busy share per lane and lints (default
    /// thresholds; [`Causes::with_thresholds`](crate::trace::Causes::with_thresholds)
    /// for others).
    pub fn causes(&self) -> crate::trace::Causes {
        crate::trace::Causes::of(self)
    }

    /// Pairs poll starts and ends per lane into spans.
    pub(crate) fn spans(&self) -> Vec<Span> {
        let mut open: HashMap<usize, Vec<(u64, u64)>> = HashMap::new();
        let mut spans = Vec::new();
        for e in &self.events {
            match e.kind() {
                EventKind::PollStart => open
                    .entry(e.lane())
                    .or_default()
                    .push((e.task().unwrap_or(0), e.time_ns())),
                EventKind::PollEnd => {
                    let stack = open.entry(e.lane()).or_default();
                    let task = e.task().unwrap_or(0);
                    if let Some(pos) = stack.iter().rposition(|(t, _)| *t == task) {
                        let (_, start) = stack.remove(pos);
                        spans.push(Span {
                            lane: e.lane(),
                            task,
                            start,
                            end: e.time_ns(),
                            result: e.poll_result(),
                        });
                    }
                }
                _ => {}
            }
        }
        spans
    }
}

impl fmt::Debug for TraceSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceSnapshot")
            .field("events", &self.events.len())
            .field("lanes", &self.lanes)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

/// A spawn site as `file:line:col`, with `dir/../` steps folded away
/// (`evloop/../examples/x.rs` reads `examples/x.rs`).
pub(crate) fn site_label(site: &Location<'_>) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in site.file().split('/') {
        match part {
            "." => {}
            ".." if parts.last().is_some_and(|p| *p != ".." && !p.is_empty()) => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    format!("{}:{}:{}", parts.join("/"), site.line(), site.column())
}

/// Which run queue an event's depth ([`Event::queue_depth`]) measures, as
/// an index into [`TraceSnapshot::queues`]: a worker's (or the
/// current-thread loop's) local queue for its poll starts and parks, and
/// for the wakes the current-thread loop queues itself; the inject queue
/// for the other wakes (a multi-thread wake reports the inject queue).
pub(crate) struct Queues {
    /// Queue names: `inject`, then one per lane that polls.
    pub(crate) names: Vec<String>,
    /// Per lane: its local queue's index, if it polls.
    local: Vec<Option<usize>>,
    multi_thread: bool,
}

impl Queues {
    pub(crate) fn of(&self, e: &Event) -> Option<(usize, u64)> {
        let depth = e.queue_depth()? as u64;
        let local = self.local.get(e.lane()).copied().flatten();
        let queue = match e.kind() {
            EventKind::Wake if self.multi_thread => 0,
            EventKind::Wake => local.unwrap_or(0),
            _ => local?,
        };
        Some((queue, depth))
    }
}

/// A JSON string literal, safe to embed in a `<script>` element.
pub(crate) fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Readable label of a waker kind (shared by the exporters).
pub(crate) fn waker_label(kind: WakerKind) -> &'static str {
    kind.as_str()
}
