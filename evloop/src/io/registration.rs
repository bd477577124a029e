//! [`Registration`]: a resource's link to its reactor, generic over the
//! driver (`super::backend`'s contract; the mio reactor by default).
//!
//! # Rules
//!
//! 1. A `Registration` owns one slot of its reactor's slab and releases it on
//!    drop; the owner of the OS resource deregisters the resource from mio
//!    (`deregister`) before it closes the fd.
//! 2. Readiness is cleared only after an operation returned `WouldBlock`, with
//!    the event observed before the operation (the tick check in
//!    `ScheduledIo::clear_readiness` keeps newer events).
//! 3. Every ready poll spends one unit of the task's coop budget.
//! 4. Once the reactor shut down, every operation returns
//!    [`shutdown_error`](super::reactor::shutdown_error).

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::coop;
use crate::io::backend::{Reactor, Registers};
use crate::io::reactor::{shutdown_error, IoHandle};
use crate::io::ready::Ready;
use crate::io::scheduled_io::{Direction, ReadyEvent, ScheduledIo};
use crate::io::Interest;
use crate::loom::sync::Arc;

/// Generic over the driver `D`, so every call below is statically
/// dispatched; a readiness driver (`Event = Ready`).
pub(crate) struct Registration<D: Reactor<Event = Ready> = IoHandle> {
    handle: D,
    shared: Arc<ScheduledIo>,
    token: D::Token,
}

impl<D: Reactor<Event = Ready>> Registration<D> {
    /// Registers `io` with the reactor `handle`.
    pub(crate) fn new_with_handle<S: ?Sized>(
        io: &mut S,
        interest: Interest,
        handle: D,
    ) -> io::Result<Registration<D>>
    where
        D: Registers<S>,
    {
        let (shared, token) = handle.register(io, interest)?;
        Ok(Registration {
            handle,
            shared,
            token,
        })
    }

    /// The reactor this registration belongs to.
    pub(crate) fn handle(&self) -> &D {
        &self.handle
    }

    /// Rule 1: removes `io` from the reactor's interest list.
    pub(crate) fn deregister<S: ?Sized>(&self, io: &mut S) -> io::Result<()>
    where
        D: Registers<S>,
    {
        self.handle.deregister(io)
    }

    /// The readiness the reactor reported and no task cleared yet.
    #[cfg(test)]
    pub(crate) fn ready_event(&self, interest: Interest) -> ReadyEvent {
        self.shared.ready_event(interest)
    }

    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.shared.clear_readiness(event);
    }

    #[track_caller]
    pub(crate) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        self.poll_ready(cx, Direction::Read)
    }

    #[track_caller]
    pub(crate) fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        self.poll_ready(cx, Direction::Write)
    }

    /// Rule 3 and rule 4.
    #[track_caller]
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let coop = ready!(coop::poll_proceed(cx));
        let Poll::Ready(event) = self.shared.poll_ready(cx, direction) else {
            let resource = match direction {
                Direction::Read => crate::trace::Resource::IoRead,
                Direction::Write => crate::trace::Resource::IoWrite,
            };
            let at = std::panic::Location::caller();
            crate::trace::suspend::note(resource, at);
            return Poll::Pending;
        };
        if event.is_shutdown {
            return Poll::Ready(Err(shutdown_error()));
        }
        coop.made_progress();
        Poll::Ready(Ok(event))
    }

    /// Like `poll_ready` without spending coop budget: for wakers that run
    /// inside the reactor rather than in a task.
    pub(crate) fn poll_ready_uncounted(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let event = ready!(self.shared.poll_ready(cx, direction));
        if event.is_shutdown {
            return Poll::Ready(Err(shutdown_error()));
        }
        Poll::Ready(Ok(event))
    }

    /// Waits for `direction`, runs `f`, and on `WouldBlock` clears readiness
    /// and waits again (rule 2).
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = ready!(self.poll_ready(cx, direction))?;
            match f() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                res => return Poll::Ready(res),
            }
        }
    }

    /// Runs `f` once if the resource is ready for `interest`; otherwise, or if
    /// `f` returns `WouldBlock`, returns `WouldBlock` (rule 2).
    pub(crate) fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let event = self.shared.ready_event(interest);
        if event.is_shutdown {
            return Err(shutdown_error());
        }
        if event.ready.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        match f() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_readiness(event);
                Err(e)
            }
            res => res,
        }
    }

    /// Waits until the resource is ready for `interest`; any number of tasks
    /// may wait at once.
    pub(crate) fn readiness(&self, interest: Interest) -> Readiness<'_> {
        Readiness {
            shared: &self.shared,
            interest,
            key: None,
        }
    }

    /// Waits for `interest` and runs `f` until it does not return
    /// `WouldBlock`.
    pub(crate) async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let event = self.readiness(interest).await?;
            match f() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                res => return res,
            }
        }
    }
}

impl<D: Reactor<Event = Ready>> Drop for Registration<D> {
    fn drop(&mut self) {
        // Rule 1.
        self.handle.release(self.token, &self.shared);
    }
}

impl<D: Reactor<Event = Ready>> fmt::Debug for Registration<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// Future of [`Registration::readiness`]. Cancel-safe: dropping it only
/// removes its waiter.
pub(crate) struct Readiness<'a> {
    shared: &'a ScheduledIo,
    interest: Interest,
    key: Option<usize>,
}

impl Future for Readiness<'_> {
    type Output = io::Result<ReadyEvent>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let coop = ready!(coop::poll_proceed(cx));
        let event = ready!(this.shared.poll_waiter(cx, this.interest, &mut this.key));
        if event.is_shutdown {
            return Poll::Ready(Err(shutdown_error()));
        }
        coop.made_progress();
        Poll::Ready(Ok(event))
    }
}

impl Drop for Readiness<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.shared.remove_waiter(key);
        }
    }
}

impl fmt::Debug for Readiness<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readiness")
            .field("interest", &self.interest)
            .finish()
    }
}
