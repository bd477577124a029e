//! The task's `Waker`: a pointer to the header; clone and drop are one
//! atomic operation on the ref count. One vtable serves every task, so
//! `Waker::will_wake` compares tasks by address.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::runtime::task::core::Header;
use crate::runtime::task::raw::RawTask;

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_waker, wake_by_val, wake_by_ref, drop_waker);

/// A waker borrowed from a header without taking a ref.
pub(crate) struct WakerRef<'a> {
    waker: ManuallyDrop<Waker>,
    _p: PhantomData<&'a Header>,
}

impl Deref for WakerRef<'_> {
    type Target = Waker;

    fn deref(&self) -> &Waker {
        &self.waker
    }
}

/// The poller's waker: valid as long as the poller's ref is.
pub(crate) fn waker_ref(header: &NonNull<Header>) -> WakerRef<'_> {
    let raw = RawWaker::new(header.as_ptr() as *const (), &WAKER_VTABLE);
    // SAFETY: the vtable's contract holds: the pointer is a live header for
    // as long as the borrow, and the functions follow the ref rules.
    let waker = unsafe { Waker::from_raw(raw) };
    WakerRef {
        waker: ManuallyDrop::new(waker),
        _p: PhantomData,
    }
}

fn raw_task(ptr: *const ()) -> RawTask {
    // SAFETY: every RawWaker with `WAKER_VTABLE` holds a live header pointer
    // (the waker owns or borrows a ref).
    unsafe { RawTask::from_raw(NonNull::new_unchecked(ptr as *mut Header)) }
}

/// `RawWakerVTable::clone`: takes one more ref.
///
/// # Safety
///
/// `ptr` is the data of a `RawWaker` built with `WAKER_VTABLE`: the header
/// of a live cell on which the waker owns or borrows a ref.
unsafe fn clone_waker(ptr: *const ()) -> RawWaker {
    raw_task(ptr).ref_inc();
    RawWaker::new(ptr, &WAKER_VTABLE)
}

/// `RawWakerVTable::drop`: gives the waker's ref back.
///
/// # Safety
///
/// `ptr` is the data of an owned `RawWaker` built with `WAKER_VTABLE` (not
/// a `WakerRef`, which owns no ref); called once per waker.
unsafe fn drop_waker(ptr: *const ()) {
    raw_task(ptr).drop_reference();
}

/// `RawWakerVTable::wake`: wakes the task and consumes the waker's ref.
///
/// # Safety
///
/// As for [`drop_waker`]: the waker owns a ref, which this consumes.
unsafe fn wake_by_val(ptr: *const ()) {
    raw_task(ptr).wake_by_val();
}

/// `RawWakerVTable::wake_by_ref`: wakes the task; the waker keeps its ref.
///
/// # Safety
///
/// As for [`clone_waker`].
unsafe fn wake_by_ref(ptr: *const ()) {
    raw_task(ptr).wake_by_ref();
}
