//! How a blocking task is scheduled: onto the pool's queue, never a run queue.

use std::fmt;

use crate::runtime::scheduler;
use crate::runtime::task::{Notified, Schedule, Task};

/// The scheduler of a blocking task.
///
/// The pool does not keep an owned-task list: a blocking task's list ref is
/// dropped at spawn, so `release` has nothing to return. The pool's queue
/// holds the task's `Notified` until a thread runs it or shutdown cancels
/// it, which is why the queue, not a list, is what shutdown walks.
///
/// From creation until completion a blocking task holds the runtime's
/// clock back from auto-advancing (see [`hold_clock`]).
pub(crate) struct BlockingSchedule {
    handle: scheduler::SchedulerHandle,
}

impl BlockingSchedule {
    pub(crate) fn new(handle: &scheduler::SchedulerHandle) -> BlockingSchedule {
        hold_clock(handle, true);
        BlockingSchedule {
            handle: handle.clone(),
        }
    }
}

impl Schedule for BlockingSchedule {
    fn release(&self, _task: &Task<Self>) -> Option<Task<Self>> {
        // Called exactly once per task, when it completes (ran, panicked or
        // was cancelled).
        hold_clock(&self.handle, false);
        None
    }

    fn schedule(&self, task: Notified<Self>) {
        self.handle.blocking_spawner().schedule(&self.handle, task);
    }
}

/// The one place the blocking pool talks to the clock.
///
/// With the clock paused, the time driver jumps to the next timer deadline
/// as soon as the runtime has nothing to run. A task awaiting a blocking
/// closure is not runnable but is not idle either: jumping the clock while
/// the closure works would fire timeouts that real time would not. So every
/// blocking task holds auto-advance back from spawn to completion.
///
/// `hold == true` at spawn, `false` at completion; the calls pair up
/// because `BlockingSchedule::new` runs once per task and `release` once per
/// task.
fn hold_clock(handle: &scheduler::SchedulerHandle, hold: bool) {
    let clock = &handle.driver().clock;
    if hold {
        clock.inhibit_auto_advance();
    } else {
        clock.allow_auto_advance();
        // A loop parked on a paused clock re-evaluates whether it may
        // advance now.
        handle.driver().unpark();
    }
}

impl fmt::Debug for BlockingSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingSchedule").finish_non_exhaustive()
    }
}
