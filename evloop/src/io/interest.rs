//! [`Interest`]: which readiness a task waits for.

use std::fmt;
use std::ops;

const READABLE: u8 = 0b0001;
const WRITABLE: u8 = 0b0010;
const PRIORITY: u8 = 0b0100;
const ERROR: u8 = 0b1000;

/// The readiness a task is interested in: readable, writable, priority
/// (Linux and Android), error, or a combination.
///
/// ```
/// use evloop::io::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
/// assert_eq!(Interest::ERROR.remove(Interest::ERROR), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u8);

impl Interest {
    /// Interest in readable (or read-closed) readiness.
    pub const READABLE: Interest = Interest(READABLE);
    /// Interest in writable (or write-closed) readiness.
    pub const WRITABLE: Interest = Interest(WRITABLE);
    /// Interest in priority readiness: out-of-band TCP data, or an
    /// exceptional condition on a file (`EPOLLPRI`).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub const PRIORITY: Interest = Interest(PRIORITY);
    /// Interest in error readiness only. The OS reports errors on every
    /// registration, so this adds nothing to what is registered; it lets a
    /// task wait for an error without waking for data.
    pub const ERROR: Interest = Interest(ERROR);

    /// True if the readable interest is set.
    pub const fn is_readable(self) -> bool {
        self.0 & READABLE != 0
    }

    /// True if the writable interest is set.
    pub const fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0
    }

    /// True if the priority interest is set.
    pub const fn is_priority(self) -> bool {
        self.0 & PRIORITY != 0
    }

    /// True if the error interest is set.
    pub const fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// Both interests of `self` and `other`.
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// `self` without the interests of `other`; `None` if nothing is left.
    #[must_use]
    pub const fn remove(self, other: Interest) -> Option<Interest> {
        let left = self.0 & !other.0;
        if left == 0 {
            None
        } else {
            Some(Interest(left))
        }
    }

    /// What to register with mio. Errors are reported for every
    /// registration, so an error-only interest registers for reads (mio
    /// has no empty interest).
    pub(crate) fn to_mio(self) -> mio::Interest {
        let mut mio_interest: Option<mio::Interest> = None;
        let mut add = |i: mio::Interest| {
            mio_interest = Some(match mio_interest {
                Some(m) => m | i,
                None => i,
            });
        };
        if self.is_readable() {
            add(mio::Interest::READABLE);
        }
        if self.is_writable() {
            add(mio::Interest::WRITABLE);
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.is_priority() {
            add(mio::Interest::PRIORITY);
        }
        mio_interest.unwrap_or(mio::Interest::READABLE)
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;
    fn bitor(self, rhs: Interest) -> Interest {
        self.add(rhs)
    }
}

impl ops::BitOrAssign for Interest {
    fn bitor_assign(&mut self, rhs: Interest) {
        *self = self.add(rhs);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (READABLE, "READABLE"),
            (WRITABLE, "WRITABLE"),
            (PRIORITY, "PRIORITY"),
            (ERROR, "ERROR"),
        ];
        let mut first = true;
        for (bit, name) in names {
            if self.0 & bit != 0 {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("(empty)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_mio_and_debug() {
        assert_eq!(Interest::ERROR.to_mio(), mio::Interest::READABLE);
        assert_eq!(
            (Interest::WRITABLE | Interest::ERROR).to_mio(),
            mio::Interest::WRITABLE
        );
        #[cfg(any(target_os = "linux", target_os = "android"))]
        assert_eq!(
            (Interest::READABLE | Interest::PRIORITY).to_mio(),
            mio::Interest::READABLE | mio::Interest::PRIORITY
        );
        assert_eq!(
            format!("{:?}", Interest::READABLE | Interest::ERROR),
            "READABLE | ERROR"
        );
        assert!(Interest::ERROR.is_error() && !Interest::ERROR.is_readable());
    }
}
