//! Finding the cause: what a trace says about why a program is slow.
//!
//! [`Causes`] is computed from a [`TraceSnapshot`] (nothing more is
//! recorded for it than the events): where each task is suspended, the
//! slowest polls and longest queue waits, poll-time and schedule-latency
//! histograms per spawn site, each lane's busy share, and lints. The
//! timeline page shows it in its cause panels (`causes.js`), and the
//! Chrome JSON carries the wake edges as flow events (`chrome_flows`).
//!
//! # Rules
//!
//! 1. A task is *suspended* from the end of a `Pending` poll until its next
//!    wake; what it waits on is the `Suspend` events of that poll (a
//!    `select!` may wait on several). A task still suspended when the trace
//!    ends is listed in [`Causes::suspended`], longest first.
//! 2. A wake edge joins a `Wake` to the woken task's next `PollStart`; its
//!    source is the waking task's poll, the timer, the I/O driver or the
//!    outside thread, on the lane that recorded the wake.
//! 3. Lints use the thresholds of [`LintThresholds`]; each lint names one
//!    task and the time to jump to.
//! 4. Histogram buckets are powers of two of microseconds: bucket `i`
//!    holds durations in `[2^(i-1), 2^i)` µs (bucket 0: under 1 µs), the
//!    last bucket everything longer.

use std::collections::HashMap;
use std::fmt::Write;
use std::panic::Location;
use std::time::Duration;

use crate::trace::event::{EventKind, PollResult, WakerKind};
use crate::trace::snapshot::{json_str, TraceSnapshot};
use crate::trace::suspend::Resource;

/// Buckets of the histograms (rule 4): up to ~1 s, then the rest.
pub const HISTOGRAM_BUCKETS: usize = 22;

/// Tasks listed for the page's search box, at most.
const MAX_PAGE_TASKS: usize = 50_000;

/// How many entries the top lists keep.
const TOP: usize = 20;

/// Thresholds of the lints (rule 3).
#[derive(Debug, Clone, Copy)]
pub struct LintThresholds {
    /// A poll this long blocks its worker: a stall.
    pub stall: Duration,
    /// A poll this long ran past its fair share without yielding.
    pub budget: Duration,
    /// A task woken by itself this many times (and for most of its wakes)
    /// is spinning.
    pub self_wakes: u64,
    /// A timer that fired this late past its deadline.
    pub late_timer: Duration,
    /// A task pending this long with no resource noted and no wake.
    pub lost_wake: Duration,
}

impl Default for LintThresholds {
    fn default() -> LintThresholds {
        LintThresholds {
            stall: Duration::from_millis(10),
            budget: Duration::from_millis(1),
            self_wakes: 100,
            late_timer: Duration::from_millis(5),
            lost_wake: Duration::from_millis(100),
        }
    }
}

/// What a lint found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LintKind {
    /// A poll over the stall threshold.
    Stall,
    /// Polls over the budget: the task does not yield often enough.
    NeverYields,
    /// A task that keeps waking itself.
    SelfWakeStorm,
    /// A task left pending with no resource noted and never woken: its
    /// waker was likely dropped without waking (a lost wake).
    LostWake,
    /// A timer that fired late.
    LateTimer,
}

impl LintKind {
    /// Short name, as in the exported files.
    pub fn as_str(self) -> &'static str {
        match self {
            LintKind::Stall => "stall",
            LintKind::NeverYields => "never_yields",
            LintKind::SelfWakeStorm => "self_wake_storm",
            LintKind::LostWake => "lost_wake",
            LintKind::LateTimer => "late_timer",
        }
    }
}

/// One lint finding.
#[derive(Debug, Clone)]
pub struct Lint {
    /// What was found.
    pub kind: LintKind,
    /// The task concerned.
    pub task: u64,
    /// When (from the start of the recording): where to jump.
    pub at: Duration,
    /// What a person reads.
    pub message: String,
}

/// A task suspended at the end of the trace (rule 1).
#[derive(Debug, Clone)]
pub struct Suspension {
    /// The task.
    pub task: u64,
    /// What it waits on (the last noted, if several), if any was noted.
    pub resource: Option<Resource>,
    /// Where (the `.await` or the resource's creation).
    pub site: Option<&'static Location<'static>>,
    /// Since when (its last poll's end).
    pub since: Duration,
    /// How long until the end of the trace.
    pub waiting: Duration,
}

/// One poll, for the top lists.
#[derive(Debug, Clone, Copy)]
pub struct PollRef {
    /// The task polled.
    pub task: u64,
    /// The lane it ran on.
    pub lane: usize,
    /// When it started.
    pub start: Duration,
    /// How long: the poll (slowest polls) or the queue wait before it
    /// (longest waits).
    pub took: Duration,
}

/// Per spawn site: how its tasks' polls went (rule 4).
#[derive(Debug, Clone)]
pub struct SiteStats {
    /// The spawn site (`None`: tasks whose spawn was not recorded).
    pub site: Option<&'static Location<'static>>,
    /// Tasks from it.
    pub tasks: u64,
    /// Polls of those tasks.
    pub polls: u64,
    /// Poll time histogram.
    pub poll_time: [u64; HISTOGRAM_BUCKETS],
    /// Schedule latency (wake to poll start) histogram.
    pub schedule_latency: [u64; HISTOGRAM_BUCKETS],
}

/// What the trace says about why the program is slow.
#[derive(Debug, Clone, Default)]
pub struct Causes {
    /// Tasks suspended at the end of the trace, longest first.
    pub suspended: Vec<Suspension>,
    /// The slowest polls, slowest first.
    pub slowest_polls: Vec<PollRef>,
    /// The longest waits in a run queue (wake to poll start), longest first.
    pub longest_waits: Vec<PollRef>,
    /// Per spawn site, most polls first.
    pub sites: Vec<SiteStats>,
    /// Per lane: the share of the recorded time spent polling (0 to 1).
    pub busy_share: Vec<f64>,
    /// Lint findings, in time order.
    pub lints: Vec<Lint>,
}

/// A wake edge (rule 2).
pub(crate) struct WakeEdge {
    pub(crate) waker: WakerKind,
    pub(crate) from_lane: usize,
    pub(crate) from_time: u64,
    pub(crate) task: u64,
    pub(crate) to_lane: usize,
    pub(crate) to_time: u64,
}

/// Rule 4.
fn bucket(ns: u64) -> usize {
    let us = ns / 1000;
    let b = (u64::BITS - us.leading_zeros()) as usize;
    b.min(HISTOGRAM_BUCKETS - 1)
}

/// Keeps the `TOP` largest by `took`.
fn push_top(list: &mut Vec<PollRef>, p: PollRef) {
    if list.len() < TOP || list.last().is_some_and(|l| l.took < p.took) {
        let at = list.partition_point(|l| l.took >= p.took);
        list.insert(at, p);
        list.truncate(TOP);
    }
}

fn ns(d: Duration) -> u64 {
    d.as_nanos().min(u128::from(u64::MAX)) as u64
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

#[derive(Default)]
struct TaskState {
    site: Option<usize>,
    /// The time of the wake that queued it, not yet followed by a poll.
    woken: Option<(u64, WakerKind, u64)>,
    /// The lane and start of the poll in progress.
    polling: Option<(usize, u64)>,
    /// Resources noted in the poll in progress / the last poll.
    noted: Vec<(Resource, usize, u64, u64)>,
    /// End of the last poll, if it was `Pending` and no wake came since.
    pending_since: Option<u64>,
    /// A `Sleep` deadline (ns) the task waits on, from its last poll.
    deadline: Option<u64>,
    wakes: u64,
    self_wakes: u64,
    over_budget: u64,
    longest_over: u64,
    first_over: u64,
    done: bool,
}

impl Causes {
    /// Computes everything from `trace` with the default thresholds.
    pub fn of(trace: &TraceSnapshot) -> Causes {
        Causes::with_thresholds(trace, LintThresholds::default())
    }

    /// Computes everything from `trace` with thresholds `th`.
    pub fn with_thresholds(trace: &TraceSnapshot, th: LintThresholds) -> Causes {
        let mut causes = Causes::default();
        let mut tasks: HashMap<u64, TaskState> = HashMap::new();
        let mut sites: HashMap<Option<usize>, SiteStats> = HashMap::new();
        let lanes = trace.lanes().len();
        let mut busy = vec![0u64; lanes];
        let (first, last) = match (trace.events().first(), trace.events().last()) {
            (Some(a), Some(b)) => (a.time_ns(), b.time_ns()),
            _ => return causes,
        };
        for e in trace.events() {
            let t = e.time_ns();
            let Some(id) = e.task() else { continue };
            let st = tasks.entry(id).or_default();
            match e.kind() {
                EventKind::Spawn => {
                    st.site = e.spawn_site();
                    site_stats(&mut sites, trace, st.site).tasks += 1;
                }
                EventKind::Wake => {
                    st.wakes += 1;
                    let waker = e.waker().unwrap_or(WakerKind::Outside);
                    if e.waker_task() == Some(id) {
                        st.self_wakes += 1;
                    }
                    if let (WakerKind::Timer, Some(deadline)) = (waker, st.deadline.take()) {
                        let late = t.saturating_sub(deadline);
                        if late >= ns(th.late_timer) {
                            causes.lints.push(Lint {
                                kind: LintKind::LateTimer,
                                task: id,
                                at: Duration::from_nanos(t),
                                message: format!(
                                    "task {id}: its timer fired {:.1} ms after the deadline",
                                    ms(late)
                                ),
                            });
                        }
                    }
                    st.deadline = None;
                    st.pending_since = None;
                    st.woken.get_or_insert((t, waker, e.lane() as u64));
                }
                EventKind::PollStart => {
                    st.polling = Some((e.lane(), t));
                    st.noted.clear();
                    let s = site_stats(&mut sites, trace, st.site);
                    let wait = st.woken.take().map(|(w, _, _)| t.saturating_sub(w));
                    s.polls += 1;
                    if let Some(wait) = wait {
                        s.schedule_latency[bucket(wait)] += 1;
                    }
                    if let Some(wait) = wait {
                        push_top(
                            &mut causes.longest_waits,
                            PollRef {
                                task: id,
                                lane: e.lane(),
                                start: Duration::from_nanos(t),
                                took: Duration::from_nanos(wait),
                            },
                        );
                    }
                }
                EventKind::Suspend => {
                    if let Some(r) = e.resource() {
                        let deadline = e.sleep_deadline().map(ns).unwrap_or(0);
                        st.noted
                            .push((r, e.suspend_site().unwrap_or(usize::MAX), t, deadline));
                        if r == Resource::Sleep {
                            st.deadline = Some(deadline);
                        }
                    }
                }
                EventKind::PollEnd => {
                    let Some((lane, start)) = st.polling.take() else {
                        continue;
                    };
                    let took = t.saturating_sub(start);
                    if lane < busy.len() {
                        busy[lane] += took;
                    }
                    site_stats(&mut sites, trace, st.site).poll_time[bucket(took)] += 1;
                    push_top(
                        &mut causes.slowest_polls,
                        PollRef {
                            task: id,
                            lane,
                            start: Duration::from_nanos(start),
                            took: Duration::from_nanos(took),
                        },
                    );
                    if took >= ns(th.stall) {
                        causes.lints.push(Lint {
                            kind: LintKind::Stall,
                            task: id,
                            at: Duration::from_nanos(start),
                            message: format!(
                                "task {id}: one poll blocked its worker for {:.1} ms",
                                ms(took)
                            ),
                        });
                    } else if took >= ns(th.budget) {
                        if st.over_budget == 0 {
                            st.first_over = start;
                        }
                        st.over_budget += 1;
                        st.longest_over = st.longest_over.max(took);
                    }
                    match e.poll_result() {
                        Some(PollResult::Pending) => st.pending_since = Some(t),
                        Some(
                            PollResult::Complete | PollResult::Panicked | PollResult::Cancelled,
                        ) => {
                            st.done = true;
                            st.pending_since = None;
                        }
                        _ => st.pending_since = None,
                    }
                }
                EventKind::Cancel => st.done = true,
                _ => {}
            }
        }
        let end = last;
        let mut ids: Vec<_> = tasks.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            let st = &tasks[&id];
            if st.self_wakes >= th.self_wakes && st.self_wakes * 2 >= st.wakes {
                causes.lints.push(Lint {
                    kind: LintKind::SelfWakeStorm,
                    task: id,
                    at: Duration::from_nanos(first),
                    message: format!(
                        "task {id} woke itself {} times (of {} wakes): it spins instead of waiting",
                        st.self_wakes, st.wakes
                    ),
                });
            }
            if st.over_budget > 0 {
                causes.lints.push(Lint {
                    kind: LintKind::NeverYields,
                    task: id,
                    at: Duration::from_nanos(st.first_over),
                    message: format!(
                        "task {id}: {} polls ran over the {:.1} ms budget without yielding \
                         (longest {:.1} ms)",
                        st.over_budget,
                        ms(ns(th.budget)),
                        ms(st.longest_over)
                    ),
                });
            }
            let Some(since) = st.pending_since else {
                continue;
            };
            if st.done {
                continue;
            }
            let last_noted = st.noted.last();
            let site = last_noted.and_then(|n| trace.spawn_sites().get(n.1).copied());
            causes.suspended.push(Suspension {
                task: id,
                resource: last_noted.map(|n| n.0),
                site,
                since: Duration::from_nanos(since),
                waiting: Duration::from_nanos(end.saturating_sub(since)),
            });
            if last_noted.is_none() && end.saturating_sub(since) >= ns(th.lost_wake) {
                causes.lints.push(Lint {
                    kind: LintKind::LostWake,
                    task: id,
                    at: Duration::from_nanos(since),
                    message: format!(
                        "task {id} returned Pending {:.1} ms before the end without waiting on a \
                         known resource and was never woken: a waker dropped without waking?",
                        ms(end.saturating_sub(since))
                    ),
                });
            }
        }
        causes
            .suspended
            .sort_by_key(|s| std::cmp::Reverse(s.waiting));
        causes.lints.sort_by_key(|l| l.at);
        let span = last.saturating_sub(first).max(1);
        causes.busy_share = busy.iter().map(|b| *b as f64 / span as f64).collect();
        let mut sites: Vec<_> = sites.into_values().collect();
        sites.sort_by_key(|s| std::cmp::Reverse(s.polls));
        causes.sites = sites;
        causes
    }

    /// The page's data: one JSON object (`EVLOOP.causes`).
    pub(crate) fn to_json(&self, trace: &TraceSnapshot) -> String {
        let mut o = String::with_capacity(4096);
        let loc = |o: &mut String, l: Option<&'static Location<'static>>| match l {
            Some(l) => json_str(o, &crate::trace::causes::site_label(l)),
            None => o.push_str("null"),
        };
        o.push_str("{\"suspended\":[");
        for (i, s) in self.suspended.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            let _ = write!(o, "{{\"task\":{},\"resource\":", s.task);
            match s.resource {
                Some(r) => json_str(&mut o, r.as_str()),
                None => o.push_str("null"),
            }
            o.push_str(",\"at\":");
            loc(&mut o, s.site);
            let _ = write!(
                o,
                ",\"since\":{},\"waiting\":{}}}",
                ns_of(s.since),
                ns_of(s.waiting)
            );
        }
        // The page reads every suspension (rule 1) from its own compact
        // event stream (kind `Suspend`: the code names the resource, the
        // argument the site); here only the names of the resource codes.
        o.push_str("],\"resources\":[");
        for code in 0..=u8::MAX {
            let Some(r) = crate::trace::Resource::from_code(code) else {
                if code > 16 {
                    break;
                }
                o.push_str(if code == 0 { "null" } else { ",null" });
                continue;
            };
            if code > 0 {
                o.push(',');
            }
            json_str(&mut o, r.as_str());
        }
        for (name, list) in [
            ("slowest", &self.slowest_polls),
            ("queued", &self.longest_waits),
        ] {
            let _ = write!(o, "],\"{name}\":[");
            for (i, p) in list.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                let _ = write!(
                    o,
                    "{{\"task\":{},\"lane\":{},\"start\":{},\"took\":{}}}",
                    p.task,
                    p.lane,
                    ns_of(p.start),
                    ns_of(p.took)
                );
            }
        }
        o.push_str("],\"sites\":[");
        for (i, s) in self.sites.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            o.push_str("{\"site\":");
            loc(&mut o, s.site);
            let _ = write!(
                o,
                ",\"tasks\":{},\"polls\":{},\"poll\":{:?},\"latency\":{:?}}}",
                s.tasks, s.polls, s.poll_time, s.schedule_latency
            );
        }
        o.push_str("],\"busy\":[");
        for (i, b) in self.busy_share.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            let _ = write!(o, "{:.4}", b);
        }
        o.push_str("],\"tasks\":[");
        // For the search box: every task's id, name and spawn site (an
        // index into `task_sites`, so a site shared by many tasks is
        // written once).
        let mut site_index: HashMap<&'static Location<'static>, usize> = HashMap::new();
        let mut task_sites = Vec::new();
        for (i, t) in trace.tasks().iter().take(MAX_PAGE_TASKS).enumerate() {
            if i > 0 {
                o.push(',');
            }
            let _ = write!(o, "[{},", t.id);
            match &t.name {
                Some(n) => json_str(&mut o, n),
                None => o.push_str("null"),
            }
            match t.spawned_at {
                Some(l) => {
                    let next = task_sites.len();
                    let at = *site_index.entry(l).or_insert_with(|| {
                        task_sites.push(l);
                        next
                    });
                    let _ = write!(o, ",{at}]");
                }
                None => o.push_str(",null]"),
            }
        }
        o.push_str("],\"task_sites\":[");
        for (i, l) in task_sites.into_iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            loc(&mut o, Some(l));
        }
        o.push_str("],\"lints\":[");
        for (i, l) in self.lints.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            let _ = write!(
                o,
                "{{\"kind\":\"{}\",\"task\":{},\"at\":{},\"message\":",
                l.kind.as_str(),
                l.task,
                ns_of(l.at)
            );
            json_str(&mut o, &l.message);
            o.push('}');
        }
        o.push_str("]}");
        o
    }
}

fn ns_of(d: Duration) -> u64 {
    ns(d)
}

/// The stats of spawn site `site` (an index into the trace's sites).
fn site_stats<'a>(
    sites: &'a mut HashMap<Option<usize>, SiteStats>,
    trace: &TraceSnapshot,
    site: Option<usize>,
) -> &'a mut SiteStats {
    sites.entry(site).or_insert_with(|| SiteStats {
        site: site.and_then(|i| trace.spawn_sites().get(i).copied()),
        tasks: 0,
        polls: 0,
        poll_time: [0; HISTOGRAM_BUCKETS],
        schedule_latency: [0; HISTOGRAM_BUCKETS],
    })
}

/// A location as shown in the page: the path from its `src/`, `examples/`
/// or `tests/` folder on (so `evloop/../examples/echo.rs` reads
/// `examples/echo.rs`), with line and column.
pub(crate) fn site_label(l: &Location<'_>) -> String {
    let file = l.file();
    let short = ["/examples/", "/src/", "/tests/", "/benches/"]
        .iter()
        .filter_map(|m| file.rfind(m).map(|i| &file[i + 1..]))
        .next()
        .unwrap_or(file);
    format!("{short}:{}:{}", l.line(), l.column())
}

/// Rule 2: every wake edge whose woken task was polled afterwards.
pub(crate) fn wake_edges(trace: &TraceSnapshot) -> Vec<WakeEdge> {
    let mut open: HashMap<u64, (WakerKind, usize, u64)> = HashMap::new();
    let mut edges = Vec::new();
    for e in trace.events() {
        let Some(task) = e.task() else { continue };
        match e.kind() {
            EventKind::Wake => {
                let waker = e.waker().unwrap_or(WakerKind::Outside);
                open.entry(task).or_insert((waker, e.lane(), e.time_ns()));
            }
            EventKind::PollStart => {
                if let Some((waker, from_lane, from_time)) = open.remove(&task) {
                    edges.push(WakeEdge {
                        waker,
                        from_lane,
                        from_time,
                        task,
                        to_lane: e.lane(),
                        to_time: e.time_ns(),
                    });
                }
            }
            _ => {}
        }
    }
    edges
}

/// The Chrome JSON's flow events (rule 2), each after a `,\n`: a flow
/// start (`s`) where the wake was recorded and its end (`f`, bound to the
/// enclosing slice) at the woken poll's start, so Perfetto draws an arrow.
pub(crate) fn chrome_flows(trace: &TraceSnapshot, out: &mut String) {
    for (id, edge) in (1u64..).zip(wake_edges(trace)) {
        let name = match edge.waker {
            WakerKind::Task => "wake by task",
            WakerKind::Timer => "wake by timer",
            WakerKind::Io => "wake by I/O",
            WakerKind::BlockOn => "wake by block_on",
            WakerKind::Outside => "wake from outside",
        };
        let _ = write!(
            out,
            ",\n{{\"ph\":\"s\",\"id\":{id},\"pid\":1,\"tid\":{},\"ts\":{},\"cat\":\"wake_edge\",\"name\":\"{name}\"}}",
            edge.from_lane,
            us(edge.from_time)
        );
        let _ = write!(
            out,
            ",\n{{\"ph\":\"f\",\"bp\":\"e\",\"id\":{id},\"pid\":1,\"tid\":{},\"ts\":{},\"cat\":\"wake_edge\",\"name\":\"{name}\",\"args\":{{\"task\":{}}}}}",
            edge.to_lane,
            us(edge.to_time),
            edge.task
        );
    }
}

/// A `Suspend` event as a Chrome instant, after a `,\n`.
pub(crate) fn chrome_suspend(trace: &TraceSnapshot, e: &crate::trace::Event, out: &mut String) {
    let resource = e.resource().map(|r| r.as_str()).unwrap_or("?");
    let at = e
        .suspend_site()
        .and_then(|i| trace.spawn_sites().get(i))
        .map(|l| site_label(l))
        .unwrap_or_default();
    let _ = write!(
        out,
        ",\n{{\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":{},\"ts\":{},\"cat\":\"suspend\",\"name\":\"waits on {resource}\",\"args\":{{\"task\":{},\"resource\":\"{resource}\",\"at\":",
        e.lane(),
        us(e.time_ns()),
        e.task().unwrap_or(0)
    );
    json_str(out, &at);
    out.push_str("}}");
}

fn us(ns: u64) -> String {
    format!("{}.{:03}", ns / 1000, ns % 1000)
}

const PAGE_JS: &str = include_str!("causes.js");
const PAGE_CSS: &str = include_str!("causes.css");

/// The timeline page with the cause panels: their styles, a container,
/// the data (`EVLOOP_CAUSES`) and their script, after the timeline's own
/// script (which defines the `EVLOOP` interface they use).
pub(crate) fn inject_page(page: String, trace: &TraceSnapshot) -> String {
    let data = Causes::of(trace).to_json(trace);
    let mut panels = String::with_capacity(data.len() + PAGE_JS.len() + PAGE_CSS.len() + 128);
    panels.push_str("<style>\n");
    panels.push_str(PAGE_CSS);
    panels.push_str("</style>\n<div id=\"causes\"></div>\n<script>window.EVLOOP_CAUSES = ");
    panels.push_str(&data);
    panels.push_str(";</script>\n<script>\n");
    panels.push_str(PAGE_JS);
    panels.push_str("</script>\n");
    match page.rfind("</body>") {
        Some(at) => {
            let mut page = page;
            page.insert_str(at, &panels);
            page
        }
        None => page + &panels,
    }
}
