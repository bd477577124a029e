//! [`Waiter`]: how one child's exit is waited for (process rules 2-4).
//!
//! The SIGCHLD path is portable: the child listens for SIGCHLD through the
//! signal driver and, after each delivery, checks its own pid without
//! blocking. Deliveries coalesce, and one SIGCHLD may stand for several
//! exits, so a delivery is only ever a reason to check, never a verdict.

use std::fmt;
use std::io;
use std::process::ExitStatus;
use std::task::{Context, Poll};

use crate::io::IoHandle;
use crate::signal::unix::{signal, Signal, SignalKind};

/// Which source tells the child that it is time to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// pidfd where it works, SIGCHLD otherwise.
    Auto,
    /// SIGCHLD only (the fallback, forced by tests).
    #[cfg_attr(any(not(test), loom), allow(dead_code))]
    Sigchld,
}

enum Kind {
    #[cfg(target_os = "linux")]
    Pidfd(super::pidfd::Pidfd),
    /// The listener, created at the first wait (rule 2).
    Sigchld(Option<Signal>),
}

/// The waiting state of one running child (rule 3: it lives in the
/// `Child`, so a dropped `wait` future loses nothing).
pub(crate) struct Waiter {
    kind: Kind,
    /// The spawning runtime's reactor: the pidfd's when the child is
    /// waited for outside any runtime (rule 4).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    spawner: IoHandle,
}

impl Waiter {
    pub(crate) fn new(source: Source, spawner: IoHandle) -> Waiter {
        let kind = match source {
            #[cfg(target_os = "linux")]
            Source::Auto => Kind::Pidfd(Default::default()),
            #[cfg(not(target_os = "linux"))]
            Source::Auto => Kind::Sigchld(None),
            Source::Sigchld => Kind::Sigchld(None),
        };
        Waiter { kind, spawner }
    }

    /// `Ready` with the status once `child` exited and was reaped.
    pub(crate) fn poll_exit(
        &mut self,
        cx: &mut Context<'_>,
        child: &mut std::process::Child,
    ) -> Poll<io::Result<ExitStatus>> {
        #[cfg(target_os = "linux")]
        if let Kind::Pidfd(pidfd) = &mut self.kind {
            match pidfd.poll_exit(cx, child, &self.spawner) {
                Some(poll) => return poll,
                // Rule 4: no pidfd for this child; SIGCHLD for good.
                None => self.kind = Kind::Sigchld(None),
            }
        }
        match &mut self.kind {
            Kind::Sigchld(listener) => poll_sigchld(cx, child, listener),
            #[cfg(target_os = "linux")]
            Kind::Pidfd(_) => unreachable!("handled above"),
        }
    }
}

/// Rule 2 on the SIGCHLD path: the listener first, then the check, then
/// a wait for the next delivery and another check.
fn poll_sigchld(
    cx: &mut Context<'_>,
    child: &mut std::process::Child,
    listener: &mut Option<Signal>,
) -> Poll<io::Result<ExitStatus>> {
    let listener = match listener {
        Some(listener) => listener,
        None => listener.insert(signal(SignalKind::child())?),
    };
    loop {
        if let Some(status) = child.try_wait()? {
            return Poll::Ready(Ok(status));
        }
        if listener.poll_recv(cx).is_pending() {
            return Poll::Pending;
        }
    }
}

impl fmt::Debug for Waiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            #[cfg(target_os = "linux")]
            Kind::Pidfd(_) => "pidfd",
            Kind::Sigchld(_) => "sigchld",
        };
        f.debug_struct("Waiter").field("kind", &kind).finish()
    }
}
