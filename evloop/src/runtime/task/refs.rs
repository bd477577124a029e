//! Owned references to a task, as schedulers see them.
//!
//! - [`Task`]: the owned list's reference (one per live task).
//! - [`Notified`]: a task that was woken and waits in a run queue (at most
//!   one per task, state rule 4). Running it consumes it.
//! - [`Schedule`]: what a scheduler provides to its tasks.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::ptr::NonNull;

use crate::runtime::task::core::Header;
use crate::runtime::task::moved::Moved;
use crate::runtime::task::raw::RawTask;
use crate::runtime::task::{Id, JoinHandle, PollOutcome, SpawnMeta};

/// The scheduler side of a task.
pub(crate) trait Schedule: Sync + Sized + 'static {
    /// The task completed: remove it from the owned list and return the
    /// list's reference, or `None` if it was not there (already removed by
    /// shutdown).
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>>;

    /// Puts a woken task in a run queue.
    fn schedule(&self, task: Notified<Self>);

    /// A task woken while it was running: queue it behind the others.
    fn yield_now(&self, task: Notified<Self>) {
        self.schedule(task);
    }

    /// A task that yielded (`thread_state::defer`) during its poll: queue it
    /// to run after the scheduler's next poll of its driver. Schedulers
    /// without a driver queue it like [`Schedule::yield_now`].
    fn defer(&self, task: Notified<Self>) {
        self.yield_now(task);
    }
}

/// The owned list's reference to a task.
#[repr(transparent)]
pub(crate) struct Task<S: 'static> {
    raw: RawTask,
    _p: PhantomData<S>,
}

// SAFETY: the cell's shared state is synchronized by its state word; the
// scheduler only polls a task on a thread allowed to (LocalSet tasks never
// leave their thread because only the LocalSet polls them).
unsafe impl<S> Send for Task<S> {}
// SAFETY: as above.
unsafe impl<S> Sync for Task<S> {}

/// A woken task, waiting to be polled.
#[repr(transparent)]
pub(crate) struct Notified<S: 'static>(Task<S>);

impl<S: 'static> Task<S> {
    /// # Safety
    ///
    /// `ptr` is the header of a live task whose scheduler type is `S`, and
    /// the caller passes one ref on to the new `Task`.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Task<S> {
        Task {
            // SAFETY: caller's contract.
            raw: unsafe { RawTask::from_raw(ptr) },
            _p: PhantomData,
        }
    }

    pub(crate) fn header_ptr(&self) -> NonNull<Header> {
        self.raw.header_ptr()
    }

    pub(crate) fn id(&self) -> Id {
        self.raw.id()
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }

    #[allow(dead_code)] // for schedulers' diagnostics
    pub(crate) fn spawned_at(&self) -> &'static Location<'static> {
        self.raw.spawned_at()
    }

    /// Runtime shutdown: cancel the task and drop this reference.
    pub(crate) fn shutdown(self) {
        let raw = self.raw;
        std::mem::forget(self);
        raw.shutdown();
    }

    /// Gives up ownership of the reference without dropping it.
    pub(crate) fn into_raw(self) -> NonNull<Header> {
        let ptr = self.raw.header_ptr();
        std::mem::forget(self);
        ptr
    }
}

impl<S: 'static> Notified<S> {
    /// # Safety
    ///
    /// As [`Task::from_raw`]; the task's NOTIFIED bit is set and the ref is
    /// the `Notified` one.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Notified<S> {
        // SAFETY: caller's contract.
        Notified(unsafe { Task::from_raw(ptr) })
    }

    #[allow(dead_code)] // used by intrusive run queues
    pub(crate) fn into_raw(self) -> NonNull<Header> {
        self.0.into_raw()
    }

    pub(crate) fn id(&self) -> Id {
        self.0.id()
    }

    #[allow(dead_code)] // used by intrusive run queues
    pub(crate) fn header_ptr(&self) -> NonNull<Header> {
        self.0.header_ptr()
    }

    /// The task behind this `Notified` (for stamps taken before a poll).
    pub(crate) fn raw(&self) -> RawTask {
        self.0.raw
    }

    /// Polls the task once; says what the poll came to.
    pub(crate) fn run(self) -> PollOutcome {
        let raw = self.0.raw;
        std::mem::forget(self);
        raw.poll()
    }
}

impl<S: 'static> Drop for Task<S> {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl<S: 'static> fmt::Debug for Task<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Task({})", self.id())
    }
}

impl<S: 'static> fmt::Debug for Notified<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Notified({})", self.id())
    }
}

/// Allocates a task: returns the list's ref, the first `Notified` and the
/// `JoinHandle` (the three refs of the initial state).
#[inline]
pub(crate) fn new_task<T, S>(
    future: Moved<'_, T>,
    scheduler: S,
    id: Id,
    meta: SpawnMeta<'_>,
) -> (Task<S>, Notified<S>, JoinHandle<T::Output>)
where
    T: Future + 'static,
    S: Schedule,
{
    let raw = RawTask::new::<T, S>(future, scheduler, id, meta);
    let ptr = raw.header_ptr();
    // SAFETY: the new cell's state holds exactly these three refs.
    unsafe {
        (
            Task::from_raw(ptr),
            Notified::from_raw(ptr),
            JoinHandle::new(raw),
        )
    }
}
