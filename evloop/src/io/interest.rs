//! [`Interest`]: which directions a task waits for.

use std::fmt;
use std::ops;

const READABLE: u8 = 0b01;
const WRITABLE: u8 = 0b10;

/// The readiness a task is interested in: readable, writable, or both.
///
/// ```
/// use evloop::io::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u8);

impl Interest {
    /// Interest in readable (or read-closed) readiness.
    pub const READABLE: Interest = Interest(READABLE);
    /// Interest in writable (or write-closed) readiness.
    pub const WRITABLE: Interest = Interest(WRITABLE);

    /// True if the readable interest is set.
    pub const fn is_readable(self) -> bool {
        self.0 & READABLE != 0
    }

    /// True if the writable interest is set.
    pub const fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0
    }

    /// Both interests of `self` and `other`.
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    pub(crate) fn to_mio(self) -> mio::Interest {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => mio::Interest::READABLE | mio::Interest::WRITABLE,
            (false, true) => mio::Interest::WRITABLE,
            _ => mio::Interest::READABLE,
        }
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
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            (false, true) => f.write_str("WRITABLE"),
            (false, false) => f.write_str("(empty)"),
        }
    }
}
