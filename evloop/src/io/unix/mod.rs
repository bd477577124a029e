//! Readiness for any Unix file descriptor: [`AsyncFd`].
//!
//! [`AsyncFd`] registers a descriptor the runtime knows nothing about (a
//! device, an `eventfd`, a socket made with `libc`, a pipe) with the
//! reactor, and lets a task wait until the OS reports it readable,
//! writable, in error or with priority data. The I/O itself stays with the
//! caller: wait for readiness, try the operation, and on `WouldBlock` tell
//! the guard so that the next wait really waits.
//!
//! # Rules
//!
//! 1. The descriptor must be in non-blocking mode and must stay open while
//!    the `AsyncFd` holds it; dropping the `AsyncFd` (or `into_inner`)
//!    deregisters it from the reactor *before* the inner value is dropped
//!    or returned.
//! 2. Readiness is edge-triggered: the reactor records it once per OS
//!    event. A guard that saw readiness and then got `WouldBlock` must
//!    clear it (`clear_ready`, or `try_io`, which does so itself); a guard
//!    dropped without clearing leaves the readiness in place, so the next
//!    wait returns at once.
//! 3. A clear removes only the readiness the guard observed, and only if no
//!    newer event arrived in between (the reactor's tick, see
//!    `scheduled_io`), so a clear never hides an event that raced with it.

mod async_fd;
mod guard;

pub use async_fd::{AsyncFd, AsyncFdRegisterError, AsyncFdTryNewError};
pub use guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard, TryIoError};
