//! What a simulation records: a rolling hash of every scheduling decision
//! and event, and (when asked) a bounded log of them to name the first
//! difference between two runs of one seed.
//!
//! # Rules
//!
//! 1. Only values that a seed fixes go into the hash: the simulation's own
//!    task numbers (in spawn order, not the process-wide `task::Id`),
//!    worker indices, virtual nanoseconds since the start, and spawn sites
//!    as file, line and column (never a pointer: replays run in other
//!    processes, where addresses differ).
//! 2. Every event updates the hash in O(1) without allocating; the log is
//!    kept only when a check run asks for it, and stops growing at its cap
//!    (the hash goes on).
//! 3. The main future (the one given to `run`/`block_on`) is task number 0.

use std::fmt;
use std::panic::Location;

/// The kinds of events, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EventKind {
    /// A task was created (`task` is its number, `arg` its parent's).
    Spawn = 1,
    /// A worker polled a task (`worker`, `task`).
    Poll = 2,
    /// A task was queued by a wake (`arg`: 0 local, 1 LIFO, 2 inject, 3 from the driver, 4 from another thread).
    Wake = 3,
    /// Virtual time moved (`arg`: nanoseconds since the start).
    Time = 4,
    /// A worker stole (`arg`: the victim worker in the high 32 bits, how
    /// many tasks in the low ones, 0 for its LIFO slot).
    Steal = 5,
    /// A poll ended (`arg`: 0 pending, 1 woken during the poll, 2 done, 3 panicked, 4 cancelled, 5 skipped).
    PollEnd = 6,
    /// A `buggify!` or fault draw (`arg`: the outcome).
    Fault = 7,
}

/// One recorded event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The logical worker involved (`u16::MAX`: none).
    pub worker: u16,
    /// The simulation's task number (rule 3; `u32::MAX`: none).
    pub task: u32,
    /// Kind-specific detail (see [`EventKind`]).
    pub arg: u64,
    /// Virtual nanoseconds since the start when it happened.
    pub time_ns: u64,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, w, a) = (self.task, self.worker, self.arg);
        match self.kind {
            EventKind::Spawn => write!(f, "spawn of task #{t} by task #{a}")?,
            EventKind::Poll if w == u16::MAX => write!(f, "poll of task #{t}")?,
            EventKind::Poll => write!(f, "poll of task #{t} on worker {w}")?,
            EventKind::PollEnd => {
                let how = match a {
                    0 => "pending",
                    1 => "woken during its poll",
                    2 => "done",
                    3 => "panicked",
                    4 => "cancelled",
                    _ => "skipped",
                };
                write!(f, "poll of task #{t} ended: {how}")?
            }
            EventKind::Wake => {
                let to = match a {
                    0 => format!("the queue of worker {w}"),
                    1 => format!("the LIFO slot of worker {w}"),
                    2 => "the inject queue".to_string(),
                    3 => "a batch woken by the driver or the main future".to_string(),
                    _ => "a batch woken from another OS thread".to_string(),
                };
                write!(f, "task #{t} queued in {to}")?
            }
            EventKind::Time => write!(f, "virtual time jumped")?,
            EventKind::Steal => match a & 0xFFFF_FFFF {
                0 => write!(f, "worker {w} stole the LIFO slot of worker {}", a >> 32)?,
                n => write!(f, "worker {w} stole {n} task(s) from worker {}", a >> 32)?,
            },
            EventKind::Fault => write!(f, "fault draw ({a})")?,
        }
        write!(
            f,
            " at virtual {:?}",
            std::time::Duration::from_nanos(self.time_ns)
        )
    }
}

/// The rolling hash and the optional log (rule 2).
pub(crate) struct Recorder {
    hash: u64,
    count: u64,
    log: Option<Vec<Event>>,
    cap: usize,
}

const START: u64 = 0xCBF2_9CE4_8422_2325;

#[inline]
fn mix(h: u64, v: u64) -> u64 {
    let x = (h ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 29)
}

impl Recorder {
    pub(crate) fn new(log_cap: Option<usize>) -> Recorder {
        Recorder {
            hash: START,
            count: 0,
            log: log_cap.map(|cap| Vec::with_capacity(cap.min(1 << 16))),
            cap: log_cap.unwrap_or(0),
        }
    }

    /// Records one event (rules 1, 2).
    #[inline]
    pub(crate) fn record(
        &mut self,
        kind: EventKind,
        worker: u16,
        task: u32,
        arg: u64,
        time_ns: u64,
    ) {
        let head = (kind as u64) | (u64::from(worker) << 8) | (u64::from(task) << 32);
        self.hash = mix(mix(self.hash, head), arg);
        self.count += 1;
        if let Some(log) = &mut self.log {
            if log.len() < self.cap {
                log.push(Event {
                    kind,
                    worker,
                    task,
                    arg,
                    time_ns,
                });
            }
        }
    }

    /// Mixes a spawn site into the hash (rule 1).
    pub(crate) fn site(&mut self, site: &'static Location<'static>) {
        let mut h = self.hash;
        for chunk in site.file().as_bytes().chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            h = mix(h, u64::from_le_bytes(word));
        }
        self.hash = mix(h, (u64::from(site.line()) << 32) | u64::from(site.column()));
    }

    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }

    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    pub(crate) fn take_log(&mut self) -> Option<Vec<Event>> {
        self.log.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_order_and_values() {
        let run = |events: &[(EventKind, u32)]| {
            let mut r = Recorder::new(None);
            for &(k, t) in events {
                r.record(k, 0, t, 0, 0);
            }
            r.hash()
        };
        let a = run(&[(EventKind::Poll, 1), (EventKind::Poll, 2)]);
        assert_eq!(a, run(&[(EventKind::Poll, 1), (EventKind::Poll, 2)]));
        assert_ne!(a, run(&[(EventKind::Poll, 2), (EventKind::Poll, 1)]));
        assert_ne!(a, run(&[(EventKind::Poll, 1), (EventKind::Wake, 2)]));
    }

    #[test]
    fn log_stops_at_its_cap_but_hash_goes_on() {
        let mut r = Recorder::new(Some(3));
        let mut last = r.hash();
        for i in 0..10 {
            r.record(EventKind::Poll, 0, i, 0, 0);
            assert_ne!(r.hash(), last);
            last = r.hash();
        }
        assert_eq!(r.count(), 10);
        assert_eq!(r.take_log().unwrap().len(), 3);
    }
}
