//! What a task knows about itself besides its future: where it was spawned
//! and, for the few tasks that need more, a side record.
//!
//! Most tasks are unnamed and run on a runtime without schedule-latency
//! histograms; for them the trailer's one `Meta` word is the
//! `&'static Location` of their `spawn` call. A task that was named with
//! `task::Builder::name`, or spawned while the histograms are on, instead
//! gets an [`Extra`] record, allocated at spawn, holding the spawn site, the
//! name and the last-wake timestamp; the word then points to it, with its
//! lowest bit set to tell the two apart.
//!
//! # Rules
//!
//! 1. The word is written once, when the cell is created, and never again
//!    until the cell is freed; so any holder of a ref may read it, and read
//!    the `Extra` behind it, without synchronisation.
//! 2. Both kinds of pointer are at least 2-aligned (`Location` and `Extra`
//!    hold pointers), so bit 0 is free for the tag.
//! 3. A tagged word owns its `Extra` (it came from `Box::into_raw`); `Drop`
//!    frees it, exactly once, when the cell is freed.
//! 4. The pointer that frees the `Extra` is derived from the word itself,
//!    never from an `&Extra`: a pointer taken from a shared reference only
//!    permits reads, and freeing through it is undefined behaviour (Miri
//!    reports it under Stacked Borrows).
//!
//! Rejected: an `Option<Box<Extra>>` next to the location (8 more bytes in
//! every task for what few tasks use); keeping name and timestamps inline
//! in the trailer (24 more bytes in every task, which is what this replaces).

use std::panic::Location;
use std::ptr::NonNull;

use crate::loom::sync::atomic::AtomicU64;
use crate::loom::sync::atomic::Ordering::Relaxed;

const TAG: usize = 1;

/// The spawn site, or a tagged pointer to an [`Extra`] (rules 1–3).
pub(crate) struct Meta {
    ptr: NonNull<()>,
}

/// The side record of a named or latency-tracked task.
pub(crate) struct Extra {
    spawned_at: &'static Location<'static>,
    name: Option<Box<str>>,
    /// When the task was last put in a run queue, in `trace::clock`
    /// nanoseconds (0: not recorded). Written by the waking thread while
    /// schedule-latency timing is on, read by the poller; `Relaxed`: it is
    /// a statistic, no other memory depends on it.
    woken_at: AtomicU64,
}

// SAFETY: the word is immutable (rule 1); the `Extra` it may own holds a
// `Box<str>` and an atomic, which are `Send` and `Sync`.
unsafe impl Send for Meta {}
// SAFETY: as above.
unsafe impl Sync for Meta {}

impl Meta {
    /// `extra`: allocate the side record even without a name (for
    /// schedule-latency timing).
    #[inline]
    pub(crate) fn new(
        spawned_at: &'static Location<'static>,
        name: Option<&str>,
        extra: bool,
    ) -> Meta {
        if name.is_none() && !extra {
            return Meta {
                ptr: NonNull::from(spawned_at).cast(),
            };
        }
        Meta::with_extra(spawned_at, name)
    }

    #[cold]
    fn with_extra(spawned_at: &'static Location<'static>, name: Option<&str>) -> Meta {
        let boxed = Box::new(Extra {
            spawned_at,
            name: name.map(Box::from),
            woken_at: AtomicU64::new(0),
        });
        let raw = NonNull::from(Box::leak(boxed)).cast::<()>();
        // Rule 2: the box is 8-aligned, so setting bit 0 keeps it non-null
        // and reversible.
        Meta {
            ptr: raw.map_addr(|a| a | TAG),
        }
    }

    /// The untagged pointer to the side record, with the provenance of the
    /// `Box` it came from (rule 4).
    fn extra_ptr(&self) -> Option<NonNull<Extra>> {
        if self.ptr.addr().get() & TAG == 0 {
            return None;
        }
        let ptr = self.ptr.map_addr(|a| {
            // Clearing bit 0 of a tagged (odd, > 1) address leaves it non-zero.
            std::num::NonZeroUsize::new(a.get() & !TAG).expect("tagged pointer is null")
        });
        Some(ptr.cast::<Extra>())
    }

    fn extra(&self) -> Option<&Extra> {
        // SAFETY: rule 3 — a tagged word came from `Box::into_raw` of an
        // `Extra` that lives until `drop`; rule 1 — nobody writes it.
        self.extra_ptr().map(|ptr| unsafe { ptr.as_ref() })
    }

    pub(crate) fn spawned_at(&self) -> &'static Location<'static> {
        match self.extra() {
            Some(extra) => extra.spawned_at,
            // SAFETY: an untagged word is the `&'static Location` given to
            // `new` (rule 1).
            None => unsafe { self.ptr.cast::<Location<'static>>().as_ref() },
        }
    }

    /// The spawn site of a task without a name; `None` for a named task
    /// (the recorder's fast path, which records unnamed tasks only).
    #[inline]
    pub(crate) fn unnamed_spawned_at(&self) -> Option<&'static Location<'static>> {
        match self.extra() {
            // SAFETY: as in `spawned_at`.
            None => Some(unsafe { self.ptr.cast::<Location<'static>>().as_ref() }),
            Some(extra) if extra.name.is_none() => Some(extra.spawned_at),
            Some(_) => None,
        }
    }

    pub(crate) fn name(&self) -> Option<&str> {
        self.extra().and_then(|e| e.name.as_deref())
    }

    /// The last-wake stamp; 0 if the task has no side record.
    pub(crate) fn woken_at(&self) -> u64 {
        self.extra().map_or(0, |e| e.woken_at.load(Relaxed))
    }

    /// Stamps a wake; does nothing for a task without a side record.
    pub(crate) fn set_woken_at(&self, now: u64) {
        if let Some(extra) = self.extra() {
            extra.woken_at.store(now, Relaxed);
        }
    }
}

impl Drop for Meta {
    fn drop(&mut self) {
        if let Some(ptr) = self.extra_ptr() {
            // SAFETY: rule 3 — the tagged word owns the box; the cell is
            // being freed, so this is the last use of the word; rule 4 —
            // `ptr` comes from the word, not from a shared reference.
            drop(unsafe { Box::from_raw(ptr.as_ptr()) });
        }
    }
}

/// What a task is told about itself when it is created: where it was
/// spawned and, optionally, its name (`task::Builder::name`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpawnMeta<'a> {
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) name: Option<&'a str>,
    /// Keep a last-wake timestamp for schedule-latency histograms (costs
    /// the task a side record, `runtime/task/meta.rs`); set by the scheduler's
    /// `Hooks::spawn`.
    pub(crate) track_wakes: bool,
}

impl From<&'static Location<'static>> for SpawnMeta<'_> {
    fn from(spawned_at: &'static Location<'static>) -> Self {
        SpawnMeta {
            spawned_at,
            name: None,
            track_wakes: false,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn plain_site_needs_no_allocation_and_reads_back() {
        let here = Location::caller();
        let meta = Meta::new(here, None, false);
        assert!(meta.extra().is_none());
        assert_eq!(meta.spawned_at(), here);
        assert_eq!(meta.name(), None);
        meta.set_woken_at(5);
        assert_eq!(meta.woken_at(), 0);
    }

    #[test]
    fn named_or_tracked_task_gets_a_side_record() {
        let here = Location::caller();
        let named = Meta::new(here, Some("worker"), false);
        assert_eq!(named.name(), Some("worker"));
        assert_eq!(named.spawned_at(), here);
        let tracked = Meta::new(here, None, true);
        assert_eq!(tracked.name(), None);
        tracked.set_woken_at(42);
        assert_eq!(tracked.woken_at(), 42);
        assert_eq!(tracked.spawned_at(), here);
    }

    #[test]
    fn one_word() {
        assert_eq!(std::mem::size_of::<Meta>(), std::mem::size_of::<usize>());
    }
}
