//! `Barrier`: lets `n` tasks wait until all of them arrived.
//!
//! # Rules
//!
//! 1. `state` (arrivals and generation) changes only under its mutex.
//! 2. A waiter creates its `Notified` while holding that mutex, so the
//!    leader's `notify_waiters` — called after it bumped the generation under
//!    the same mutex — completes it even if it was not polled yet (rule 2 of
//!    `notify`). No wake-up is lost.

use std::fmt;

use crate::loom::sync::Mutex;
use crate::sync::Notify;

/// A barrier for `n` tasks: each `wait` returns once `n` tasks have called
/// it; then the barrier resets for the next round.
///
/// ```
/// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use evloop::sync::Barrier;
///
/// let barrier = Arc::new(Barrier::new(3));
/// let handles: Vec<_> = (0..3)
///     .map(|_| {
///         let b = barrier.clone();
///         evloop::spawn(async move { b.wait().await.is_leader() })
///     })
///     .collect();
/// let mut leaders = 0;
/// for h in handles {
///     leaders += h.await.unwrap() as usize;
/// }
/// assert_eq!(leaders, 1);
/// # });
/// ```
pub struct Barrier {
    n: usize,
    state: Mutex<BarrierState>,
    notify: Notify,
}

#[derive(Debug)]
struct BarrierState {
    arrived: usize,
    generation: usize,
}

/// What [`Barrier::wait`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// `true` for exactly one task per round: the one that arrived last.
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// Creates a barrier for `n` tasks. `n == 0` behaves like `n == 1`.
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n: n.max(1),
            state: Mutex::new(BarrierState {
                arrived: 0,
                generation: 0,
            }),
            notify: Notify::new(),
        }
    }

    /// Waits until `n` tasks have arrived.
    ///
    /// **Cancel safety:** not cancel-safe: the arrival is counted when the
    /// future is first polled, and dropping the future does not take it back.
    pub async fn wait(&self) -> BarrierWaitResult {
        let (generation, notified) = {
            let mut state = self.state.lock();
            state.arrived += 1;
            if state.arrived == self.n {
                state.arrived = 0;
                state.generation = state.generation.wrapping_add(1);
                drop(state);
                self.notify.notify_waiters();
                return BarrierWaitResult(true);
            }
            // Rule 2: create the future under the lock.
            (state.generation, self.notify.notified())
        };
        let mut notified = std::pin::pin!(notified);
        loop {
            notified.as_mut().await;
            let state = self.state.lock();
            if state.generation != generation {
                return BarrierWaitResult(false);
            }
            // Rule 2: the new future is made under the lock; the old one
            // (and the waker it may hold) is dropped after it.
            let next = self.notify.notified();
            drop(state);
            notified.set(next);
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &state.arrived)
            .field("generation", &state.generation)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::test_util::spawn;

    #[test]
    fn rounds_and_one_leader() {
        let b = Barrier::new(3);
        for _ in 0..3 {
            let mut x = spawn(b.wait());
            let mut y = spawn(b.wait());
            x.expect_pending();
            y.expect_pending();
            let mut z = spawn(b.wait());
            assert!(z.expect_ready().is_leader());
            assert!(x.is_woken() && y.is_woken());
            assert!(!x.expect_ready().is_leader());
            assert!(!y.expect_ready().is_leader());
        }
    }

    #[test]
    fn zero_is_one() {
        let b = Barrier::new(0);
        assert!(spawn(b.wait()).expect_ready().is_leader());
    }

    #[test]
    fn threads() {
        let b = std::sync::Arc::new(Barrier::new(4));
        let ths: Vec<_> = (0..4)
            .map(|_| {
                let b = b.clone();
                std::thread::spawn(move || {
                    (0..100)
                        .filter(|_| crate::sync::block_on::block_on("test", b.wait()).is_leader())
                        .count()
                })
            })
            .collect();
        let leaders: usize = ths.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(leaders, 100);
    }
}
