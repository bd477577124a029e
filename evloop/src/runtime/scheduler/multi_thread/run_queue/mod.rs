//! A worker's local run queue: a bounded lock-free ring plus a stealable LIFO
//! slot.
//!
//! The queue has two ends. The worker that owns it holds the [`Local`] end
//! (not `Clone`, so there is exactly one) and pushes at the tail and pops at
//! the head; any other worker holds a [`Steal`] end and takes half of the
//! items from the head in one batch. The LIFO slot beside the ring holds the
//! task woken most recently by the running task; the owner runs it next, and
//! a thief may take it when the ring is empty.
//!
//! # State
//!
//! - `tail: u32`: the index one past the last pushed item. Written only by the
//!   owner (so the owner reads it without synchronisation).
//! - `head: u64`, packing two `u32` indices: `real` (low half), the next item
//!   to pop or steal, and `steal` (high half), the first item a thief is still
//!   copying out. `steal == real` when no steal is in progress; while a thief
//!   copies the slots `[steal, real)`, `steal < real`.
//! - `lifo`: a pointer-sized atomic slot, null when empty.
//!
//! Indices grow without bound and wrap at `u32::MAX`; slot `i` lives at
//! `buffer[i & MASK]`. All distance computations use wrapping subtraction.
//!
//! # Rules
//!
//! 1. Slots `[real, tail)` hold initialised items that nobody has claimed.
//! 2. Slots `[steal, real)` hold items claimed by exactly one thief, who
//!    moves them out and then sets `steal = real`. Nobody else reads or writes
//!    them meanwhile.
//! 3. All other slots are uninitialised and belong to the owner, who may
//!    write them: the owner never lets `tail - steal` exceed `CAPACITY`.
//! 4. Only a CAS on `head` claims items (for the owner's pop and overflow as
//!    for a thief), so each item is claimed exactly once.
//! 5. At most one steal is in progress per queue: a thief that sees
//!    `steal != real` gives up.
//! 6. Only the owner fills the LIFO slot; anyone empties it, only by `swap`,
//!    so whoever swaps a non-null pointer out owns that item. The owner
//!    fills an empty slot with a plain store (nobody else can fill it in
//!    between) and a full one with a `swap` (a thief may be emptying it).
//!
//! # Protocol
//!
//! Owner, push (`push_back_or_overflow`):
//! 1. Load `head` (Acquire) and compute `tail - steal`. If below `CAPACITY`,
//!    write the item into slot `tail` and store `tail + 1` (Release). No CAS.
//! 2. Otherwise, if a steal is in progress, the thief is about to free room;
//!    don't wait for it: hand the single item to the overflow sink.
//! 3. Otherwise CAS `head` from `(real, real)` to `(real + HALF, real + HALF)`,
//!    claiming the oldest half of the ring, and hand those items plus the new
//!    one to the overflow sink in one batch (one lock round-trip). If the CAS
//!    fails, a thief claimed items meanwhile: retry from step 1, where there
//!    now is room.
//!
//! Owner, pop:
//! 1. Load `head`; if `real == tail` the ring is empty.
//! 2. CAS `head` to `real + 1` (and `steal` along with it when no steal is in
//!    progress). On success the item at `real` is the owner's.
//!
//! Thief (`steal_into`):
//! 1. Load `head` (Acquire). If `steal != real`, another thief is active: give
//!    up (rule 5).
//! 2. Load `tail` (Acquire: the slots below it are initialised and visible).
//!    `n = ceil((tail - real) / 2)`. If `n == 0`, go to step 6. If
//!    `tail - real > CAPACITY`, `head` went stale while `tail` was read:
//!    retry from step 1.
//! 3. CAS `head` from `(real, real)` to `(real, real + n)`: the thief now
//!    owns slots `[real, real + n)` (rule 2). On failure, retry from step 1.
//! 4. Move the items into the thief's own ring (whose owner it is).
//! 5. CAS `head` to `(real', real')` where `real'` is its current value
//!    (the owner may have popped meanwhile), retrying until it succeeds. This
//!    is a Release, so the moves of step 4 happen before the owner reuses
//!    those slots (the owner's step 1 is an Acquire).
//! 6. If the ring was empty, `swap` the LIFO slot with null (rule 6): this is
//!    how a task sitting in the LIFO slot of a worker stuck in a long poll
//!    gets run elsewhere. Workers searching for work use the patient form
//!    (`steal_into_patient`): they take the slot's task only when they see
//!    the same task there on two looks in a row, so a task that its owner
//!    is about to run anyway is not pulled away from it.
//!
//! # Alternatives rejected
//!
//! - **Separate atomic `head` and `steal`**: a thief would need two CASes to
//!   claim a batch and mark it in flight, and the owner could slip in
//!   between. Packing both in one word makes the claim one CAS.
//! - **Owner pops at the tail without any RMW (Chase–Lev)**: fine for
//!   single-item steals, but a batch thief computes its batch from a `tail` it
//!   read earlier; the owner, popping downwards meanwhile, could take items
//!   inside that batch. It would also make the ring LIFO, which starves the
//!   oldest tasks. We keep FIFO order and pay one uncontended CAS per pop.
//! - **Owner pops with `fetch_add` on `real`**: never fails, but when no steal
//!   is in progress `steal` must advance too, and whether one is in progress
//!   can change between the load and the add.
//! - **Blocking the owner while a thief copies** (e.g. a lock per queue): the
//!   owner's push/pop would take a lock on every operation.
//! - **LIFO slot as a plain field owned by the worker** (not stealable): a
//!   task in it waits for the owner's current poll to end, however long.

use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr::{self, NonNull};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering::*};
use crate::loom::sync::Arc;

/// Slots in the ring. Small under loom so that the models exercise overflow.
#[cfg(not(loom))]
pub(crate) const CAPACITY: usize = 256;
#[cfg(loom)]
pub(crate) const CAPACITY: usize = 4;

const MASK: usize = CAPACITY - 1;
const HALF: u32 = (CAPACITY / 2) as u32;

const _: () = assert!(CAPACITY.is_power_of_two() && CAPACITY >= 2);

/// An item that can travel through the LIFO slot: a value that converts into
/// a non-null pointer and back without loss (a task reference, a `Box`).
///
/// # Safety
///
/// `from_raw(into_raw(x))` must give back `x`, and the pointer must be the
/// only owner of the value while it is in raw form (so it may cross threads
/// when `Self: Send`).
pub(crate) unsafe trait Pointer: Sized {
    fn into_raw(self) -> NonNull<()>;

    /// # Safety
    ///
    /// `ptr` comes from `into_raw` of this type and is converted back once.
    unsafe fn from_raw(ptr: NonNull<()>) -> Self;
}

// SAFETY: `Box::into_raw` / `Box::from_raw` round-trip; the box is the only
// owner of its value.
unsafe impl<T> Pointer for Box<T> {
    fn into_raw(self) -> NonNull<()> {
        NonNull::from(Box::leak(self)).cast()
    }

    unsafe fn from_raw(ptr: NonNull<()>) -> Self {
        // SAFETY: the caller guarantees `ptr` came from `into_raw` above and
        // is converted back once.
        unsafe { Box::from_raw(ptr.cast::<T>().as_ptr()) }
    }
}

/// Where a full ring sends half its items: the inject queue.
pub(crate) trait Overflow<T> {
    fn push(&self, item: T);
    fn push_batch<I: Iterator<Item = T>>(&self, items: I);
}

/// The owner's end of the queue. One per queue.
pub(crate) struct Local<T: Pointer> {
    inner: Arc<RunQueueShared<T>>,
}

/// Another worker's end of the queue: steals half of it.
pub(crate) struct Steal<T: Pointer>(Arc<RunQueueShared<T>>);

struct RunQueueShared<T: Pointer> {
    /// `steal << 32 | real`; see the module docs.
    head: AtomicU64,
    /// Written only by the owner.
    tail: AtomicU32,
    /// The LIFO slot: null or a pointer from `T::into_raw` (rule 6).
    lifo: AtomicPtr<()>,
    buffer: Box<[UnsafeCell<MaybeUninit<T>>]>,
    _owns: PhantomData<T>,
}

// SAFETY: items move between threads through the queue (so `T: Send` is
// needed and enough); every access to a slot is serialised by the claiming
// protocol (rules 1–4) and the LIFO slot by `swap` (rule 6).
unsafe impl<T: Pointer + Send> Send for RunQueueShared<T> {}
// SAFETY: as above; shared access only goes through the atomic protocol.
unsafe impl<T: Pointer + Send> Sync for RunQueueShared<T> {}

fn pack(steal: u32, real: u32) -> u64 {
    (u64::from(steal) << 32) | u64::from(real)
}

fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

/// Creates a queue: the owner's end and the first thief end.
pub(crate) fn local<T: Pointer>() -> (Steal<T>, Local<T>) {
    let buffer = (0..CAPACITY)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect();
    let inner = Arc::new(RunQueueShared {
        head: AtomicU64::new(0),
        tail: AtomicU32::new(0),
        lifo: AtomicPtr::new(ptr::null_mut()),
        buffer,
        _owns: PhantomData,
    });
    (Steal(inner.clone()), Local { inner })
}

impl<T: Pointer> RunQueueShared<T> {
    /// Moves the item out of `slot`.
    ///
    /// # Safety
    ///
    /// The caller has claimed slot `index` (rules 1, 2) and it is initialised.
    unsafe fn take_slot(&self, index: u32) -> T {
        self.buffer[index as usize & MASK].with(|p| {
            // SAFETY: the caller claimed the slot (rule 4), so nobody else
            // touches it, and it is initialised (rule 1).
            unsafe { (*p).assume_init_read() }
        })
    }

    /// Writes `item` into slot `index`.
    ///
    /// # Safety
    ///
    /// The caller owns slot `index` (rule 3), which holds no live item.
    unsafe fn put_slot(&self, index: u32, item: T) {
        self.buffer[index as usize & MASK].with_mut(|p| {
            // SAFETY: the caller owns the uninitialised slot (rule 3).
            unsafe { (*p).write(item) };
        })
    }

    fn take_lifo(&self) -> Option<T> {
        // Most calls find the slot empty: skip the locked swap then. A
        // pointer stored meanwhile is seen by the next call (only the owner
        // fills the slot, and it is the one calling here, or a thief that
        // gives up on an empty-looking slot, rule 6).
        if self.lifo.load(Relaxed).is_null() {
            return None;
        }
        let ptr = NonNull::new(self.lifo.swap(ptr::null_mut(), AcqRel))?;
        // SAFETY: rule 6: only pointers from `T::into_raw` are stored in the
        // slot, and the swap made us their only holder.
        Some(unsafe { T::from_raw(ptr) })
    }

    fn len(&self) -> u32 {
        let (_, real) = unpack(self.head.load(Acquire));
        self.tail.load(Acquire).wrapping_sub(real)
    }
}

impl<T: Pointer> Local<T> {
    /// The owner's view of `tail` (rule: only the owner writes it).
    fn tail(&self) -> u32 {
        self.inner.tail.load(Relaxed)
    }

    /// Items in the ring (not counting the LIFO slot).
    pub(crate) fn len(&self) -> usize {
        self.inner.len() as usize
    }

    /// True if there is nothing to pop, neither in the ring nor the LIFO slot.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0 && self.inner.lifo.load(Acquire).is_null()
    }

    /// True if the ring holds exactly one item and the LIFO slot is empty.
    pub(crate) fn is_alone(&self) -> bool {
        self.len() == 1 && self.inner.lifo.load(Relaxed).is_null()
    }

    /// Free slots in the ring (slots being stolen count as taken).
    pub(crate) fn remaining_slots(&self) -> usize {
        let (steal, _) = unpack(self.inner.head.load(Acquire));
        CAPACITY - self.tail().wrapping_sub(steal) as usize
    }

    /// Pushes items that are known to fit (`items.len() <= remaining_slots()`).
    pub(crate) fn push_back(&mut self, items: impl ExactSizeIterator<Item = T>) {
        let len = items.len();
        assert!(len <= self.remaining_slots(), "push_back past capacity");
        let mut tail = self.tail();
        for item in items.take(len) {
            // SAFETY: rule 3: `tail - steal + len <= CAPACITY` (checked
            // above; `steal` only grows), so these slots are the owner's.
            unsafe { self.inner.put_slot(tail, item) };
            tail = tail.wrapping_add(1);
        }
        self.inner.tail.store(tail, Release);
    }

    /// Pushes one item at the tail; when the ring is full, moves half of it
    /// plus `item` to `overflow` (owner push steps 1–3).
    pub(crate) fn push_back_or_overflow<O: Overflow<T>>(&mut self, mut item: T, overflow: &O) {
        let tail = self.tail();
        loop {
            // Step 1.
            let (steal, real) = unpack(self.inner.head.load(Acquire));
            if (tail.wrapping_sub(steal) as usize) < CAPACITY {
                break;
            }
            // Step 2.
            if steal != real {
                overflow.push(item);
                return;
            }
            // Step 3.
            match self.push_overflow(item, real, tail, overflow) {
                Ok(()) => return,
                Err(back) => item = back,
            }
        }
        // SAFETY: rule 3: `tail - steal < CAPACITY`, so slot `tail` is the
        // owner's and uninitialised.
        unsafe { self.inner.put_slot(tail, item) };
        self.inner.tail.store(tail.wrapping_add(1), Release);
    }

    fn push_overflow<O: Overflow<T>>(
        &mut self,
        item: T,
        real: u32,
        tail: u32,
        overflow: &O,
    ) -> Result<(), T> {
        debug_assert_eq!(tail.wrapping_sub(real) as usize, CAPACITY);
        let next = real.wrapping_add(HALF);
        if self
            .inner
            .head
            .compare_exchange(pack(real, real), pack(next, next), AcqRel, Acquire)
            .is_err()
        {
            return Err(item);
        }
        let inner = &*self.inner;
        let claimed = (0..HALF).map(move |i| {
            // SAFETY: the CAS above claimed `[real, real + HALF)` (rule 4);
            // these slots are initialised (rule 1).
            unsafe { inner.take_slot(real.wrapping_add(i)) }
        });
        overflow.push_batch(claimed.chain(std::iter::once(item)));
        Ok(())
    }

    /// Pops the oldest item of the ring (owner pop steps 1–2).
    pub(crate) fn pop(&mut self) -> Option<T> {
        let tail = self.tail();
        let mut head = self.inner.head.load(Acquire);
        let real = loop {
            let (steal, real) = unpack(head);
            if real == tail {
                return None;
            }
            let next_real = real.wrapping_add(1);
            let next = if steal == real {
                pack(next_real, next_real)
            } else {
                pack(steal, next_real)
            };
            match self
                .inner
                .head
                .compare_exchange(head, next, AcqRel, Acquire)
            {
                Ok(_) => break real,
                Err(actual) => head = actual,
            }
        };
        // SAFETY: the CAS claimed slot `real` (rule 4); it lies in
        // `[real, tail)`, so it is initialised (rule 1).
        Some(unsafe { self.inner.take_slot(real) })
    }

    /// Puts `item` in the LIFO slot and returns the item it displaced, which
    /// the caller should push at the back of the ring.
    pub(crate) fn push_lifo(&mut self, item: T) -> Option<T> {
        let ptr = item.into_raw().as_ptr();
        // Rule 6: only the owner (us) fills the slot, so an empty slot stays
        // empty until we store: no locked swap needed then. The Release
        // pairs with a thief's swap.
        if self.inner.lifo.load(Relaxed).is_null() {
            self.inner.lifo.store(ptr, Release);
            return None;
        }
        let prev = self.inner.lifo.swap(ptr, AcqRel);
        // SAFETY: rule 6: a non-null value in the slot came from
        // `T::into_raw`, and the swap gave it to us.
        NonNull::new(prev).map(|p| unsafe { T::from_raw(p) })
    }

    /// Takes the item in the LIFO slot, unless a thief took it first.
    pub(crate) fn take_lifo(&mut self) -> Option<T> {
        self.inner.take_lifo()
    }
}

impl<T: Pointer> Steal<T> {
    /// True if there is nothing to steal, neither in the ring nor the LIFO slot.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.len() == 0 && self.0.lifo.load(Acquire).is_null()
    }

    /// Steals half of the victim's ring into `dst` and returns one of the
    /// stolen items to run at once; takes the LIFO slot when the ring is empty.
    /// Returns `None` if there was nothing to take or another thief is busy.
    #[cfg(test)]
    pub(crate) fn steal_into(&self, dst: &mut Local<T>) -> Option<T> {
        self.steal_into_with(dst, |inner| inner.take_lifo())
    }

    /// Like `steal_into`, but takes the LIFO slot's task
    /// only if it is the one `seen` recorded at the previous look (step 6's
    /// patience): a task that sits in the slot across two looks is stranded
    /// behind a long poll, while one that comes and goes is being run by its
    /// owner at once, next to the task that woke it — taking it would only
    /// move it away from its data. `seen` is the thief's memory for this
    /// victim (0: nothing seen).
    pub(crate) fn steal_into_patient(&self, dst: &mut Local<T>, seen: &mut usize) -> Option<T> {
        self.steal_into_with(dst, |inner| {
            let now = inner.lifo.load(Relaxed) as usize;
            if now != 0 && now == *seen {
                *seen = 0;
                return inner.take_lifo();
            }
            *seen = now;
            None
        })
    }

    fn steal_into_with(
        &self,
        dst: &mut Local<T>,
        lifo: impl FnOnce(&RunQueueShared<T>) -> Option<T>,
    ) -> Option<T> {
        // A thief only steals when it has room for any batch.
        if dst.remaining_slots() < HALF as usize {
            return None;
        }
        let dst_tail = dst.tail();
        let n = match self.steal_batch(dst, dst_tail) {
            Stolen::Batch(n) => n,
            Stolen::Busy => return None,
            // Thief step 6.
            Stolen::Empty => return lifo(&self.0),
        };
        // Run the last stolen item now; publish the others.
        let last = dst_tail.wrapping_add(n - 1);
        // SAFETY: `steal_batch` wrote slots `[dst_tail, dst_tail + n)` of our
        // own ring, which are not yet published to thieves (`tail` unchanged).
        let ret = unsafe { dst.inner.take_slot(last) };
        if n > 1 {
            dst.inner.tail.store(last, Release);
        }
        Some(ret)
    }

    fn steal_batch(&self, dst: &mut Local<T>, dst_tail: u32) -> Stolen {
        let src = &*self.0;
        let mut head = src.head.load(Acquire);
        // Thief steps 1–3.
        let (first, n) = loop {
            let (steal, real) = unpack(head);
            if steal != real {
                return Stolen::Busy;
            }
            let len = src.tail.load(Acquire).wrapping_sub(real);
            if len as usize > CAPACITY {
                // `head` went stale while we read `tail` (the owner popped
                // and pushed meanwhile); the CAS would fail anyway.
                head = src.head.load(Acquire);
                continue;
            }
            let n = len - len / 2;
            if n == 0 {
                return Stolen::Empty;
            }
            let next = pack(steal, real.wrapping_add(n));
            match src.head.compare_exchange(head, next, AcqRel, Acquire) {
                Ok(_) => break (real, n),
                Err(actual) => head = actual,
            }
        };
        debug_assert!(n <= HALF);

        // Step 4.
        for i in 0..n {
            // SAFETY: rule 2: our CAS claimed `[first, first + n)`, which are
            // initialised (rule 1, published by the Acquire load of `tail`).
            let item = unsafe { src.take_slot(first.wrapping_add(i)) };
            // SAFETY: rule 3 on our own ring: `steal_into` checked that at
            // least HALF >= n slots are free.
            unsafe { dst.inner.put_slot(dst_tail.wrapping_add(i), item) };
        }

        // Step 5.
        let mut head = src.head.load(Acquire);
        loop {
            let (steal, real) = unpack(head);
            debug_assert_eq!(steal, first);
            match src
                .head
                .compare_exchange(head, pack(real, real), AcqRel, Acquire)
            {
                Ok(_) => return Stolen::Batch(n),
                Err(actual) => head = actual,
            }
        }
    }
}

enum Stolen {
    Batch(u32),
    Busy,
    Empty,
}

impl<T: Pointer> Clone for Steal<T> {
    fn clone(&self) -> Self {
        Steal(self.0.clone())
    }
}

impl<T: Pointer> Drop for RunQueueShared<T> {
    fn drop(&mut self) {
        // `&mut self`: no other end exists, so no steal is in flight and
        // `[real, tail)` is exactly the set of live items (rules 1, 2).
        let (steal, real) = unpack(self.head.load(Relaxed));
        debug_assert_eq!(steal, real);
        let tail = self.tail.load(Relaxed);
        let mut i = real;
        while i != tail {
            // SAFETY: rule 1, and we are the last reference.
            drop(unsafe { self.take_slot(i) });
            i = i.wrapping_add(1);
        }
        drop(self.take_lifo());
    }
}

impl<T: Pointer> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local")
            .field("len", &self.len())
            .field("lifo", &!self.inner.lifo.load(Relaxed).is_null())
            .finish()
    }
}

impl<T: Pointer> fmt::Debug for Steal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Steal").field("len", &self.0.len()).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
