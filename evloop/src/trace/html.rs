//! The timeline page: `timeline.html` with the trace inlined as JSON.
//!
//! The page needs nothing from the network: its script and styles are in
//! the template, the data is written into it here. Events go in as one flat
//! array of numbers (seven per event: time, kind, task, extra, code, lane,
//! arg — the fields of `event.rs`), which keeps a million-event page to a
//! few tens of megabytes and lets the script read it without building an
//! object per event.

use std::fmt::Write;

use crate::trace::snapshot::{json_str, TraceSnapshot};

const TEMPLATE: &str = include_str!("timeline.html");
const SLOT: &str = "/*__TRACE_DATA__*/null";

pub(crate) fn render(trace: &TraceSnapshot) -> String {
    let mut data = String::with_capacity(256 + trace.events().len() * 40);
    data.push_str("{\"lanes\":[");
    for (i, lane) in trace.lanes().iter().enumerate() {
        if i > 0 {
            data.push(',');
        }
        data.push_str("{\"name\":");
        json_str(&mut data, lane.name());
        let _ = write!(data, ",\"dropped\":{}}}", lane.dropped());
    }
    data.push_str("],\"sites\":[");
    for (i, site) in trace.spawn_sites().iter().enumerate() {
        if i > 0 {
            data.push(',');
        }
        json_str(&mut data, &site.to_string());
    }
    data.push_str("],\"names\":{");
    let mut names: Vec<_> = trace.names().collect();
    names.sort();
    for (i, (id, name)) in names.into_iter().enumerate() {
        if i > 0 {
            data.push(',');
        }
        let _ = write!(data, "\"{id}\":");
        json_str(&mut data, name);
    }
    data.push_str("},\"ev\":[");
    for (i, e) in trace.events().iter().enumerate() {
        if i > 0 {
            data.push(',');
        }
        let _ = write!(
            data,
            "{},{},{},{},{},{},{}",
            e.time_ns(),
            e.kind().code(),
            e.task().unwrap_or(0),
            e.extra(),
            e.code(),
            e.lane(),
            e.arg()
        );
    }
    data.push_str("]}");
    let page = TEMPLATE.replacen(SLOT, &data, 1);
    // The cause panels, after the timeline's script.
    crate::trace::causes::inject_page(page, trace)
}
