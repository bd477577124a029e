//! The fair, FIFO semaphore at the bottom of `Semaphore`, `Mutex`, `RwLock`,
//! `OnceCell` and the bounded `mpsc` channel.
//!
//! # State
//!
//! `permits` packs the available permits and two flags:
//!
//! | bits   | name      | meaning                                             |
//! |--------|-----------|-----------------------------------------------------|
//! | 0      | `CLOSED`  | `close` was called; acquires fail                   |
//! | 1      | `WAITERS` | the waiter list is non-empty                        |
//! | 2..    | permits   | permits nobody is waiting for                       |
//!
//! # Rules
//!
//! 1. `WAITERS` changes only while the waiter-list mutex is held, and is set
//!    exactly when the list is non-empty.
//! 2. While `WAITERS` is set the available count is 0: released permits go to
//!    the waiters first, in FIFO order, and only what is left once the list is
//!    empty is added to the count (in the same CAS that clears `WAITERS`).
//!    Hence fairness: `try_acquire` (which fails when `WAITERS` is set) can
//!    never take permits a queued waiter is owed, and a waiter needing many
//!    permits is not starved by later small ones.
//! 3. Releasing without waiters is one CAS and takes no lock; with waiters it
//!    takes the lock and hands permits out ([`Semaphore::release`]).
//! 4. A queued acquire owns the permits assigned to it so far (`data` of its
//!    node = permits still needed). If it is dropped, or finds the semaphore
//!    closed, it releases those permits again; if it was fully granted but is
//!    dropped before returning `Ready`, it releases all of them. Permits are
//!    never lost by cancellation.
//! 5. `close` takes the lock, sets `CLOSED` and unlinks every waiter; an
//!    unlinked node that still needs permits means "closed".

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{ready, Context, Poll};

use crate::coop;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::{Mutex, MutexGuard};
use crate::sync::waiters::{Waiter, WaiterList, WakeList};

const CLOSED: usize = 0b01;
const WAITERS: usize = 0b10;
const SHIFT: usize = 2;

/// Permits needed by a queued acquire (rule 4).
type Node = Waiter<usize>;

pub(crate) struct Semaphore {
    permits: AtomicUsize,
    waiters: Mutex<WaiterList<usize>>,
}

/// The semaphore was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AcquireError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TryAcquireError {
    Closed,
    NoPermits,
}

impl Semaphore {
    /// The largest number of permits a semaphore can hold.
    pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

    pub(crate) fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= Self::MAX_PERMITS,
            "a semaphore holds at most {} permits",
            Self::MAX_PERMITS
        );
        Semaphore {
            permits: AtomicUsize::new(permits << SHIFT),
            waiters: Mutex::new(WaiterList::new()),
        }
    }

    #[cfg(not(loom))]
    pub(crate) const fn const_new(permits: usize) -> Semaphore {
        assert!(permits <= Self::MAX_PERMITS);
        Semaphore {
            permits: AtomicUsize::new(permits << SHIFT),
            waiters: Mutex::new(WaiterList::new()),
        }
    }

    /// A semaphore with no permits, already closed (a `OnceCell` made
    /// with its value).
    #[cfg(not(loom))]
    pub(crate) const fn const_closed() -> Semaphore {
        Semaphore {
            permits: AtomicUsize::new(CLOSED),
            waiters: Mutex::new(WaiterList::new()),
        }
    }

    pub(crate) fn available_permits(&self) -> usize {
        self.permits.load(Ordering::Acquire) >> SHIFT
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.permits.load(Ordering::Acquire) & CLOSED != 0
    }

    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquireError> {
        let mut cur = self.permits.load(Ordering::Acquire);
        loop {
            if cur & CLOSED != 0 {
                return Err(TryAcquireError::Closed);
            }
            // Rule 2: with waiters queued the count is 0 anyway.
            if cur >> SHIFT < n {
                return Err(TryAcquireError::NoPermits);
            }
            match self.permits.compare_exchange(
                cur,
                cur - (n << SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => cur = actual,
            }
        }
    }

    /// Waits for `n` permits (FIFO).
    #[inline]
    #[track_caller]
    pub(crate) fn acquire(&self, n: usize) -> Acquire<'_> {
        self.acquire_at(n, std::panic::Location::caller())
    }

    /// [`acquire`](Self::acquire), asked for at `at`.
    #[inline]
    pub(crate) fn acquire_at(
        &self,
        n: usize,
        at: &'static std::panic::Location<'static>,
    ) -> Acquire<'_> {
        assert!(
            n <= Self::MAX_PERMITS,
            "cannot acquire more than {} permits",
            Self::MAX_PERMITS
        );
        Acquire {
            sem: self,
            num_permits: n,
            node: UnsafeCell::new(Waiter::new(0)),
            state: AcquireState::Idle,
            at,
            _pin: PhantomPinned,
        }
    }

    /// Removes up to `n` available permits; returns how many were removed.
    pub(crate) fn forget_permits(&self, n: usize) -> usize {
        let mut cur = self.permits.load(Ordering::Acquire);
        loop {
            let take = n.min(cur >> SHIFT);
            match self.permits.compare_exchange(
                cur,
                cur - (take << SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return take,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Adds `n` permits, waking waiters they complete (rule 3).
    #[inline]
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut cur = self.permits.load(Ordering::Acquire);
        while cur & WAITERS == 0 {
            let next = Self::add(cur, n);
            match self
                .permits
                .compare_exchange(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
        self.release_slow(n);
    }

    #[inline(never)]
    fn release_slow(&self, n: usize) {
        self.release_locked(n, self.waiters.lock());
    }

    #[track_caller]
    fn add(cur: usize, n: usize) -> usize {
        let total = (cur >> SHIFT) + n;
        assert!(
            total <= Self::MAX_PERMITS,
            "a semaphore holds at most {} permits",
            Self::MAX_PERMITS
        );
        (total << SHIFT) | (cur & (CLOSED | WAITERS))
    }

    /// Hands `n` permits to the waiters in FIFO order, then adds what is left
    /// (rule 2). Consumes the guard: wakers run after it is released.
    fn release_locked<'a>(&'a self, mut n: usize, mut list: MutexGuard<'a, WaiterList<usize>>) {
        let mut wakers = WakeList::new();
        loop {
            while let Some(node) = list.front() {
                if !wakers.can_push() {
                    break;
                }
                // SAFETY: rule 1 of `waiters` — linked nodes are valid and
                // ours while the lock is held.
                let waiter = unsafe { &mut *node.as_ptr() };
                if n == 0 {
                    break;
                }
                let give = n.min(waiter.data);
                waiter.data -= give;
                n -= give;
                if waiter.data > 0 {
                    break;
                }
                list.pop_front();
                wakers.push(waiter.waker.take());
            }
            let more = n > 0 && !list.is_empty() && !wakers.can_push();
            if list.is_empty() {
                // Rule 1 and 2: clear `WAITERS`, adding the rest, in one step.
                let mut cur = self.permits.load(Ordering::Acquire);
                loop {
                    let next = Self::add(cur, n) & !WAITERS;
                    match self.permits.compare_exchange(
                        cur,
                        next,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => break,
                        Err(actual) => cur = actual,
                    }
                }
                n = 0;
            }
            drop(list);
            wakers.wake_all();
            if !more {
                return;
            }
            list = self.waiters.lock();
        }
    }

    /// Closes the semaphore and fails every waiter (rule 5).
    pub(crate) fn close(&self) {
        let mut list = self.waiters.lock();
        self.permits.fetch_or(CLOSED, Ordering::AcqRel);
        loop {
            let mut wakers = WakeList::new();
            while wakers.can_push() {
                let Some(node) = list.pop_front() else { break };
                // SAFETY: rule 1 of `waiters`; the node was just linked.
                wakers.push(unsafe { (*node.as_ptr()).waker.take() });
            }
            if list.is_empty() {
                self.permits.fetch_and(!WAITERS, Ordering::AcqRel);
                drop(list);
                wakers.wake_all();
                return;
            }
            drop(list);
            wakers.wake_all();
            list = self.waiters.lock();
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cur = self.permits.load(Ordering::Acquire);
        f.debug_struct("Semaphore")
            .field("permits", &(cur >> SHIFT))
            .field("closed", &(cur & CLOSED != 0))
            .field("waiters", &(cur & WAITERS != 0))
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AcquireState {
    Idle,
    Queued,
    Done,
}

/// Future of [`Semaphore::acquire`]: resolves once the permits are owned by
/// the caller (who must `release` them later).
pub(crate) struct Acquire<'a> {
    sem: &'a Semaphore,
    num_permits: usize,
    /// Rule 1 of `waiters`: accessed only under `sem.waiters`' lock once
    /// queued.
    node: UnsafeCell<Node>,
    state: AcquireState,
    /// Where the acquire was asked for (the trace's suspension point).
    at: &'static std::panic::Location<'static>,
    _pin: PhantomPinned,
}

// SAFETY: the node is only touched under the semaphore's lock (rule 1 of
// `waiters`); the rest is a shared reference to a `Sync` semaphore.
unsafe impl Send for Acquire<'_> {}
// SAFETY: `&Acquire` gives no access to anything.
unsafe impl Sync for Acquire<'_> {}

impl Acquire<'_> {
    fn node_ptr(&self) -> NonNull<Node> {
        // SAFETY: `UnsafeCell` never yields a null pointer.
        self.node.with_mut(|p| unsafe { NonNull::new_unchecked(p) })
    }

    /// First poll, fast path: take the permits with one CAS if nobody is
    /// queued and enough are available (rule 2). Returns `false` if the slow
    /// path must run.
    #[inline]
    fn try_fast(&self) -> bool {
        let n = self.num_permits;
        let permits = &self.sem.permits;
        let mut cur = permits.load(Ordering::Acquire);
        while cur & (CLOSED | WAITERS) == 0 && cur >> SHIFT >= n {
            match permits.compare_exchange_weak(
                cur,
                cur - (n << SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
        false
    }

    /// First poll, slow path: under the lock, take what is available and
    /// queue for the rest.
    #[inline(never)]
    fn poll_first(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), AcquireError>> {
        let n = self.num_permits;
        let sem = self.sem;
        let mut list = sem.waiters.lock();
        let mut cur = sem.permits.load(Ordering::Acquire);
        let needed = loop {
            if cur & CLOSED != 0 {
                return Poll::Ready(Err(AcquireError));
            }
            let take = n.min(cur >> SHIFT);
            let mut next = cur - (take << SHIFT);
            if take < n {
                next |= WAITERS;
            }
            match sem
                .permits
                .compare_exchange(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break n - take,
                Err(actual) => cur = actual,
            }
        };
        if needed == 0 {
            return Poll::Ready(Ok(()));
        }
        let node = self.node_ptr();
        // SAFETY: the node is not queued yet, so it is ours alone; after
        // `push_back` it is only touched under the lock we hold (rule 1 of
        // `waiters`). It is pinned (we are `!Unpin` and behind `Pin`) and the
        // `Drop` impl unlinks it (rule 2 of `waiters`).
        unsafe {
            let w = &mut *node.as_ptr();
            w.data = needed;
            let prev = w.set_waker(cx.waker());
            debug_assert!(
                prev.is_none(),
                "a node that was never queued holds no waker"
            );
            list.push_back(node);
        }
        self.state = AcquireState::Queued;
        Poll::Pending
    }

    fn poll_queued(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), AcquireError>> {
        let list = self.sem.waiters.lock();
        // SAFETY: rule 1 of `waiters` — we hold the lock.
        let w = unsafe { &mut *self.node_ptr().as_ptr() };
        if w.is_queued() {
            let replaced = w.set_waker(cx.waker());
            // Rule 4 of `waiters`: the old waker goes after the lock.
            drop(list);
            drop(replaced);
            return Poll::Pending;
        }
        let missing = w.data;
        self.state = AcquireState::Done;
        if missing == 0 {
            return Poll::Ready(Ok(()));
        }
        // Closed while waiting: return the partial grant (rule 4).
        self.sem.release_locked(self.num_permits - missing, list);
        Poll::Ready(Err(AcquireError))
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let restore = ready!(coop::poll_proceed(cx));
        // SAFETY: we never move out of `this`; the node stays where it is.
        let this = unsafe { self.get_unchecked_mut() };
        let res = match this.state {
            AcquireState::Idle if this.try_fast() => Poll::Ready(Ok(())),
            AcquireState::Idle => this.poll_first(cx),
            AcquireState::Queued => this.poll_queued(cx),
            AcquireState::Done => panic!("`Acquire` polled after completion"),
        };
        if res.is_ready() {
            this.state = AcquireState::Done;
            restore.made_progress();
        } else {
            crate::trace::suspend::note(crate::trace::Resource::Acquire, this.at);
        }
        res
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if self.state != AcquireState::Queued {
            return;
        }
        let mut list = self.sem.waiters.lock();
        let node = self.node_ptr();
        // SAFETY: rule 1 and 2 of `waiters` — we hold the lock, and if the
        // node is queued it is in this semaphore's list.
        let missing = unsafe {
            list.remove(node);
            (*node.as_ptr()).data
        };
        // Rule 4: give back what was assigned (all of it if fully granted);
        // also clears `WAITERS` if we were the last waiter.
        self.sem.release_locked(self.num_permits - missing, list);
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("num_permits", &self.num_permits)
            .field("state", &self.state)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
