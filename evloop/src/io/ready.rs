//! [`Ready`]: the set of readiness states a resource can report.

use std::fmt;
use std::ops;

use crate::io::Interest;

const READABLE: u8 = 0b0_0001;
const WRITABLE: u8 = 0b0_0010;
const READ_CLOSED: u8 = 0b0_0100;
const WRITE_CLOSED: u8 = 0b0_1000;
const ERROR: u8 = 0b1_0000;
const PRIORITY: u8 = 0b10_0000;

/// Readiness of an I/O resource, as reported by the reactor.
///
/// Returned by `TcpStream::ready` and friends. A set of flags: readable,
/// writable, read-closed (the peer will send no more), write-closed (the peer
/// will accept no more), error and priority (Linux and Android).
///
/// ```
/// use evloop::io::Ready;
///
/// let r = Ready::READABLE | Ready::READ_CLOSED;
/// assert!(r.is_readable());
/// assert!(r.is_read_closed());
/// assert!(!r.is_writable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ready(u8);

impl Ready {
    /// No readiness.
    pub const EMPTY: Ready = Ready(0);
    /// Readable.
    pub const READABLE: Ready = Ready(READABLE);
    /// Writable.
    pub const WRITABLE: Ready = Ready(WRITABLE);
    /// The read half is closed.
    pub const READ_CLOSED: Ready = Ready(READ_CLOSED);
    /// The write half is closed.
    pub const WRITE_CLOSED: Ready = Ready(WRITE_CLOSED);
    /// An error is pending on the resource.
    pub const ERROR: Ready = Ready(ERROR);
    /// Priority data or an exceptional condition (`EPOLLPRI`).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub const PRIORITY: Ready = Ready(PRIORITY);
    /// Every readiness flag.
    pub const ALL: Ready =
        Ready(READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | ERROR | PRIORITY);

    pub(crate) fn from_mio(event: &mio::event::Event) -> Ready {
        let mut ready = Ready::EMPTY;
        if event.is_readable() {
            ready |= Ready::READABLE;
        }
        if event.is_writable() {
            ready |= Ready::WRITABLE;
        }
        if event.is_read_closed() {
            ready |= Ready::READ_CLOSED;
        }
        if event.is_write_closed() {
            ready |= Ready::WRITE_CLOSED;
        }
        if event.is_error() {
            ready |= Ready::ERROR;
        }
        if event.is_priority() {
            ready |= Ready(PRIORITY);
        }
        ready
    }

    /// The flags that can satisfy `interest`. An error satisfies every
    /// interest: the next operation reports it.
    pub(crate) fn from_interest(interest: Interest) -> Ready {
        let mut ready = Ready::EMPTY;
        if interest.is_readable() {
            ready |= Ready::READABLE | Ready::READ_CLOSED | Ready::ERROR;
        }
        if interest.is_writable() {
            ready |= Ready::WRITABLE | Ready::WRITE_CLOSED | Ready::ERROR;
        }
        if interest.is_priority() {
            ready |= Ready(PRIORITY) | Ready::READ_CLOSED | Ready::ERROR;
        }
        if interest.is_error() {
            ready |= Ready::ERROR;
        }
        ready
    }

    /// The subset of `self` that satisfies `interest`.
    pub(crate) fn intersection(self, interest: Interest) -> Ready {
        Ready(self.0 & Ready::from_interest(interest).0)
    }

    pub(crate) fn satisfies(self, interest: Interest) -> bool {
        !self.intersection(interest).is_empty()
    }

    pub(crate) const fn as_usize(self) -> usize {
        self.0 as usize
    }

    pub(crate) const fn from_usize(bits: usize) -> Ready {
        Ready((bits as u8) & Ready::ALL.0)
    }

    /// True if no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True if the readable flag is set.
    pub fn is_readable(self) -> bool {
        self.0 & READABLE != 0 || self.is_read_closed()
    }

    /// True if the writable flag is set.
    pub fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0 || self.is_write_closed()
    }

    /// True if the read half is closed.
    pub fn is_read_closed(self) -> bool {
        self.0 & READ_CLOSED != 0
    }

    /// True if the write half is closed.
    pub fn is_write_closed(self) -> bool {
        self.0 & WRITE_CLOSED != 0
    }

    /// True if an error is pending.
    pub fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// True if the priority flag is set.
    pub fn is_priority(self) -> bool {
        self.0 & PRIORITY != 0
    }

    /// True if every flag of `other` is set in `self`.
    pub fn contains(self, other: Ready) -> bool {
        self.0 & other.0 == other.0
    }
}

impl ops::BitOr for Ready {
    type Output = Ready;
    fn bitor(self, rhs: Ready) -> Ready {
        Ready(self.0 | rhs.0)
    }
}

impl ops::BitOrAssign for Ready {
    fn bitor_assign(&mut self, rhs: Ready) {
        self.0 |= rhs.0;
    }
}

impl ops::BitAnd for Ready {
    type Output = Ready;
    fn bitand(self, rhs: Ready) -> Ready {
        Ready(self.0 & rhs.0)
    }
}

impl ops::Sub for Ready {
    type Output = Ready;
    fn sub(self, rhs: Ready) -> Ready {
        Ready(self.0 & !rhs.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("is_readable", &(self.0 & READABLE != 0))
            .field("is_writable", &(self.0 & WRITABLE != 0))
            .field("is_read_closed", &self.is_read_closed())
            .field("is_write_closed", &self.is_write_closed())
            .field("is_error", &self.is_error())
            .field("is_priority", &self.is_priority())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interest_masks() {
        let r = Ready::READ_CLOSED;
        assert!(r.satisfies(Interest::READABLE));
        assert!(!r.satisfies(Interest::WRITABLE));
        assert!(Ready::ERROR.satisfies(Interest::WRITABLE));
        assert_eq!(
            (Ready::READABLE | Ready::WRITABLE).intersection(Interest::WRITABLE),
            Ready::WRITABLE
        );
        assert_eq!(Ready::from_usize(Ready::ALL.as_usize() | 0xC0), Ready::ALL);
        assert_eq!(Ready::ALL - Ready::READABLE, Ready(0b11_1110));
        // Error-only interest: woken by an error, not by data.
        assert!(Ready::ERROR.satisfies(Interest::ERROR));
        assert!(!(Ready::READABLE | Ready::WRITABLE).satisfies(Interest::ERROR));
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            assert!(Ready::PRIORITY.satisfies(Interest::PRIORITY));
            assert!(!Ready::PRIORITY.satisfies(Interest::READABLE));
            assert!(!Ready::READABLE.satisfies(Interest::PRIORITY));
        }
    }
}
