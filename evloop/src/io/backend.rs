//! The I/O driver's contract, the registration half: what a resource needs
//! of the driver it is registered with. The park half (wait, deliver, wake
//! up) is `runtime::contract::IoPark`; `docs/architecture.md` ("the driver
//! contract") has the whole picture.
//!
//! The mio driver (`driver::Handle`: epoll, kqueue) is the first
//! implementation; an io_uring driver and a simulated network are meant to
//! be the next ones. Both traits are used through generic parameters
//! (`Registration<D>`), never as trait objects, so registering, polling and
//! releasing cost what they did before the seam.
//!
//! # Rules
//!
//! 1. **Register.** [`Registers::register`] gives a resource a slot and a
//!    [`Reactor::Token`] naming it, and a fresh per-registration state
//!    ([`ScheduledIo`]) that events for that token are delivered to. After
//!    shutdown it fails with `driver::shutdown_error`.
//! 2. **Deregister, then release.** The owner of a resource calls
//!    [`Registers::deregister`] before it closes the resource; the slot is
//!    freed by [`Reactor::release`] (from the registration's drop), and only
//!    if it still holds that registration's state. A token outlives neither:
//!    an event naming a released slot, or a reused one, is dropped.
//! 3. **Delivery.** [`Reactor::deliver`] hands each `(token, event)` of one
//!    park to the state of its registration and wakes the waiting tasks,
//!    outside the driver's locks (contract rule 3). It runs on the parking
//!    thread, inside `IoPark::park`.
//! 4. **Events.** [`Reactor::Event`] is what one event carries: a readiness
//!    set ([`Ready`]) for a readiness driver, which the resource answers by
//!    retrying its operation. A completion driver (io_uring) names an
//!    operation, not a file descriptor, with the token, and its `Event` is
//!    the operation's result; its state keeps that result for the task
//!    instead of a readiness set. `Registration` is the readiness path and
//!    asks for `Event = Ready`.
//!
//! [`Ready`]: crate::io::Ready

use std::fmt;
use std::io;

use crate::io::scheduled_io::ScheduledIo;
use crate::io::Interest;
use crate::loom::sync::Arc;

/// A driver's registration handle (rules 2–4); cheap to clone, shared by
/// the resources registered with it.
pub(crate) trait Reactor: Clone + Send + Sync + 'static {
    /// Names one registration in the driver's events (rule 2).
    type Token: Copy + fmt::Debug + Send + Sync;
    /// What one delivered event carries (rule 4).
    type Event;
    /// The parking thread's buffer for [`Reactor::deliver`], kept between
    /// parks so delivery does not allocate.
    type Scratch: Default;

    /// Rule 2: frees the slot of `token` if it still holds `state`.
    fn release(&self, token: Self::Token, state: &Arc<ScheduledIo>);

    /// Rule 3: delivers one park's events.
    fn deliver(
        &self,
        events: impl Iterator<Item = (Self::Token, Self::Event)>,
        scratch: &mut Self::Scratch,
    );
}

/// Registration of one kind of resource `S` (rules 1 and 2): for the mio
/// driver every `mio::event::Source`; for a simulated network its in-memory
/// sockets.
pub(crate) trait Registers<S: ?Sized>: Reactor {
    /// Rule 1.
    fn register(
        &self,
        source: &mut S,
        interest: Interest,
    ) -> io::Result<(Arc<ScheduledIo>, Self::Token)>;

    /// Rule 2: removes `source` from the driver's interest list (its slot
    /// stays until `release`).
    fn deregister(&self, source: &mut S) -> io::Result<()>;
}
