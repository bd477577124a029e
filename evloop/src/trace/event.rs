//! The fixed-size event a snapshot returns, and the record a ring stores.
//!
//! An [`Event`] is four 64-bit words:
//!
//! ```text
//!  word 0  time      ns on the trace clock
//!  word 1  task      task id (0: none / the `block_on` future)
//!  word 2  extra     parent task id (Spawn), waker task id (Wake), count (TimerFired, IoReady)
//!  word 3  kind:8 | code:8 | lane:16 | arg:32
//!          code: waker kind (Wake) or poll outcome (PollEnd)
//!          arg:  spawn-site index (Spawn), source-location index (Suspend)
//!                or run-queue depth (PollStart, Wake, Park)
//!          Suspend: code = resource kind, extra = a Sleep's deadline (ns)
//! ```
//!
//! A ring [`Record`] is four words too, in the thread's ring (so no lane),
//! stamped in `clock::ticks`, and may stand for two events:
//!
//! ```text
//!  word 0  time      ticks
//!  word 1  task
//!  word 2  extra     as above; POLL_SWITCH: the task whose poll starts
//!  word 3  kind:8 | code:8 | arg:48
//!          SPAWN_QUEUED: arg = site:24 | depth:24, code = waker kind
//!          POLL_SWITCH:  arg = depth, code = poll outcome
//! ```
//!
//! `SPAWN_QUEUED` is a `Spawn` whose `Wake` came right after it on the same
//! thread (by the task polled there, the spawner), `POLL_SWITCH` a `PollEnd`
//! directly followed by the next `PollStart` on the same worker: the
//! recorder writes one record for both when the hooks report them at once
//! (`Hooks::spawn`; a `Hooks::poll_start` after a pending poll end), or
//! amends its newest record in place instead of writing a second one (ring
//! rule 4); a snapshot
//! expands it back into both events, at the same time.

use std::fmt;
use std::time::Duration;

use crate::runtime::task::PollOutcome;

/// Word 0 of a record that did not read the clock (recorder rule 7): a
/// snapshot gives it a time from the stamped records around it. No real
/// stamp is 0 (the counter runs from boot, and `now_ns` starts at 1).
pub(crate) const UNSTAMPED: u64 = 0;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A task was created. [`Event::parent`] and [`Event::spawn_site`] say by whom and where.
    Spawn,
    /// A worker started polling a task ([`Event::task`]; `None` for the
    /// `block_on` future). [`Event::queue_depth`]: tasks still queued.
    PollStart,
    /// The poll returned; [`Event::poll_result`] says how.
    PollEnd,
    /// A task was put in a run queue; [`Event::waker`] says who woke it.
    Wake,
    /// The worker found nothing to run and blocked in the driver.
    Park,
    /// The worker came back from the driver.
    Unpark,
    /// The time driver fired [`Event::count`] timers.
    TimerFired,
    /// The reactor delivered [`Event::count`] readiness events.
    IoReady,
    /// The task was cancelled by runtime shutdown without being polled.
    Cancel,
    /// The poll of [`Event::task`] that ends next on this lane was long,
    /// and the thread waited [`Event::descheduled`] for a CPU (runnable,
    /// not running) since the last check: part of the poll's length is the
    /// OS's, not the task's. Linux only; see the recorder's `desched` rules.
    Descheduled,
    /// During its poll, the task found a resource not ready and will wait
    /// for it: [`Event::resource`] says what, [`Event::suspend_site`]
    /// where (the `.await`, or where the resource was created).
    Suspend,
}

/// Who woke a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WakerKind {
    /// Another task (or the task itself, e.g. `yield_now`), named by
    /// [`Event::waker_task`]; also the spawning task for a new task.
    Task,
    /// The future passed to `block_on`.
    BlockOn,
    /// A timer fired.
    Timer,
    /// An I/O resource became ready (or the driver, while the worker was parked).
    Io,
    /// A thread that is not running this runtime's loop.
    Outside,
}

/// How a poll ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PollResult {
    /// `Pending`: the task waits for a wake.
    Pending,
    /// `Pending`, but woken during its own poll, so queued again at once.
    Rescheduled,
    /// `Ready`: the task finished.
    Complete,
    /// The task panicked.
    Panicked,
    /// The task was aborted; its future was dropped.
    Cancelled,
    /// Nothing ran (the task was already complete).
    Skipped,
}

/// One recorded moment of the loop.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub(crate) words: [u64; 4],
}

const KIND_SPAWN: u8 = 1;
const KIND_POLL_START: u8 = 2;
const KIND_POLL_END: u8 = 3;
const KIND_WAKE: u8 = 4;
const KIND_PARK: u8 = 5;
const KIND_UNPARK: u8 = 6;
const KIND_TIMER: u8 = 7;
const KIND_IO: u8 = 8;
const KIND_CANCEL: u8 = 9;
/// Apart from the others, so kinds added in order do not meet it.
const KIND_DESCHEDULED: u8 = 32;
const KIND_SUSPEND: u8 = 10;
/// Record-only kinds (see the module docs).
pub(crate) const KIND_SPAWN_QUEUED: u8 = 0x81;
pub(crate) const KIND_POLL_SWITCH: u8 = 0x82;
/// Bits of each half of a `SPAWN_QUEUED` argument.
pub(crate) const QUEUED_BITS: u32 = 24;
/// Where a `SPAWN_QUEUED` record's queue depth starts in word 3 (its
/// argument starts at bit 16, the depth is the argument's upper half).
pub(crate) const QUEUED_DEPTH_SHIFT: u32 = 16 + QUEUED_BITS;

impl EventKind {
    pub(crate) fn code(self) -> u8 {
        match self {
            EventKind::Spawn => KIND_SPAWN,
            EventKind::PollStart => KIND_POLL_START,
            EventKind::PollEnd => KIND_POLL_END,
            EventKind::Wake => KIND_WAKE,
            EventKind::Park => KIND_PARK,
            EventKind::Unpark => KIND_UNPARK,
            EventKind::TimerFired => KIND_TIMER,
            EventKind::IoReady => KIND_IO,
            EventKind::Cancel => KIND_CANCEL,
            EventKind::Descheduled => KIND_DESCHEDULED,
            EventKind::Suspend => KIND_SUSPEND,
        }
    }

    fn from_code(code: u8) -> EventKind {
        match code {
            KIND_SPAWN => EventKind::Spawn,
            KIND_POLL_START => EventKind::PollStart,
            KIND_POLL_END => EventKind::PollEnd,
            KIND_WAKE => EventKind::Wake,
            KIND_PARK => EventKind::Park,
            KIND_UNPARK => EventKind::Unpark,
            KIND_TIMER => EventKind::TimerFired,
            KIND_IO => EventKind::IoReady,
            KIND_DESCHEDULED => EventKind::Descheduled,
            KIND_SUSPEND => EventKind::Suspend,
            _ => EventKind::Cancel,
        }
    }

    /// Short lowercase name, as used in the exported files.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Spawn => "spawn",
            EventKind::PollStart => "poll_start",
            EventKind::PollEnd => "poll_end",
            EventKind::Wake => "wake",
            EventKind::Park => "park",
            EventKind::Unpark => "unpark",
            EventKind::TimerFired => "timer",
            EventKind::IoReady => "io",
            EventKind::Cancel => "cancel",
            EventKind::Descheduled => "descheduled",
            EventKind::Suspend => "suspend",
        }
    }
}

impl WakerKind {
    pub(crate) fn code(self) -> u8 {
        match self {
            WakerKind::Task => 0,
            WakerKind::BlockOn => 1,
            WakerKind::Timer => 2,
            WakerKind::Io => 3,
            WakerKind::Outside => 4,
        }
    }

    pub(crate) fn from_code(code: u8) -> WakerKind {
        match code {
            0 => WakerKind::Task,
            1 => WakerKind::BlockOn,
            2 => WakerKind::Timer,
            3 => WakerKind::Io,
            _ => WakerKind::Outside,
        }
    }

    /// Short lowercase name, as used in the exported files.
    pub fn as_str(self) -> &'static str {
        match self {
            WakerKind::Task => "task",
            WakerKind::BlockOn => "block_on",
            WakerKind::Timer => "timer",
            WakerKind::Io => "io",
            WakerKind::Outside => "outside",
        }
    }
}

impl PollResult {
    pub(crate) fn from_outcome(outcome: PollOutcome) -> PollResult {
        match outcome {
            PollOutcome::Pending => PollResult::Pending,
            PollOutcome::Rescheduled => PollResult::Rescheduled,
            PollOutcome::Complete => PollResult::Complete,
            PollOutcome::Panicked => PollResult::Panicked,
            PollOutcome::Cancelled => PollResult::Cancelled,
            PollOutcome::Skipped => PollResult::Skipped,
        }
    }

    fn from_code(code: u8) -> PollResult {
        match code {
            0 => PollResult::Pending,
            1 => PollResult::Rescheduled,
            2 => PollResult::Complete,
            3 => PollResult::Panicked,
            4 => PollResult::Cancelled,
            _ => PollResult::Skipped,
        }
    }

    /// Short lowercase name, as used in the exported files.
    pub fn as_str(self) -> &'static str {
        match self {
            PollResult::Pending => "pending",
            PollResult::Rescheduled => "rescheduled",
            PollResult::Complete => "complete",
            PollResult::Panicked => "panicked",
            PollResult::Cancelled => "cancelled",
            PollResult::Skipped => "skipped",
        }
    }
}

impl Event {
    pub(crate) fn new(
        time: u64,
        kind: EventKind,
        task: u64,
        extra: u64,
        code: u8,
        lane: u16,
        arg: u32,
    ) -> Event {
        let w3 = kind.code() as u64 | (code as u64) << 8 | (lane as u64) << 16 | (arg as u64) << 32;
        Event {
            words: [time, task, extra, w3],
        }
    }

    /// What happened.
    pub fn kind(&self) -> EventKind {
        EventKind::from_code(self.words[3] as u8)
    }

    /// When, measured from the start of the recording.
    pub fn time(&self) -> Duration {
        Duration::from_nanos(self.words[0])
    }

    /// The task concerned; `None` for the `block_on` future and for
    /// worker events (park, unpark, timers, I/O).
    pub fn task(&self) -> Option<u64> {
        (self.words[1] != 0).then_some(self.words[1])
    }

    /// The lane (one per thread that recorded: workers first) the event was recorded on.
    pub fn lane(&self) -> usize {
        (self.words[3] >> 16) as u16 as usize
    }

    /// `Spawn`: the task that spawned this one, if any.
    pub fn parent(&self) -> Option<u64> {
        match self.kind() {
            EventKind::Spawn => (self.words[2] != 0).then_some(self.words[2]),
            _ => None,
        }
    }

    /// `Spawn`: index into [`TraceSnapshot::spawn_sites`](crate::trace::TraceSnapshot::spawn_sites).
    pub fn spawn_site(&self) -> Option<usize> {
        match self.kind() {
            EventKind::Spawn => Some(self.arg() as usize),
            _ => None,
        }
    }

    /// `Wake`: who woke the task.
    pub fn waker(&self) -> Option<WakerKind> {
        match self.kind() {
            EventKind::Wake => Some(WakerKind::from_code(self.code())),
            _ => None,
        }
    }

    /// `Wake` by [`WakerKind::Task`]: the waking task.
    pub fn waker_task(&self) -> Option<u64> {
        match self.waker() {
            Some(WakerKind::Task) => (self.words[2] != 0).then_some(self.words[2]),
            _ => None,
        }
    }

    /// `PollEnd`: how the poll ended.
    pub fn poll_result(&self) -> Option<PollResult> {
        match self.kind() {
            EventKind::PollEnd => Some(PollResult::from_code(self.code())),
            _ => None,
        }
    }

    /// `PollStart`, `Wake`, `Park`: tasks waiting in the run queues.
    pub fn queue_depth(&self) -> Option<usize> {
        match self.kind() {
            EventKind::PollStart | EventKind::Wake | EventKind::Park => Some(self.arg() as usize),
            _ => None,
        }
    }

    /// `Descheduled`: how long the thread waited for a CPU since the last
    /// check (an estimate: see [`EventKind::Descheduled`]).
    pub fn descheduled(&self) -> Option<Duration> {
        match self.kind() {
            EventKind::Descheduled => Some(Duration::from_nanos(self.words[2])),
            _ => None,
        }
    }

    /// `Suspend`: what the task waits on.
    pub fn resource(&self) -> Option<crate::trace::Resource> {
        match self.kind() {
            EventKind::Suspend => crate::trace::Resource::from_code(self.code()),
            _ => None,
        }
    }

    /// `Suspend`: where, an index into
    /// [`TraceSnapshot::spawn_sites`](crate::trace::TraceSnapshot::spawn_sites)
    /// (the table of source locations).
    pub fn suspend_site(&self) -> Option<usize> {
        match self.kind() {
            EventKind::Suspend => Some(self.arg() as usize),
            _ => None,
        }
    }

    /// `Suspend` on a `Sleep`: its deadline, from the start of the
    /// recording (as [`time`](Self::time)).
    pub fn sleep_deadline(&self) -> Option<Duration> {
        match self.resource() {
            Some(crate::trace::Resource::Sleep) => Some(Duration::from_nanos(self.words[2])),
            _ => None,
        }
    }

    /// `TimerFired`, `IoReady`: how many.
    pub fn count(&self) -> Option<u64> {
        match self.kind() {
            EventKind::TimerFired | EventKind::IoReady => Some(self.words[2]),
            _ => None,
        }
    }

    pub(crate) fn code(&self) -> u8 {
        (self.words[3] >> 8) as u8
    }

    pub(crate) fn arg(&self) -> u32 {
        (self.words[3] >> 32) as u32
    }

    pub(crate) fn extra(&self) -> u64 {
        self.words[2]
    }

    pub(crate) fn time_ns(&self) -> u64 {
        self.words[0]
    }
}
/// What a ring stores (module docs).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Record {
    pub(crate) words: [u64; 4],
}

impl Record {
    #[inline]
    pub(crate) fn new(time: u64, kind: u8, task: u64, extra: u64, code: u8, arg: u64) -> Record {
        Record {
            words: [time, task, extra, word3(kind, code, arg)],
        }
    }

    pub(crate) fn kind(&self) -> u8 {
        self.words[3] as u8
    }

    pub(crate) fn code(&self) -> u8 {
        (self.words[3] >> 8) as u8
    }

    pub(crate) fn arg(&self) -> u64 {
        self.words[3] >> 16
    }

    /// The events this record stands for, on `lane`, at `time` (ns).
    pub(crate) fn expand(&self, lane: u16, time: u64, out: &mut Vec<Event>) {
        let [_, task, extra, _] = self.words;
        let ev = |kind: EventKind, task: u64, extra: u64, code: u8, arg: u64| {
            let arg = arg.min(u64::from(u32::MAX)) as u32;
            Event::new(time, kind, task, extra, code, lane, arg)
        };
        match self.kind() {
            KIND_SPAWN_QUEUED => {
                let mask = (1u64 << QUEUED_BITS) - 1;
                let (site, depth) = (self.arg() & mask, self.arg() >> QUEUED_BITS);
                out.push(ev(EventKind::Spawn, task, extra, 0, site));
                let by = if WakerKind::from_code(self.code()) == WakerKind::Task {
                    extra
                } else {
                    0
                };
                out.push(ev(EventKind::Wake, task, by, self.code(), depth));
            }
            KIND_POLL_SWITCH => {
                out.push(ev(EventKind::PollEnd, task, 0, self.code(), 0));
                out.push(ev(EventKind::PollStart, extra, 0, 0, self.arg()));
            }
            kind => {
                let kind = EventKind::from_code(kind);
                out.push(ev(kind, task, extra, self.code(), self.arg()));
            }
        }
    }
}

/// Word 3 of a record.
#[inline]
pub(crate) const fn word3(kind: u8, code: u8, arg: u64) -> u64 {
    kind as u64 | (code as u64) << 8 | arg << 16
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Event");
        d.field("kind", &self.kind())
            .field("time", &self.time())
            .field("lane", &self.lane())
            .field("task", &self.task());
        match self.kind() {
            EventKind::Spawn => d
                .field("parent", &self.parent())
                .field("site", &self.spawn_site()),
            EventKind::Wake => d
                .field("waker", &self.waker())
                .field("waker_task", &self.waker_task())
                .field("queue_depth", &self.queue_depth()),
            EventKind::PollStart | EventKind::Park => d.field("queue_depth", &self.queue_depth()),
            EventKind::PollEnd => d.field("result", &self.poll_result()),
            EventKind::TimerFired | EventKind::IoReady => d.field("count", &self.count()),
            EventKind::Descheduled => d.field("descheduled", &self.descheduled()),
            _ => &mut d,
        };
        d.finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip() {
        let e = Event::new(7, EventKind::Wake, 42, 9, WakerKind::Task.code(), 3, 17);
        assert_eq!(e.kind(), EventKind::Wake);
        assert_eq!(e.time(), Duration::from_nanos(7));
        assert_eq!(e.task(), Some(42));
        assert_eq!(e.lane(), 3);
        assert_eq!(e.waker(), Some(WakerKind::Task));
        assert_eq!(e.waker_task(), Some(9));
        assert_eq!(e.queue_depth(), Some(17));
        assert_eq!(e.parent(), None);
        let s = Event::new(1, EventKind::Spawn, 5, 0, 0, 0, u32::MAX);
        assert_eq!(s.parent(), None);
        assert_eq!(s.spawn_site(), Some(u32::MAX as usize));
        let p = Event::new(1, EventKind::PollEnd, 5, 0, 3, 0, 0);
        assert_eq!(p.poll_result(), Some(PollResult::Panicked));
    }

    fn expand(r: Record) -> Vec<Event> {
        let mut out = Vec::new();
        r.expand(2, 77, &mut out);
        out
    }

    #[test]
    fn records_expand_into_events() {
        let plain = Record::new(9, EventKind::Park.code(), 0, 0, 0, 12);
        let [park] = expand(plain)[..] else { panic!() };
        assert_eq!(park.kind(), EventKind::Park);
        assert_eq!(
            (park.lane(), park.time_ns(), park.queue_depth()),
            (2, 77, Some(12))
        );

        let arg = 5 | 1000 << QUEUED_BITS;
        let queued = Record::new(9, KIND_SPAWN_QUEUED, 8, 3, WakerKind::Task.code(), arg);
        let [spawn, wake] = expand(queued)[..] else {
            panic!()
        };
        assert_eq!(
            (spawn.kind(), spawn.task(), spawn.parent()),
            (EventKind::Spawn, Some(8), Some(3))
        );
        assert_eq!(spawn.spawn_site(), Some(5));
        assert_eq!(
            (wake.kind(), wake.task(), wake.waker_task()),
            (EventKind::Wake, Some(8), Some(3))
        );
        assert_eq!(wake.queue_depth(), Some(1000));
        assert_eq!(wake.time_ns(), spawn.time_ns());

        let outside = Record::new(9, KIND_SPAWN_QUEUED, 8, 0, WakerKind::BlockOn.code(), 0);
        let [spawn, wake] = expand(outside)[..] else {
            panic!()
        };
        assert_eq!(spawn.parent(), None);
        assert_eq!(wake.waker(), Some(WakerKind::BlockOn));

        let switch = Record::new(9, KIND_POLL_SWITCH, 4, 6, 1, 30);
        let [end, start] = expand(switch)[..] else {
            panic!()
        };
        assert_eq!(
            (end.kind(), end.task(), end.poll_result()),
            (EventKind::PollEnd, Some(4), Some(PollResult::Rescheduled))
        );
        assert_eq!(
            (start.kind(), start.task(), start.queue_depth()),
            (EventKind::PollStart, Some(6), Some(30))
        );
        let to_block_on = Record::new(9, KIND_POLL_SWITCH, 4, 0, 2, 0);
        assert_eq!(expand(to_block_on)[1].task(), None);
    }
}
