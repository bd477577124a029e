//! Which workers are searching for work and which are parked, and whom to
//! wake when new work arrives.
//!
//! # State
//!
//! `state` packs two counters in one word so that both change in one atomic
//! step: `unparked` (high bits), the workers not parked, and `searching` (low
//! `SEARCH_BITS` bits), the unparked workers currently looking for work in the
//! inject queue and in other workers' queues. `sleepers` (under a mutex) lists
//! the parked workers' indices.
//!
//! # Rules
//!
//! 1. `searching <= unparked <= num_workers` at all times.
//! 2. A worker moves `running → searching` only through
//!    [`Idle::transition_worker_to_searching`], which admits it only while
//!    fewer than half of the workers (at least one) are searching: more
//!    searchers would mostly contend on the same victims.
//! 3. A wake ([`Idle::worker_to_notify`]) unparks a sleeper only if nobody is
//!    searching (a searcher will find the work) and somebody is parked. The
//!    unparked worker starts as a searcher, so a burst of wakes unparks one
//!    worker at a time instead of the whole herd.
//! 4. A searcher that finds work stops searching; if it was the last searcher
//!    it wakes another sleeper ([`Idle::transition_worker_from_searching`]
//!    returns true), so that while work keeps arriving, workers keep joining.
//! 5. `unparked` and `sleepers` change together, under the mutex; `searching`
//!    may change without it.
//! 6. Every access to `state` is `SeqCst`, and both sides of the race below
//!    put a `SeqCst` fence between their write and their read, so that the
//!    argument holds with fences alone (which is also what loom models:
//!    it treats `SeqCst` accesses as acquire/release).
//! 7. A push to the pusher's *own* local queue (a worker scheduling a task
//!    it spawned or woke) checks `state` without the fence of rule 6. If
//!    that check misses a worker that is parking at the same moment, the
//!    task is not stranded: it sits in the queue of a worker that is awake
//!    and will run it; what is lost is only the chance to run it in
//!    parallel, until the next push or the next searcher. The fence (an
//!    `mfence` on x86) on every local wake and spawn cost more than that.
//!
//! # No lost wakeup
//!
//! The hazard: a worker decides to park because it saw no work, while a pusher
//! decides not to wake anyone because it saw that worker still searching.
//!
//! Pusher (a spawn or wake, from any thread):
//! 1. Make the item visible in a queue (the inject queue's `len` store or a
//!    local queue's `tail` store).
//! 2. `SeqCst` fence, then load `state` in `worker_to_notify`.
//! 3. If `searching > 0` or nobody is parked, do nothing. Otherwise lock
//!    `sleepers`, check again, and unpark one as a searcher.
//!
//! Worker going to sleep:
//! 1. In one `SeqCst` RMW on `state` (`transition_worker_to_parked`),
//!    decrement `unparked`, and `searching` if it was searching; learn
//!    whether it was the last searcher. Then a `SeqCst` fence.
//! 2. Check the inject queue again (`SeqCst` load of `len`); if it was the
//!    last searcher, also check every other worker's local queue.
//! 3. If it found work, undo (`unpark_worker_by_id` on itself) and go back to
//!    searching; otherwise sleep.
//!
//! Why the item is never stranded: all the `SeqCst` operations above lie in
//! one total order. If the pusher's load (its step 2) comes after the worker's
//! RMW (its step 1), the pusher sees the decremented counters, so it sees
//! `searching == 0` (or another searcher, see below) and a parked worker, and
//! wakes one. If it comes before, then the worker's re-check (its step 2)
//! comes after the pusher's step 1 and sees the item. If the pusher saw
//! another worker searching, that worker is in the same position: it either
//! finds the item, or it too will park, and the *last* searcher to park runs
//! step 2 over every queue. A worker that was not searching re-checks the
//! inject queue only: items in local queues belong to owners that are awake,
//! and searchers (which see them) exist whenever a local push skipped the
//! wake.
//!
//! Rejected: waking a sleeper on every push (a thundering herd: N wakes, one
//! finds the task, N−1 go back to sleep); a condvar shared by all workers (no
//! control over which worker wakes, and the driver holder must be woken
//! differently from the others, see [`super::park`]).

use std::fmt;

use crate::loom::sync::atomic::{fence, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Mutex;

const SEARCH_BITS: u32 = 16;
const SEARCH_MASK: usize = (1 << SEARCH_BITS) - 1;
const UNPARK_ONE: usize = 1 << SEARCH_BITS;

pub(crate) struct Idle {
    /// `unparked << SEARCH_BITS | searching` (rules 1, 5, 6).
    state: AtomicUsize,
    /// Indices of the parked workers (rule 5).
    sleepers: Mutex<Vec<usize>>,
    num_workers: usize,
}

fn searching(state: usize) -> usize {
    state & SEARCH_MASK
}

fn unparked(state: usize) -> usize {
    state >> SEARCH_BITS
}

impl Idle {
    /// All `num_workers` workers start unparked and not searching.
    pub(crate) fn new(num_workers: usize) -> Idle {
        assert!(num_workers > 0 && num_workers < SEARCH_MASK);
        Idle {
            state: AtomicUsize::new(num_workers << SEARCH_BITS),
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn num_searching(&self) -> usize {
        searching(self.state.load(SeqCst))
    }

    #[cfg(test)]
    pub(crate) fn num_unparked(&self) -> usize {
        unparked(self.state.load(SeqCst))
    }

    /// Pusher steps 2–3: the index of the worker to unpark after new work was
    /// made visible, if any. The chosen worker is already counted as unparked
    /// and searching; the caller must unpark it.
    #[must_use]
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        fence(SeqCst);
        self.pick_sleeper()
    }

    /// Rule 7: like [`Idle::worker_to_notify`], for work pushed to the
    /// pusher's own local queue: no fence, so a worker parking at the same
    /// moment may be missed.
    #[must_use]
    pub(crate) fn worker_to_notify_local(&self) -> Option<usize> {
        self.pick_sleeper()
    }

    fn pick_sleeper(&self) -> Option<usize> {
        if !self.should_notify(self.state.load(SeqCst)) {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        if !self.should_notify(self.state.load(SeqCst)) {
            return None;
        }
        let worker = sleepers.pop()?;
        // Rule 5: counted unparked (and searching, rule 3) under the lock.
        self.state.fetch_add(UNPARK_ONE | 1, SeqCst);
        Some(worker)
    }

    fn should_notify(&self, state: usize) -> bool {
        searching(state) == 0 && unparked(state) < self.num_workers
    }

    /// Rule 2: true if the worker may start searching (and is now counted).
    #[must_use]
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * searching(state) >= self.num_workers.max(2) {
            return false;
        }
        // Several workers may pass the check at once, overshooting the cap by
        // a little; that costs some wasted steal attempts, never correctness.
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searcher found work. Rule 4: returns true if it was the last
    /// searcher, in which case the caller must wake another worker
    /// (`worker_to_notify`) so the work keeps spreading.
    #[must_use]
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(searching(prev) > 0);
        searching(prev) == 1
    }

    /// Worker step 1. Returns true if the worker was the last searcher, in
    /// which case it must re-check every queue before sleeping (worker step 2).
    #[must_use]
    pub(crate) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock();
        let dec = UNPARK_ONE | usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        debug_assert!(unparked(prev) > 0);
        debug_assert!(!is_searching || searching(prev) > 0);
        sleepers.push(worker);
        drop(sleepers);
        // Pairs with the fence in `worker_to_notify` (rule 6): the worker's
        // re-check of the queues cannot read stale values from before a
        // pusher's fence that then missed this transition.
        fence(SeqCst);
        is_searching && searching(prev) == 1
    }

    /// Counts `worker` as unparked again if it is in the sleepers list
    /// (worker step 3's undo, a spurious wakeup, or shutdown). The worker
    /// comes back *not* searching. Returns false if a pusher already chose it
    /// (`worker_to_notify`): then it is already counted unparked *and
    /// searching*, and must behave as a searcher.
    #[must_use]
    pub(crate) fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        match sleepers.iter().position(|&w| w == worker) {
            Some(i) => {
                sleepers.swap_remove(i);
                self.state.fetch_add(UNPARK_ONE, SeqCst);
                true
            }
            None => false,
        }
    }

    /// True if `worker` is in the sleepers list: a worker that wakes and is
    /// still listed was not notified (a timer, I/O or a spurious wakeup).
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        self.sleepers.lock().contains(&worker)
    }
}

impl fmt::Debug for Idle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.load(SeqCst);
        f.debug_struct("Idle")
            .field("num_workers", &self.num_workers)
            .field("unparked", &unparked(state))
            .field("searching", &searching(state))
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn at_most_half_search() {
        let idle = Idle::new(4);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_to_searching());
        assert_eq!(idle.num_searching(), 2);
        assert!(!idle.transition_worker_from_searching());
        assert!(idle.transition_worker_from_searching());

        // One worker may always search, even alone.
        let idle = Idle::new(1);
        assert!(idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_to_searching());
    }

    #[test]
    fn notify_only_when_nobody_searches() {
        let idle = Idle::new(3);
        // Everyone awake: nobody to notify.
        assert_eq!(idle.worker_to_notify(), None);
        assert!(!idle.transition_worker_to_parked(0, false));
        assert!(!idle.transition_worker_to_parked(1, false));
        assert!(idle.transition_worker_to_searching());
        // Worker 2 searches: it will find the work.
        assert_eq!(idle.worker_to_notify(), None);
        // Last searcher parks.
        assert!(idle.transition_worker_to_parked(2, true));
        assert_eq!(idle.num_unparked(), 0);
        let first = idle.worker_to_notify().unwrap();
        // The woken worker is searching, so a second wake wakes nobody.
        assert_eq!(idle.num_searching(), 1);
        assert_eq!(idle.worker_to_notify(), None);
        assert!(!idle.is_parked(first));
        // It finds work and was the last searcher: spread to another.
        assert!(idle.transition_worker_from_searching());
        let second = idle.worker_to_notify().unwrap();
        assert_ne!(first, second);
        assert_eq!(idle.num_unparked(), 2);
    }

    #[test]
    fn unpark_by_id() {
        let idle = Idle::new(2);
        assert!(!idle.transition_worker_to_parked(1, false));
        assert!(idle.is_parked(1));
        assert!(idle.unpark_worker_by_id(1));
        assert!(!idle.unpark_worker_by_id(1));
        assert_eq!(idle.num_unparked(), 2);
        assert_eq!(idle.num_searching(), 0);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::Arc;
    use crate::loom::thread;

    /// Two workers go idle (one searching) while a pusher makes work visible
    /// and asks whom to wake. Whatever the interleaving, the item is either
    /// taken by a worker's re-check or a parked worker is chosen to wake.
    #[test]
    fn loom_idle_park_vs_notify() {
        crate::loom::model(|| {
            let idle = Arc::new(Idle::new(2));
            let work = Arc::new(AtomicUsize::new(0));

            let go_idle = |worker: usize, search: bool| {
                let idle = idle.clone();
                let work = work.clone();
                thread::spawn(move || {
                    // Refused if the pusher already woke the other worker as
                    // a searcher (rule 2).
                    let searching = search && idle.transition_worker_to_searching();
                    // Worker steps 1–3 (the "queue" is the `work` counter).
                    let _last = idle.transition_worker_to_parked(worker, searching);
                    if work
                        .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
                        .is_ok()
                    {
                        // False if the pusher already chose this worker.
                        let _ = idle.unpark_worker_by_id(worker);
                    }
                })
            };
            let w0 = go_idle(0, true);
            let w1 = go_idle(1, false);

            // Pusher steps 1–3.
            work.fetch_add(1, SeqCst);
            // The chosen worker is counted unparked; the model needs no
            // real thread to wake.
            let _ = idle.worker_to_notify();

            w0.join().unwrap();
            w1.join().unwrap();
            // Work left over means some worker is awake (or being woken).
            assert!(
                work.load(SeqCst) == 0 || idle.num_unparked() > 0,
                "lost wakeup: work queued and every worker parked"
            );
        });
    }
}
