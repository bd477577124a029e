//! [`PermitIterator`]: the slots reserved by `Sender::reserve_many`, handed
//! out one [`Permit`] at a time.

use std::fmt;

use super::bounded::{Bounded, Permit};
use super::chan;

/// `n` reserved slots of a bounded channel; each [`next`](Iterator::next)
/// hands out one as a [`Permit`]. Slots never taken go back to the channel
/// when the iterator is dropped.
pub struct PermitIterator<'a, T> {
    chan: &'a chan::Tx<T, Bounded>,
    /// Slots still held (rule 3 of `chan`: one semaphore unit each).
    n: usize,
}

impl<'a, T> PermitIterator<'a, T> {
    /// Takes over `n` units the caller acquired.
    pub(super) fn new(chan: &'a chan::Tx<T, Bounded>, n: usize) -> PermitIterator<'a, T> {
        PermitIterator { chan, n }
    }
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        if self.n == 0 {
            return None;
        }
        // The unit moves into the permit, which gives it back if unused.
        self.n -= 1;
        Some(Permit { chan: self.chan })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.n, Some(self.n))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> std::iter::FusedIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        if self.n == 0 {
            return;
        }
        // Unused slots go back together, then a closed receiver waiting for
        // the last outstanding units is woken (rule 5 of `chan`).
        let chan = self.chan.chan();
        chan.semaphore.release_many(self.n);
        chan.wake_rx_if_closed();
    }
}

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermitIterator")
            .field("remaining", &self.n)
            .finish()
    }
}
