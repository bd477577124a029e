//! The task cell: one allocation holding everything about a task.
//!
//! ```text
//!  ┌──────────── Header (32 bytes, non-generic) ─────────────┐
//!  │ state: AtomicUsize   lifecycle bits + ref count          │
//!  │ vtable               poll / schedule / dealloc / ...     │
//!  │ id                   task::Id                            │
//!  │ last_poll: AtomicU32 coarse stamp of the last poll       │
//!  │ owned: u32           slot in the runtime's task list     │
//!  ├──────────── Core<T, S> (generic) ───────────────────────┤
//!  │ scheduler: S         where wakes send the task           │
//!  │ stage                Running(T) | Finished(output) | Consumed │
//!  ├──────────── Trailer (non-generic, found via vtable offset) ┤
//!  │ waker                the JoinHandle's waker              │
//!  │ meta                 spawn site, or a side record with   │
//!  │                      the name and the last-wake stamp    │
//!  └──────────────────────────────────────────────────────────┘
//! ```
//!
//! The header holds what every poll touches (the state word, the vtable,
//! the poll stamp: one cache line with the start of the future); the
//! trailer what completion and diagnostics need. The name and the wake
//! timestamp of schedule-latency histograms live in a side record that only
//! named or latency-tracked tasks allocate (`meta.rs`), and the owned list
//! is a slab the task knows its slot in, not links through the cell
//! (`list.rs`), so an ordinary task pays 64 bytes besides its future.
//!
//! A `Waker`, a `Notified`, a `JoinHandle` are all pointers to the header. The
//! header comes first (`#[repr(C)]`), so a header pointer is a cell pointer.
//! Code that is not generic over the future reaches the trailer through the
//! offset stored in the vtable.
//!
//! Access rules for each field are in `state.rs` (stage, waker) and
//! `list.rs` (owned slot).

use std::future::Future;
use std::pin::Pin;
use std::ptr::{addr_of_mut, NonNull};
use std::task::{Context, Poll, Waker};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::AtomicU32;
use crate::task::error::JoinError;
use crate::task::list::NOT_LISTED;
use crate::task::meta::Meta;
use crate::task::moved::Moved;
use crate::task::raw::Vtable;
use crate::task::state::State;
use crate::task::{Id, SpawnMeta};

#[repr(C)]
pub(crate) struct Cell<T: Future, S> {
    pub(crate) header: Header,
    pub(crate) core: Core<T, S>,
    pub(crate) trailer: Trailer,
}

#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) id: Id,
    /// When the task was last polled, as a `trace::clock::coarse_stamp`
    /// (0: never). Written by the poller, read by dumps, both `Relaxed`:
    /// it is a statistic, no other memory depends on it.
    pub(crate) last_poll: AtomicU32,
    /// The task's slot in its owned list, or `list::NOT_LISTED` (list
    /// rules 1 and 5). With `last_poll` it fills the header's last word.
    owned: UnsafeCell<u32>,
}

pub(crate) struct Core<T: Future, S> {
    pub(crate) scheduler: S,
    pub(crate) stage: UnsafeCell<Stage<T>>,
}

pub(crate) enum Stage<T: Future> {
    Running(T),
    Finished(Result<T::Output, JoinError>),
    Consumed,
}

pub(crate) struct Trailer {
    /// The `JoinHandle`'s waker (state rule 3).
    pub(crate) waker: UnsafeCell<Option<Waker>>,
    /// Spawn site, name, last-wake stamp; never written after creation
    /// (`meta.rs`).
    pub(crate) meta: Meta,
}

impl<T: Future, S: 'static> Cell<T, S> {
    /// Allocates the cell and builds it in place: the future is copied once,
    /// from the spawner's frame into the heap (`moved.rs`).
    #[inline]
    pub(crate) fn new(
        future: Moved<'_, T>,
        scheduler: S,
        id: Id,
        vtable: &'static Vtable,
        meta: SpawnMeta<'_>,
    ) -> Box<Cell<T, S>> {
        let mut cell = Box::<Cell<T, S>>::new_uninit();
        let ptr = cell.as_mut_ptr();
        // SAFETY: `ptr` is a fresh allocation for a `Cell<T, S>`; each field
        // is written once through a raw pointer (no reference to
        // uninitialised memory is made), and every field is written before
        // `assume_init`.
        unsafe {
            addr_of_mut!((*ptr).header).write(Header {
                state: State::new(),
                vtable,
                id,
                last_poll: AtomicU32::new(0),
                owned: UnsafeCell::new(NOT_LISTED),
            });
            addr_of_mut!((*ptr).core.scheduler).write(scheduler);
            addr_of_mut!((*ptr).trailer).write(Trailer {
                waker: UnsafeCell::new(None),
                meta: Meta::new(meta.spawned_at, meta.name, meta.track_wakes),
            });
            addr_of_mut!((*ptr).core.stage)
                .write(UnsafeCell::new(Stage::Running(future.into_inner())));
            cell.assume_init()
        }
    }
}

impl<T: Future, S> Core<T, S> {
    /// Polls the future.
    ///
    /// # Safety
    ///
    /// The caller holds the stage lock (state rule 1), and the stage is
    /// `Running`.
    pub(crate) unsafe fn poll(&self, cx: &mut Context<'_>) -> Poll<T::Output> {
        self.stage.with_mut(|ptr| {
            // SAFETY: rule 1 — the caller has exclusive access to the stage;
            // the cell is heap allocated and never moved, so the future is
            // pinned.
            let stage = unsafe { &mut *ptr };
            let Stage::Running(future) = stage else {
                unreachable!("polled a task whose future is gone");
            };
            // SAFETY: see above — the future never moves until dropped in place.
            let future = unsafe { Pin::new_unchecked(future) };
            future.poll(cx)
        })
    }

    /// Replaces the stage, dropping what was there (the future or an output).
    ///
    /// # Safety
    ///
    /// The caller has exclusive access to the stage (state rules 1 and 2).
    pub(crate) unsafe fn set_stage(&self, stage: Stage<T>) {
        // SAFETY: exclusive access per the caller's contract.
        self.stage.with_mut(|ptr| unsafe { *ptr = stage });
    }

    /// Drops what the stage holds, if anything, leaving it `Consumed`; a
    /// stage already consumed (the usual case once a `JoinHandle` read the
    /// output) costs no drop call.
    ///
    /// # Safety
    ///
    /// As [`Core::set_stage`].
    pub(crate) unsafe fn drop_stage(&self) {
        // SAFETY: exclusive access per the caller's contract.
        let consumed = self
            .stage
            .with(|ptr| unsafe { matches!(*ptr, Stage::Consumed) });
        if !consumed {
            // SAFETY: as above.
            unsafe { self.set_stage(Stage::Consumed) };
        }
    }

    /// Stores `stage` over a `Consumed` one, with no drop glue for the old
    /// value (the generic drop of a `Stage` is an out-of-line call).
    ///
    /// # Safety
    ///
    /// As [`Core::set_stage`], and the stage is `Consumed`.
    pub(crate) unsafe fn set_stage_over_consumed(&self, stage: Stage<T>) {
        self.stage.with_mut(|ptr| {
            // SAFETY: exclusive access per the caller's contract; the old
            // value is `Consumed`, which owns nothing, so not dropping it
            // leaks nothing.
            unsafe {
                debug_assert!(matches!(*ptr, Stage::Consumed));
                std::ptr::write(ptr, stage);
            }
        });
    }

    /// Takes the output out of a finished stage.
    ///
    /// # Safety
    ///
    /// The caller has exclusive access to the stage (state rule 2) and the
    /// stage is `Finished`.
    pub(crate) unsafe fn take_output(&self) -> Result<T::Output, JoinError> {
        self.stage.with_mut(|ptr| {
            // SAFETY: exclusive access per the caller's contract.
            match std::mem::replace(unsafe { &mut *ptr }, Stage::Consumed) {
                Stage::Finished(output) => output,
                _ => panic!("JoinHandle polled after completion"),
            }
        })
    }
}

impl Header {
    /// The trailer of the cell this header starts.
    ///
    /// # Safety
    ///
    /// `me` points to a live task cell.
    pub(crate) unsafe fn get_trailer(me: NonNull<Header>) -> NonNull<Trailer> {
        // SAFETY: the vtable stores the trailer's offset inside this cell's
        // concrete type; the cell is live per the caller's contract.
        unsafe {
            let offset = me.as_ref().vtable.trailer_offset;
            me.cast::<u8>().add(offset).cast::<Trailer>()
        }
    }

    /// The owned-list slot (list rule 5).
    ///
    /// # Safety
    ///
    /// The caller holds the lock of the list shard the task belongs to
    /// (list rule 1).
    pub(crate) unsafe fn owned(&self) -> u32 {
        // SAFETY: caller's contract: the lock serialises all accesses.
        self.owned.with(|p| unsafe { *p })
    }

    /// # Safety
    ///
    /// As [`Header::owned`].
    pub(crate) unsafe fn set_owned(&self, index: u32) {
        // SAFETY: caller's contract.
        self.owned.with_mut(|p| unsafe { *p = index });
    }
}

impl Trailer {
    /// # Safety
    ///
    /// The caller may write the waker slot (state rule 3).
    pub(crate) unsafe fn set_waker(&self, waker: Option<Waker>) {
        // SAFETY: caller's contract.
        self.waker.with_mut(|ptr| unsafe { *ptr = waker });
    }

    /// # Safety
    ///
    /// The caller may read the waker slot (state rule 3).
    pub(crate) unsafe fn will_wake(&self, waker: &Waker) -> bool {
        // SAFETY: caller's contract.
        self.waker.with(|ptr| unsafe {
            (*ptr)
                .as_ref()
                .expect("join waker slot is empty")
                .will_wake(waker)
        })
    }

    /// # Safety
    ///
    /// The task side owns the slot (state rule 3, after `COMPLETE`).
    pub(crate) unsafe fn wake_join(&self) {
        // SAFETY: caller's contract.
        self.waker.with(|ptr| unsafe {
            match &*ptr {
                Some(waker) => waker.wake_by_ref(),
                None => panic!("join waker slot is empty"),
            }
        })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// The fixed part of a task documented in docs/architecture.md.
    #[test]
    fn fixed_size_of_a_task() {
        use std::sync::Arc;
        struct S;
        impl crate::task::Schedule for Arc<S> {
            fn release(&self, _: &crate::task::Task<Self>) -> Option<crate::task::Task<Self>> {
                None
            }
            fn schedule(&self, _: crate::task::Notified<Self>) {}
        }
        type Empty = std::future::Ready<()>;
        let cell = std::mem::size_of::<Cell<Empty, Arc<S>>>();
        let stage = std::mem::size_of::<Stage<Empty>>();
        // Join waker and the meta word (spawn site or side record).
        assert_eq!(std::mem::size_of::<Trailer>(), 24);
        assert_eq!(cell - stage, 32 + 8 + 24);
    }

    #[test]
    fn header_is_no_larger_than_four_words() {
        assert_eq!(
            std::mem::size_of::<Header>(),
            4 * std::mem::size_of::<usize>()
        );
    }
}
