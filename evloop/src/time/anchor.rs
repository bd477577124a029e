//! `Anchor`: what a timer entry holds on to, in one word.
//!
//! A timer needs its driver (to arm, cancel and take itself back out of a
//! queue), and a timer created by `sleep` on a worker also needs the epoch
//! its deadline counts from (see `time::queue`, epochs). The epoch holds the
//! driver handle, so such a timer keeps only the epoch: one reference count
//! per timer instead of two, and one word instead of two.
//!
//! # Rules
//!
//! 1. The word is `Arc::into_raw` of either the driver's `Inner` (low bit
//!    clear) or an [`Epoch`] (low bit set); both are aligned to at least 8
//!    bytes, so the low bit is free. The anchor owns that strong reference
//!    and releases it on drop, exactly once (an epoch's possibly into its
//!    queue's spare, queue rule 10).
//! 2. The anchor never changes after creation, so any thread holding a
//!    reference to the entry may read it.

use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;

use crate::loom::sync::Arc;
use crate::time::driver::{Handle, Inner};
use crate::time::queue::{self, Epoch};

/// Tag of an epoch pointer (rule 1).
const EPOCH: usize = 1;

pub(crate) struct Anchor {
    ptr: NonNull<u8>,
}

// SAFETY: an anchor is an `Arc<Inner>` or an `Arc<Epoch>` (rule 1), both of
// which are `Send` and `Sync`.
unsafe impl Send for Anchor {}
// SAFETY: as above; every access through `&Anchor` is a read (rule 2).
unsafe impl Sync for Anchor {}

impl Anchor {
    /// An anchor holding the driver directly.
    pub(crate) fn driver(handle: Handle) -> Anchor {
        let raw = Arc::into_raw(handle.into_inner()) as *mut u8;
        debug_assert_eq!(raw as usize & EPOCH, 0);
        Anchor {
            // SAFETY: `Arc::into_raw` never returns null.
            ptr: unsafe { NonNull::new_unchecked(raw) },
        }
    }

    /// An anchor holding an epoch (and, through it, the driver).
    pub(crate) fn epoch(epoch: Arc<Epoch>) -> Anchor {
        let raw = Arc::into_raw(epoch) as *mut u8;
        debug_assert_eq!(raw as usize & EPOCH, 0);
        Anchor {
            // SAFETY: non-null pointer with one more bit set: still non-null.
            ptr: unsafe { NonNull::new_unchecked(raw.map_addr(|a| a | EPOCH)) },
        }
    }

    #[inline]
    fn untagged(&self) -> *const u8 {
        self.ptr.as_ptr().map_addr(|a| a & !EPOCH)
    }

    /// The epoch, if the anchor holds one.
    #[inline]
    pub(crate) fn as_epoch(&self) -> Option<&Epoch> {
        if self.ptr.as_ptr() as usize & EPOCH == 0 {
            return None;
        }
        // SAFETY: rule 1 — a tagged word is a live `Arc<Epoch>` pointer that
        // this anchor keeps alive for as long as the borrow of `self`.
        Some(unsafe { &*self.untagged().cast::<Epoch>() })
    }

    /// The driver handle.
    #[inline]
    pub(crate) fn handle(&self) -> HandleRef<'_> {
        match self.as_epoch() {
            Some(epoch) => HandleRef::from_handle(epoch.handle()),
            // SAFETY: rule 1 — an untagged word is an `Arc<Inner>` pointer
            // this anchor keeps alive while the `HandleRef` borrows it.
            None => unsafe { HandleRef::from_raw(self.untagged().cast::<Inner>()) },
        }
    }
}

impl Drop for Anchor {
    #[inline]
    fn drop(&mut self) {
        let raw = self.untagged();
        if self.ptr.as_ptr() as usize & EPOCH != 0 {
            // SAFETY: rule 1 — we own one strong reference, released once.
            queue::release_epoch(unsafe { Arc::from_raw(raw.cast::<Epoch>()) });
        } else {
            // SAFETY: as above.
            drop(unsafe { Arc::from_raw(raw.cast::<Inner>()) });
        }
    }
}

impl fmt::Debug for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Anchor")
            .field("epoch", &self.as_epoch())
            .finish_non_exhaustive()
    }
}

/// A borrowed driver handle made from a raw `Arc<Inner>` pointer that
/// something else keeps alive for `'a` (no reference count is touched).
pub(crate) struct HandleRef<'a> {
    handle: ManuallyDrop<Handle>,
    _borrow: PhantomData<&'a Handle>,
}

impl<'a> HandleRef<'a> {
    #[inline]
    pub(crate) fn from_handle(handle: &'a Handle) -> HandleRef<'a> {
        // SAFETY: `handle` keeps its `Inner` alive for `'a`.
        unsafe { HandleRef::from_raw(handle.as_raw()) }
    }

    /// # Safety
    ///
    /// `raw` came from `Arc::into_raw`/`Arc::as_ptr` of an `Arc<Inner>`
    /// whose strong reference outlives `'a`.
    #[inline]
    pub(crate) unsafe fn from_raw(raw: *const Inner) -> HandleRef<'a> {
        HandleRef {
            // SAFETY: caller; `ManuallyDrop` never releases the reference
            // this does not own.
            handle: ManuallyDrop::new(Handle::from_inner(unsafe { Arc::from_raw(raw) })),
            _borrow: PhantomData,
        }
    }
}

impl Deref for HandleRef<'_> {
    type Target = Handle;

    #[inline]
    fn deref(&self) -> &Handle {
        &self.handle
    }
}
