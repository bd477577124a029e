//! Which runtime this thread is on: the bottom layer of the runtime.
//!
//! Two thread-locals answer the questions a resource or a task asks without
//! knowing which runtime it runs on: `CONTEXT` holds the current handle,
//! `FAST` (plain cells, no destructor) everything else:
//!
//! - **current handle**: the runtime made current by `Runtime::enter`,
//!   `block_on` or a worker thread. `spawn`, `Sleep::new`, `TcpStream::connect`
//!   find their runtime (spawner, time driver, reactor) here, through
//!   [`with_current`] and [`with_driver`], never by importing `runtime`.
//! - **scheduler context**: set while a scheduler loop runs on this thread, so
//!   a wake from inside the loop can push to the local queue instead of the
//!   shared one.
//! - **entered runtime**: whether this thread is already driving a runtime, so
//!   that a nested `block_on` panics with a clear message instead of
//!   deadlocking.
//! - **current task id**, **coop budget** and **yield mark** ([`defer`]) of
//!   the task being polled.
//!
//! # Rules
//!
//! 1. Every setter returns a guard that restores the previous value on drop;
//!    guards are dropped in reverse order (they are scoped).
//! 2. The scheduler context pointer is only valid while the scheduler's
//!    `set_scheduler` call is on the stack; it is never handed out beyond the
//!    closure given to [`with_scheduler`].
//! 3. During thread-local destruction every accessor degrades gracefully:
//!    "no runtime" rather than a panic. A runtime or a resource kept in a
//!    user's thread-local is dropped at thread exit, possibly after
//!    `CONTEXT` (the only one of these with a destructor) is gone, and a
//!    panic there aborts the process. So `CONTEXT` is only ever reached
//!    through `try_with`, and everything else lives in `FAST`, which has
//!    no destructor and is never destroyed.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;

use crate::coop::Budget;
use crate::runtime::driver;
use crate::runtime::scheduler;
use crate::runtime::task::Id;

struct Context {
    /// Rule 1: a stack in the form of (value, depth) restored by guards.
    current: RefCell<Option<scheduler::Handle>>,
}

thread_local! {
    /// The one thread-local with a destructor (it holds a handle), so the
    /// one that may be gone when a thread-local destructor drops a runtime
    /// (rule 3).
    static CONTEXT: Context = const {
        Context {
            current: RefCell::new(None),
        }
    };
}

/// What every task poll and every wake reads or writes. Kept apart from
/// `CONTEXT` and free of destructors, so that an access is a plain
/// thread-relative load or store: no lazy registration, no "already
/// destroyed" check (rule 3 holds trivially: it is never destroyed).
struct Fast {
    /// Rule 2.
    scheduler: Cell<*const scheduler::Context>,
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

/// Error returned by `Handle::try_current` when no runtime is current.
pub struct TryCurrentError {
    kind: TryCurrentErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TryCurrentErrorKind {
    NoContext,
    ThreadLocalDestroyed,
}

impl TryCurrentError {
    /// True if no runtime was current on this thread.
    pub fn is_missing_context(&self) -> bool {
        self.kind == TryCurrentErrorKind::NoContext
    }

    /// True if the thread-local holding the runtime was already destroyed
    /// (the call came from a thread-local destructor).
    pub fn is_thread_local_destroyed(&self) -> bool {
        self.kind == TryCurrentErrorKind::ThreadLocalDestroyed
    }
}

impl fmt::Debug for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryCurrentError")
            .field("kind", &self.kind)
            .finish()
    }
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TryCurrentErrorKind::NoContext => f.write_str(
                "there is no evloop runtime on this thread: this must be called from a task, \
                 from inside `block_on`, or after `Runtime::enter`",
            ),
            TryCurrentErrorKind::ThreadLocalDestroyed => f.write_str(
                "the evloop runtime context was already destroyed (called from a \
                 thread-local destructor)",
            ),
        }
    }
}

impl std::error::Error for TryCurrentError {}

/// Runs `f` with the current runtime's handle.
#[inline]
pub(crate) fn with_current<R>(
    f: impl FnOnce(&scheduler::Handle) -> R,
) -> Result<R, TryCurrentError> {
    match CONTEXT.try_with(|ctx| ctx.current.borrow().as_ref().map(f)) {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(TryCurrentError {
            kind: TryCurrentErrorKind::NoContext,
        }),
        Err(_) => Err(TryCurrentError {
            kind: TryCurrentErrorKind::ThreadLocalDestroyed,
        }),
    }
}

/// Runs `f` with the current runtime's driver handle (time, I/O, clock);
/// `None` outside a runtime.
#[allow(dead_code)] // used by the drivers' resources
pub(crate) fn with_driver<R>(f: impl FnOnce(&driver::Handle) -> R) -> Option<R> {
    with_current(|h| f(h.driver())).ok()
}

/// Makes `handle` the current runtime until the guard drops.
///
/// Rule 3: from a thread-local destructor that runs after `CONTEXT` is
/// gone (a runtime kept in a thread-local and dropped at thread exit), only
/// the time driver's copy is installed; `with_current` then reports the
/// destroyed thread-local.
pub(crate) fn set_current(handle: &scheduler::Handle) -> SetCurrentGuard {
    let prev = CONTEXT
        .try_with(|ctx| ctx.current.replace(Some(handle.clone())))
        .ok()
        .flatten();
    SetCurrentGuard {
        prev,
        _time: crate::time::set_current(handle.driver().time.as_ref()),
        _not_send: PhantomData,
    }
}

/// Restores the previously current runtime (rule 1).
pub(crate) struct SetCurrentGuard {
    prev: Option<scheduler::Handle>,
    /// The time driver's copy of the current runtime (its timers find
    /// their driver without borrowing `CONTEXT`).
    _time: crate::time::CurrentGuard,
    _not_send: PhantomData<*const ()>,
}

impl Drop for SetCurrentGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        // Rule 3: ignore a destroyed thread-local.
        let _ = CONTEXT.try_with(|ctx| {
            let replaced = ctx.current.replace(prev);
            drop(replaced);
        });
    }
}

impl fmt::Debug for SetCurrentGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetCurrentGuard").finish_non_exhaustive()
    }
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

/// Runs `f` with `cx` installed as this thread's scheduler context (rule 2).
pub(crate) fn set_scheduler<R>(cx: &scheduler::Context, f: impl FnOnce() -> R) -> R {
    struct Reset(*const scheduler::Context);
    impl Drop for Reset {
        fn drop(&mut self) {
            FAST.with(|fast| fast.scheduler.set(self.0));
        }
    }
    let prev = FAST.with(|fast| fast.scheduler.replace(cx as *const _));
    let _reset = Reset(prev);
    f()
}

/// Runs `f` with the scheduler context of the loop running on this thread, if any.
#[inline]
pub(crate) fn with_scheduler<R>(f: impl FnOnce(Option<&scheduler::Context>) -> R) -> R {
    let ptr = FAST.with(|fast| fast.scheduler.get());
    // SAFETY: rule 2 — a non-null pointer was installed by `set_scheduler`,
    // whose frame is still on this thread's stack, so the referent is alive;
    // the reference does not escape `f`.
    let cx = unsafe { ptr.as_ref() };
    f(cx)
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
