//! The inject queue: the one queue shared by all workers.
//!
//! Tasks spawned or woken from outside a worker thread are pushed here, and
//! so is the overflow of a full local queue. Workers take from it in batches
//! (every `global_queue_interval` ticks, and when their local queue is empty).
//!
//! # Rules
//!
//! 1. `synced` (the mutex) guards the queue and the closed flag; `len` is a
//!    copy of the queue's length, written only while the mutex is held, so
//!    that `is_empty` — asked on every idle check — takes no lock.
//! 2. `len` is written and read `SeqCst`: the no-lost-wakeup argument in
//!    [`super::idle`] orders a pusher's write of `len` against a parking
//!    worker's read of it in the single total order of `SeqCst` operations.
//! 3. Once closed (at shutdown), `push` refuses new items and hands them back
//!    to the caller, who drops them. `push_batch` still accepts: it only
//!    comes from workers, and the final drain runs after every worker has
//!    stopped, so nothing pushed by a worker is stranded.
//! 4. `closed` mirrors `is_closed` and is set under the mutex before any
//!    later `push` can see the closed queue; `is_closed` reads it without
//!    the lock. A reader that still sees `false` just runs one more tick
//!    before it notices; the workers are unparked after the close.
//!
//! Rejected: a lock-free linked list (an intrusive MPSC queue needs a link
//! in every task and still serialises consumers; the lock is uncontended in
//! the common case because workers mostly use their local queues).

use std::collections::VecDeque;
use std::fmt;

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Mutex, MutexGuard};

use super::run_queue::Overflow;

pub(crate) struct Inject<T> {
    synced: Mutex<Synced<T>>,
    /// Rules 1, 2.
    len: AtomicUsize,
    /// A copy of `Synced::is_closed`, written under the mutex, so that the
    /// workers' shutdown checks take no lock (rule 4).
    closed: AtomicBool,
}

struct Synced<T> {
    queue: VecDeque<T>,
    is_closed: bool,
}

impl<T> Inject<T> {
    pub(crate) fn new() -> Inject<T> {
        Inject {
            synced: Mutex::new(Synced {
                queue: VecDeque::new(),
                is_closed: false,
            }),
            len: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// Lock-free emptiness check (rule 1).
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(SeqCst)
    }

    /// Pushes one item; after `close`, hands it back (rule 3).
    pub(crate) fn push(&self, item: T) -> Result<(), T> {
        let mut synced = self.synced.lock();
        if synced.is_closed {
            return Err(item);
        }
        synced.queue.push_back(item);
        self.len.store(synced.queue.len(), SeqCst);
        Ok(())
    }

    /// Pushes a batch under one lock acquisition (rule 3: also when closed).
    pub(crate) fn push_batch<I: Iterator<Item = T>>(&self, items: I) {
        let mut synced = self.synced.lock();
        synced.queue.extend(items);
        self.len.store(synced.queue.len(), SeqCst);
    }

    pub(crate) fn pop(&self) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let mut synced = self.synced.lock();
        let item = synced.queue.pop_front();
        self.len.store(synced.queue.len(), SeqCst);
        item
    }

    /// Takes up to `n` items from the front, holding the lock while the
    /// returned iterator lives (so a batch moves into a local queue with one
    /// lock round-trip). Items the iterator does not yield stay queued.
    pub(crate) fn pop_n(&self, n: usize) -> PopN<'_, T> {
        if n == 0 || self.is_empty() {
            return PopN {
                synced: None,
                len: &self.len,
                remaining: 0,
            };
        }
        let synced = self.synced.lock();
        let remaining = n.min(synced.queue.len());
        PopN {
            synced: Some(synced),
            len: &self.len,
            remaining,
        }
    }

    /// Refuses further `push`es. Returns false if it was already closed.
    #[must_use]
    pub(crate) fn close(&self) -> bool {
        let mut synced = self.synced.lock();
        self.closed.store(true, SeqCst);
        !std::mem::replace(&mut synced.is_closed, true)
    }

    /// Lock-free (rule 4).
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(SeqCst)
    }
}

impl<T> Default for Inject<T> {
    fn default() -> Self {
        Inject::new()
    }
}

/// A batch being taken from the inject queue; holds its lock.
pub(crate) struct PopN<'a, T> {
    synced: Option<MutexGuard<'a, Synced<T>>>,
    len: &'a AtomicUsize,
    remaining: usize,
}

impl<T> Iterator for PopN<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let synced = self.synced.as_mut()?;
        let item = synced.queue.pop_front();
        debug_assert!(item.is_some());
        item
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T> ExactSizeIterator for PopN<'_, T> {}

impl<T> Drop for PopN<'_, T> {
    fn drop(&mut self) {
        if let Some(synced) = &self.synced {
            self.len.store(synced.queue.len(), SeqCst);
        }
    }
}

impl<T> Overflow<T> for Inject<T> {
    fn push(&self, item: T) {
        // Overflow comes from a worker (rule 3).
        self.push_batch(std::iter::once(item));
    }

    fn push_batch<I: Iterator<Item = T>>(&self, items: I) {
        Inject::push_batch(self, items);
    }
}

impl<T> fmt::Debug for Inject<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inject").field("len", &self.len()).finish()
    }
}

impl<T> fmt::Debug for PopN<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PopN")
            .field("remaining", &self.remaining)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn fifo_and_len() {
        let inject = Inject::new();
        assert!(inject.is_empty());
        for i in 0..10 {
            inject.push(i).unwrap();
        }
        assert_eq!(inject.len(), 10);
        assert_eq!(inject.pop(), Some(0));
        let batch: Vec<_> = inject.pop_n(4).collect();
        assert_eq!(batch, vec![1, 2, 3, 4]);
        assert_eq!(inject.len(), 5);
        inject.push_batch(10..12);
        assert_eq!(inject.len(), 7);
        let all: Vec<_> = inject.pop_n(100).collect();
        assert_eq!(all, vec![5, 6, 7, 8, 9, 10, 11]);
        assert!(inject.is_empty());
        assert_eq!(inject.pop(), None);
    }

    #[test]
    fn partly_consumed_batch_keeps_the_rest() {
        let inject = Inject::new();
        inject.push_batch(0..5);
        let mut batch = inject.pop_n(4);
        assert_eq!(batch.len(), 4);
        assert_eq!(batch.next(), Some(0));
        drop(batch);
        assert_eq!(inject.len(), 4);
        assert_eq!(inject.pop(), Some(1));
    }

    #[test]
    fn closed_refuses_push() {
        let inject = Inject::new();
        inject.push(1).unwrap();
        assert!(inject.close());
        assert!(!inject.close());
        assert!(inject.is_closed());
        assert_eq!(inject.push(2), Err(2));
        assert_eq!(inject.pop(), Some(1));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::Arc;
    use crate::loom::thread;

    /// Concurrent pushes and pops: every item comes out exactly once and
    /// `len` agrees with the queue when everyone is done.
    #[test]
    fn loom_inject_push_vs_pop() {
        crate::loom::model(|| {
            let inject = Arc::new(Inject::new());
            let pusher = {
                let inject = inject.clone();
                thread::spawn(move || {
                    inject.push(1).unwrap();
                    inject.push_batch([2, 3].into_iter());
                })
            };
            let popper = {
                let inject = inject.clone();
                thread::spawn(move || {
                    let mut got: Vec<i32> = inject.pop().into_iter().collect();
                    got.extend(inject.pop_n(2));
                    got
                })
            };
            pusher.join().unwrap();
            let mut got = popper.join().unwrap();
            got.extend(inject.pop_n(3));
            got.sort();
            assert_eq!(got, vec![1, 2, 3]);
            assert!(inject.is_empty());
        });
    }
}
