//! What happens to a task: poll, complete, cancel, read the output, free.
//!
//! Every function here follows the rules of `state.rs`; comments cite them.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use crate::runtime::task::core::{Cell, Header, TaskCore, Trailer};
use crate::runtime::task::error::JoinError;
use crate::runtime::task::state::{Snapshot, TransitionToIdle, TransitionToRunning};
use crate::runtime::task::waker::waker_ref;
use crate::runtime::task::{Id, Notified, Schedule, Task};
use crate::thread_state;

pub(crate) struct Harness<T: Future, S: 'static> {
    cell: NonNull<Cell<T, S>>,
}

enum PollFuture {
    Complete(PollOutcome),
    /// Woken during the poll; `yielded`: by the task's own yield
    /// (`thread_state::defer`).
    Notified {
        yielded: bool,
    },
    Done,
    Dealloc,
}

/// What one `poll` of a task came to; returned to the scheduler so that
/// traces and metrics can tell the end of a poll apart without touching the
/// task again (it may be freed by then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum PollOutcome {
    /// The future returned `Pending` and waits for a wake.
    Pending = 0,
    /// Woken during its own poll (for example `yield_now`): queued again.
    Rescheduled = 1,
    /// The future returned `Ready`.
    Complete = 2,
    /// The future panicked; the panic is in the `JoinError`.
    Panicked = 3,
    /// The task was aborted: its future was dropped instead of polled.
    Cancelled = 4,
    /// Nothing ran: the task was already running elsewhere or complete.
    Skipped = 5,
}

impl<T: Future, S: Schedule> Harness<T, S> {
    /// # Safety
    ///
    /// `ptr` is the header of a live `Cell<T, S>`.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Harness<T, S> {
        Harness { cell: ptr.cast() }
    }

    fn header_ptr(&self) -> NonNull<Header> {
        self.cell.cast()
    }

    fn header(&self) -> &Header {
        // SAFETY: the cell is alive while the harness is used (`from_raw`).
        unsafe { &self.cell.as_ref().header }
    }

    fn core(&self) -> &TaskCore<T, S> {
        // SAFETY: as in `header`.
        unsafe { &self.cell.as_ref().core }
    }

    fn trailer(&self) -> &Trailer {
        // SAFETY: as in `header`.
        unsafe { &self.cell.as_ref().trailer }
    }

    fn id(&self) -> Id {
        self.header().id
    }

    /// Hands the caller's ref to the scheduler as a `Notified`.
    pub(crate) fn schedule(self) {
        // SAFETY: the caller owns a ref, which the `Notified` takes over.
        let notified = unsafe { Notified::from_raw(self.header_ptr()) };
        self.core().scheduler.schedule(notified);
    }

    /// Polls the future once, consuming the `Notified` ref of the caller.
    pub(crate) fn poll(self) -> PollOutcome {
        match self.poll_inner() {
            PollFuture::Notified { yielded } => {
                // Woken during the poll: our ref becomes the new
                // `Notified`'s (state rule 4). `yield_now` puts it behind
                // the other ready tasks, `defer` also behind the driver.
                // SAFETY: we own the ref (see above).
                let notified = unsafe { Notified::from_raw(self.header_ptr()) };
                if yielded {
                    self.core().scheduler.defer(notified);
                } else {
                    self.core().scheduler.yield_now(notified);
                }
                PollOutcome::Rescheduled
            }
            PollFuture::Complete(outcome) => {
                self.complete();
                outcome
            }
            PollFuture::Dealloc => {
                self.dealloc();
                PollOutcome::Skipped
            }
            PollFuture::Done => PollOutcome::Pending,
        }
    }

    fn poll_inner(&self) -> PollFuture {
        match self.header().state.transition_to_running() {
            TransitionToRunning::Success => {
                let header = self.header_ptr();
                let waker = waker_ref(&header);
                let mut cx = Context::from_waker(&waker);
                let mut yielded = false;
                if let Poll::Ready(outcome) =
                    poll_future(self.core(), self.id(), &mut cx, &mut yielded)
                {
                    return PollFuture::Complete(outcome);
                }
                match self.header().state.transition_to_idle() {
                    TransitionToIdle::Ok => PollFuture::Done,
                    TransitionToIdle::OkNotified => PollFuture::Notified { yielded },
                    TransitionToIdle::OkDealloc => PollFuture::Dealloc,
                    TransitionToIdle::Cancelled => {
                        // We still hold the stage lock (rule 1).
                        cancel_task(self.core(), self.id());
                        PollFuture::Complete(PollOutcome::Cancelled)
                    }
                }
            }
            TransitionToRunning::Cancelled => {
                cancel_task(self.core(), self.id());
                PollFuture::Complete(PollOutcome::Cancelled)
            }
            // Not ours to poll: only our ref went away.
            TransitionToRunning::Failed => PollFuture::Done,
            TransitionToRunning::Dealloc => PollFuture::Dealloc,
        }
    }

    /// Runtime shutdown: cancels the future if no one else is polling it;
    /// consumes the caller's ref.
    pub(crate) fn shutdown(self) {
        if !self.header().state.transition_to_shutdown() {
            // Running elsewhere (it will see CANCELLED) or already complete.
            self.drop_reference();
            return;
        }
        cancel_task(self.core(), self.id());
        self.complete();
    }

    /// After the stage holds the output: publish completion, notify the
    /// JoinHandle, leave the owned list, drop refs.
    fn complete(self) {
        let snapshot = self.header().state.transition_to_complete();
        // A panic in an output's destructor or a join waker must not
        // unwind into the scheduler.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            if !snapshot.is_join_interested() {
                // Rule 2: no JoinHandle, the output is ours to drop.
                let _id = thread_state::set_current_task_id(Some(self.id()));
                // SAFETY: rule 2 — nobody else can read the stage now; the
                // output was just stored (rule 6).
                unsafe { self.core().drop_output() };
            } else if snapshot.is_join_waker_set() {
                // SAFETY: rule 3 — after COMPLETE with JOIN_WAKER set the
                // task side may read the slot.
                unsafe { self.trailer().wake_join() };
                let after = self.header().state.unset_waker_after_complete();
                if !after.is_join_interested() {
                    // SAFETY: rule 3 — JOIN_WAKER is unset and the JoinHandle
                    // is gone, so the slot is no one else's.
                    unsafe { self.trailer().set_waker(None) };
                }
            }
        }));

        // Leave the owned list; the list's ref comes back to us.
        let me = std::mem::ManuallyDrop::new(
            // SAFETY: a borrowed view of our own ref, never dropped.
            unsafe { Task::<S>::from_raw(self.header_ptr()) },
        );
        let released = self.core().scheduler.release(&me);
        let count = match released {
            Some(task) => {
                std::mem::forget(task);
                2
            }
            None => 1,
        };
        if self.header().state.transition_to_terminal(count) {
            self.dealloc();
        }
    }

    pub(crate) fn try_read_output(
        self,
        dst: &mut Poll<crate::runtime::task::Result<T::Output>>,
        waker: &Waker,
    ) {
        if can_read_output(self.header(), self.trailer(), waker) {
            // SAFETY: rule 2 — complete with JOIN_INTEREST set, and we are
            // the JoinHandle, which has not taken the output yet (rule 6:
            // it does not call this again once it has).
            *dst = Poll::Ready(unsafe { self.core().take_output() });
        }
    }

    /// `output_taken`: the `JoinHandle` read the output (rule 6).
    pub(crate) fn drop_join_handle_slow(self, output_taken: bool) {
        let snapshot = self.header().state.drop_join_handle();
        if snapshot.is_complete() && !output_taken {
            // Rule 2: JOIN_INTEREST was set at completion, so the output is
            // ours; drop it without unwinding into the caller's drop.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                let _id = thread_state::set_current_task_id(Some(self.id()));
                // SAFETY: rule 2; not taken, so still there (rule 6).
                unsafe { self.core().drop_output() };
            }));
        }
        if !snapshot.is_join_waker_set() {
            // SAFETY: rule 3 — JOIN_WAKER is unset, the slot is ours.
            unsafe { self.trailer().set_waker(None) };
        }
        self.drop_reference();
    }

    fn drop_reference(self) {
        if self.header().state.ref_dec() {
            self.dealloc();
        }
    }

    pub(crate) fn dealloc(self) {
        if !self.header().state.load().is_complete() {
            // Rule 6: never completed, so the future is still there.
            // SAFETY: the ref count is zero (rule 5): nobody else can reach
            // the cell.
            unsafe { self.core().drop_future() };
        }
        // SAFETY: as above; it was allocated as a `Box<Cell<T, S>>`, and
        // the stage's drop does nothing (its fields are `ManuallyDrop`).
        drop(unsafe { Box::from_raw(self.cell.as_ptr()) });
    }
}

/// Polls with panics caught; stores the output when ready. On `Pending`,
/// `yielded` says whether the task yielded (`thread_state::defer`).
fn poll_future<T: Future, S>(
    core: &TaskCore<T, S>,
    id: Id,
    cx: &mut Context<'_>,
    yielded: &mut bool,
) -> Poll<PollOutcome> {
    // The id (for `task::id()`, also in the future's destructor), a fresh
    // coop budget (coop rule 1) and a clear yield mark, restored when this
    // returns.
    let task = thread_state::enter_task(id, thread_state::Budget::initial());
    let res = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller holds the stage lock and the stage is Running.
        unsafe { core.poll(cx) }
    }));
    let output = match res {
        Ok(Poll::Pending) => {
            *yielded = task.yielded();
            return Poll::Pending;
        }
        Ok(Poll::Ready(output)) => Ok(output),
        Err(panic) => Err(JoinError::panic(id, panic)),
    };
    // Drop the future first: its destructor may panic too.
    let output = match drop_future(core) {
        Ok(()) => output,
        Err(panic) => Err(JoinError::panic(id, panic)),
    };
    let outcome = match output {
        Ok(_) => PollOutcome::Complete,
        Err(_) => PollOutcome::Panicked,
    };
    // SAFETY: stage lock held (rule 1); `drop_future` emptied the stage.
    unsafe { core.store_output(output) };
    Poll::Ready(outcome)
}

/// Drops the future (stage lock held) and stores the cancellation error.
fn cancel_task<T: Future, S>(core: &TaskCore<T, S>, id: Id) {
    let _id = thread_state::set_current_task_id(Some(id));
    let err = match drop_future(core) {
        Ok(()) => JoinError::cancelled(id),
        Err(panic) => JoinError::panic(id, panic),
    };
    // SAFETY: stage lock held (rule 1); `drop_future` emptied the stage.
    unsafe { core.store_output(Err(err)) };
}

/// Drops the future in place. If its destructor panics, the future counts
/// as dropped all the same (its fields were dropped as far as they go).
fn drop_future<T: Future, S>(core: &TaskCore<T, S>) -> std::thread::Result<()> {
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the callers hold the stage lock (rule 1) and the task is
        // not complete, so the stage holds the future (rule 6).
        unsafe { core.drop_future() }
    }))
}

fn can_read_output(header: &Header, trailer: &Trailer, waker: &Waker) -> bool {
    let snapshot = header.state.load();
    debug_assert!(snapshot.is_join_interested());
    if snapshot.is_complete() {
        return true;
    }
    let res = if snapshot.is_join_waker_set() {
        // SAFETY: rule 3 — while JOIN_WAKER is set the JoinHandle may read.
        if unsafe { trailer.will_wake(waker) } {
            return false;
        }
        header
            .state
            .unset_join_waker()
            .and_then(|_| set_join_waker(header, trailer, waker.clone()))
    } else {
        set_join_waker(header, trailer, waker.clone())
    };
    match res {
        Ok(_) => false,
        Err(snapshot) => {
            assert!(snapshot.is_complete());
            true
        }
    }
}

fn set_join_waker(header: &Header, trailer: &Trailer, waker: Waker) -> Result<Snapshot, Snapshot> {
    // SAFETY: rule 3 — JOIN_WAKER is unset here, the slot is the JoinHandle's.
    unsafe { trailer.set_waker(Some(waker)) };
    let res = header.state.set_join_waker();
    if res.is_err() {
        // SAFETY: still unset, still ours.
        unsafe { trailer.set_waker(None) };
    }
    res
}
