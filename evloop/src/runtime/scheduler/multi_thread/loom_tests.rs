//! Loom model of the multi-thread shutdown protocol ([`super::handle`]
//! rule 3) against a wake from another thread, on the real task cell,
//! owned-task list and inject queue.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use crate::loom::thread;
use crate::runtime::task::list::OwnedTasks;
use crate::runtime::task::{Id, Notified, Schedule, Task};

use super::inject::Inject;

/// The scheduler's shared half as far as shutdown is concerned: wakes go to
/// the inject queue, which refuses them once closed.
struct Shared {
    inject: Inject<Notified<Sched>>,
    owned: OwnedTasks<Sched>,
}

#[derive(Clone)]
struct Sched(Arc<Shared>);

impl Schedule for Sched {
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.0.owned.remove(task)
    }

    fn schedule(&self, task: Notified<Self>) {
        // Handle rule 3: refused after close, the reference dropped here.
        if let Err(task) = self.0.inject.push(task) {
            drop(task);
        }
    }
}

/// Pending until fired; keeps the latest waker for the remote thread.
#[derive(Clone)]
struct Signal(Arc<Mutex<(bool, Option<Waker>)>>);

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

/// Records on which thread the future is dropped: 1 for the worker, 2 for
/// any other.
struct DropSite {
    worker: thread::Thread,
    site: Arc<AtomicUsize>,
}

impl Drop for DropSite {
    fn drop(&mut self) {
        let on_worker = thread::current().id() == self.worker.id();
        let prev = self.site.swap(if on_worker { 1 } else { 2 }, SeqCst);
        assert_eq!(prev, 0, "future dropped twice");
    }
}

/// A task waits on a signal; another thread fires it (waking the task into
/// the inject queue, or into a closed one) while the worker, after maybe
/// polling once more, shuts down: closes the inject queue, cancels the owned
/// tasks, drains the queue. The future is dropped exactly once, on the
/// worker, and no reference is leaked or freed twice.
#[test]
fn loom_shutdown_races_remote_wake() {
    crate::loom::model(|| {
        let sched = Sched(Arc::new(Shared {
            inject: Inject::new(),
            owned: OwnedTasks::new(),
        }));
        let site = Arc::new(AtomicUsize::new(0));
        let signal = Signal(Arc::new(Mutex::new((false, None))));
        let guard = DropSite {
            worker: thread::current(),
            site: site.clone(),
        };
        let s = signal.clone();
        let fut = async move {
            let _guard = guard;
            s.await;
            // Completed before shutdown: still on the worker.
        };
        crate::runtime::task::moved::moved!(fut);
        let (join, notified) =
            sched
                .0
                .owned
                .bind(fut, sched.clone(), Id::next(), Location::caller());
        // First poll: the task parks on the signal.
        let _ = notified.unwrap().run();

        let remote = thread::spawn(move || {
            let waker = {
                let mut s = signal.0.lock();
                s.0 = true;
                s.1.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        });

        // The worker's last tick before it sees the shutdown.
        if let Some(task) = sched.0.inject.pop() {
            let _ = task.run();
        }
        // Rule 3: close, cancel what is owned, drain.
        sched.0.inject.close();
        sched.0.owned.close_and_shutdown_all();
        let drained: Vec<_> = sched.0.inject.pop_n(usize::MAX).collect();
        drop(drained);

        remote.join().unwrap();
        // A push that came after the close was refused and dropped there.
        assert!(sched.0.inject.is_empty());
        assert!(sched.0.owned.is_empty());
        assert_eq!(site.load(SeqCst), 1, "future dropped off the worker");
        drop(join);
    });
}
