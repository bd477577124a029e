//! Sender bookkeeping of the broadcast channel: [`WeakSender`], the sender
//! and receiver counts, [`Sender::new`] and [`Sender::closed`] (rules 8 and 9
//! of the parent module).

use std::fmt;

use super::{Receiver, Sender, Shared};
use crate::loom::sync::atomic::Ordering::SeqCst;
use crate::loom::sync::Arc;

/// A sender that does not keep the channel open; [`upgrade`](Self::upgrade)
/// it to send. Made by [`Sender::downgrade`].
pub struct WeakSender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Creates a channel with no receiver yet, keeping the last `capacity`
    /// values (rounded up to a power of two); receivers come from
    /// [`subscribe`](Self::subscribe). Sends fail until one exists.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0 or larger than `usize::MAX / 2`.
    ///
    /// ```
    /// let tx = evloop::sync::broadcast::Sender::new(4);
    /// assert!(tx.send(1).is_err());
    /// let mut rx = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(2));
    /// ```
    pub fn new(capacity: usize) -> Sender<T> {
        Sender {
            shared: Shared::new(capacity, 0),
        }
    }

    /// A [`WeakSender`] for this channel.
    pub fn downgrade(&self) -> WeakSender<T> {
        self.shared.num_weak_tx.fetch_add(1, SeqCst);
        WeakSender {
            shared: self.shared.clone(),
        }
    }

    /// The number of (strong) senders alive.
    pub fn strong_count(&self) -> usize {
        self.shared.num_tx.load(SeqCst)
    }

    /// The number of weak senders alive.
    pub fn weak_count(&self) -> usize {
        self.shared.num_weak_tx.load(SeqCst)
    }

    /// Completes once the channel has no receiver (at once if it has none
    /// now). A receiver subscribed later does not undo it.
    ///
    /// **Cancel safety:** cancel-safe.
    ///
    /// ```
    /// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (tx, rx) = evloop::sync::broadcast::channel::<u8>(4);
    /// let rx2 = tx.subscribe();
    /// drop(rx);
    /// evloop::spawn(async move { drop(rx2) });
    /// tx.closed().await;
    /// assert_eq!(tx.receiver_count(), 0);
    /// # });
    /// ```
    pub async fn closed(&self) {
        loop {
            // Rule 9: the future first, then the count.
            let notified = self.shared.no_receivers.notified();
            if self.shared.tail.lock().rx_cnt == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl<T> WeakSender<T> {
    /// A [`Sender`], unless every sender is gone (the channel is closed).
    pub fn upgrade(&self) -> Option<Sender<T>> {
        // Rule 8: never from zero.
        let mut n = self.shared.num_tx.load(SeqCst);
        loop {
            if n == 0 {
                return None;
            }
            match self
                .shared
                .num_tx
                .compare_exchange_weak(n, n + 1, SeqCst, SeqCst)
            {
                Ok(_) => {
                    return Some(Sender {
                        shared: self.shared.clone(),
                    })
                }
                Err(actual) => n = actual,
            }
        }
    }

    /// The number of (strong) senders alive.
    pub fn strong_count(&self) -> usize {
        self.shared.num_tx.load(SeqCst)
    }

    /// The number of weak senders alive.
    pub fn weak_count(&self) -> usize {
        self.shared.num_weak_tx.load(SeqCst)
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        self.shared.num_weak_tx.fetch_add(1, SeqCst);
        WeakSender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for WeakSender<T> {
    fn drop(&mut self) {
        self.shared.num_weak_tx.fetch_sub(1, SeqCst);
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender")
            .field("capacity", &self.shared.buffer.len())
            .finish_non_exhaustive()
    }
}

impl<T> Receiver<T> {
    /// The number of (strong) senders alive.
    pub fn sender_strong_count(&self) -> usize {
        self.shared.num_tx.load(SeqCst)
    }

    /// The number of weak senders alive.
    pub fn sender_weak_count(&self) -> usize {
        self.shared.num_weak_tx.load(SeqCst)
    }

    /// Whether every sender is gone. Values still kept can be received.
    pub fn is_closed(&self) -> bool {
        self.shared.tail.lock().closed
    }
}
