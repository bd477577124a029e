//! Multi-producer, single-consumer channels: [`channel`] (bounded, senders
//! wait for capacity) and [`unbounded_channel`].
//!
//! Both share one lock-free list of message blocks (`block.rs` documents
//! its rules) and one channel core (`chan.rs`). The bounded flavour enforces
//! its capacity with the crate's fair semaphore, so senders waiting for room
//! are served in FIFO order and each waits inside its own future: a bounded
//! channel's memory does not grow with the number of waiting senders.

mod block;
mod bounded;
mod chan;
pub mod error;
mod permit_iter;
mod unbounded;

pub use bounded::{channel, OwnedPermit, Permit, Receiver, Sender, WeakSender};
pub use permit_iter::PermitIterator;
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender, WeakUnboundedSender};

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
