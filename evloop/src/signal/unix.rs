//! Unix signals: [`signal`], [`Signal`], [`SignalKind`].

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

use crate::signal::registry::{globals, Slot};

/// A signal number, with constructors for the common ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(libc::c_int);

impl SignalKind {
    /// Any signal by number.
    pub const fn from_raw(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    pub const fn as_raw_value(&self) -> libc::c_int {
        self.0
    }

    /// SIGALRM.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// SIGCHLD.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// SIGHUP.
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// SIGINT (ctrl-c).
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// SIGPIPE.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// SIGQUIT.
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// SIGTERM.
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// SIGUSR1.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// SIGUSR2.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// SIGWINCH.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<libc::c_int> for SignalKind {
    fn from(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }
}

/// A listener for one kind of signal; see [`signal`].
///
/// Every `Signal` of a kind sees every delivery of it that happens after the
/// `Signal` was created; deliveries between two `recv`s coalesce into one.
pub struct Signal {
    slot: &'static Slot,
    kind: SignalKind,
    seen: u64,
    key: Option<usize>,
}

/// Listens for `kind`: installs its handler (once per process) and hooks the
/// signal pipe to the current runtime's reactor if no runtime has it.
///
/// Errors: a signal that cannot be handled (SIGKILL, SIGSTOP, SIGSEGV,
/// SIGILL, SIGFPE) or an invalid number; no runtime, or I/O disabled.
///
/// ```no_run
/// use evloop::signal::unix::{signal, SignalKind};
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let mut hup = signal(SignalKind::hangup()).unwrap();
/// while hup.recv().await.is_some() {
///     println!("reloading configuration");
/// }
/// # }); }
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let signum = kind.0;
    if [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGSEGV,
        libc::SIGILL,
        libc::SIGFPE,
    ]
    .contains(&signum)
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("signal {signum} cannot be handled"),
        ));
    }
    let g = globals()?;
    let slot = g.slot(signum)?;
    g.install(signum)?;
    g.ensure_registered()?;
    Ok(Signal {
        slot,
        kind,
        seen: slot.version(),
        key: None,
    })
}

impl Signal {
    /// Waits for the next delivery. Always `Some` (the stream never ends;
    /// the `Option` matches stream-like APIs).
    ///
    /// Cancel-safe: a delivery that arrives while no `recv` is pending is
    /// reported by the next one.
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        // Rule 5 of the registry: take the pipe over if its reactor is gone.
        if let Ok(g) = globals() {
            let _ = g.ensure_registered();
        }
        self.slot
            .poll_recv(cx, &mut self.seen, &mut self.key)
            .map(Some)
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.slot.remove_waiter(key);
        }
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal").field("kind", &self.kind).finish()
    }
}
