//! [`AsyncFdReadyGuard`] and [`AsyncFdReadyMutGuard`]: the readiness an
//! [`AsyncFd`] reported, and the means to clear it (module rules 2 and 3).

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;

use crate::io::scheduled_io::ReadyEvent;
use crate::io::unix::AsyncFd;
use crate::io::Ready;

/// The error of a guard's `try_io`: the operation returned `WouldBlock` and
/// the readiness was cleared, so the next wait really waits.
#[derive(Debug)]
pub struct TryIoError(());

impl fmt::Display for TryIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the operation would block; readiness was cleared")
    }
}

impl std::error::Error for TryIoError {}

/// Readiness of an [`AsyncFd`], from `readable`, `writable`, `ready` or the
/// `poll_*_ready` methods. Dropping it keeps the readiness (module rule 2);
/// `clear_ready` or `try_io` clear it.
#[must_use = "a guard that is dropped at once keeps its readiness: the next wait returns at once"]
pub struct AsyncFdReadyGuard<'a, T: AsRawFd> {
    fd: &'a AsyncFd<T>,
    /// `None` once cleared.
    event: Option<ReadyEvent>,
}

/// Like [`AsyncFdReadyGuard`], with mutable access to the [`AsyncFd`].
#[must_use = "a guard that is dropped at once keeps its readiness: the next wait returns at once"]
pub struct AsyncFdReadyMutGuard<'a, T: AsRawFd> {
    fd: &'a mut AsyncFd<T>,
    /// `None` once cleared.
    event: Option<ReadyEvent>,
}

/// Rule 3: clears the `bits` of `event` from the registration and from the
/// event itself.
fn clear_bits<T: AsRawFd>(fd: &AsyncFd<T>, event: &mut Option<ReadyEvent>, bits: Ready) {
    if let Some(ev) = event {
        let cleared = ReadyEvent {
            ready: ev.ready & bits,
            ..*ev
        };
        fd.registration().clear_readiness(cleared);
        ev.ready = ev.ready - bits;
        if ev.ready.is_empty() {
            *event = None;
        }
    }
}

fn clear_all<T: AsRawFd>(fd: &AsyncFd<T>, event: &mut Option<ReadyEvent>) {
    if let Some(ev) = event.take() {
        fd.registration().clear_readiness(ev);
    }
}

impl<'a, T: AsRawFd> AsyncFdReadyGuard<'a, T> {
    pub(crate) fn new(fd: &'a AsyncFd<T>, event: ReadyEvent) -> Self {
        AsyncFdReadyGuard {
            fd,
            event: Some(event),
        }
    }

    /// Clears all the readiness this guard saw: the next wait for it waits
    /// for a new event from the OS. Call it after an operation returned
    /// `WouldBlock`.
    pub fn clear_ready(&mut self) {
        clear_all(self.fd, &mut self.event);
    }

    /// Clears only the readiness in `ready` (for example
    /// [`Ready::READABLE`] after a read returned `WouldBlock`, keeping
    /// writability). Closed flags are never cleared: end of stream is final.
    pub fn clear_ready_matching(&mut self, ready: Ready) {
        clear_bits(self.fd, &mut self.event, ready);
    }

    /// Keeps the readiness (what dropping the guard does; this says so
    /// explicitly).
    pub fn retain_ready(&mut self) {}

    /// The readiness this guard saw and has not cleared.
    pub fn ready(&self) -> Ready {
        self.event.map_or(Ready::EMPTY, |ev| ev.ready)
    }

    /// Runs `f`; if it returns `WouldBlock`, clears the readiness and
    /// returns `Err(TryIoError)`, else `Ok` with its result.
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match f(self.fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            res => Ok(res),
        }
    }

    /// The [`AsyncFd`].
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.fd
    }

    /// The value inside the [`AsyncFd`].
    pub fn get_inner(&self) -> &'a T {
        self.fd.get_ref()
    }
}

impl<'a, T: AsRawFd> AsyncFdReadyMutGuard<'a, T> {
    pub(crate) fn new(fd: &'a mut AsyncFd<T>, event: ReadyEvent) -> Self {
        AsyncFdReadyMutGuard {
            fd,
            event: Some(event),
        }
    }

    /// See [`AsyncFdReadyGuard::clear_ready`].
    pub fn clear_ready(&mut self) {
        clear_all(self.fd, &mut self.event);
    }

    /// See [`AsyncFdReadyGuard::clear_ready_matching`].
    pub fn clear_ready_matching(&mut self, ready: Ready) {
        clear_bits(self.fd, &mut self.event, ready);
    }

    /// Keeps the readiness (what dropping the guard does).
    pub fn retain_ready(&mut self) {}

    /// The readiness this guard saw and has not cleared.
    pub fn ready(&self) -> Ready {
        self.event.map_or(Ready::EMPTY, |ev| ev.ready)
    }

    /// Runs `f` with the [`AsyncFd`] mutably; if it returns `WouldBlock`,
    /// clears the readiness and returns `Err(TryIoError)`.
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&mut AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match f(self.fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            res => Ok(res),
        }
    }

    /// The [`AsyncFd`].
    pub fn get_ref(&self) -> &AsyncFd<T> {
        self.fd
    }

    /// The [`AsyncFd`], mutably.
    pub fn get_mut(&mut self) -> &mut AsyncFd<T> {
        self.fd
    }

    /// The value inside the [`AsyncFd`].
    pub fn get_inner(&self) -> &T {
        self.fd.get_ref()
    }

    /// The value inside the [`AsyncFd`], mutably.
    pub fn get_inner_mut(&mut self) -> &mut T {
        self.fd.get_mut()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyGuard")
            .field("fd", self.fd)
            .field("ready", &self.ready())
            .finish()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyMutGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyMutGuard")
            .field("fd", &*self.fd)
            .field("ready", &self.ready())
            .finish()
    }
}
