//! `Anchor`: what a timer entry holds on to, in one word.
//!
//! A timer needs its driver (to arm, cancel and take itself back out of a
//! queue), and a timer created by `sleep` on a worker also needs the epoch
//! its deadline counts from (`time::epoch`). The epoch holds the driver, so
//! such a timer keeps only the epoch: one reference count per timer instead
//! of two, and one word instead of two.
//!
//! The anchor sits in the entry, below the driver (the wheel and the queues
//! link entries, and the driver holds them), so it names the driver by an
//! erased pointer; `time::timer`, above the driver, turns it back into a
//! handle and releases it.
//!
//! # Rules
//!
//! 1. The word is `Arc::into_raw` of either the driver's shared state (low
//!    bit clear) or an [`Epoch`] (low bit set), or null: an anchor that
//!    holds nothing (tests of the wheel, whose deadlines are resolved).
//!    Both targets are aligned to at least 8 bytes, so the low bit is free.
//! 2. The anchor never changes after creation, so any thread holding a
//!    reference to the entry may read it.
//! 3. The anchor owns that strong reference but has no `Drop`: only the
//!    timer's owner, above the driver, knows how to give a driver
//!    reference back (and an epoch's goes, if it can, into its queue's
//!    spare, arm_queue rule 10). The owner takes it out with [`Anchor::take`]
//!    exactly once, as the last step of its drop (`time::timer`).

use std::fmt;

use crate::loom::sync::Arc;
use crate::time::epoch::Epoch;

/// Tag of an epoch pointer (rule 1).
const EPOCH: usize = 1;

pub(crate) struct Anchor {
    word: *const u8,
}

/// What an anchor held, taken out of it (rule 3).
pub(crate) enum Held {
    /// Nothing (rule 1: a test's anchor).
    Nothing,
    /// One strong reference to the driver's shared state (erased).
    Driver(*const ()),
    Epoch(Arc<Epoch>),
}

// SAFETY: an anchor is an `Arc` of the driver's shared state or of an
// `Epoch` (rule 1), both of which are `Send` and `Sync`.
unsafe impl Send for Anchor {}
// SAFETY: as above; every access through `&Anchor` is a read (rule 2).
unsafe impl Sync for Anchor {}

impl Anchor {
    /// An anchor that holds nothing (rule 1).
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn nothing() -> Anchor {
        Anchor {
            word: std::ptr::null(),
        }
    }

    /// An anchor holding the driver directly.
    ///
    /// # Safety
    ///
    /// `raw` is `Arc::into_raw` of the driver's shared state; the anchor
    /// owns that reference (rule 3).
    #[inline]
    pub(crate) unsafe fn driver(raw: *const ()) -> Anchor {
        debug_assert!(!raw.is_null() && raw as usize & EPOCH == 0);
        Anchor { word: raw.cast() }
    }

    /// An anchor holding an epoch (and, through it, the driver).
    #[inline]
    pub(crate) fn epoch(epoch: Arc<Epoch>) -> Anchor {
        let raw = Arc::into_raw(epoch).cast::<u8>();
        debug_assert_eq!(raw as usize & EPOCH, 0);
        Anchor {
            word: raw.map_addr(|a| a | EPOCH),
        }
    }

    #[inline]
    fn untagged(&self) -> *const u8 {
        self.word.map_addr(|a| a & !EPOCH)
    }

    /// The epoch, if the anchor holds one.
    #[inline]
    pub(crate) fn as_epoch(&self) -> Option<&Epoch> {
        if self.word as usize & EPOCH == 0 {
            return None;
        }
        // SAFETY: rule 1 — a tagged word is a live `Arc<Epoch>` pointer that
        // this anchor keeps alive for as long as the borrow of `self`.
        Some(unsafe { &*self.untagged().cast::<Epoch>() })
    }

    /// The driver's shared state (erased; null if the anchor holds
    /// nothing), alive for as long as the borrow of `self` (rule 1).
    #[inline]
    pub(crate) fn driver_ptr(&self) -> *const () {
        match self.as_epoch() {
            Some(epoch) => epoch.driver(),
            None => self.untagged().cast(),
        }
    }

    /// Takes the reference out (rule 3).
    ///
    /// # Safety
    ///
    /// Called once, by the entry's owner, after which the anchor is never
    /// read again.
    #[inline]
    pub(crate) unsafe fn take(&self) -> Held {
        let raw = self.untagged();
        if raw.is_null() {
            Held::Nothing
        } else if self.word as usize & EPOCH != 0 {
            // SAFETY: rule 1 — we own one strong reference, taken once
            // (caller).
            Held::Epoch(unsafe { Arc::from_raw(raw.cast::<Epoch>()) })
        } else {
            Held::Driver(raw.cast())
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
