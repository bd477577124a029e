//! The owned-task list: every live task of a runtime (or `LocalSet`), so
//! that shutdown can cancel and free all of them.
//!
//! An intrusive doubly linked list through each task's trailer (`owned`
//! pointers), so adding and removing a task costs no allocation.
//!
//! # Rules
//!
//! 1. A task's `owned` pointers are read and written only under this
//!    list's lock.
//! 2. The list holds one ref of every task in it (a `Task<S>` forgotten on
//!    insertion, recreated on removal).
//! 3. Once closed, the list accepts no task: `bind` cancels it at once.
//! 4. The list is split in shards, each with its own lock, so that workers
//!    spawning and completing tasks at the same time rarely wait for each
//!    other; a task lives in shard `id % shards` for its whole life.

use std::future::Future;
use std::ptr::NonNull;

use crate::loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use crate::loom::sync::Mutex;
use crate::task::core::Header;
use crate::task::moved::Moved;
use crate::task::{new_task, Id, JoinHandle, Notified, Schedule, SpawnMeta, Task};

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
    head: Option<NonNull<Header>>,
    tail: Option<NonNull<Header>>,
    closed: bool,
}

// SAFETY: the raw pointers are only dereferenced under the mutex (rule 1),
// and each names a task the list holds a ref to (rule 2).
unsafe impl Send for List {}

impl Shard {
    fn new() -> Shard {
        Shard {
            list: Mutex::new(List {
                head: None,
                tail: None,
                closed: false,
            }),
            len: AtomicUsize::new(0),
            spawned: AtomicU64::new(0),
        }
    }

    /// Under the lock: `len += delta` without a read-modify-write.
    fn add_len(&self, delta: isize) {
        let len = self.len.load(Ordering::Relaxed);
        self.len
            .store(len.wrapping_add_signed(delta), Ordering::Relaxed);
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
        unsafe { list.push_front(ptr) };
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
        if removed {
            shard.add_len(-1);
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
            shard.list.lock().closed = true;
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
            let mut cur = list.head;
            while let Some(ptr) = cur {
                // SAFETY: rule 2 keeps the task alive; rule 1 (lock held) makes
                // the pointers readable. The borrowed `Task` is never dropped.
                let task = std::mem::ManuallyDrop::new(unsafe { Task::<S>::from_raw(ptr) });
                f(&task);
                // SAFETY: as above.
                cur = unsafe { next(ptr) };
            }
        }
    }
}

impl<S: 'static> Drop for OwnedTasks<S> {
    fn drop(&mut self) {
        debug_assert!(
            self.shards.iter().all(|s| s.list.lock().head.is_none()) || std::thread::panicking(),
            "owned task list dropped while tasks are alive"
        );
    }
}

/// # Safety
///
/// Rule 1 (lock held) and `ptr` is a live task in the list.
unsafe fn next(ptr: NonNull<Header>) -> Option<NonNull<Header>> {
    // SAFETY: caller's contract.
    unsafe { Header::get_owned_pointers(ptr).as_ref().next.with(|p| *p) }
}

/// # Safety
///
/// As [`next`].
unsafe fn prev(ptr: NonNull<Header>) -> Option<NonNull<Header>> {
    // SAFETY: caller's contract.
    unsafe { Header::get_owned_pointers(ptr).as_ref().prev.with(|p| *p) }
}

/// # Safety
///
/// As [`next`].
unsafe fn set_next(ptr: NonNull<Header>, val: Option<NonNull<Header>>) {
    // SAFETY: caller's contract.
    unsafe {
        Header::get_owned_pointers(ptr)
            .as_ref()
            .next
            .with_mut(|p| *p = val)
    }
}

/// # Safety
///
/// As [`next`].
unsafe fn set_prev(ptr: NonNull<Header>, val: Option<NonNull<Header>>) {
    // SAFETY: caller's contract.
    unsafe {
        Header::get_owned_pointers(ptr)
            .as_ref()
            .prev
            .with_mut(|p| *p = val)
    }
}

impl List {
    /// # Safety
    ///
    /// Rule 1; `ptr` is live and in no list.
    unsafe fn push_front(&mut self, ptr: NonNull<Header>) {
        // SAFETY: caller's contract; `head` is a live task of this list.
        unsafe {
            set_prev(ptr, None);
            set_next(ptr, self.head);
            match self.head {
                Some(head) => set_prev(head, Some(ptr)),
                None => self.tail = Some(ptr),
            }
        }
        self.head = Some(ptr);
    }

    /// # Safety
    ///
    /// Rule 1.
    unsafe fn pop_back(&mut self) -> Option<NonNull<Header>> {
        let tail = self.tail?;
        // SAFETY: `tail` is in this list.
        unsafe { self.remove(tail) };
        Some(tail)
    }

    /// Unlinks `ptr` if it is in this list.
    ///
    /// # Safety
    ///
    /// Rule 1; `ptr` is live and in this list or in none.
    unsafe fn remove(&mut self, ptr: NonNull<Header>) -> bool {
        // SAFETY: caller's contract; neighbours are live tasks of this list.
        unsafe {
            let p = prev(ptr);
            let n = next(ptr);
            match p {
                Some(p) => set_next(p, n),
                None => {
                    if self.head != Some(ptr) {
                        // Not in the list (already removed).
                        return false;
                    }
                    self.head = n;
                }
            }
            match n {
                Some(n) => set_prev(n, p),
                None => self.tail = p,
            }
            set_prev(ptr, None);
            set_next(ptr, None);
        }
        true
    }
}
