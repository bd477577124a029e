//! Wakers held by the sync primitives: released when they should be, woken
//! when the waiting side can make progress, and never dropped or woken while
//! the primitive holds a lock (a waker whose drop re-enters the primitive
//! must not deadlock it).

mod support;

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use evloop::sync::{broadcast, mpsc, CancellationToken, Mutex, Notify, RwLock, Semaphore};

/// Runs `f` on its own thread and fails the test if it has not finished
/// after a few seconds (a deadlock or a lost wake would otherwise hang).
fn watchdog<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    support::watchdog(
        Duration::from_secs(10),
        "timed out: deadlock or lost wake",
        f,
    )
}

/// A waker that records when its last reference is dropped and runs a hook
/// then.
struct Probe {
    dropped: Arc<AtomicBool>,
    on_drop: StdMutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Wake for Probe {
    fn wake(self: Arc<Self>) {}
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.dropped.store(true, SeqCst);
        if let Some(hook) = self.on_drop.get_mut().unwrap().take() {
            hook();
        }
    }
}

/// A probe waker; `dropped` turns true once every clone of it is gone.
fn probe(hook: Option<Box<dyn FnOnce() + Send>>) -> (Waker, Arc<AtomicBool>) {
    let probe = Probe {
        dropped: Arc::new(AtomicBool::new(false)),
        on_drop: StdMutex::new(hook),
    };
    let dropped = probe.dropped.clone();
    (Waker::from(Arc::new(probe)), dropped)
}

fn noop() -> Waker {
    probe(None).0
}

fn poll<F: Future + ?Sized>(f: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(waker))
}

/// Polls `f` with a waker whose drop runs `hook`, then with another waker,
/// which replaces (drops) the first one inside the primitive.
fn replace_waker_reentering<F: Future + ?Sized>(
    mut f: Pin<&mut F>,
    hook: Box<dyn FnOnce() + Send>,
) -> Arc<AtomicBool> {
    let (first, dropped) = probe(Some(hook));
    assert!(poll(f.as_mut(), &first).is_pending());
    drop(first);
    assert!(!dropped.load(SeqCst), "the primitive keeps the waker");
    let _ = poll(f.as_mut(), &noop());
    dropped
}

// ---- mpsc: close vs outstanding permits -------------------------------------

struct Counter(Arc<AtomicUsize>);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting() -> (Waker, Arc<AtomicUsize>) {
    let n = Arc::new(AtomicUsize::new(0));
    (Waker::from(Arc::new(Counter(n.clone()))), n)
}

/// Closes `rx` while a slot is still taken, parks a `recv` on it, then
/// runs `give_back`, which returns the last taken slot: the waiting
/// receiver must be woken once and then see the end of the channel.
fn closed_recv_woken_by(mut rx: mpsc::Receiver<u8>, give_back: impl FnOnce()) {
    rx.close();
    let (w, woken) = counting();
    let mut recv = pin!(rx.recv());
    assert!(poll(recv.as_mut(), &w).is_pending());
    give_back();
    assert_eq!(woken.load(SeqCst), 1, "the receiver must be woken");
    assert_eq!(poll(recv.as_mut(), &w), Poll::Ready(None));
}

// After `close`, `recv` ends once no permit is outstanding: giving the last
// permit back must wake a receiver already waiting.
#[test]
fn mpsc_closed_recv_woken_when_permit_dropped() {
    watchdog(|| {
        let (tx, rx) = mpsc::channel::<u8>(2);
        let permit = tx.try_reserve().unwrap();
        closed_recv_woken_by(rx, || drop(permit));
    });
}

#[test]
fn mpsc_closed_recv_woken_when_owned_permit_dropped_or_released() {
    // Dropped.
    watchdog(|| {
        let (tx, rx) = mpsc::channel::<u8>(2);
        let _keep = tx.clone();
        let permit = tx.try_reserve_owned().unwrap();
        closed_recv_woken_by(rx, || drop(permit));
    });
    // Released.
    watchdog(|| {
        let (tx, rx) = mpsc::channel::<u8>(2);
        let permit = tx.try_reserve_owned().unwrap();
        // The sender it gives back stays alive past the checks.
        let mut _tx = None;
        closed_recv_woken_by(rx, || _tx = Some(permit.release()));
    });
}

#[test]
fn mpsc_closed_recv_woken_when_granted_reserve_is_cancelled() {
    watchdog(|| {
        let (tx, rx) = mpsc::channel::<u8>(1);
        let first = tx.try_reserve().unwrap();
        // A second reservation waits for the slot.
        let mut second = Box::pin(tx.reserve());
        let w = noop();
        assert!(poll(second.as_mut(), &w).is_pending());
        // The slot goes to the waiting reservation, which is never polled
        // again; then the receiver closes and waits. Cancelling the
        // reservation returns the slot: the channel is done.
        drop(first);
        closed_recv_woken_by(rx, || drop(second));
    });
}

// ---- mpsc: receiver drop ------------------------------------------------------

/// The receive future `recv` makes of `rx` is polled once with a probe
/// waker and dropped pending; the receiver keeps the waker, and dropping
/// the receiver lets it go.
fn receiver_drop_releases_its_waker<R, O>(
    mut rx: R,
    recv: impl for<'a> FnOnce(&'a mut R) -> Pin<Box<dyn Future<Output = O> + 'a>>,
) {
    let (waker, dropped) = probe(None);
    {
        let mut recv = recv(&mut rx);
        assert!(poll(recv.as_mut(), &waker).is_pending());
    }
    drop(waker);
    assert!(!dropped.load(SeqCst));
    drop(rx);
    assert!(
        dropped.load(SeqCst),
        "the receiver's waker must go with the receiver"
    );
}

#[test]
fn mpsc_receiver_drop_releases_its_waker() {
    let (tx, rx) = mpsc::channel::<u8>(1);
    receiver_drop_releases_its_waker(rx, |rx| Box::pin(rx.recv()));
    drop(tx);

    let (tx, rx) = mpsc::unbounded_channel::<u8>();
    receiver_drop_releases_its_waker(rx, |rx| Box::pin(rx.recv()));
    drop(tx);
}

struct PanicOnDrop {
    panic: bool,
    drops: Arc<AtomicUsize>,
}

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
        if self.panic {
            panic!("message drop panics");
        }
    }
}

#[test]
fn mpsc_receiver_drop_drops_every_message_when_one_panics() {
    for bounded in [true, false] {
        let drops = Arc::new(AtomicUsize::new(0));
        let msg = |panic| PanicOnDrop {
            panic,
            drops: drops.clone(),
        };
        // The senders stay alive: the messages must be dropped with the
        // receiver, not later with the channel.
        let (result, _senders) = if bounded {
            let (tx, rx) = mpsc::channel(8);
            for i in 0..5 {
                tx.try_send(msg(i == 1)).ok().unwrap();
            }
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(rx)));
            (r, (Some(tx), None))
        } else {
            let (tx, rx) = mpsc::unbounded_channel();
            for i in 0..5 {
                tx.send(msg(i == 1)).ok().unwrap();
            }
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(rx)));
            (r, (None, Some(tx)))
        };
        assert!(result.is_err(), "the panic propagates");
        assert_eq!(drops.load(SeqCst), 5, "every message is dropped");
    }
}

// ---- wakers dropped inside the primitives --------------------------------------

#[test]
fn broadcast_waker_drop_sending_on_same_channel() {
    watchdog(|| {
        let (tx, mut rx) = broadcast::channel::<u32>(4);
        let tx2 = tx.clone();
        let mut recv = Box::pin(rx.recv());
        let dropped = replace_waker_reentering(
            recv.as_mut(),
            Box::new(move || {
                let _ = tx2.send(7);
            }),
        );
        assert!(dropped.load(SeqCst));
        assert_eq!(poll(recv.as_mut(), &noop()), Poll::Ready(Ok(7)));
    });
}

#[test]
fn broadcast_receiver_dropped_with_reentrant_waker() {
    watchdog(|| {
        let (tx, mut rx) = broadcast::channel::<u32>(4);
        let tx2 = tx.clone();
        let (waker, dropped) = probe(Some(Box::new(move || {
            let _ = tx2.send(1);
        })));
        {
            let mut recv = pin!(rx.recv());
            assert!(poll(recv.as_mut(), &waker).is_pending());
        }
        drop(waker);
        drop(rx);
        assert!(dropped.load(SeqCst));
        drop(tx);
    });
}

#[test]
fn semaphore_waker_drop_releasing_permits() {
    watchdog(|| {
        let sem = Arc::new(Semaphore::new(0));
        let s2 = sem.clone();
        let mut acq = Box::pin(sem.acquire());
        let dropped = replace_waker_reentering(acq.as_mut(), Box::new(move || s2.add_permits(1)));
        assert!(dropped.load(SeqCst));
        assert!(matches!(poll(acq.as_mut(), &noop()), Poll::Ready(Ok(_))));
    });
}

#[test]
fn mutex_and_rwlock_waker_drop_reentering() {
    // The hook unlocks, which hands the lock to the queued waiter under
    // the primitive's waiter lock.
    watchdog(|| {
        let m = Arc::new(Mutex::new(0u32));
        let guard = m.clone().try_lock_owned().unwrap();
        let mut lock = Box::pin(m.lock());
        let dropped = replace_waker_reentering(lock.as_mut(), Box::new(move || drop(guard)));
        assert!(dropped.load(SeqCst));
        assert!(poll(lock.as_mut(), &noop()).is_ready());
    });
    watchdog(|| {
        // The hook must own the write guard, which borrows the lock: leak
        // the lock for the hook's `'static` bound and free it at the end.
        let raw: *mut RwLock<u32> = Box::into_raw(Box::new(RwLock::new(0)));
        // SAFETY: `raw` comes from `Box::into_raw` and is freed only below,
        // after every borrow of it (guard, read future) is gone.
        let l: &'static RwLock<u32> = unsafe { &*raw };
        let guard = l.try_write().unwrap();
        let mut read = Box::pin(l.read());
        let dropped = replace_waker_reentering(read.as_mut(), Box::new(move || drop(guard)));
        assert!(dropped.load(SeqCst));
        assert!(poll(read.as_mut(), &noop()).is_ready());
        drop(read);
        // SAFETY: the write guard went with the hook (`dropped`), the read
        // future and its guard are dropped; nothing borrows `raw` any more.
        drop(unsafe { Box::from_raw(raw) });
    });
}

#[test]
fn notify_waker_drop_notifying() {
    watchdog(|| {
        let notify = Arc::new(Notify::new());
        let n2 = notify.clone();
        let mut notified = Box::pin(notify.notified());
        let dropped =
            replace_waker_reentering(notified.as_mut(), Box::new(move || n2.notify_one()));
        assert!(dropped.load(SeqCst));
        assert!(poll(notified.as_mut(), &noop()).is_ready());
    });
}

#[test]
fn cancellation_waker_drop_cancelling() {
    watchdog(|| {
        let token = CancellationToken::new();
        let t2 = token.clone();
        let mut cancelled = Box::pin(token.cancelled());
        let dropped = replace_waker_reentering(cancelled.as_mut(), Box::new(move || t2.cancel()));
        assert!(dropped.load(SeqCst));
        assert!(poll(cancelled.as_mut(), &noop()).is_ready());
    });
}
