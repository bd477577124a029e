//! Type-erased task pointer and the vtable that restores the types.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::ptr::NonNull;
use std::task::Waker;

use crate::loom::sync::atomic::Ordering::Relaxed;
use crate::runtime::task::core::{Cell, Header};
use crate::runtime::task::harness::Harness;
use crate::runtime::task::moved::Moved;
use crate::runtime::task::state::Snapshot;
use crate::runtime::task::state::{State, TransitionToNotifiedByRef, TransitionToNotifiedByVal};
use crate::runtime::task::{Id, PollOutcome, Schedule, SpawnMeta};

/// The functions that need the future's and scheduler's types.
///
/// Every entry takes the header of a cell whose vtable is this one, so it
/// may restore the concrete `Cell<T, S>`; that is the one contract common
/// to all of them (each is called through the header's own `vtable` field,
/// which keeps it). The entries' other contracts are on the functions
/// below that fill them.
pub(crate) struct Vtable {
    /// Polls the task; consumes the caller's `Notified` ref ([`poll`]).
    pub(crate) poll: unsafe fn(NonNull<Header>) -> PollOutcome,
    /// Hands a `Notified` (its ref owned by the caller) to the scheduler
    /// ([`schedule`]).
    pub(crate) schedule: unsafe fn(NonNull<Header>),
    /// Frees the cell ([`dealloc`]).
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// Reads the output into `*mut Poll<Result<T, JoinError>>` if complete,
    /// else registers the waker ([`try_read_output`]).
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// `JoinHandle::drop` when the fast path fails
    /// ([`drop_join_handle_slow`]).
    pub(crate) drop_join_handle_slow: unsafe fn(NonNull<Header>, bool),
    /// Runtime shutdown; consumes the caller's ref ([`shutdown`]).
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
    /// Offset of the trailer in the concrete cell.
    pub(crate) trailer_offset: usize,
}

struct VtableOf<T, S>(PhantomData<(T, S)>);

impl<T: Future, S: Schedule> VtableOf<T, S> {
    const VTABLE: Vtable = Vtable {
        poll: poll::<T, S>,
        schedule: schedule::<T, S>,
        dealloc: dealloc::<T, S>,
        try_read_output: try_read_output::<T, S>,
        drop_join_handle_slow: drop_join_handle_slow::<T, S>,
        shutdown: shutdown::<T, S>,
        trailer_offset: std::mem::offset_of!(Cell<T, S>, trailer),
    };
}

/// A type-erased pointer to a task cell. Copying it does not touch the ref
/// count: the owners of refs are `Task`, `Notified`, `JoinHandle`,
/// `AbortHandle` and `Waker`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

// SAFETY: the cell's shared fields are atomics or guarded by the state rules.
unsafe impl Send for RawTask {}
// SAFETY: as above.
unsafe impl Sync for RawTask {}

impl RawTask {
    #[inline]
    pub(crate) fn new<T: Future, S: Schedule>(
        future: Moved<'_, T>,
        scheduler: S,
        id: Id,
        meta: SpawnMeta<'_>,
    ) -> RawTask {
        let cell = Cell::new(future, scheduler, id, &VtableOf::<T, S>::VTABLE, meta);
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        RawTask { ptr }
    }

    /// A task pointer from a header pointer; takes no ref.
    ///
    /// # Safety
    ///
    /// `ptr` points to the header of a live task cell, and stays live as
    /// long as the `RawTask` (or a copy) is used: some ref keeps it alive.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn header_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: a `RawTask` only exists while some ref keeps the cell alive.
        unsafe { self.ptr.as_ref() }
    }

    pub(crate) fn state(&self) -> &State {
        &self.header().state
    }

    pub(crate) fn id(&self) -> Id {
        self.header().id
    }

    fn trailer(&self) -> &crate::runtime::task::core::Trailer {
        // SAFETY: the cell is alive (see `header`); the trailer's fields
        // read through this are immutable or atomic.
        unsafe { Header::get_trailer(self.ptr).as_ref() }
    }

    pub(crate) fn spawned_at(&self) -> &'static Location<'static> {
        self.trailer().meta.spawned_at()
    }

    /// [`spawned_at`](Self::spawned_at) if the task has no name.
    #[inline]
    pub(crate) fn unnamed_spawned_at(&self) -> Option<&'static Location<'static>> {
        self.trailer().meta.unnamed_spawned_at()
    }

    /// The name given with `task::Builder::name`.
    pub(crate) fn name(&self) -> Option<&str> {
        self.trailer().meta.name()
    }

    /// A read-only copy of the state word (for dumps).
    pub(crate) fn snapshot(&self) -> Snapshot {
        self.state().load()
    }

    /// When the task was last polled (`trace::clock::coarse_stamp`; 0: never).
    pub(crate) fn last_poll(&self) -> u32 {
        self.header().last_poll.load(Relaxed)
    }

    /// Stamps the start of a poll. Called by the poller only.
    #[inline]
    pub(crate) fn set_last_poll(&self, stamp: u32) {
        self.header().last_poll.store(stamp, Relaxed);
    }

    /// When the task was put in a run queue (`trace::clock` ns; 0: unknown,
    /// or the task was spawned without schedule-latency timing).
    pub(crate) fn woken_at(&self) -> u64 {
        self.trailer().meta.woken_at()
    }

    /// Stamps the moment the task is queued (schedule-latency timing).
    pub(crate) fn set_woken_at(&self, now: u64) {
        self.trailer().meta.set_woken_at(now);
    }

    /// Polls the task, consuming a `Notified` ref.
    pub(crate) fn poll(self) -> PollOutcome {
        // SAFETY: the vtable matches the cell; the caller passes its ref on.
        unsafe { (self.header().vtable.poll)(self.ptr) }
    }

    /// Schedules the task, consuming a `Notified` ref.
    pub(crate) fn schedule(self) {
        // SAFETY: as in `poll`.
        unsafe { (self.header().vtable.schedule)(self.ptr) }
    }

    pub(crate) fn dealloc(self) {
        // SAFETY: called once, when the ref count reached zero (state rule 5).
        unsafe { (self.header().vtable.dealloc)(self.ptr) }
    }

    /// Moves the output into `*dst` if the task completed, else stores
    /// `waker` as the join waker.
    ///
    /// # Safety
    ///
    /// `dst` points to a valid, writable `Poll<Result<T::Output, JoinError>>`
    /// of the task's output type `T::Output`; the caller holds the
    /// `JoinHandle` (state rule 6: only it reads the output).
    pub(crate) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: caller's contract on `dst`; the vtable matches the cell.
        unsafe { (self.header().vtable.try_read_output)(self.ptr, dst, waker) }
    }

    /// `output_taken`: the JoinHandle read the output (state rule 6).
    pub(crate) fn drop_join_handle_slow(self, output_taken: bool) {
        // SAFETY: the vtable matches the cell; called once by the JoinHandle.
        unsafe { (self.header().vtable.drop_join_handle_slow)(self.ptr, output_taken) }
    }

    /// Cancels the task for runtime shutdown, consuming a ref.
    pub(crate) fn shutdown(self) {
        // SAFETY: the vtable matches the cell.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
    }

    pub(crate) fn ref_inc(self) {
        self.state().ref_inc();
    }

    pub(crate) fn drop_reference(self) {
        if self.state().ref_dec() {
            self.dealloc();
        }
    }

    /// Wakes the task, consuming a waker's ref.
    pub(crate) fn wake_by_val(self) {
        match self.state().transition_to_notified_by_val() {
            TransitionToNotifiedByVal::Submit => self.schedule(),
            TransitionToNotifiedByVal::Dealloc => self.dealloc(),
            TransitionToNotifiedByVal::DoNothing => {}
        }
    }

    /// Wakes the task without consuming a ref.
    pub(crate) fn wake_by_ref(self) {
        match self.state().transition_to_notified_by_ref() {
            TransitionToNotifiedByRef::Submit => self.schedule(),
            TransitionToNotifiedByRef::DoNothing => {}
        }
    }

    /// `abort` from any thread.
    pub(crate) fn remote_abort(self) {
        if self.state().transition_to_notified_and_cancel() {
            // A ref was taken for the new `Notified`; the scheduler polls it,
            // sees CANCELLED and drops the future on its own thread.
            self.schedule();
        }
    }
}

/// `Vtable::poll` for `Cell<T, S>`.
///
/// # Safety
///
/// `ptr` is the header of a live `Cell<T, S>`, and the caller owns a
/// `Notified` ref to it, which passes to the poll.
unsafe fn poll<T: Future, S: Schedule>(ptr: NonNull<Header>) -> PollOutcome {
    // SAFETY: the vtable was built for `Cell<T, S>`.
    unsafe { Harness::<T, S>::from_raw(ptr).poll() }
}

/// `Vtable::schedule` for `Cell<T, S>`.
///
/// # Safety
///
/// `ptr` is the header of a live `Cell<T, S>`, and the caller owns a ref
/// taken for a `Notified` (state rule 4), which passes to the scheduler.
unsafe fn schedule<T: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable was built for `Cell<T, S>`; the caller's ref
    // becomes the `Notified`'s.
    unsafe { Harness::<T, S>::from_raw(ptr).schedule() }
}

/// `Vtable::dealloc` for `Cell<T, S>`.
///
/// # Safety
///
/// `ptr` is the header of a `Cell<T, S>` whose ref count just reached zero
/// (state rule 5); called once, nothing touches the cell afterwards.
unsafe fn dealloc<T: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable was built for `Cell<T, S>`; this is the last ref.
    unsafe { Harness::<T, S>::from_raw(ptr).dealloc() }
}

/// `Vtable::try_read_output` for `Cell<T, S>`.
///
/// # Safety
///
/// `ptr` is the header of a live `Cell<T, S>` whose `JoinHandle` the caller
/// holds; `dst` points to a valid, writable
/// `Poll<Result<T::Output, JoinError>>`.
unsafe fn try_read_output<T: Future, S: Schedule>(
    ptr: NonNull<Header>,
    dst: *mut (),
    waker: &Waker,
) {
    // SAFETY: the vtable was built for `Cell<T, S>`; `dst`'s type is the
    // caller's contract (`RawTask::try_read_output`).
    unsafe {
        let out = &mut *(dst as *mut std::task::Poll<crate::runtime::task::Result<T::Output>>);
        Harness::<T, S>::from_raw(ptr).try_read_output(out, waker);
    }
}

/// `Vtable::drop_join_handle_slow` for `Cell<T, S>`.
///
/// # Safety
///
/// `ptr` is the header of a live `Cell<T, S>`; called once, by the dropping
/// `JoinHandle`, whose ref it consumes.
unsafe fn drop_join_handle_slow<T: Future, S: Schedule>(ptr: NonNull<Header>, output_taken: bool) {
    // SAFETY: the vtable was built for `Cell<T, S>`.
    unsafe { Harness::<T, S>::from_raw(ptr).drop_join_handle_slow(output_taken) }
}

/// `Vtable::shutdown` for `Cell<T, S>`.
///
/// # Safety
///
/// `ptr` is the header of a live `Cell<T, S>`, and the caller owns a ref to
/// it (the owned list's), which the shutdown consumes.
unsafe fn shutdown<T: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable was built for `Cell<T, S>`.
    unsafe { Harness::<T, S>::from_raw(ptr).shutdown() }
}
