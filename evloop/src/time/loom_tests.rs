//! Loom models of the timer entry protocol (entry rules 4-6): the owner
//! dropping, resetting or polling its entry while the driver thread fires it;
//! and of lazy arming (arm_queue rules 1-4): a queued entry dropped or polled
//! while its worker flushes it, or while the driver shuts down; and of an
//! epoch closed by its owner and another thread at once (epoch rule 1);
//! and of a batch whose first waker panics (timer_driver rule 6) while the owner
//! of another timer of the batch polls it again; and of the watch (driver
//! rule 7, arm_queue rules 12-14): a first push racing a driver that decides
//! to block, and a take-over racing the owner's drop.

use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::thread;
use crate::time::timer::TimerEntry;
use crate::time::{Clock, Driver, TimeHandle};

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
    TimeHandle,
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

/// Like `setup`, but the entry is armed lazily: the model's main thread runs
/// worker 0 and the first poll stores the entry in its queue.
fn setup_queued() -> (
    Driver,
    TimeHandle,
    crate::time::WorkerGuard,
    Pin<Box<TimerEntry>>,
    std::sync::Arc<Counter>,
) {
    let (driver, handle) = Driver::new(Clock::new(true, true), std::sync::Arc::new(|| {}), 1);
    // SAFETY: the model's main thread is the only runner of worker 0.
    let guard = unsafe { handle.enter_worker(Some(0)) };
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
    assert_eq!(
        handle.next_deadline(),
        None,
        "armed lazily: not in the wheel"
    );
    handle.clock().advance(Duration::from_millis(1));
    (driver, handle, guard, entry, counter)
}

/// Dropping a queued entry on another thread while its worker flushes the
/// queue (and fires the entry): the CAS or the swap wins, never both, and
/// the wheel ends empty.
#[test]
fn loom_queued_drop_races_flush() {
    loom::model(|| {
        let (_driver, handle, guard, entry, _counter) = setup_queued();
        let th = thread::spawn(move || drop(entry));
        // The worker's flush-and-fire (as `advance` does).
        handle.process();
        th.join().unwrap();
        drop(guard);
        assert_eq!(handle.next_deadline(), None);
    });
}

/// Polling a queued entry on another thread (a new waker) while its worker
/// flushes and fires it: the poll sees the fire or the new waker is woken.
#[test]
fn loom_queued_poll_races_flush() {
    loom::model(|| {
        let (_driver, handle, guard, mut entry, _counter) = setup_queued();
        let second = std::sync::Arc::new(Counter(AtomicUsize::new(0)));
        let waker = Waker::from(second.clone());
        let th = thread::spawn(move || {
            let res = entry
                .as_mut()
                .poll_elapsed(&mut Context::from_waker(&waker));
            (res, entry)
        });
        handle.process();
        let (res, entry) = th.join().unwrap();
        drop(guard);
        assert!(res.is_ready() || second.0.load(SeqCst) == 1, "wake lost");
        drop(entry);
        assert_eq!(handle.next_deadline(), None);
    });
}

/// Driver shutdown draining the queue while the owner drops the entry: no
/// access after free; or, if the entry survives the drop race, it is fired
/// with the shutdown flag.
#[test]
fn loom_queued_drop_races_shutdown() {
    loom::model(|| {
        let (mut driver, handle, guard, entry, counter) = setup_queued();
        let h = handle.clone();
        let th = thread::spawn(move || driver.shutdown(&h));
        drop(entry);
        th.join().unwrap();
        drop(guard);
        assert!(counter.0.load(SeqCst) <= 1);
        assert_eq!(handle.next_deadline(), None);
    });
}

/// The owner closing its epoch at a driver visit while another thread
/// closes it to resolve a sleep's deadline (epoch rule 1): exactly one start
/// wins and both see it.
#[test]
fn loom_epoch_close_races_foreign_close() {
    use crate::loom::sync::Arc;
    use crate::time::epoch::Epoch;

    loom::model(|| {
        let (_driver, handle) = Driver::new(Clock::new(true, true), std::sync::Arc::new(|| {}), 1);
        let epoch = Arc::new(Epoch::new(handle.driver_ref(), 0));
        let e = epoch.clone();
        let th = thread::spawn(move || e.close(|| 7));
        let mine = epoch.close_owner(5);
        let theirs = th.join().unwrap();
        assert_eq!(mine, theirs);
        assert!(mine == 5 || mine == 7);
        assert_eq!(epoch.start(), Some(mine));
    });
}

/// Driver rule 6: the driver thread fires a batch whose first timer's
/// waker panics while the owner of the second re-polls it with a new
/// waker. The firing thread returns normally, the second timer's wake is
/// not lost (its poll sees the fire or its new waker is woken), and the
/// driver fires the next timer.
#[test]
fn loom_panicking_waker_costs_only_itself() {
    loom::model(|| {
        let (_driver, handle) = Driver::new(Clock::new(true, true), std::sync::Arc::new(|| {}), 1);
        let panicky = crate::util::wake::testing::panicky_waker();
        let ms = Duration::from_millis(1);
        let mut bad = Box::pin(TimerEntry::new(handle.clone(), handle.clock().now() + ms));
        let mut good = Box::pin(TimerEntry::new(handle.clone(), handle.clock().now() + ms));
        let first = std::sync::Arc::new(Counter(AtomicUsize::new(0)));
        let first_waker = Waker::from(first.clone());
        let poll = bad
            .as_mut()
            .poll_elapsed(&mut Context::from_waker(&panicky));
        assert!(poll.is_pending());
        let poll = good
            .as_mut()
            .poll_elapsed(&mut Context::from_waker(&first_waker));
        assert!(poll.is_pending());
        handle.clock().advance(ms);

        let h = handle.clone();
        let th = thread::spawn(move || h.process());
        let second = std::sync::Arc::new(Counter(AtomicUsize::new(0)));
        let waker = Waker::from(second.clone());
        let res = good.as_mut().poll_elapsed(&mut Context::from_waker(&waker));
        th.join().expect("the panic left the driver");
        assert!(res.is_ready() || second.0.load(SeqCst) == 1, "wake lost");
        drop(bad);
        drop(good);

        let mut next = Box::pin(TimerEntry::new(handle.clone(), handle.clock().now() + ms));
        assert!(next
            .as_mut()
            .poll_elapsed(&mut Context::from_waker(&waker))
            .is_pending());
        handle.clock().advance(ms);
        handle.process();
        assert_eq!(
            next.as_mut().poll_elapsed(&mut Context::from_waker(&waker)),
            Poll::Ready(())
        );
    });
}

/// Driver rule 7 / arm_queue rule 14: worker 0 arms a timer lazily (its first
/// push sets the watch) while worker 1 parks in the driver with nothing in
/// the wheel. Either the parker sees the watch and blocks for `STALL` only,
/// or the pusher sees the parker's `sleeping` flag and unparks it: the
/// parker never blocks for good (loom reports a deadlock if it does).
#[test]
fn loom_first_push_races_long_park() {
    use crate::util::park::ParkThread;

    loom::model(|| {
        let mut parker = ParkThread::new();
        let unpark = parker.unpark();
        let (mut driver, handle) = Driver::new(
            Clock::new(true, true),
            std::sync::Arc::new(move || unpark.unpark()),
            2,
        );
        let h = handle.clone();
        let th = thread::spawn(move || {
            // SAFETY: this model thread is the only runner of worker 0.
            let _guard = unsafe { h.enter_worker(Some(0)) };
            let mut e = Box::pin(TimerEntry::new(
                h.clone(),
                h.clock().now() + Duration::from_secs(10),
            ));
            let waker = Waker::from(std::sync::Arc::new(Counter(AtomicUsize::new(0))));
            let poll = e.as_mut().poll_elapsed(&mut Context::from_waker(&waker));
            assert!(poll.is_pending());
            e
        });
        // SAFETY: the model's main thread is the only runner of worker 1.
        let guard = unsafe { handle.enter_worker(Some(1)) };
        driver.park(&handle, None, &mut |timeout| {
            match timeout {
                // A timed sleep: it ends by itself.
                Some(_) => {}
                None => parker.park(),
            }
            false
        });
        let e = th.join().unwrap();
        drop(guard);
        drop(e);
    });
}

/// Queue rule 13: the driver thread takes over worker 0's queue while the
/// owner drops its lazily armed timer (created by `sleep`, so the take-over
/// also closes the open epoch from outside). The CAS or the swap wins,
/// never both, and the wheel ends empty.
#[test]
fn loom_take_over_races_owner_drop() {
    use crate::time::entry::Site;

    loom::model(|| {
        let (_driver, handle) = Driver::new(Clock::new(true, false), std::sync::Arc::new(|| {}), 2);
        let h = handle.clone();
        let th = thread::spawn(move || {
            // SAFETY: this model thread is the only runner of worker 0.
            let guard = unsafe { h.enter_worker(Some(0)) };
            let mut e = Box::pin(TimerEntry::after(
                &h,
                Duration::from_secs(10),
                Site::caller(),
            ));
            let waker = Waker::from(std::sync::Arc::new(Counter(AtomicUsize::new(0))));
            let poll = e.as_mut().poll_elapsed(&mut Context::from_waker(&waker));
            assert!(poll.is_pending());
            thread::yield_now();
            drop(e);
            drop(guard);
        });
        let fired = handle.take_over_queue(0);
        th.join().unwrap();
        assert_eq!(fired, 0);
        assert_eq!(handle.next_deadline(), None);
    });
}
