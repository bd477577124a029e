//! The message list of `mpsc`: a linked list of fixed-size blocks of slots,
//! lock-free for any number of senders and one receiver.
//!
//! # Glossary
//!
//! - *index*: the position of a message in the channel, claimed by a sender
//!   with `fetch_add` on `tail_position`. Slot `index % BLOCK_CAP` of the
//!   block whose `start` is `index - index % BLOCK_CAP` holds it.
//! - *block tail*: the first block a sender looks at (`block_tail`); it only
//!   moves forward past blocks whose slots are all written (*final* blocks).
//! - *released* block: one the block tail moved past; `observed_tail` is the
//!   `tail_position` seen right after the move.
//!
//! # Rules
//!
//! 1. A slot is written once, by the sender that claimed its index, before it
//!    sets the slot's bit in `ready` (release). The receiver reads the slot
//!    only after seeing that bit (acquire), and only once.
//! 2. `block_tail` moves from a block only once the block is final, so no
//!    sender will ever write to a released block again.
//! 3. A sender holding a pointer to a released block `B` claimed its index
//!    before `B` was released, so that index is below `B.observed_tail`. The
//!    receiver reuses or frees `B` only once it has read every index below
//!    `observed_tail` (`observed_tail <= rx.index`): all those senders wrote
//!    their message, so they are done walking the list and none still points
//!    at `B`.
//! 4. The receiver recycles a freed block by appending it after the current
//!    tail (at most 3 attempts, then it deallocates it), so a channel that
//!    drained after a burst keeps only a few spare blocks.
//! 5. Closing claims an index like a send and sets `TX_CLOSED` in that
//!    index's block. All sends completed before the last sender closed, so
//!    every lower index is ready by then: a receiver that finds its slot not
//!    ready and `TX_CLOSED` set has read everything.
//! 6. The receiver's fields (`head`, `index`, `free_head`) are touched only
//!    by the receiver (and by the channel's `Drop`, which is exclusive).
//!
//! Rejected: a mutex around a `VecDeque` (every send serializes on one lock
//! and a burst leaves the deque at its peak size), and a fixed ring (needs
//! the bound for the unbounded channel).

use std::mem::MaybeUninit;
use std::ptr::{self, NonNull};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{
    AtomicPtr, AtomicUsize,
    Ordering::{AcqRel, Acquire, Relaxed, Release},
};

/// Slots per block (small under loom to exercise block changes).
#[cfg(not(loom))]
pub(crate) const BLOCK_CAP: usize = 32;
#[cfg(loom)]
pub(crate) const BLOCK_CAP: usize = 2;

const SLOT_MASK: usize = BLOCK_CAP - 1;
const READY_MASK: usize = (1 << BLOCK_CAP) - 1;
const RELEASED: usize = 1 << BLOCK_CAP;
const TX_CLOSED: usize = 1 << (BLOCK_CAP + 1);

struct Block<T> {
    /// Index of slot 0; written only while the block is unreachable (rule 4).
    start: usize,
    next: AtomicPtr<Block<T>>,
    /// Ready bits, `RELEASED`, `TX_CLOSED`.
    ready: AtomicUsize,
    /// Rule 3; published by `RELEASED`.
    observed_tail: AtomicUsize,
    slots: [UnsafeCell<MaybeUninit<T>>; BLOCK_CAP],
}

impl<T> Block<T> {
    fn alloc(start: usize) -> NonNull<Block<T>> {
        let b = Box::new(Block {
            start,
            next: AtomicPtr::new(ptr::null_mut()),
            ready: AtomicUsize::new(0),
            observed_tail: AtomicUsize::new(0),
            slots: std::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
        });
        NonNull::from(Box::leak(b))
    }

    /// # Safety
    ///
    /// `b` came from `alloc`, is unreachable and not used afterwards.
    unsafe fn free(b: NonNull<Block<T>>) {
        // SAFETY: guaranteed by the caller.
        drop(unsafe { Box::from_raw(b.as_ptr()) });
    }

    fn is_final(&self) -> bool {
        self.ready.load(Acquire) & READY_MASK == READY_MASK
    }
}

/// Sender side, shared by all senders.
pub(crate) struct Tx<T> {
    block_tail: AtomicPtr<Block<T>>,
    tail_position: AtomicUsize,
}

/// Receiver side (rule 6).
pub(crate) struct Rx<T> {
    head: NonNull<Block<T>>,
    index: usize,
    free_head: NonNull<Block<T>>,
}

pub(crate) enum Read<T> {
    Value(T),
    Empty,
    Closed,
}

// SAFETY: values move from senders to the receiver (`T: Send`); the blocks
// are shared under rules 1–3.
unsafe impl<T: Send> Send for Tx<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Tx<T> {}
// SAFETY: the receiver's pointers are only used by the receiver (rule 6).
unsafe impl<T: Send> Send for Rx<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Rx<T> {}

pub(crate) fn list<T>() -> (Tx<T>, Rx<T>) {
    let first = Block::alloc(0);
    (
        Tx {
            block_tail: AtomicPtr::new(first.as_ptr()),
            tail_position: AtomicUsize::new(0),
        },
        Rx {
            head: first,
            index: 0,
            free_head: first,
        },
    )
}

impl<T> Tx<T> {
    pub(crate) fn push(&self, value: T) {
        let index = self.tail_position.fetch_add(1, Acquire);
        let block = self.find_block(index);
        let slot = index & SLOT_MASK;
        // SAFETY: rule 1 — we claimed `index`, so the slot is ours to write,
        // and the block cannot be reclaimed before we set its ready bit
        // (rule 3).
        unsafe {
            let b = block.as_ref();
            b.slots[slot].with_mut(|p| (*p).write(value));
            b.ready.fetch_or(1 << slot, Release);
        }
    }

    /// Rule 5. Called once, by the last sender.
    pub(crate) fn close(&self) {
        let index = self.tail_position.fetch_add(1, Acquire);
        let block = self.find_block(index);
        // SAFETY: as in `push`: the block holds an index we claimed and never
        // mark ready, so it is never released or reclaimed.
        unsafe { block.as_ref().ready.fetch_or(TX_CLOSED, Release) };
    }

    /// Number of indices claimed so far.
    pub(crate) fn tail_position(&self) -> usize {
        self.tail_position.load(Acquire)
    }

    fn find_block(&self, index: usize) -> NonNull<Block<T>> {
        let start = index & !SLOT_MASK;
        let offset = index & SLOT_MASK;
        // SAFETY: `block_tail` always points to a live block: it only moves
        // past final blocks, and rule 3 keeps released blocks alive while
        // we (having claimed `index`) may look at them.
        let mut block = unsafe { NonNull::new_unchecked(self.block_tail.load(Acquire)) };
        // SAFETY: as above.
        let distance = (start - unsafe { block.as_ref().start }) / BLOCK_CAP;
        if distance == 0 {
            return block;
        }
        // Only senders near the front of their block help move the tail,
        // which keeps contention on `block_tail` low.
        let mut try_advance = offset < distance;
        loop {
            // SAFETY: rule 3 — every block between the tail we loaded and our
            // own is alive while our index is unwritten.
            let b = unsafe { block.as_ref() };
            let next = match NonNull::new(b.next.load(Acquire)) {
                Some(next) => next,
                None => Self::grow(b),
            };
            if try_advance && b.is_final() {
                if self
                    .block_tail
                    .compare_exchange(block.as_ptr(), next.as_ptr(), Release, Relaxed)
                    .is_ok()
                {
                    // Rule 3: publish the tail position after the move.
                    let tail = self.tail_position.load(Acquire);
                    b.observed_tail.store(tail, Relaxed);
                    b.ready.fetch_or(RELEASED, Release);
                } else {
                    try_advance = false;
                }
            } else {
                try_advance = false;
            }
            block = next;
            // SAFETY: as above.
            if unsafe { block.as_ref().start } == start {
                return block;
            }
        }
    }

    /// Appends a new block after `b`; returns `b`'s successor.
    fn grow(b: &Block<T>) -> NonNull<Block<T>> {
        let new = Block::<T>::alloc(b.start + BLOCK_CAP);
        match b
            .next
            .compare_exchange(ptr::null_mut(), new.as_ptr(), AcqRel, Acquire)
        {
            Ok(_) => new,
            Err(actual) => {
                // Another sender grew the list; put our block further down
                // rather than freeing it.
                // SAFETY: `actual` is non-null (the CAS failed on null) and
                // live (rule 3).
                let next = unsafe { NonNull::new_unchecked(actual) };
                let mut cur = next;
                loop {
                    // SAFETY: blocks after ours are live (rule 3).
                    let c = unsafe { cur.as_ref() };
                    // SAFETY: `new` is still unreachable, we own it.
                    unsafe { (*new.as_ptr()).start = c.start + BLOCK_CAP };
                    match c
                        .next
                        .compare_exchange(ptr::null_mut(), new.as_ptr(), AcqRel, Acquire)
                    {
                        Ok(_) => return next,
                        // SAFETY: non-null, live (rule 3).
                        Err(actual) => cur = unsafe { NonNull::new_unchecked(actual) },
                    }
                }
            }
        }
    }

    /// Rule 4: recycle `b` after the tail, or free it.
    ///
    /// # Safety
    ///
    /// `b` is released and reclaimable by rule 3, and no longer reachable
    /// from the receiver.
    unsafe fn reclaim(&self, b: NonNull<Block<T>>) {
        // SAFETY: the block is unreachable for everyone (caller), so we have
        // exclusive access while resetting it.
        unsafe {
            let blk = b.as_ref();
            blk.next.store(ptr::null_mut(), Relaxed);
            blk.ready.store(0, Relaxed);
            blk.observed_tail.store(0, Relaxed);
        }
        // SAFETY: `block_tail` is live (see `find_block`).
        let mut cur = unsafe { NonNull::new_unchecked(self.block_tail.load(Acquire)) };
        for _ in 0..3 {
            // SAFETY: blocks at or after the tail are live: they are not
            // released, and only released blocks are reclaimed.
            let c = unsafe { cur.as_ref() };
            // SAFETY: `b` is still unreachable.
            unsafe { (*b.as_ptr()).start = c.start + BLOCK_CAP };
            match c
                .next
                .compare_exchange(ptr::null_mut(), b.as_ptr(), AcqRel, Acquire)
            {
                Ok(_) => return,
                // SAFETY: non-null, live.
                Err(actual) => cur = unsafe { NonNull::new_unchecked(actual) },
            }
        }
        // SAFETY: still unreachable and ours.
        unsafe { Block::free(b) };
    }
}

impl<T> Rx<T> {
    /// Index of the next message to read.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// Pops the next message (rule 6: receiver only).
    pub(crate) fn pop(&mut self, tx: &Tx<T>) -> Read<T> {
        if !self.advance_head() {
            return Read::Empty;
        }
        self.reclaim_blocks(tx);
        // SAFETY: `head` is live: the receiver never reclaims it.
        let head = unsafe { self.head.as_ref() };
        let bits = head.ready.load(Acquire);
        let slot = self.index & SLOT_MASK;
        if bits & (1 << slot) != 0 {
            // SAFETY: rule 1 — the ready bit is set (acquire) and this index
            // is read once (we advance past it).
            let value = head.slots[slot].with(|p| unsafe { (*p).assume_init_read() });
            self.index += 1;
            Read::Value(value)
        } else if bits & TX_CLOSED != 0 {
            Read::Closed
        } else {
            Read::Empty
        }
    }

    fn advance_head(&mut self) -> bool {
        let start = self.index & !SLOT_MASK;
        loop {
            // SAFETY: `head` is live (never reclaimed while it is head).
            let head = unsafe { self.head.as_ref() };
            if head.start == start {
                return true;
            }
            match NonNull::new(head.next.load(Acquire)) {
                Some(next) => self.head = next,
                None => return false,
            }
        }
    }

    fn reclaim_blocks(&mut self, tx: &Tx<T>) {
        while self.free_head != self.head {
            // SAFETY: blocks from `free_head` up to `head` are live and only
            // the receiver frees them.
            let b = unsafe { self.free_head.as_ref() };
            let bits = b.ready.load(Acquire);
            if bits & RELEASED == 0 || b.observed_tail.load(Relaxed) > self.index {
                return;
            }
            // The successor exists: `head` comes later.
            // SAFETY: non-null because `head` follows.
            let next = unsafe { NonNull::new_unchecked(b.next.load(Acquire)) };
            let old = self.free_head;
            self.free_head = next;
            // SAFETY: rule 3 holds (checked above) and the block is behind
            // `free_head` now.
            unsafe { tx.reclaim(old) };
        }
    }

    /// Drops every unread message and frees every block.
    ///
    /// # Safety
    ///
    /// No sender or receiver may use the list any more (exclusive access).
    pub(crate) unsafe fn free_all(&mut self, tx: &Tx<T>) {
        /// Finishes the job if a message's `Drop` panics: the other messages
        /// are still dropped and the blocks freed (a second panic aborts,
        /// as it does for a `Vec`).
        struct Rest<'a, T>(&'a mut Rx<T>, &'a Tx<T>);
        impl<T> Drop for Rest<'_, T> {
            fn drop(&mut self) {
                // SAFETY: the exclusive access `free_all` was given.
                unsafe { self.0.free_all(self.1) }
            }
        }
        let rest = Rest(self, tx);
        while let Read::Value(v) = rest.0.pop(rest.1) {
            drop(v);
        }
        std::mem::forget(rest);
        let mut cur = Some(self.free_head);
        while let Some(b) = cur {
            // SAFETY: exclusive access (caller); each block is visited once.
            unsafe {
                cur = NonNull::new(b.as_ref().next.load(Relaxed));
                Block::free(b);
            }
        }
    }
}
