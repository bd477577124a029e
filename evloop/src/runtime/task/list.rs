//! The owned-task list: every live task of a runtime (or `LocalSet`), so
//! that shutdown can cancel and free all of them.
//!
//! Each shard keeps its tasks in a slab: a vector of slots, each holding a
//! task pointer or, when free, the index of the next free slot. A task
//! remembers its slot index in its header (`Header::owned`). Removing a
//! task writes its own slot and nothing else: an intrusive doubly linked
//! list would also write both neighbours, two other tasks' cells that are
//! rarely in the cache when a task completes (a tenth of the completion
//! cost with a million tasks alive), and would cost every cell two words.
//!
//! # Rules
//!
//! 1. A task's `owned` index and the shard's slots are read and written only
//!    under the shard's lock.
//! 2. The list holds one ref of every task in it (a `Task<S>` forgotten on
//!    insertion, recreated on removal).
//! 3. Once closed, the list accepts no task: `bind` cancels it at once.
//! 4. The list is split in shards, each with its own lock, so that workers
//!    spawning and completing tasks at the same time rarely wait for each
//!    other; a task lives in shard `id % shards` for its whole life.
//! 5. Slot `i` holds either a task pointer (even: cells are word aligned)
//!    whose `owned` index is `i`, or `(next << 1) | 1`, a free slot whose
//!    `next` is the next free slot (`NO_SLOT` ends the chain). A task in no
//!    list has the index `NOT_LISTED`. Free slots are reused first, so a
//!    shard's vector is as long as the most tasks it held at once; when the
//!    shard empties, the vector is cleared and cut back to
//!    `KEEP_SLOTS` slots.
//! 6. After the list is closed no task is ever added, so the free chain is
//!    no longer kept: freed slots are marked free with no successor.

use std::future::Future;
use std::ptr::NonNull;

use crate::loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use crate::loom::sync::Mutex;
use crate::runtime::task::core::Header;
use crate::runtime::task::moved::Moved;
use crate::runtime::task::{new_task, Id, JoinHandle, Notified, Schedule, SpawnMeta, Task};

pub(crate) struct OwnedTasks<S: 'static> {
    /// Rule 4: a power-of-two number of shards.
    shards: Box<[Shard]>,
    _p: std::marker::PhantomData<S>,
}

/// One lock and one list; padded so that two shards never share a cache
/// line (workers completing tasks of different shards do not contend).
#[repr(align(128))]
struct Shard {
    list: Mutex<List>,
    /// Tasks in this shard, and tasks ever bound to it: written only under
    /// the lock, so a `Relaxed` load + store is enough (no read-modify-write
    /// on the spawn path); read without it by metrics.
    len: AtomicUsize,
    spawned: AtomicU64,
}

struct List {
    /// Rule 5.
    slots: Vec<usize>,
    /// First free slot, or `NO_SLOT`.
    free: usize,
    closed: bool,
}

/// End of the free chain (rule 5).
const NO_SLOT: usize = usize::MAX >> 1;

/// The `owned` index of a task in no list (rule 5).
pub(crate) const NOT_LISTED: u32 = u32::MAX;

/// Slots a shard keeps allocated when it empties (rule 5): enough for
/// ordinary loads, without holding on to the memory of a burst. Smaller
/// under Miri so that the burst test stays short there.
const KEEP_SLOTS: usize = if cfg!(miri) { 16 } else { 1024 };

// SAFETY: the pointers in `slots` are only dereferenced under the mutex
// (rule 1), and each names a task the list holds a ref to (rule 2).
unsafe impl Send for List {}

impl Shard {
    fn new() -> Shard {
        Shard {
            list: Mutex::new(List {
                slots: Vec::new(),
                free: NO_SLOT,
                closed: false,
            }),
            len: AtomicUsize::new(0),
            spawned: AtomicU64::new(0),
        }
    }

    /// Under the lock: `len += delta` without a read-modify-write. Returns
    /// the new length.
    fn add_len(&self, delta: isize) -> usize {
        let len = self.len.load(Ordering::Relaxed).wrapping_add_signed(delta);
        self.len.store(len, Ordering::Relaxed);
        len
    }
}

impl<S: Schedule> OwnedTasks<S> {
    /// One shard: for lists used by one thread at a time.
    pub(crate) fn new() -> OwnedTasks<S> {
        OwnedTasks::with_shards(1)
    }

    /// `shards` rounded up to a power of two (rule 4).
    pub(crate) fn with_shards(shards: usize) -> OwnedTasks<S> {
        let n = shards.max(1).next_power_of_two();
        OwnedTasks {
            shards: (0..n).map(|_| Shard::new()).collect(),
            _p: std::marker::PhantomData,
        }
    }

    fn shard(&self, id: Id) -> &Shard {
        &self.shards[id.as_u64() as usize & (self.shards.len() - 1)]
    }

    /// Creates a task owned by this list. Returns its `JoinHandle` and, unless
    /// the list is closed, the `Notified` to schedule.
    #[inline]
    pub(crate) fn bind<'m, T>(
        &self,
        future: Moved<'_, T>,
        scheduler: S,
        id: Id,
        meta: impl Into<SpawnMeta<'m>>,
    ) -> (JoinHandle<T::Output>, Option<Notified<S>>)
    where
        T: Future + 'static,
    {
        let (task, notified, join) = new_task(future, scheduler, id, meta.into());
        let notified = self.bind_inner(task, notified, id);
        (join, notified)
    }

    fn bind_inner(&self, task: Task<S>, notified: Notified<S>, id: Id) -> Option<Notified<S>> {
        let shard = self.shard(id);
        let mut list = shard.list.lock();
        if list.closed {
            // Rule 3.
            drop(list);
            drop(notified);
            task.shutdown();
            return None;
        }
        let ptr = task.into_raw();
        // SAFETY: rule 1 (lock held); the task is new, so in no list.
        unsafe { list.insert(ptr) };
        shard.add_len(1);
        let spawned = shard.spawned.load(Ordering::Relaxed);
        shard.spawned.store(spawned + 1, Ordering::Relaxed);
        Some(notified)
    }

    /// Removes `task`; returns the list's ref, or `None` if it is not here.
    pub(crate) fn remove(&self, task: &Task<S>) -> Option<Task<S>> {
        let ptr = task.header_ptr();
        let shard = self.shard(task.id());
        let mut list = shard.list.lock();
        // SAFETY: rule 1; `task` is alive (the caller holds a ref); rule 4
        // puts it in this shard's list if in any.
        let removed = unsafe { list.remove(ptr) };
        if removed && shard.add_len(-1) == 0 {
            list.reset();
        }
        drop(list);
        if removed {
            // SAFETY: rule 2 — the list's ref comes back.
            Some(unsafe { Task::from_raw(ptr) })
        } else {
            None
        }
    }

    /// Closes the list and shuts every task down. Tasks spawned while this
    /// runs are cancelled by `bind` (rule 3): every shard is closed before
    /// any is drained, so a task is either refused or drained below.
    pub(crate) fn close_and_shutdown_all(&self) {
        for shard in self.shards.iter() {
            let mut list = shard.list.lock();
            list.closed = true;
            // Rule 6.
            list.free = NO_SLOT;
        }
        for shard in self.shards.iter() {
            loop {
                let mut list = shard.list.lock();
                // SAFETY: rule 1.
                let Some(ptr) = (unsafe { list.pop_back() }) else {
                    break;
                };
                shard.add_len(-1);
                drop(list);
                // SAFETY: rule 2 — the list's ref, handed to `shutdown`.
                unsafe { Task::<S>::from_raw(ptr) }.shutdown();
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.len.load(Ordering::Relaxed))
            .sum()
    }

    /// Tasks ever bound to this list (for metrics).
    pub(crate) fn spawned_count(&self) -> u64 {
        self.shards
            .iter()
            .map(|s| s.spawned.load(Ordering::Relaxed))
            .sum()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` on every task in the list, one shard's lock at a time (for
    /// dumps). `f` must not spawn on or complete a task of this list.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Task<S>)) {
        for shard in self.shards.iter() {
            let list = shard.list.lock();
            for ptr in list.tasks() {
                // SAFETY: rule 2 keeps the task alive. The borrowed `Task`
                // is never dropped.
                let task = std::mem::ManuallyDrop::new(unsafe { Task::<S>::from_raw(ptr) });
                f(&task);
            }
        }
    }
}

impl<S: 'static> Drop for OwnedTasks<S> {
    fn drop(&mut self) {
        debug_assert!(
            self.shards
                .iter()
                .all(|s| s.list.lock().tasks().next().is_none())
                || std::thread::panicking(),
            "owned task list dropped while tasks are alive"
        );
    }
}

impl List {
    /// The tasks in the list.
    fn tasks(&self) -> impl Iterator<Item = NonNull<Header>> + '_ {
        self.slots.iter().filter(|&&v| v & 1 == 0).map(|&v| {
            // SAFETY: an even slot holds a task pointer (rule 5).
            unsafe { NonNull::new_unchecked(v as *mut Header) }
        })
    }

    /// # Safety
    ///
    /// Rule 1; `ptr` is live and in no list.
    unsafe fn insert(&mut self, ptr: NonNull<Header>) {
        debug_assert!(!self.closed, "rule 6: no insertion after close");
        let i = if self.free != NO_SLOT {
            let i = self.free;
            self.free = self.slots[i] >> 1;
            self.slots[i] = ptr.as_ptr() as usize;
            i
        } else {
            self.slots.push(ptr.as_ptr() as usize);
            self.slots.len() - 1
        };
        let index = u32::try_from(i)
            .ok()
            .filter(|&i| i != NOT_LISTED)
            .expect("more than 4 billion tasks alive in one owned-list shard");
        // SAFETY: caller's contract (rule 1, `ptr` live).
        unsafe { ptr.as_ref().set_owned(index) };
    }

    /// Removes the task of the highest slot, if any (for shutdown).
    ///
    /// # Safety
    ///
    /// Rule 1.
    unsafe fn pop_back(&mut self) -> Option<NonNull<Header>> {
        while let Some(v) = self.slots.pop() {
            if v & 1 == 0 {
                // SAFETY: rule 5 — an even slot is a live task of this list.
                let ptr = unsafe { NonNull::new_unchecked(v as *mut Header) };
                // SAFETY: rule 1, `ptr` live.
                unsafe { ptr.as_ref().set_owned(NOT_LISTED) };
                return Some(ptr);
            }
        }
        None
    }

    /// Takes `ptr` out of the list if it is in it.
    ///
    /// # Safety
    ///
    /// Rule 1; `ptr` is live and in this list or in none.
    unsafe fn remove(&mut self, ptr: NonNull<Header>) -> bool {
        // SAFETY: caller's contract.
        let index = unsafe { ptr.as_ref().owned() };
        if index == NOT_LISTED {
            return false;
        }
        let i = index as usize;
        debug_assert_eq!(self.slots[i], ptr.as_ptr() as usize, "rule 5");
        if self.closed {
            // Rule 6.
            self.slots[i] = (NO_SLOT << 1) | 1;
        } else {
            self.slots[i] = (self.free << 1) | 1;
            self.free = i;
        }
        // SAFETY: as above.
        unsafe { ptr.as_ref().set_owned(NOT_LISTED) };
        true
    }

    /// The shard is empty: forget the free chain and give back the memory
    /// of a burst (rule 5).
    fn reset(&mut self) {
        debug_assert!(self.tasks().next().is_none());
        self.slots.clear();
        self.slots.shrink_to(KEEP_SLOTS);
        self.free = NO_SLOT;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::runtime::task::test_sched::SchedRef;

    fn slots(sched: &SchedRef) -> (usize, usize) {
        let list = sched.0.owned.shards[0].list.lock();
        (list.slots.len(), list.slots.capacity())
    }

    fn bind<F: std::future::Future + Send + 'static>(
        sched: &SchedRef,
        f: F,
    ) -> Option<Notified<SchedRef>>
    where
        F::Output: Send,
    {
        sched.bind(f).1
    }

    #[test]
    fn completed_tasks_free_their_slots_for_the_next_ones() {
        let sched = SchedRef::new();
        let first: Vec<_> = (0..100).map(|_| bind(&sched, async {}).unwrap()).collect();
        assert_eq!(sched.0.owned.len(), 100);
        assert_eq!(slots(&sched).0, 100);
        // Complete every other task: running it releases it from the list.
        let mut kept = Vec::new();
        for (i, task) in first.into_iter().enumerate() {
            if i % 2 == 0 {
                let _ = task.run();
            } else {
                kept.push(task);
            }
        }
        assert_eq!(sched.0.owned.len(), 50);
        // New tasks take the freed slots: the vector does not grow.
        let second: Vec<_> = (0..50).map(|_| bind(&sched, async {}).unwrap()).collect();
        assert_eq!(sched.0.owned.len(), 100);
        assert_eq!(slots(&sched).0, 100);
        let mut seen = 0;
        sched.0.owned.for_each(|_| seen += 1);
        assert_eq!(seen, 100);
        for task in kept.into_iter().chain(second) {
            let _ = task.run();
        }
        assert!(sched.0.owned.is_empty());
    }

    #[test]
    fn an_emptied_shard_gives_back_the_slots_of_a_burst() {
        let sched = SchedRef::new();
        let burst: Vec<_> = (0..5 * KEEP_SLOTS)
            .map(|_| bind(&sched, async {}).unwrap())
            .collect();
        assert!(slots(&sched).1 >= 5 * KEEP_SLOTS);
        for task in burst {
            let _ = task.run();
        }
        assert!(sched.0.owned.is_empty());
        let (len, capacity) = slots(&sched);
        assert_eq!(len, 0);
        assert!(capacity <= KEEP_SLOTS, "kept {capacity} slots");
        // And the list works as new afterwards.
        let task = bind(&sched, async {}).unwrap();
        assert_eq!(slots(&sched).0, 1);
        let _ = task.run();
    }

    #[test]
    fn a_task_removed_once_is_not_removed_again() {
        let sched = SchedRef::new();
        let task = bind(&sched, async {}).unwrap();
        let listed = std::mem::ManuallyDrop::new(
            // SAFETY: a second view of the queued task's pointer, never
            // dropped; the `Notified` keeps the task alive meanwhile.
            unsafe { Task::<SchedRef>::from_raw(task.header_ptr()) },
        );
        let removed = sched.0.owned.remove(&listed).expect("listed");
        assert!(sched.0.owned.remove(&listed).is_none());
        assert_eq!(sched.0.owned.len(), 0);
        drop(removed);
        let _ = task.run();
    }

    #[test]
    fn close_shuts_every_task_down_and_refuses_new_ones() {
        let sched = SchedRef::new();
        // Ten tasks ran once and wait; three are still queued.
        let waiting: Vec<_> = (0..10)
            .map(|_| sched.spawn(std::future::pending::<()>()))
            .collect();
        sched.run_all();
        let queued: Vec<_> = (0..3)
            .map(|_| sched.spawn(std::future::pending::<()>()))
            .collect();
        assert_eq!(sched.0.owned.len(), 13);
        // Cancels all thirteen and checks the list is empty.
        sched.shutdown();
        assert!(
            bind(&sched, async {}).is_none(),
            "closed lists refuse tasks"
        );
        drop((waiting, queued));
    }
}
