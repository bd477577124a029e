//! [`IoDriver`]: which I/O driver a runtime parks on, and how the choice is
//! made.
//!
//! # Rules
//!
//! 1. **Precedence.** A driver named with [`Builder::io_driver`] wins; if
//!    the builder names none, `EVLOOP_IO_DRIVER` (`uring`, `epoll` or
//!    `auto`, case-insensitive) decides; if that is unset, [`IoDriver::Auto`].
//!    An unknown value of the variable is ignored (with `Auto`), so a typo
//!    never stops a program.
//! 2. **Probe once.** io_uring is probed once per process (`io_uring_setup`,
//!    the features and the opcodes the driver needs, see `io::uring`); every
//!    runtime reuses the verdict.
//! 3. **Fallback.** `Auto` and the variable's `uring` take io_uring where
//!    the probe passed and epoll otherwise (`ENOSYS`, `EPERM`, `EINVAL`, an
//!    old kernel). Only [`Builder::io_driver`]`(IoDriver::Uring)` insists:
//!    `build` then fails with the probe's reason.
//! 4. **Default.** `Auto` chooses epoll today; io_uring is used where asked
//!    for (by the builder or the variable).
//! 5. **Report.** [`Handle::io_driver`](crate::runtime::Handle::io_driver) says
//!    which driver runs (`Uring` or `Epoll`), never `Auto`, except for a
//!    runtime without I/O (no `enable_io`), which reports `Auto`.
//!
//! [`Builder::io_driver`]: crate::runtime::Builder::io_driver

use std::io;

/// Which I/O driver a runtime uses (set with
/// [`Builder::io_driver`](crate::runtime::Builder::io_driver), read back with
/// [`Handle::io_driver`](crate::runtime::Handle::io_driver)).
///
/// ```
/// use evloop::runtime::{Builder, IoDriver};
///
/// let rt = Builder::new_current_thread()
///     .enable_all()
///     .io_driver(IoDriver::Epoll)
///     .build()
///     .unwrap();
/// assert_eq!(rt.handle().io_driver(), IoDriver::Epoll);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum IoDriver {
    /// Let the runtime choose (epoll today; `EVLOOP_IO_DRIVER` may ask for
    /// io_uring, which is used where the kernel allows it).
    #[default]
    Auto,
    /// io_uring (Linux 5.13 or later): readiness through multishot poll
    /// requests on one ring per runtime. `build` fails where it is not
    /// available.
    Uring,
    /// epoll on Linux, kqueue on macOS and FreeBSD (through mio).
    Epoll,
}

/// The name of the environment variable of rule 1.
pub(crate) const ENV: &str = "EVLOOP_IO_DRIVER";

/// What the process-wide probe found (rule 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Probe {
    // Only Linux has io_uring.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Available,
    /// Why io_uring cannot be used here.
    Unavailable(String),
}

/// Reads the variable of rule 1: `Some` only for a known value.
pub(crate) fn from_env(value: Option<&str>) -> Option<IoDriver> {
    match value?.trim().to_ascii_lowercase().as_str() {
        "uring" | "io_uring" | "io-uring" => Some(IoDriver::Uring),
        "epoll" => Some(IoDriver::Epoll),
        "auto" => Some(IoDriver::Auto),
        _ => None,
    }
}

/// Rules 1, 3 and 4: the driver to start, from the builder's choice
/// (`None`: not set), the variable's value, and the probe's verdict (asked
/// only when it matters).
pub(crate) fn resolve(
    builder: Option<IoDriver>,
    env: Option<&str>,
    probe: impl FnOnce() -> Probe,
) -> io::Result<IoDriver> {
    let (wanted, insist) = match builder {
        Some(driver) => (driver, true),
        None => (from_env(env).unwrap_or(IoDriver::Auto), false),
    };
    match wanted {
        IoDriver::Epoll | IoDriver::Auto => Ok(IoDriver::Epoll),
        IoDriver::Uring => match probe() {
            Probe::Available => Ok(IoDriver::Uring),
            Probe::Unavailable(_) if !insist => Ok(IoDriver::Epoll),
            Probe::Unavailable(why) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("the io_uring driver is not available: {why}"),
            )),
        },
    }
}

/// Rule 2: the probe of this process, run on first use.
pub(crate) fn probe() -> Probe {
    #[cfg(target_os = "linux")]
    {
        static PROBE: std::sync::OnceLock<Probe> = std::sync::OnceLock::new();
        PROBE.get_or_init(super::uring::probe).clone()
    }
    #[cfg(not(target_os = "linux"))]
    {
        Probe::Unavailable("io_uring exists only on Linux".into())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn unavailable() -> Probe {
        Probe::Unavailable("io_uring_setup: ENOSYS".into())
    }

    #[test]
    fn env_values() {
        assert_eq!(from_env(Some("uring")), Some(IoDriver::Uring));
        assert_eq!(from_env(Some(" EPOLL ")), Some(IoDriver::Epoll));
        assert_eq!(from_env(Some("Auto")), Some(IoDriver::Auto));
        assert_eq!(from_env(Some("kqueue")), None);
        assert_eq!(from_env(None), None);
    }

    #[test]
    fn builder_wins_over_env() {
        let probed = |p: Probe| move || p;
        let r = resolve(
            Some(IoDriver::Epoll),
            Some("uring"),
            probed(Probe::Available),
        );
        assert_eq!(r.unwrap(), IoDriver::Epoll);
        let r = resolve(
            Some(IoDriver::Uring),
            Some("epoll"),
            probed(Probe::Available),
        );
        assert_eq!(r.unwrap(), IoDriver::Uring);
        let r = resolve(None, Some("uring"), probed(Probe::Available));
        assert_eq!(r.unwrap(), IoDriver::Uring);
        let r = resolve(None, Some("nonsense"), probed(Probe::Available));
        assert_eq!(r.unwrap(), IoDriver::Epoll);
    }

    #[test]
    fn fallback_unless_the_builder_insists() {
        assert_eq!(
            resolve(None, Some("uring"), unavailable).unwrap(),
            IoDriver::Epoll
        );
        assert_eq!(
            resolve(Some(IoDriver::Auto), None, unavailable).unwrap(),
            IoDriver::Epoll
        );
        let err = resolve(Some(IoDriver::Uring), None, unavailable).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported);
        assert!(err.to_string().contains("ENOSYS"), "{err}");
    }

    #[test]
    fn epoll_and_auto_never_probe() {
        let never = || -> Probe { panic!("probed") };
        assert_eq!(resolve(None, None, never).unwrap(), IoDriver::Epoll);
        assert_eq!(
            resolve(Some(IoDriver::Epoll), None, never).unwrap(),
            IoDriver::Epoll
        );
    }
}
