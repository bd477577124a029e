//! A single-producer ring of records that any thread may copy at any time.
//!
//! Each thread that records owns one ring: it is the only writer, so a push
//! is four plain (`Relaxed`) stores and one `Release` store of the head, no
//! read-modify-write and no lock. When the ring is full the oldest record is
//! overwritten; the number lost is `head - capacity`. (An event below is a
//! record, `event::Record`.)
//!
//! # Rules
//!
//! 1. Only the thread that owns the ring calls [`Ring::push`] (the recorder
//!    hands each thread its own ring through a thread-local).
//! 2. `head` counts events ever pushed. Event `j` lives in slot
//!    `j & mask` and is complete once `head > j` (published with `Release`).
//! 3. Before overwriting slot `j & mask` (which held event `j - cap`), the
//!    writer issues a `Release` fence after loading `head == j`; a reader
//!    that observes any word of event `j` and then, after an `Acquire`
//!    fence, loads `head` sees `head >= j`. So a reader that copied slots and
//!    then reads `head == h2` keeps only events `j > h2 - cap`: everything
//!    older may have been torn by an overwrite in progress (a seqlock in
//!    which the head is the sequence number).
//!
//! 4. The writer may amend its newest event (`head - 1`), once published:
//!    words 2 (unless it keeps its value) and then 3 (`Release`), turning it into an event that stands
//!    for two (`event` module docs). Either form is a complete event: a
//!    reader loads word 3 first (`Acquire`), so if it sees the amended word
//!    3 it sees the amended word 2, and the original form ignores word 2
//!    (the writer amends only events whose original kind does).
//!
//! Words are `AtomicU64`, so even a torn read is not a data race; rule 3 is
//! what discards torn events.

use crate::loom::sync::atomic::{fence, AtomicU64, Ordering};
use crate::trace::event::Record;

pub(crate) struct Ring {
    slots: Box<[[AtomicU64; 4]]>,
    mask: u64,
    /// Rule 2.
    head: AtomicU64,
    /// Amendments ever made (rule 4) and records pushed as pairs
    /// (`push_pair`): each adds one event. Owner writes.
    amended: AtomicU64,
}

impl Ring {
    /// A ring holding the last `capacity` events (rounded up to a power of two, at least 2).
    pub(crate) fn new(capacity: usize) -> Ring {
        let cap = capacity.max(2).next_power_of_two();
        let slots = zeroed_slots(cap);
        Ring {
            slots,
            mask: cap as u64 - 1,
            head: AtomicU64::new(0),
            amended: AtomicU64::new(0),
        }
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The slot of event `j` (rule 2), without a bounds check on the
    /// recording path.
    #[inline]
    fn slot(&self, j: u64) -> &[AtomicU64; 4] {
        let i = (j & self.mask) as usize;
        debug_assert!(i < self.slots.len());
        // SAFETY: `slots.len()` is a power of two and `mask` is
        // `slots.len() - 1` (both set in `new`, never changed), so
        // `j & mask < slots.len()`.
        unsafe { self.slots.get_unchecked(i) }
    }

    /// Appends `event`, overwriting the oldest when full. Rule 1: owner only.
    #[inline]
    pub(crate) fn push(&self, event: Record) {
        // Rule 1: we are the only writer, so this load sees our last store.
        let head = self.head.load(Ordering::Relaxed);
        // Rule 3: order "head == j is visible" before the slot's overwrite.
        fence(Ordering::Release);
        let slot = self.slot(head);
        for (cell, word) in slot.iter().zip(event.words) {
            cell.store(word, Ordering::Relaxed);
        }
        // Rule 2: publish.
        self.head.store(head + 1, Ordering::Release);
    }

    /// Appends a record that stands for two events (`event` module docs):
    /// counted as a push and an amendment. Rule 1: owner only.
    #[inline]
    pub(crate) fn push_pair(&self, event: Record) {
        self.push(event);
        let amended = self.amended.load(Ordering::Relaxed);
        self.amended.store(amended + 1, Ordering::Relaxed);
    }

    /// Rule 4: rewrites words 2 and 3 of the newest event. Owner only
    /// (rule 1), and only after a push.
    #[inline]
    pub(crate) fn amend_newest(&self, word2: u64, word3: u64) {
        // Rule 1: we are the only writer.
        let head = self.head.load(Ordering::Relaxed);
        debug_assert!(head > 0, "amend before any push");
        let slot = self.slot(head.wrapping_sub(1));
        slot[2].store(word2, Ordering::Relaxed);
        slot[3].store(word3, Ordering::Release);
        let amended = self.amended.load(Ordering::Relaxed);
        self.amended.store(amended + 1, Ordering::Relaxed);
    }

    /// Rule 4 when word 2 keeps its value: rewrites word 3 of the newest
    /// event. Owner only (rule 1), and only after a push.
    #[inline]
    pub(crate) fn amend_newest_word3(&self, word3: u64) {
        // Rule 1: we are the only writer.
        let head = self.head.load(Ordering::Relaxed);
        debug_assert!(head > 0, "amend before any push");
        self.slot(head.wrapping_sub(1))[3].store(word3, Ordering::Release);
        let amended = self.amended.load(Ordering::Relaxed);
        self.amended.store(amended + 1, Ordering::Relaxed);
    }

    /// Events ever recorded: pushes plus amendments (a statistic, exact
    /// when the owner is not recording meanwhile).
    pub(crate) fn events_recorded(&self) -> u64 {
        self.head.load(Ordering::Acquire) + self.amended.load(Ordering::Relaxed)
    }

    /// Events ever pushed.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn pushed(&self) -> u64 {
        self.head.load(Ordering::Acquire)
    }

    /// Copies the events still held, oldest first; returns them and how
    /// many older ones were overwritten.
    pub(crate) fn snapshot(&self) -> (Vec<Record>, u64) {
        let cap = self.slots.len() as u64;
        let h1 = self.head.load(Ordering::Acquire);
        let first = h1.saturating_sub(cap);
        let mut copied = Vec::with_capacity((h1 - first) as usize);
        for j in first..h1 {
            let slot = &self.slots[(j & self.mask) as usize];
            // Rule 4: word 3 first.
            let w3 = slot[3].load(Ordering::Acquire);
            let words = [
                slot[0].load(Ordering::Relaxed),
                slot[1].load(Ordering::Relaxed),
                slot[2].load(Ordering::Relaxed),
                w3,
            ];
            copied.push(Record { words });
        }
        // Rule 3.
        fence(Ordering::Acquire);
        let h2 = self.head.load(Ordering::Relaxed);
        let valid_from = (h2 + 1).saturating_sub(cap).max(first);
        let skip = (valid_from - first) as usize;
        copied.drain(..skip.min(copied.len()));
        (copied, valid_from)
    }
}

/// `cap` zeroed slots straight from the allocator (`calloc`: fresh pages
/// come zeroed from the kernel, so a large ring costs no memset and only
/// the pages recording touches).
#[cfg(not(loom))]
fn zeroed_slots(cap: usize) -> Box<[[AtomicU64; 4]]> {
    let layout = std::alloc::Layout::array::<[AtomicU64; 4]>(cap).expect("ring too large");
    assert!(layout.size() > 0);
    // SAFETY: the layout has a non-zero size (checked above).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<[AtomicU64; 4]>();
    if ptr.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    // SAFETY: `ptr` is a fresh allocation made with `Layout::array` of `cap`
    // elements, the layout `Box<[T]>` frees with; all-zero bytes are a valid
    // `AtomicU64` (it has the layout of `u64`), so every element is
    // initialised.
    unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, cap)) }
}

/// Loom's atomics are not plain words: build them one by one.
#[cfg(loom)]
fn zeroed_slots(cap: usize) -> Box<[[AtomicU64; 4]]> {
    (0..cap)
        .map(|_| std::array::from_fn(|_| AtomicU64::new(0)))
        .collect::<Vec<_>>()
        .into_boxed_slice()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::trace::event::EventKind;

    fn ev(i: u64) -> Record {
        Record::new(i, EventKind::PollStart.code(), i, i, 0, 0)
    }

    #[test]
    fn keeps_the_newest_and_counts_the_overwritten() {
        let ring = Ring::new(4);
        for i in 0..3 {
            ring.push(ev(i));
        }
        let (events, lost) = ring.snapshot();
        assert_eq!(lost, 0);
        assert_eq!(
            events.iter().map(|e| e.words[0]).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        for i in 3..10 {
            ring.push(ev(i));
        }
        let (events, lost) = ring.snapshot();
        // Capacity 4; the snapshot conservatively drops one more slot (the
        // one a concurrent push could be overwriting next).
        assert_eq!(
            events.iter().map(|e| e.words[0]).collect::<Vec<_>>(),
            [7, 8, 9]
        );
        assert_eq!(lost, 7);
        assert_eq!(ring.pushed(), 10);
    }

    #[test]
    fn amends_the_newest_only() {
        let ring = Ring::new(4);
        for i in 0..6 {
            ring.push(ev(i));
        }
        ring.amend_newest(42, 43);
        let (events, _) = ring.snapshot();
        let newest = events.last().unwrap();
        assert_eq!(newest.words, [5, 5, 42, 43]);
        assert_eq!(events[events.len() - 2].words, ev(4).words);
    }

    #[test]
    fn capacity_rounds_up() {
        assert_eq!(Ring::new(0).capacity(), 2);
        assert_eq!(Ring::new(5).capacity(), 8);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::Arc;
    use crate::loom::thread;
    use crate::trace::event::EventKind;

    /// A reader racing the writer never returns an event whose words come
    /// from two different pushes, and never returns them out of order.
    #[test]
    fn loom_ring_snapshot_is_never_torn() {
        loom::model(|| {
            let ring = Arc::new(Ring::new(2));
            let writer = {
                let ring = ring.clone();
                thread::spawn(move || {
                    for i in 1..=3u64 {
                        ring.push(Record::new(i, EventKind::Wake.code(), i, i, 0, i));
                    }
                })
            };
            let (events, _) = ring.snapshot();
            let mut last = 0;
            for e in events {
                let t = e.words[0];
                assert!(t > last, "out of order");
                assert_eq!(e.words[1], t, "torn event");
                assert_eq!(e.words[2], t, "torn event");
                assert_eq!(e.arg(), t, "torn event");
                last = t;
            }
            writer.join().unwrap();
        });
    }

    /// Rule 4: a reader sees the newest event either as pushed or as
    /// amended, never word 3 amended with word 2 not.
    #[test]
    fn loom_ring_amend_is_never_half_seen() {
        loom::model(|| {
            let ring = Arc::new(Ring::new(4));
            ring.push(Record::new(1, EventKind::PollEnd.code(), 1, 0, 0, 0));
            let writer = {
                let ring = ring.clone();
                thread::spawn(move || {
                    ring.amend_newest(7, crate::trace::event::word3(0x82, 0, 7));
                })
            };
            let (events, _) = ring.snapshot();
            let e = events[0];
            if e.kind() == 0x82 {
                assert_eq!(e.words[2], 7, "amended word 3 without word 2");
            } else {
                assert_eq!(e.kind(), EventKind::PollEnd.code());
            }
            writer.join().unwrap();
        });
    }

    /// Rule 4, word 3 only: the reader sees the spawn as pushed or as
    /// amended, and either way with the word 2 it was pushed with.
    #[test]
    fn loom_ring_amend_word3_keeps_word2() {
        loom::model(|| {
            let ring = Arc::new(Ring::new(4));
            ring.push(Record::new(1, EventKind::Spawn.code(), 8, 3, 0, 5));
            let writer = {
                let ring = ring.clone();
                thread::spawn(move || {
                    ring.amend_newest_word3(crate::trace::event::word3(0x81, 0, 5 | 9 << 24));
                })
            };
            let (events, _) = ring.snapshot();
            let e = events[0];
            assert_eq!(e.words[2], 3);
            if e.kind() == 0x81 {
                assert_eq!(e.arg(), 5 | 9 << 24);
            } else {
                assert_eq!((e.kind(), e.arg()), (EventKind::Spawn.code(), 5));
            }
            writer.join().unwrap();
        });
    }
}
