//! Chrome trace-event JSON ("JSON Object Format"), which Perfetto and
//! `chrome://tracing` open: one thread per lane, a complete event (`X`) per
//! poll and per parked span, instants (`i`) for spawns, wakes, timers and
//! I/O, and a counter track (`C`, with an `id`, so Perfetto keeps them
//! apart) per run queue: the inject queue and each worker's local queue.
//! `otherData.dropped_events` counts the events lost to full rings.

use std::fmt::Write;

use crate::trace::causes;
use crate::trace::event::EventKind;
use crate::trace::snapshot::{json_str, site_label, waker_label, TraceSnapshot};

fn us(ns: u64) -> String {
    format!("{}.{:03}", ns / 1000, ns % 1000)
}

pub(crate) fn render(trace: &TraceSnapshot) -> String {
    let mut out = String::with_capacity(128 + trace.events().len() * 120);
    let _ = writeln!(
        out,
        "{{\"displayTimeUnit\":\"ms\",\"otherData\":{{\"dropped_events\":{}}},\"traceEvents\":[",
        trace.dropped()
    );
    let mut first = true;
    let mut sep = |out: &mut String| {
        if !first {
            out.push_str(",\n");
        }
        first = false;
    };
    sep(&mut out);
    out.push_str(r#"{"ph":"M","pid":1,"name":"process_name","args":{"name":"evloop runtime"}}"#);
    for (i, lane) in trace.lanes().iter().enumerate() {
        sep(&mut out);
        let _ = write!(
            out,
            r#"{{"ph":"M","pid":1,"tid":{i},"name":"thread_name","args":{{"name":"#
        );
        json_str(&mut out, lane.name());
        out.push_str("}}");
    }
    let label = |task: u64| match trace.task_name(task) {
        Some(name) => format!("{name} (task {task})"),
        None if task == 0 => "block_on".to_string(),
        None => format!("task {task}"),
    };
    for span in trace.spans() {
        sep(&mut out);
        let _ = write!(
            out,
            r#"{{"ph":"X","pid":1,"tid":{},"ts":{},"dur":{},"cat":"poll","name":"#,
            span.lane,
            us(span.start),
            us(span.end - span.start)
        );
        json_str(&mut out, &label(span.task));
        let result = span.result.map(|r| r.as_str()).unwrap_or("?");
        let _ = write!(
            out,
            r#","args":{{"task":{},"result":"{result}"}}}}"#,
            span.task
        );
    }
    let mut parked_since: Vec<Option<u64>> = vec![None; trace.lanes().len()];
    let sites = trace.spawn_sites();
    let queues = trace.queues();
    let queue_names: Vec<String> = queues
        .names
        .iter()
        .map(|n| format!("run queue: {n}"))
        .collect();
    for e in trace.events() {
        let lane = e.lane();
        let t = us(e.time_ns());
        match e.kind() {
            EventKind::Park => parked_since[lane] = Some(e.time_ns()),
            EventKind::Unpark => {
                if let Some(since) = parked_since[lane].take() {
                    sep(&mut out);
                    let _ = write!(
                        out,
                        r#"{{"ph":"X","pid":1,"tid":{lane},"ts":{},"dur":{},"cat":"park","name":"parked"}}"#,
                        us(since),
                        us(e.time_ns() - since)
                    );
                }
            }
            EventKind::Spawn => {
                sep(&mut out);
                let site = e
                    .spawn_site()
                    .and_then(|i| sites.get(i))
                    .map(|l| site_label(l))
                    .unwrap_or_default();
                let _ = write!(
                    out,
                    r#"{{"ph":"i","s":"t","pid":1,"tid":{lane},"ts":{t},"cat":"spawn","name":"spawn","args":{{"task":{},"parent":{},"site":"#,
                    e.task().unwrap_or(0),
                    e.parent().unwrap_or(0)
                );
                json_str(&mut out, &site);
                out.push_str("}}");
            }
            EventKind::Wake => {
                sep(&mut out);
                let by = waker_label(e.waker().expect("wake event"));
                let _ = write!(
                    out,
                    r#"{{"ph":"i","s":"t","pid":1,"tid":{lane},"ts":{t},"cat":"wake","name":"wake","args":{{"task":{},"by":"{by}","by_task":{}}}}}"#,
                    e.task().unwrap_or(0),
                    e.waker_task().unwrap_or(0)
                );
            }
            EventKind::TimerFired | EventKind::IoReady | EventKind::Cancel => {
                sep(&mut out);
                let _ = write!(
                    out,
                    r#"{{"ph":"i","s":"t","pid":1,"tid":{lane},"ts":{t},"cat":"{0}","name":"{0}","args":{{"task":{1},"count":{2}}}}}"#,
                    e.kind().as_str(),
                    e.task().unwrap_or(0),
                    e.count().unwrap_or(0)
                );
            }
            EventKind::Descheduled => {
                sep(&mut out);
                let waited = e.descheduled().unwrap_or_default().as_nanos() as u64;
                let _ = write!(
                    out,
                    r#"{{"ph":"i","s":"t","pid":1,"tid":{lane},"ts":{t},"cat":"descheduled","name":"descheduled","args":{{"task":{},"waited_for_cpu_us":{}}}}}"#,
                    e.task().unwrap_or(0),
                    us(waited)
                );
            }
            EventKind::Suspend => causes::chrome_suspend(trace, e, &mut out),
            EventKind::PollStart | EventKind::PollEnd => {}
        }
        if let Some((queue, depth)) = queues.of(e) {
            sep(&mut out);
            let _ = write!(
                out,
                r#"{{"ph":"C","pid":1,"tid":{lane},"ts":{t},"id":{queue},"name":"#
            );
            json_str(&mut out, &queue_names[queue]);
            let _ = write!(out, r#","args":{{"depth":{depth}}}}}"#);
        }
    }
    causes::chrome_flows(trace, &mut out);
    out.push_str("\n]}\n");
    out
}
