//! A minimal scheduler over the real task cell and owned list, for unit
//! tests and loom models of the task machinery: woken tasks wait in a
//! queue until the test runs them.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;

use crate::loom::sync::{Arc, Mutex};
use crate::runtime::task::list::OwnedTasks;
use crate::runtime::task::moved::moved;
use crate::runtime::task::{Id, JoinHandle, Notified, Schedule, Task};

pub(crate) struct Sched {
    pub(crate) queue: Mutex<VecDeque<Notified<SchedRef>>>,
    pub(crate) owned: OwnedTasks<SchedRef>,
}

#[derive(Clone)]
pub(crate) struct SchedRef(pub(crate) Arc<Sched>);

impl Schedule for SchedRef {
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.0.owned.remove(task)
    }

    fn schedule(&self, task: Notified<Self>) {
        self.0.queue.lock().push_back(task);
    }
}

impl SchedRef {
    pub(crate) fn new() -> SchedRef {
        SchedRef(Arc::new(Sched {
            queue: Mutex::new(VecDeque::new()),
            owned: OwnedTasks::new(),
        }))
    }

    /// Creates a task in the owned list without queueing it: the caller
    /// runs the `Notified` (`None` if the list is closed).
    #[track_caller]
    pub(crate) fn bind<F: Future + Send + 'static>(
        &self,
        f: F,
    ) -> (JoinHandle<F::Output>, Option<Notified<SchedRef>>)
    where
        F::Output: Send,
    {
        moved!(f);
        self.0
            .owned
            .bind(f, self.clone(), Id::next(), Location::caller())
    }

    /// Creates a task and queues it.
    #[track_caller]
    pub(crate) fn spawn<F: Future + Send + 'static>(&self, f: F) -> JoinHandle<F::Output>
    where
        F::Output: Send,
    {
        let (join, notified) = self.bind(f);
        self.schedule(notified.unwrap());
        join
    }

    /// Runs queued tasks until the queue is empty.
    pub(crate) fn run_all(&self) {
        loop {
            let task = self.0.queue.lock().pop_front();
            match task {
                Some(task) => {
                    let _ = task.run();
                }
                None => return,
            }
        }
    }

    /// Closes the owned list, cancelling every task, and drops the queue.
    pub(crate) fn shutdown(&self) {
        self.0.owned.close_and_shutdown_all();
        let drained: Vec<_> = self.0.queue.lock().drain(..).collect();
        drop(drained);
        assert!(self.0.owned.is_empty());
    }
}
