//! The driver contract: what a scheduler needs of whatever it parks on,
//! written once, so that an io_uring driver and a simulator (its network,
//! its park and its virtual time) slot in beside today's implementations
//! without `cfg`s in the schedulers. `docs/architecture.md` ("the driver
//! contract") has the whole picture; this file holds the park traits,
//! `io/backend.rs` the registration half (register, deregister, release,
//! delivery of readiness or completions).
//!
//! Every seam is static: a generic parameter or an enum, never a trait
//! object, so the park path costs what it cost before the seam.
//!
//! # Rules
//!
//! 1. **Park.** [`Park::park`] blocks the calling thread until one of: an
//!    unpark, an event of the source, `timeout` (`None`: none;
//!    `Some(ZERO)`: do not block). It returns early for no reason at most
//!    rarely; the scheduler re-checks its queues after every return.
//! 2. **Unpark is sticky.** [`Park::unpark`] may be called from any thread
//!    at any time; an unpark that lands before the park (or between its
//!    decision to block and the block) makes that park return at once, so
//!    a wake is never lost.
//! 3. **Delivery happens inside `park`.** Whatever the source delivers
//!    (readiness, completions, fired timers) wakes its wakers before `park`
//!    returns, outside the source's locks (a waker may drop a resource,
//!    which deregisters it).
//! 4. **Shutdown** is called once, by the thread that owns the source,
//!    after the last `park`: every registered resource and timer is woken
//!    with a shutdown error.

use std::time::Duration;

/// A park source (rules 1–4): the whole driver stack for the schedulers
/// (`runtime::drivers::Driver`), a condvar parker in the loom models, a
/// simulator's scheduler-controlled park next.
pub(crate) trait Park: Send + 'static {
    /// Shared by everything that wakes the source (rule 2).
    type Handle: Send + Sync;

    /// Rules 1 and 3. Returns the number of I/O events delivered (what
    /// the scheduler reports to the observability hooks' I/O-ready point).
    fn park(&mut self, handle: &Self::Handle, timeout: Option<Duration>) -> usize;

    /// Rule 2: wakes the thread parked in this source, or makes its next
    /// park return at once.
    fn unpark(handle: &Self::Handle);

    /// Rule 4.
    fn shutdown(&mut self, handle: &Self::Handle);
}

/// What one [`IoPark::park`] delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Delivered {
    /// I/O readiness (or completion) events handed to their resources.
    pub(crate) events: usize,
    /// Anything delivered: an event or an unpark.
    pub(crate) any: bool,
}

/// The bottom of the driver stack, below the time driver: an I/O driver
/// (the mio reactor today; io_uring and a simulated network next) or,
/// without I/O, a condvar. The time driver hands it the timeout of the
/// next timer.
pub(crate) trait IoPark {
    /// Shared by the resources registered with it and its unparkers.
    type Handle;

    /// Rules 1 and 3. Returns what was delivered: the number of I/O
    /// events (for the observability hooks, which the scheduler calls with
    /// it: a driver never looks up the runtime) and whether anything at
    /// all was (an event or an unpark: a task may be runnable now), which
    /// paused time needs to know before it jumps (timer_driver rule 3).
    fn park(&mut self, handle: &Self::Handle, timeout: Option<Duration>) -> Delivered;

    /// Rule 2.
    fn unpark(handle: &Self::Handle);
}
