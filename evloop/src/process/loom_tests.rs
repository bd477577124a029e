//! Loom models of the orphan queue (orphan rules 1-5): pushes racing the
//! exits of the pushed children and the SIGCHLD deliveries that report
//! them, with a listener that keeps the signal driver's contract
//! (registry rule 3: a delivery bumps a version, then wakes the waker
//! stored under the lock). Every model ends with every orphan reaped:
//! no exit is lost between a round's check and its arming.

use std::task::{Context, Poll, Wake, Waker};

use super::orphan::{Listen, Orphans, Reap};
use crate::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use crate::loom::thread;

/// A child that has exited once its flag is set.
struct FakeChild(Arc<AtomicBool>);

impl Reap for FakeChild {
    fn reap(&mut self) -> bool {
        self.0.load(SeqCst)
    }
}

/// The signal driver's side of the listener: version, then waker.
#[derive(Default)]
struct Deliveries {
    version: AtomicU64,
    waker: Mutex<Option<Waker>>,
}

impl Deliveries {
    /// The handler and the driver, for one exit.
    fn deliver(&self) {
        self.version.fetch_add(1, SeqCst);
        let waker = self.waker.lock().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

struct FakeListener {
    deliveries: Arc<Deliveries>,
    seen: u64,
}

impl Listen for FakeListener {
    fn poll_delivery(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let v = self.deliveries.version.load(SeqCst);
        if v != self.seen {
            self.seen = v;
            return Poll::Ready(());
        }
        *self.deliveries.waker.lock() = Some(cx.waker().clone());
        let v = self.deliveries.version.load(SeqCst);
        if v != self.seen {
            self.seen = v;
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

type Queue = Orphans<FakeChild, FakeListener>;

/// The queue's waker: a wake requests a round (as the real static waker).
struct QueueWaker {
    queue: Arc<Queue>,
    deliveries: Arc<Deliveries>,
}

impl Wake for QueueWaker {
    fn wake(self: std::sync::Arc<Self>) {
        let waker = Waker::from(self.clone());
        self.queue.request(listen(&self.deliveries), &waker);
    }
}

/// A listener that starts from the current version (as `signal()` does).
fn listen(deliveries: &Arc<Deliveries>) -> impl Fn() -> Option<FakeListener> + '_ {
    move || {
        Some(FakeListener {
            deliveries: deliveries.clone(),
            seen: deliveries.version.load(SeqCst),
        })
    }
}

/// Breaks the cycle deliveries → queue waker → queue → listener →
/// deliveries, so that loom sees every `Arc` freed.
fn teardown(deliveries: &Deliveries) {
    drop(deliveries.waker.lock().take());
}

fn setup() -> (Arc<Queue>, Arc<Deliveries>, Waker) {
    let queue = Arc::new(Queue::new());
    let deliveries = Arc::new(Deliveries::default());
    let waker = Waker::from(std::sync::Arc::new(QueueWaker {
        queue: queue.clone(),
        deliveries: deliveries.clone(),
    }));
    (queue, deliveries, waker)
}

/// A child pushed while it exits: the round either reaps it or is woken
/// by its SIGCHLD.
#[test]
fn loom_orphan_exit_races_push() {
    loom::model(|| {
        let (queue, deliveries, waker) = setup();
        let exited = Arc::new(AtomicBool::new(false));

        let child = {
            let exited = exited.clone();
            let deliveries = deliveries.clone();
            thread::spawn(move || {
                exited.store(true, SeqCst);
                deliveries.deliver();
            })
        };
        queue.push(FakeChild(exited), listen(&deliveries), &waker);
        child.join().unwrap();

        assert_eq!(queue.len(), 0, "an exited orphan was never reaped");
        teardown(&deliveries);
    });
}

/// Two threads push while one pushed child exits: a push that finds a
/// round running leaves its child to that round (rule 3), which must not
/// leave it unarmed.
#[test]
fn loom_orphan_concurrent_pushes() {
    loom::model(|| {
        let (queue, deliveries, waker) = setup();
        let first = Arc::new(AtomicBool::new(false));
        let second = Arc::new(AtomicBool::new(false));

        let pusher = {
            let (queue, deliveries, waker) = (queue.clone(), deliveries.clone(), waker.clone());
            let second = second.clone();
            thread::spawn(move || {
                queue.push(FakeChild(second), listen(&deliveries), &waker);
            })
        };
        queue.push(FakeChild(first.clone()), listen(&deliveries), &waker);
        pusher.join().unwrap();

        // Both exit after being queued; each exit is signalled.
        first.store(true, SeqCst);
        deliveries.deliver();
        second.store(true, SeqCst);
        deliveries.deliver();

        assert_eq!(queue.len(), 0, "an exited orphan was never reaped");
        teardown(&deliveries);
    });
}

/// A SIGCHLD delivered while a push's round runs (the waker's request
/// finds `BUSY` set and is left to the runner, rule 4).
#[test]
fn loom_orphan_delivery_during_round() {
    loom::model(|| {
        let (queue, deliveries, waker) = setup();
        let exited = Arc::new(AtomicBool::new(false));
        // Armed first, with a child that is still running.
        queue.push(FakeChild(exited.clone()), listen(&deliveries), &waker);
        assert_eq!(queue.len(), 1);

        let late = Arc::new(AtomicBool::new(false));
        let signaller = {
            let (exited, late, deliveries) = (exited.clone(), late.clone(), deliveries.clone());
            thread::spawn(move || {
                exited.store(true, SeqCst);
                late.store(true, SeqCst);
                deliveries.deliver();
            })
        };
        queue.push(FakeChild(late), listen(&deliveries), &waker);
        signaller.join().unwrap();

        assert_eq!(queue.len(), 0, "an exited orphan was never reaped");
        teardown(&deliveries);
    });
}
