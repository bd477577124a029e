//! Loom models of the timer entry protocol (entry rules 4-6): the owner
//! dropping, resetting or polling its entry while the driver thread fires it.

use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::thread;
use crate::time::entry::TimerEntry;
use crate::time::{Clock, Driver, Handle};

struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A paused driver with one entry registered 1 ms ahead, and the clock
/// already moved past it: the next `process` fires it.
fn setup() -> (
    Driver,
    Handle,
    Pin<Box<TimerEntry>>,
    std::sync::Arc<Counter>,
    Waker,
) {
    let (driver, handle) = Driver::new(Clock::new(true, true), std::sync::Arc::new(|| {}), 1);
    let counter = std::sync::Arc::new(Counter(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut entry = Box::pin(TimerEntry::new(
        handle.clone(),
        handle.clock().now() + Duration::from_millis(1),
    ));
    let poll = entry
        .as_mut()
        .poll_elapsed(&mut Context::from_waker(&waker));
    assert!(poll.is_pending());
    handle.clock().advance(Duration::from_millis(1));
    (driver, handle, entry, counter, waker)
}

/// Dropping a `Sleep` while the driver fires it: no access after free, and
/// the wheel is empty afterwards.
#[test]
fn loom_cancel_races_fire() {
    loom::model(|| {
        let (_driver, handle, entry, _counter, _waker) = setup();
        let h = handle.clone();
        let th = thread::spawn(move || h.process());
        drop(entry);
        th.join().unwrap();
        assert_eq!(handle.next_deadline(), None);
    });
}

/// Resetting to a later deadline while the driver fires the old one: the
/// entry ends up pending at the new deadline either way, and fires there.
#[test]
fn loom_reset_races_fire() {
    loom::model(|| {
        let (_driver, handle, mut entry, counter, waker) = setup();
        let h = handle.clone();
        let th = thread::spawn(move || h.process());
        let new_deadline = handle.clock().now() + Duration::from_millis(10);
        entry.as_mut().reset(new_deadline);
        th.join().unwrap();

        let mut cx = Context::from_waker(&waker);
        assert!(entry.as_mut().poll_elapsed(&mut cx).is_pending());
        assert!(handle.next_deadline().is_some());
        handle.clock().advance(Duration::from_millis(10));
        handle.process();
        assert!(counter.0.load(SeqCst) >= 1);
        assert_eq!(entry.as_mut().poll_elapsed(&mut cx), Poll::Ready(()));
    });
}

/// Polling (registering a new waker) while the driver fires: either the poll
/// sees the fire, or the new waker is woken.
#[test]
fn loom_poll_races_fire() {
    loom::model(|| {
        let (_driver, handle, mut entry, _counter, _) = setup();
        let h = handle.clone();
        let th = thread::spawn(move || h.process());
        let second = std::sync::Arc::new(Counter(AtomicUsize::new(0)));
        let waker = Waker::from(second.clone());
        let res = entry
            .as_mut()
            .poll_elapsed(&mut Context::from_waker(&waker));
        th.join().unwrap();
        assert!(res.is_ready() || second.0.load(SeqCst) == 1, "wake lost");
    });
}
