//! White-box tests of the time driver: park protocol, auto-advance,
//! cross-thread unpark, cancel, reset and shutdown.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant as StdInstant};

use super::entry::Site;
use super::timer::TimerEntry;
use super::{Clock, Driver, TimeHandle};
use crate::util::park::ParkThread;

#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting_waker() -> (Arc<Counter>, Waker) {
    let c = Arc::new(Counter::default());
    (c.clone(), Waker::from(c))
}

fn driver(paused: bool) -> (Driver, TimeHandle, Arc<Counter>) {
    let unparks = Arc::new(Counter::default());
    let u = unparks.clone();
    let (d, h) = Driver::new(
        Clock::new(true, paused),
        Arc::new(move || {
            u.0.fetch_add(1, SeqCst);
        }),
        1,
    );
    (d, h, unparks)
}

fn entry(h: &TimeHandle, after: Duration) -> Pin<Box<TimerEntry>> {
    Box::pin(TimerEntry::new(h.clone(), h.clock().now() + after))
}

fn poll(e: &mut Pin<Box<TimerEntry>>, w: &Waker) -> Poll<()> {
    e.as_mut().poll_elapsed(&mut Context::from_waker(w))
}

/// Parks once, returning the timeouts `park_io` was called with.
fn park(d: &mut Driver, h: &TimeHandle, limit: Option<Duration>) -> Vec<Option<Duration>> {
    let mut calls = Vec::new();
    d.park(h, limit, &mut |t| {
        calls.push(t);
        false
    });
    calls
}

#[test]
fn auto_advance_fires_next_timer_without_blocking() {
    let (mut d, h, _) = driver(true);
    let t0 = h.clock().now();
    let (count, w) = counting_waker();
    let mut e = entry(&h, Duration::from_secs(3600));
    assert!(poll(&mut e, &w).is_pending());

    assert_eq!(park(&mut d, &h, None), vec![Some(Duration::ZERO)]);
    assert_eq!(count.0.load(SeqCst), 1);
    assert_eq!(h.clock().now() - t0, Duration::from_secs(3600));
    assert!(poll(&mut e, &w).is_ready());
    assert!(e.is_elapsed());
}

#[test]
fn no_auto_advance_when_scheduler_busy_or_inhibited() {
    let (mut d, h, _) = driver(true);
    let t0 = h.clock().now();
    let (count, w) = counting_waker();
    let mut e = entry(&h, Duration::from_millis(10));
    assert!(poll(&mut e, &w).is_pending());

    // A limit means tasks are ready: just poll, time stays put.
    assert_eq!(
        park(&mut d, &h, Some(Duration::ZERO)),
        vec![Some(Duration::ZERO)]
    );
    assert_eq!(h.clock().now(), t0);

    h.clock().inhibit_auto_advance();
    let calls = park(&mut d, &h, None);
    assert_eq!(calls, vec![Some(Duration::from_millis(10))]);
    assert_eq!(h.clock().now(), t0);
    assert_eq!(count.0.load(SeqCst), 0);
    h.clock().allow_auto_advance();

    park(&mut d, &h, None);
    assert_eq!(count.0.load(SeqCst), 1);
}

#[test]
fn timeout_is_next_deadline_capped_by_limit() {
    let (mut d, h, _) = driver(false);
    assert_eq!(park(&mut d, &h, None), vec![None]);
    assert_eq!(
        park(&mut d, &h, Some(Duration::from_millis(7))),
        vec![Some(Duration::from_millis(7))]
    );

    let (_, w) = counting_waker();
    let mut e = entry(&h, Duration::from_secs(10));
    assert!(poll(&mut e, &w).is_pending());
    let calls = park(&mut d, &h, None);
    // The driver wakes at the start of the timer's level-2 slot (4096 ms
    // wide), cascades it, and sleeps again.
    let t = calls[0].unwrap();
    assert!(
        t <= Duration::from_secs(10) && t > Duration::from_secs(4),
        "{t:?}"
    );
    assert_eq!(
        park(&mut d, &h, Some(Duration::from_millis(3))),
        vec![Some(Duration::from_millis(3))]
    );
}

#[test]
fn drop_unlinks_and_reset_moves() {
    let (mut d, h, _) = driver(true);
    let (count, w) = counting_waker();
    let mut a = entry(&h, Duration::from_millis(50));
    let mut b = entry(&h, Duration::from_millis(80));
    assert!(poll(&mut a, &w).is_pending());
    assert!(poll(&mut b, &w).is_pending());
    drop(a);
    assert_eq!(h.next_deadline(), Some(64)); // b's level-1 slot starts at 64

    let t0 = h.clock().now();
    b.as_mut().reset(t0 + Duration::from_millis(5));
    assert_eq!(h.next_deadline(), Some(5));
    park(&mut d, &h, None);
    assert_eq!(count.0.load(SeqCst), 1);
    assert!(poll(&mut b, &w).is_ready());

    // A fired entry reset to the future is pending again.
    b.as_mut().reset(t0 + Duration::from_millis(20));
    assert!(!b.is_elapsed());
    assert!(poll(&mut b, &w).is_pending());
    park(&mut d, &h, None);
    assert!(poll(&mut b, &w).is_ready());
    assert_eq!(h.clock().now() - t0, Duration::from_millis(20));

    // Reset to the past fires at once.
    b.as_mut().reset(t0);
    assert!(b.is_elapsed());
    drop(b);
    assert_eq!(h.next_deadline(), None);
}

#[test]
fn many_entries_fire_in_batches() {
    let (mut d, h, _) = driver(true);
    let (count, w) = counting_waker();
    let mut entries: Vec<_> = (0..1000)
        .map(|i| entry(&h, Duration::from_millis(1 + i % 7)))
        .collect();
    for e in &mut entries {
        assert!(poll(e, &w).is_pending());
    }
    for _ in 0..7 {
        park(&mut d, &h, None);
    }
    assert_eq!(count.0.load(SeqCst), 1000);
    assert!(entries.iter().all(|e| e.is_elapsed()));
}

#[test]
fn insert_from_other_thread_unparks_sleeping_driver() {
    let mut park_thread = ParkThread::new();
    let unpark = park_thread.unpark();
    let (mut d, h) = Driver::new(
        Clock::new(false, false),
        Arc::new(move || unpark.unpark()),
        1,
    );
    let (_, w) = counting_waker();
    let mut far = entry(&h, Duration::from_secs(30));
    assert!(poll(&mut far, &w).is_pending());

    let h2 = h.clone();
    let (count, near_waker) = counting_waker();
    let inserter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        let mut near = entry(&h2, Duration::from_millis(20));
        assert!(poll(&mut near, &near_waker).is_pending());
        // Keep it alive until it fires.
        while !near.is_elapsed() {
            std::thread::sleep(Duration::from_millis(1));
        }
    });

    let start = StdInstant::now();
    // The first park sleeps towards the 30 s timer and must be cut short by
    // the insert; the following ones fire the 20 ms timer.
    while count.0.load(SeqCst) == 0 {
        d.park(&h, None, &mut |t| {
            match t {
                Some(t) => park_thread.park_timeout(t),
                None => park_thread.park(),
            }
            false
        });
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "driver not unparked"
        );
    }
    inserter.join().unwrap();
}

#[test]
fn shutdown_fires_everything_then_polls_panic() {
    let (mut d, h, _) = driver(false);
    let (count, w) = counting_waker();
    let mut a = entry(&h, Duration::from_secs(5));
    let mut b = entry(&h, Duration::from_secs(5000));
    assert!(poll(&mut a, &w).is_pending());
    assert!(poll(&mut b, &w).is_pending());
    d.shutdown(&h);
    assert_eq!(count.0.load(SeqCst), 2);
    assert_eq!(h.next_deadline(), None);

    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll(&mut a, &w)));
    let err = res.unwrap_err();
    let msg = err
        .downcast_ref::<&str>()
        .copied()
        .or(err.downcast_ref::<String>().map(|s| s.as_str()))
        .unwrap();
    assert!(msg.contains("the timer driver has shut down"), "{msg}");

    let mut late = entry(&h, Duration::from_secs(1));
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll(&mut late, &w)));
    assert!(res.is_err());
    drop((a, b, late));
}

/// A `Sleep` lives inside every task that sleeps or times out: keep it
/// within a cache line (it was 96 bytes with a separate handle, epoch and
/// tick, and 64 with a word of its own for the waker's state).
/// Debug builds add the timer's site (entry `site`), one word.
#[test]
fn sleep_stays_small() {
    let size = std::mem::size_of::<crate::time::Sleep>();
    let site = std::mem::size_of::<super::entry::Site>();
    assert!(size - site <= 56, "Sleep is {size} bytes");
    assert_eq!(site, if cfg!(debug_assertions) { 8 } else { 0 });
}

/// Queue rule 10: a timer of the open epoch dropped on its worker leaves its
/// reference as the queue's spare, the next timer takes it instead of a new
/// one, a timer dropped while the spare is taken releases its own, and
/// detaching the epoch releases the spare: nothing leaks.
#[test]
fn epoch_reference_is_recycled_on_its_worker() {
    let (_d, h, _) = driver(false);
    let handles = h.handle_count();
    // SAFETY: this test thread is the only runner of worker 0.
    let guard = unsafe { h.enter_worker(Some(0)) };
    let lazy =
        |h: &TimeHandle| Box::pin(TimerEntry::after(h, Duration::from_secs(1), Site::caller()));
    let a = lazy(&h);
    // The queue's reference and `a`'s.
    assert_eq!(h.current_epoch_refs(), Some((2, false)));
    drop(a);
    assert_eq!(h.current_epoch_refs(), Some((2, true)), "kept as the spare");
    let b = lazy(&h);
    assert_eq!(h.current_epoch_refs(), Some((2, false)), "the spare reused");
    let c = lazy(&h);
    assert_eq!(h.current_epoch_refs(), Some((3, false)));
    drop(b);
    drop(c);
    assert_eq!(h.current_epoch_refs(), Some((2, true)), "one spare at most");
    let (_, w) = counting_waker();
    let mut d = lazy(&h);
    assert!(poll(&mut d, &w).is_pending());
    // A driver visit closes and detaches the epoch, and drops the spare.
    h.process();
    assert_eq!(h.current_epoch_refs(), None);
    drop(d);
    drop(guard);
    assert_eq!(h.handle_count(), handles, "the epoch was freed");
}

/// Queue rule 11: the waker of a queued timer cancelled on its worker is
/// kept as the spare and taken by the next timer armed there with a waker
/// of the same task (no clone); another task's waker gets its own clone;
/// a driver visit drops the spare.
#[test]
#[cfg_attr(
    miri,
    ignore = "asserts Waker::will_wake, which compares vtable addresses; Miri gives each use its own"
)]
fn waker_is_recycled_on_its_worker() {
    let (_d, h, _) = driver(false);
    // SAFETY: this test thread is the only runner of worker 0.
    let guard = unsafe { h.enter_worker(Some(0)) };
    let (c, w) = counting_waker();
    let (c2, w2) = counting_waker();
    let base = Arc::strong_count(&c);
    let mut a = entry(&h, Duration::from_secs(1));
    assert!(poll(&mut a, &w).is_pending());
    assert_eq!(Arc::strong_count(&c), base + 1, "the queued timer's clone");
    drop(a);
    assert_eq!(Arc::strong_count(&c), base + 1, "kept as the spare");
    let mut b = entry(&h, Duration::from_secs(1));
    assert!(poll(&mut b, &w).is_pending());
    assert_eq!(Arc::strong_count(&c), base + 1, "the spare reused");
    drop(b);
    let mut x = entry(&h, Duration::from_secs(1));
    assert!(poll(&mut x, &w2).is_pending());
    assert_eq!(Arc::strong_count(&c2), base + 1, "another task: a clone");
    drop(x);
    assert_eq!(Arc::strong_count(&c2), base, "spare taken: released");
    assert_eq!(Arc::strong_count(&c), base + 1);
    h.process();
    assert_eq!(
        Arc::strong_count(&c),
        base,
        "a driver visit drops the spare"
    );
    drop(guard);
}

/// Captures the messages of the `tracing` events of its scope.
#[derive(Clone, Default)]
struct Capture(Arc<std::sync::Mutex<Vec<String>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// An entry due `after` from now, and the line of the caller (its site).
#[track_caller]
fn entry_here(h: &TimeHandle, after: Duration) -> (u32, Pin<Box<TimerEntry>>) {
    let line = std::panic::Location::caller().line();
    (
        line,
        Box::pin(TimerEntry::new(h.clone(), h.clock().now() + after)),
    )
}

/// Rule 6: a timer whose waker panics is reported (a `tracing` error naming
/// the timer's site in debug builds), and every other timer of the batch
/// (here more than one batch of 32) still fires; the driver keeps working.
#[test]
fn panicking_waker_is_reported_and_the_batch_fires() {
    let (_d, h, _) = driver(true);
    let panicky = crate::util::wake::testing::panicky_waker();
    let (count, w) = counting_waker();
    let ms = Duration::from_millis(1);
    let mut entries = Vec::new();
    let mut site = 0;
    for i in 0..70 {
        let (line, mut e) = entry_here(&h, ms);
        let waker = if i % 20 == 0 {
            site = line;
            &panicky
        } else {
            &w
        };
        assert!(poll(&mut e, waker).is_pending());
        entries.push(e);
    }
    h.clock().advance(ms);
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || h.process());
    assert_eq!(count.0.load(SeqCst), 66, "timers of the batch were lost");
    let reports = capture.0.lock().unwrap().clone();
    assert_eq!(reports.len(), 4, "{reports:?}");
    let expected = if cfg!(debug_assertions) {
        format!("timer_driver_tests.rs:{site}")
    } else {
        "debug builds only".to_string()
    };
    assert!(reports[0].contains(&expected), "{reports:?}");
    assert!(
        reports[0].contains(crate::util::wake::testing::MESSAGE),
        "{reports:?}"
    );
    // The driver still fires.
    let mut later = entry(&h, ms);
    assert!(poll(&mut later, &w).is_pending());
    h.clock().advance(ms);
    h.process();
    assert_eq!(count.0.load(SeqCst), 67);
}
