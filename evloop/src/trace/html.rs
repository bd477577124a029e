//! The timeline page: `timeline.html` with the trace inlined.
//!
//! The page needs nothing from the network: its script and styles are in
//! the template, the data is written into it here. The small tables (lanes,
//! spawn sites, names, queues) go in as JSON; the events as the base64
//! text of an element of their own (not a script literal, which the script
//! parser would scan) holding a compact byte stream, which a million-event
//! page reads in one pass into typed arrays:
//!
//! 1. Per event, a header byte: bits 0–3 the kind (15: the kind follows in
//!    its own byte), bit 4 a code byte follows, bit 5 the lane changed
//!    (its index follows), bit 6 an `extra` follows, bit 7 an `arg`
//!    follows. Absent fields are 0; an absent lane is the previous event's.
//! 2. Then, in this order: [kind], [code], [lane], the time since the
//!    previous event in ns, the task id minus the previous event's (zigzag),
//!    [extra], [arg], and for an event with a queue depth its queue's index
//!    plus one (0: none), all as LEB128 varints.
//!
//! A typical poll start or end takes 3 to 6 bytes (4 to 8 in base64).

use std::fmt::Write;

use crate::trace::snapshot::{json_str, site_label, TraceSnapshot};

const TEMPLATE: &str = include_str!("timeline.html");
const SLOT: &str = "/*__TRACE_DATA__*/null";
const EVENTS_SLOT: &str = "/*__TRACE_EVENTS__*/";

pub(crate) fn render(trace: &TraceSnapshot) -> String {
    let mut data = String::with_capacity(4096 + trace.events().len() * 9);
    data.push_str("{\"lanes\":[");
    for (i, lane) in trace.lanes().iter().enumerate() {
        if i > 0 {
            data.push(',');
        }
        data.push_str("{\"name\":");
        json_str(&mut data, lane.name());
        let worker = lane.worker().map_or(-1, |w| w as i64);
        let _ = write!(
            data,
            ",\"dropped\":{},\"worker\":{worker}}}",
            lane.dropped()
        );
    }
    data.push_str("],\"sites\":[");
    for (i, site) in trace.spawn_sites().iter().enumerate() {
        if i > 0 {
            data.push(',');
        }
        json_str(&mut data, &site_label(site));
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
    let queues = trace.queues();
    data.push_str("},\"queues\":[");
    for (i, name) in queues.names.iter().enumerate() {
        if i > 0 {
            data.push(',');
        }
        json_str(&mut data, name);
    }
    let _ = write!(
        data,
        "],\"dropped\":{},\"n\":{}}}",
        trace.dropped(),
        trace.events().len()
    );
    let bytes = encode(trace, &queues);
    let mut events = String::new();
    base64(&bytes, &mut events);
    // The events first: their slot comes first in the template, and the
    // data's strings could hold the other slot's text.
    let page = TEMPLATE
        .replacen(EVENTS_SLOT, &events, 1)
        .replacen(SLOT, &data, 1);
    // The cause panels, after the timeline's script.
    crate::trace::causes::inject_page(page, trace)
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The event stream of rules 1 and 2.
fn encode(trace: &TraceSnapshot, queues: &crate::trace::snapshot::Queues) -> Vec<u8> {
    let mut out = Vec::with_capacity(trace.events().len() * 6);
    let (mut time, mut task, mut lane) = (0u64, 0u64, 0usize);
    for e in trace.events() {
        let kind = e.kind().code();
        let (code, extra, arg) = (e.code(), e.extra(), u64::from(e.arg()));
        let mut head = if kind < 15 { kind } else { 15 };
        if code != 0 {
            head |= 1 << 4;
        }
        if e.lane() != lane {
            head |= 1 << 5;
        }
        if extra != 0 {
            head |= 1 << 6;
        }
        if arg != 0 {
            head |= 1 << 7;
        }
        out.push(head);
        if kind >= 15 {
            out.push(kind);
        }
        if code != 0 {
            out.push(code);
        }
        if e.lane() != lane {
            lane = e.lane();
            varint(&mut out, lane as u64);
        }
        varint(&mut out, e.time_ns().saturating_sub(time));
        time = time.max(e.time_ns());
        let id = e.task().unwrap_or(0);
        let delta = id.wrapping_sub(task) as i64;
        varint(&mut out, ((delta << 1) ^ (delta >> 63)) as u64);
        task = id;
        if extra != 0 {
            varint(&mut out, extra);
        }
        if arg != 0 {
            varint(&mut out, arg);
        }
        if e.queue_depth().is_some() {
            varint(&mut out, queues.of(e).map_or(0, |(q, _)| q as u64 + 1));
        }
    }
    out
}

fn base64(bytes: &[u8], out: &mut String) {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.reserve(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        out.push(ABC[(n >> 18) as usize & 63] as char);
        out.push(ABC[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            ABC[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            ABC[n as usize & 63] as char
        } else {
            '='
        });
    }
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        let mut s = String::new();
        base64(b"Man", &mut s);
        base64(b"Ma", &mut s);
        base64(b"M", &mut s);
        base64(&[0xfb, 0xff], &mut s);
        assert_eq!(s, "TWFuTWE=TQ==+/8=");
    }
}
