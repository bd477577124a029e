//! The time driver's batch of fired timers' wakers (timer_driver rules 1 and 6:
//! collected under the lock, woken after it, each panic caught).

use crate::time::entry::Fired;

/// A fixed batch of wakers, so firing never allocates.
pub(crate) struct WakeList {
    wakers: [Option<Fired>; 32],
    len: usize,
}

impl WakeList {
    pub(crate) fn new() -> WakeList {
        WakeList {
            wakers: Default::default(),
            len: 0,
        }
    }

    pub(crate) fn push(&mut self, fired: Option<Fired>) {
        if let Some(w) = fired {
            self.wakers[self.len] = Some(w);
            self.len += 1;
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len == self.wakers.len()
    }

    /// Wakes every collected waker (rule 6: a panicking one costs only
    /// itself). The observability hooks bracket the batch, so the trace
    /// recorder marks a timer event and attributes these wakes to timers.
    pub(crate) fn wake_all(&mut self) {
        if self.len == 0 {
            return;
        }
        let fired = self.len as u64;
        let _ = crate::context::with_current(|h| h.hooks().timers_firing(fired));
        for slot in &mut self.wakers[..self.len] {
            if let Some(w) = slot.take() {
                w.wake();
            }
        }
        self.len = 0;
        let _ = crate::context::with_current(|h| h.hooks().timers_done());
    }
}
