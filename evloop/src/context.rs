//! Which runtime this thread is on: the bottom layer of the runtime.
//!
//! Two thread-locals answer the questions a resource or a task asks without
//! knowing which runtime it runs on: `CONTEXT` here holds the current
//! handle; `FAST` (plain cells, no destructor, in `thread_state.rs`, a
//! layer lower) everything else. This file names the scheduler's types
//! (`scheduler::SchedulerHandle`, `scheduler::SchedulerContext`); `thread_state.rs` names
//! none, so that the task cell and `coop` can use it without importing the
//! schedulers (docs/architecture.md, "Layers").
//!
//! - **current handle**: the runtime made current by `Runtime::enter`,
//!   `block_on` or a worker thread. `spawn`, `Sleep::new`, `TcpStream::connect`
//!   find their runtime (spawner, time driver, reactor) here, through
//!   [`with_current`] and [`with_driver`], never by importing `runtime`.
//! - **scheduler context**: set while a scheduler loop runs on this thread, so
//!   a wake from inside the loop can push to the local queue instead of the
//!   shared one.
//! - **entered runtime** (`thread_state`): whether this thread is already
//!   driving a runtime, so that a nested `block_on` panics with a clear
//!   message instead of deadlocking.
//! - **current task id**, **coop budget** and **yield mark**
//!   (`thread_state::defer`) of the task being polled (`thread_state`).
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

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use crate::runtime::drivers;
use crate::runtime::scheduler;
use crate::thread_state;

struct ThreadContext {
    /// Rule 1: a stack in the form of (value, depth) restored by guards.
    current: RefCell<Option<scheduler::SchedulerHandle>>,
}

thread_local! {
    /// The one thread-local with a destructor (it holds a handle), so the
    /// one that may be gone when a thread-local destructor drops a runtime
    /// (rule 3).
    static CONTEXT: ThreadContext = const {
        ThreadContext {
            current: RefCell::new(None),
        }
    };
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
    f: impl FnOnce(&scheduler::SchedulerHandle) -> R,
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
pub(crate) fn with_driver<R>(f: impl FnOnce(&drivers::DriverHandle) -> R) -> Option<R> {
    with_current(|h| f(h.driver())).ok()
}

/// Makes `handle` the current runtime until the guard drops.
///
/// Rule 3: from a thread-local destructor that runs after `CONTEXT` is
/// gone (a runtime kept in a thread-local and dropped at thread exit), only
/// the time driver's copy is installed; `with_current` then reports the
/// destroyed thread-local.
pub(crate) fn set_current(handle: &scheduler::SchedulerHandle) -> SetCurrentGuard {
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
    prev: Option<scheduler::SchedulerHandle>,
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

/// Runs `f` with `cx` installed as this thread's scheduler context (rule 2).
pub(crate) fn set_scheduler<R>(cx: &scheduler::SchedulerContext, f: impl FnOnce() -> R) -> R {
    thread_state::set_scheduler((cx as *const scheduler::SchedulerContext).cast(), f)
}

/// Runs `f` with the scheduler context of the loop running on this thread, if any.
#[inline]
pub(crate) fn with_scheduler<R>(f: impl FnOnce(Option<&scheduler::SchedulerContext>) -> R) -> R {
    let ptr = thread_state::scheduler().cast::<scheduler::SchedulerContext>();
    // SAFETY: rule 2 — a non-null pointer was installed by `set_scheduler`
    // from a `&scheduler::SchedulerContext` whose frame is still on this thread's
    // stack, so the referent is alive; the reference does not escape `f`.
    let cx = unsafe { ptr.as_ref() };
    f(cx)
}

/// The seed of the simulation that is the current runtime, if it is one
/// (`evloop::sim`): resources that would reach the real OS check it to
/// report the leak instead of running nondeterministically.
pub(crate) fn simulation_seed() -> Option<u64> {
    with_current(|h| match h {
        scheduler::SchedulerHandle::Sim(h) => Some(h.config.seed),
        _ => None,
    })
    .ok()
    .flatten()
}
