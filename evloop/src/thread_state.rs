//! Per-thread state read on every task poll and every wake: the task being
//! polled (its id, coop budget and yield mark), whether the thread drives a
//! runtime, and the scheduler-context pointer.
//!
//! The lower half of the thread context (`context.rs` is the upper): it
//! names no scheduler type, so the task cell (`runtime/task/`), `coop` and
//! `sync` use it without importing the schedulers. The scheduler-context
//! pointer is stored type-erased; `context::set_scheduler` and
//! `context::with_scheduler` give it its type (`context.rs`, rule 2).
//!
//! # Rules
//!
//! The rules of `context.rs` hold here: every setter returns a guard, or
//! runs a closure, that restores the previous value (rule 1), and `FAST`
//! has no destructor, so it is never destroyed (rule 3).

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use crate::runtime::task::Id;

/// Units of work a task may do in one poll before it is forced to yield
/// (`coop.rs`).
pub(crate) const INITIAL_BUDGET: u8 = 128;

/// The coop budget of the task being polled: `None` is unconstrained.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget(pub(crate) Option<u8>);

impl Budget {
    pub(crate) const fn initial() -> Budget {
        Budget(Some(INITIAL_BUDGET))
    }

    pub(crate) const fn unconstrained() -> Budget {
        Budget(None)
    }
}

/// What every task poll and every wake reads or writes. Kept apart from
/// `CONTEXT` and free of destructors, so that an access is a plain
/// thread-relative load or store: no lazy registration, no "already
/// destroyed" check (rule 3 holds trivially: it is never destroyed).
struct Fast {
    /// Rule 2.
    /// Type-erased `*const scheduler::SchedulerContext` (`context.rs`).
    scheduler: Cell<*const ()>,
    /// Whether this thread drives a runtime. Here rather than in `CONTEXT`
    /// so that `block_on` works, and nested calls are still caught, from a
    /// thread-local destructor (rule 3).
    runtime: Cell<EnterRuntime>,
    current_task_id: Cell<Option<Id>>,
    budget: Cell<Budget>,
    /// Set by [`defer`] during a poll: the task yielded and must run again
    /// only after the next driver poll.
    yielded: Cell<bool>,
}

thread_local! {
    static FAST: Fast = const {
        Fast {
            scheduler: Cell::new(std::ptr::null()),
            runtime: Cell::new(EnterRuntime::NotEntered),
            current_task_id: Cell::new(None),
            budget: Cell::new(Budget::unconstrained()),
            yielded: Cell::new(false),
        }
    };
}

/// Whether this thread is driving a runtime (inside `block_on` or a worker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EnterRuntime {
    /// Driving a runtime; `allow_block_in_place` is true on multi-thread workers.
    Entered {
        allow_block_in_place: bool,
    },
    NotEntered,
}

/// Marks this thread as driving a runtime; panics if it already is.
#[track_caller]
pub(crate) fn enter_runtime(allow_block_in_place: bool) -> EnterRuntimeGuard {
    match try_enter_runtime(allow_block_in_place) {
        Some(guard) => guard,
        None => panic!(
            "cannot start a runtime from within a runtime: `block_on` was called on a thread \
             that is already driving asynchronous tasks. Use `.await` instead, or move the \
             blocking call to `task::spawn_blocking`"
        ),
    }
}

/// Like [`enter_runtime`], but returns `None` instead of panicking.
pub(crate) fn try_enter_runtime(allow_block_in_place: bool) -> Option<EnterRuntimeGuard> {
    FAST.with(|fast| {
        if fast.runtime.get() != EnterRuntime::NotEntered {
            return None;
        }
        fast.runtime.set(EnterRuntime::Entered {
            allow_block_in_place,
        });
        Some(EnterRuntimeGuard {
            _not_send: PhantomData,
        })
    })
}

/// Whether this thread is driving a runtime.
#[allow(dead_code)] // used by blocking primitives
pub(crate) fn runtime_entered() -> EnterRuntime {
    FAST.with(|fast| fast.runtime.get())
}

/// Temporarily marks the thread as not driving a runtime (used while a worker
/// blocks in place, or to run a blocking section), restoring on drop.
#[allow(dead_code)] // used by block_in_place
pub(crate) fn exit_runtime<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(EnterRuntime);
    impl Drop for Reset {
        fn drop(&mut self) {
            FAST.with(|fast| fast.runtime.set(self.0));
        }
    }
    let was = FAST.with(|fast| fast.runtime.replace(EnterRuntime::NotEntered));
    let _reset = Reset(was);
    f()
}

pub(crate) struct EnterRuntimeGuard {
    _not_send: PhantomData<*const ()>,
}

impl Drop for EnterRuntimeGuard {
    fn drop(&mut self) {
        FAST.with(|fast| fast.runtime.set(EnterRuntime::NotEntered));
    }
}

impl fmt::Debug for EnterRuntimeGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterRuntimeGuard").finish()
    }
}

/// Runs `f` with `cx` (a type-erased `&scheduler::SchedulerContext`) installed as
/// this thread's scheduler context; `context::set_scheduler` is the typed
/// entry.
pub(crate) fn set_scheduler<R>(cx: *const (), f: impl FnOnce() -> R) -> R {
    struct Reset(*const ());
    impl Drop for Reset {
        fn drop(&mut self) {
            FAST.with(|fast| fast.scheduler.set(self.0));
        }
    }
    let prev = FAST.with(|fast| fast.scheduler.replace(cx));
    let _reset = Reset(prev);
    f()
}

/// The installed scheduler context (type-erased; null if none).
#[inline]
pub(crate) fn scheduler() -> *const () {
    FAST.with(|fast| fast.scheduler.get())
}

/// Sets the id of the task being polled until the guard drops.
#[inline]
pub(crate) fn set_current_task_id(id: Option<Id>) -> TaskIdGuard {
    let prev = FAST.with(|fast| fast.current_task_id.replace(id));
    TaskIdGuard { prev }
}

pub(crate) struct TaskIdGuard {
    prev: Option<Id>,
}

impl Drop for TaskIdGuard {
    #[inline]
    fn drop(&mut self) {
        FAST.with(|fast| fast.current_task_id.set(self.prev));
    }
}

/// Enters a task poll: sets the task id and a fresh coop budget, and clears
/// the yield mark ([`defer`]), until the guard drops, then restores all
/// three (one thread-local access each way).
#[inline]
pub(crate) fn enter_task(id: Id, budget: Budget) -> TaskGuard {
    FAST.with(|fast| TaskGuard {
        prev_id: fast.current_task_id.replace(Some(id)),
        prev_budget: fast.budget.replace(budget),
        prev_yielded: fast.yielded.replace(false),
    })
}

pub(crate) struct TaskGuard {
    prev_id: Option<Id>,
    prev_budget: Budget,
    prev_yielded: bool,
}

impl TaskGuard {
    /// Whether the task called [`defer`] during this poll.
    #[inline]
    pub(crate) fn yielded(&self) -> bool {
        FAST.with(|fast| fast.yielded.get())
    }
}

impl Drop for TaskGuard {
    #[inline]
    fn drop(&mut self) {
        FAST.with(|fast| {
            fast.current_task_id.set(self.prev_id);
            fast.budget.set(self.prev_budget);
            fast.yielded.set(self.prev_yielded);
        });
    }
}

/// Wakes `waker` as a yield: the task being polled gives up its turn
/// (`yield_now`, a spent coop budget) and its scheduler queues it behind
/// the next poll of the driver, so that a task that yields in a loop never
/// keeps ready I/O and timers waiting. The mark is read by whoever polls
/// the task (the task harness, a `block_on` loop); anywhere else the wake
/// is an ordinary one.
#[inline]
pub(crate) fn defer(waker: &std::task::Waker) {
    FAST.with(|fast| fast.yielded.set(true));
    waker.wake_by_ref();
}

/// Runs `f` (a poll) with the yield mark cleared; returns its result and
/// whether it called [`defer`]. Restores the mark as it was.
#[inline]
pub(crate) fn poll_yielded<R>(f: impl FnOnce() -> R) -> (R, bool) {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            FAST.with(|fast| fast.yielded.set(self.0));
        }
    }
    let _reset = Reset(FAST.with(|fast| fast.yielded.replace(false)));
    let out = f();
    (out, FAST.with(|fast| fast.yielded.get()))
}

/// The id of the task being polled on this thread.
#[inline]
pub(crate) fn current_task_id() -> Option<Id> {
    FAST.with(|fast| fast.current_task_id.get())
}

/// Runs `f` with the coop budget of the task being polled (always `Some`:
/// the cell is never destroyed).
#[inline]
pub(crate) fn budget<R>(f: impl FnOnce(&Cell<Budget>) -> R) -> Option<R> {
    Some(FAST.with(|fast| f(&fast.budget)))
}
