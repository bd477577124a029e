//! The task cell: one allocation holding everything about a task.
//!
//! ```text
//!  ┌──────────── Header (32 bytes, non-generic) ─────────────┐
//!  │ state: AtomicUsize   lifecycle bits + ref count          │
//!  │ vtable               poll / schedule / dealloc / ...     │
//!  │ id                   task::Id                            │
//!  │ last_poll: AtomicU32 coarse stamp of the last poll       │
//!  │ owned: u32           slot in the runtime's task list     │
//!  ├──────────── TaskCore<T, S> (generic) ───────────────────────┤
//!  │ scheduler: S         where wakes send the task           │
//!  │ stage                the future, then its output (untagged) │
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
//! Access rules for each field are in `state.rs` (stage: rules 1, 2 and 6;
//! waker: rule 3) and `list.rs` (owned slot).

use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::ptr::{addr_of_mut, NonNull};
use std::task::{Context, Poll, Waker};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::AtomicU32;
use crate::runtime::task::error::JoinError;
use crate::runtime::task::list::NOT_LISTED;
use crate::runtime::task::meta::Meta;
use crate::runtime::task::moved::Moved;
use crate::runtime::task::raw::Vtable;
use crate::runtime::task::state::State;
use crate::runtime::task::{Id, SpawnMeta};

#[repr(C)]
pub(crate) struct Cell<T: Future, S> {
    pub(crate) header: Header,
    pub(crate) core: TaskCore<T, S>,
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

pub(crate) struct TaskCore<T: Future, S> {
    pub(crate) scheduler: S,
    pub(crate) stage: UnsafeCell<Stage<T>>,
}

/// The future, then its output, in the same bytes. Which one is there (if
/// any) is known from the state word and the `JoinHandle` (state rule 6),
/// so the stage carries no tag of its own: an `enum` would add a word to
/// every task whose future's size is a multiple of eight, since an `async`
/// block's state machine offers no niche for the tag.
pub(crate) union Stage<T: Future> {
    future: ManuallyDrop<T>,
    output: ManuallyDrop<Result<T::Output, JoinError>>,
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
            addr_of_mut!((*ptr).core.stage).write(UnsafeCell::new(Stage {
                future: ManuallyDrop::new(future.into_inner()),
            }));
            cell.assume_init()
        }
    }
}

impl<T: Future, S> TaskCore<T, S> {
    /// Polls the future.
    ///
    /// # Safety
    ///
    /// The caller holds the stage lock (state rule 1), and the stage holds
    /// the future (state rule 6).
    pub(crate) unsafe fn poll(&self, cx: &mut Context<'_>) -> Poll<T::Output> {
        self.stage.with_mut(|ptr| {
            // SAFETY: rule 1 — the caller has exclusive access to the stage,
            // which holds the future (caller); the cell is heap allocated
            // and never moved, so the future is pinned.
            let future = unsafe { Pin::new_unchecked(&mut *(*ptr).future) };
            future.poll(cx)
        })
    }

    /// Drops the future in place; the stage then holds nothing.
    ///
    /// # Safety
    ///
    /// The caller has exclusive access to the stage (state rule 1, or the
    /// last reference), and the stage holds the future (state rule 6).
    pub(crate) unsafe fn drop_future(&self) {
        // SAFETY: caller's contract.
        self.stage
            .with_mut(|ptr| unsafe { ManuallyDrop::drop(&mut (*ptr).future) });
    }

    /// Stores the output.
    ///
    /// # Safety
    ///
    /// The caller has exclusive access to the stage (state rule 1), which
    /// holds nothing (the future was dropped).
    pub(crate) unsafe fn store_output(&self, output: Result<T::Output, JoinError>) {
        // SAFETY: caller's contract; nothing is overwritten that needs a drop.
        self.stage.with_mut(|ptr| unsafe {
            std::ptr::write(
                ptr,
                Stage {
                    output: ManuallyDrop::new(output),
                },
            )
        });
    }

    /// Takes the output out; the stage then holds nothing.
    ///
    /// # Safety
    ///
    /// The caller owns the output (state rule 2) and it is still there
    /// (state rule 6).
    pub(crate) unsafe fn take_output(&self) -> Result<T::Output, JoinError> {
        // SAFETY: caller's contract.
        self.stage
            .with_mut(|ptr| unsafe { ManuallyDrop::take(&mut (*ptr).output) })
    }

    /// Drops the output in place; the stage then holds nothing.
    ///
    /// # Safety
    ///
    /// As [`TaskCore::take_output`].
    pub(crate) unsafe fn drop_output(&self) {
        // SAFETY: caller's contract.
        self.stage
            .with_mut(|ptr| unsafe { ManuallyDrop::drop(&mut (*ptr).output) });
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
        impl crate::runtime::task::Schedule for Arc<S> {
            fn release(
                &self,
                _: &crate::runtime::task::Task<Self>,
            ) -> Option<crate::runtime::task::Task<Self>> {
                None
            }
            fn schedule(&self, _: crate::runtime::task::Notified<Self>) {}
        }
        type Empty = std::future::Ready<()>;
        let cell = std::mem::size_of::<Cell<Empty, Arc<S>>>();
        let stage = std::mem::size_of::<Stage<Empty>>();
        // Join waker and the meta word (spawn site or side record).
        assert_eq!(std::mem::size_of::<Trailer>(), 24);
        assert_eq!(cell - stage, 32 + 8 + 24);
    }

    /// The stage is as large as the larger of the future and its output:
    /// no tag (state rule 6).
    #[test]
    fn the_stage_adds_no_tag_to_the_future() {
        struct Big([u64; 19]);
        impl Future for Big {
            type Output = u64;
            fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u64> {
                Poll::Ready(self.0[0])
            }
        }
        assert_eq!(std::mem::size_of::<Stage<Big>>(), 152);
    }

    #[test]
    fn header_is_no_larger_than_four_words() {
        assert_eq!(
            std::mem::size_of::<Header>(),
            4 * std::mem::size_of::<usize>()
        );
    }
}
