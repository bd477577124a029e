//! Loom models of the task state machine: poll vs wake vs abort vs
//! JoinHandle drop vs completion vs shutdown, on the real task cell with a
//! minimal scheduler.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use crate::loom::thread;
use crate::runtime::task::test_sched::SchedRef;
use crate::runtime::task::JoinHandle;

/// Ready once `fire` was called; stores the latest waker.
#[derive(Clone)]
struct Signal(Arc<Mutex<(bool, Option<Waker>)>>);

impl Signal {
    fn new() -> Signal {
        Signal(Arc::new(Mutex::new((false, None))))
    }

    fn fire(&self) {
        let waker = {
            let mut s = self.0.lock();
            s.0 = true;
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Future for Signal {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.0.lock();
        if s.0 {
            Poll::Ready(())
        } else {
            s.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// Counts drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn poll_join<T>(join: &mut JoinHandle<T>) -> Poll<crate::runtime::task::Result<T>> {
    Pin::new(join).poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn loom_wake_races_poll() {
    crate::loom::model(|| {
        let sched = SchedRef::new();
        let signal = Signal::new();
        let mut join = sched.spawn(signal.clone());
        let th = thread::spawn(move || signal.fire());
        sched.run_all();
        th.join().unwrap();
        sched.run_all();
        assert!(poll_join(&mut join).is_ready());
        sched.shutdown();
    });
}

#[test]
fn loom_abort_races_poll() {
    crate::loom::model(|| {
        let sched = SchedRef::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let counted = Counted(drops.clone());
        let signal = Signal::new();
        let s2 = signal.clone();
        let mut join = sched.spawn(async move {
            let _c = counted;
            s2.await;
        });
        let abort = join.abort_handle();
        let th = thread::spawn(move || abort.abort());
        sched.run_all();
        th.join().unwrap();
        sched.run_all();
        // The future is never ready (no fire), so abort must win.
        match poll_join(&mut join) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
            other => panic!("unexpected {:?}", other.map(|r| r.is_ok())),
        }
        assert_eq!(drops.load(SeqCst), 1);
        drop(signal);
        sched.shutdown();
    });
}

#[test]
fn loom_join_handle_drop_races_completion() {
    crate::loom::model(|| {
        let sched = SchedRef::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let d2 = drops.clone();
        let join = sched.spawn(async move { Counted(d2) });
        let th = thread::spawn(move || drop(join));
        sched.run_all();
        th.join().unwrap();
        // The output is dropped exactly once, by whichever side was last.
        assert_eq!(drops.load(SeqCst), 1);
        sched.shutdown();
    });
}

#[test]
fn loom_join_waker_races_completion() {
    crate::loom::model(|| {
        let sched = SchedRef::new();
        let signal = Signal::new();
        let mut join = sched.spawn(signal.clone());
        sched.run_all();
        // The JoinHandle registers its waker while the task completes on
        // another thread.
        let s2 = sched.clone();
        let th = thread::spawn(move || {
            signal.fire();
            s2.run_all();
        });
        let first = poll_join(&mut join);
        th.join().unwrap();
        if first.is_pending() {
            assert!(poll_join(&mut join).is_ready());
        }
        sched.shutdown();
    });
}

/// Counts its wakes; a waker with its own identity, so `will_wake` is
/// false against any other.
struct CountWake(Arc<AtomicUsize>);

impl std::task::Wake for CountWake {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn loom_join_waker_swap_races_completion() {
    crate::loom::model(|| {
        let sched = SchedRef::new();
        let signal = Signal::new();
        let mut join = sched.spawn(signal.clone());
        sched.run_all();
        // First waker in the slot.
        assert!(poll_join(&mut join).is_pending());
        // The JoinHandle swaps in a new waker while the task completes and
        // wakes (then hands back) the old one on another thread.
        let s2 = sched.clone();
        let th = thread::spawn(move || {
            signal.fire();
            s2.run_all();
        });
        let woken = Arc::new(AtomicUsize::new(0));
        let waker = Waker::from(std::sync::Arc::new(CountWake(woken.clone())));
        let second = Pin::new(&mut join).poll(&mut Context::from_waker(&waker));
        th.join().unwrap();
        if second.is_pending() {
            // The swapped-in waker was in place at completion: no lost wake.
            assert_eq!(woken.load(SeqCst), 1);
            assert!(poll_join(&mut join).is_ready());
        }
        sched.shutdown();
    });
}

#[test]
fn loom_wake_races_shutdown() {
    crate::loom::model(|| {
        let sched = SchedRef::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let counted = Counted(drops.clone());
        let signal = Signal::new();
        let s2 = signal.clone();
        let join = sched.spawn(async move {
            let _c = counted;
            s2.await;
        });
        sched.run_all();
        let th = thread::spawn(move || signal.fire());
        sched.shutdown();
        th.join().unwrap();
        // A wake that lands after shutdown is dropped without polling.
        let drained: Vec<_> = sched.0.queue.lock().drain(..).collect();
        drop(drained);
        assert_eq!(drops.load(SeqCst), 1);
        drop(join);
    });
}
