//! A single-producer ring of events that any thread may copy at any time.
//!
//! Each thread that records owns one ring: it is the only writer, so a push
//! is four plain (`Relaxed`) stores and one `Release` store of the head, no
//! read-modify-write and no lock. When the ring is full the oldest event is
//! overwritten; the number lost is `head - capacity`.
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
//! Words are `AtomicU64`, so even a torn read is not a data race; rule 3 is
//! what discards torn events.

use crate::loom::sync::atomic::{fence, AtomicU64, Ordering};
use crate::trace::event::Event;

pub(crate) struct Ring {
    slots: Box<[[AtomicU64; 4]]>,
    mask: u64,
    /// Rule 2.
    head: AtomicU64,
}

impl Ring {
    /// A ring holding the last `capacity` events (rounded up to a power of two, at least 2).
    pub(crate) fn new(capacity: usize) -> Ring {
        let cap = capacity.max(2).next_power_of_two();
        let slots = (0..cap)
            .map(|_| std::array::from_fn(|_| AtomicU64::new(0)))
            .collect::<Vec<_>>()
            .into_boxed_slice();
        Ring {
            slots,
            mask: cap as u64 - 1,
            head: AtomicU64::new(0),
        }
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Appends `event`, overwriting the oldest when full. Rule 1: owner only.
    pub(crate) fn push(&self, event: Event) {
        // Rule 1: we are the only writer, so this load sees our last store.
        let head = self.head.load(Ordering::Relaxed);
        // Rule 3: order "head == j is visible" before the slot's overwrite.
        fence(Ordering::Release);
        let slot = &self.slots[(head & self.mask) as usize];
        for (cell, word) in slot.iter().zip(event.words) {
            cell.store(word, Ordering::Relaxed);
        }
        // Rule 2: publish.
        self.head.store(head + 1, Ordering::Release);
    }

    /// Events ever pushed.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn pushed(&self) -> u64 {
        self.head.load(Ordering::Acquire)
    }

    /// Copies the events still held, oldest first; returns them and how
    /// many older ones were overwritten.
    pub(crate) fn snapshot(&self) -> (Vec<Event>, u64) {
        let cap = self.slots.len() as u64;
        let h1 = self.head.load(Ordering::Acquire);
        let first = h1.saturating_sub(cap);
        let mut copied = Vec::with_capacity((h1 - first) as usize);
        for j in first..h1 {
            let slot = &self.slots[(j & self.mask) as usize];
            let words = std::array::from_fn(|i| slot[i].load(Ordering::Relaxed));
            copied.push(Event { words });
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::trace::event::EventKind;

    fn ev(i: u64) -> Event {
        Event::new(i, EventKind::PollStart, i, i, 0, 0, 0)
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
            events.iter().map(|e| e.time_ns()).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        for i in 3..10 {
            ring.push(ev(i));
        }
        let (events, lost) = ring.snapshot();
        // Capacity 4; the snapshot conservatively drops one more slot (the
        // one a concurrent push could be overwriting next).
        assert_eq!(
            events.iter().map(|e| e.time_ns()).collect::<Vec<_>>(),
            [7, 8, 9]
        );
        assert_eq!(lost, 7);
        assert_eq!(ring.pushed(), 10);
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
                        ring.push(Event::new(i, EventKind::Wake, i, i, 0, 0, i as u32));
                    }
                })
            };
            let (events, _) = ring.snapshot();
            let mut last = 0;
            for e in events {
                let t = e.time_ns();
                assert!(t > last, "out of order");
                assert_eq!(e.task(), Some(t), "torn event");
                assert_eq!(e.extra(), t, "torn event");
                last = t;
            }
            writer.join().unwrap();
        });
    }
}
