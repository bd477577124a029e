//! Task groups: a set of tasks that can be aborted together (a simulated
//! host's tasks, for example, when it crashes).

use crate::context;
use crate::runtime::scheduler;
use crate::runtime::task::JoinHandle;
use std::future::Future;

/// A group of simulated tasks: the tasks spawned through
/// [`Group::spawn`] and every task they spawn in turn, transitively.
///
/// ```
/// use std::time::Duration;
/// use evloop::sim::{Builder, Group};
///
/// Builder::new().block_on(async {
///     let host = Group::new();
///     let server = host.spawn(async {
///         // A child task joins its parent's group.
///         evloop::spawn(async { evloop::time::sleep(Duration::from_secs(60)).await });
///         evloop::time::sleep(Duration::from_secs(60)).await
///     });
///     while host.len() < 2 {
///         evloop::task::yield_now().await; // until the server spawned its child
///     }
///     host.abort(); // "crash": every task of the group is cancelled
///     assert!(server.await.unwrap_err().is_cancelled());
///     while !host.is_empty() {
///         evloop::task::yield_now().await; // the child is cancelled at its next poll
///     }
///     assert_eq!(evloop::sim::elapsed(), Some(Duration::ZERO)); // nobody slept
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Group {
    id: u32,
}

fn with_cx<R>(f: impl FnOnce(&scheduler::sim::SimContext) -> R) -> R {
    context::with_scheduler(|cx| match cx {
        Some(scheduler::SchedulerContext::Sim(cx)) => f(cx),
        _ => panic!("`sim::Group` can only be used inside a simulation"),
    })
}

impl Group {
    /// A new, empty group.
    ///
    /// # Panics
    ///
    /// Outside a simulation.
    #[allow(clippy::new_without_default)] // a `Default` that panics outside a simulation would surprise
    pub fn new() -> Group {
        with_cx(|cx| {
            cx.with_core(|core| {
                let id = core.next_group;
                core.next_group += 1;
                Group { id }
            })
            .expect("the simulation's core is free while a task runs")
        })
    }

    /// The group of the calling task; `None` for the main future and tasks
    /// in no group, and outside a simulation.
    pub fn current() -> Option<Group> {
        context::with_scheduler(|cx| match cx {
            Some(scheduler::SchedulerContext::Sim(cx)) => cx
                .with_core(|core| core.current_group())
                .filter(|&id| id != 0)
                .map(|id| Group { id }),
            _ => None,
        })
    }

    /// Spawns `future` as a task of this group.
    ///
    /// # Panics
    ///
    /// Outside a simulation.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        with_cx(|cx| cx.with_core(|core| core.pending_group = Some(self.id)));
        let join = crate::task::spawn(future);
        with_cx(|cx| cx.with_core(|core| core.pending_group = None));
        join
    }

    /// Aborts every live task of the group, in spawn order. Like
    /// `JoinHandle::abort`: each is cancelled at its next scheduling point.
    pub fn abort(&self) {
        with_cx(|cx| {
            let ids = cx
                .with_core(|core| core.group_ids(self.id))
                .unwrap_or_default();
            let mut sorted = ids;
            sorted.sort_unstable();
            cx.handle().abort_ids(&sorted);
        })
    }

    /// How many tasks of the group are alive.
    pub fn len(&self) -> usize {
        with_cx(|cx| {
            cx.with_core(|core| core.group_ids(self.id).len())
                .unwrap_or(0)
        })
    }

    /// True when no task of the group is alive.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
