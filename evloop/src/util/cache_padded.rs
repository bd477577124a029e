//! `CachePadded`: a value alone on its cache line(s).
//!
//! Fields written by different threads (a channel's senders and its
//! receiver) that share a cache line make each write invalidate the line
//! for the other side (false sharing). 128 bytes covers the adjacent-line
//! prefetch of current x86 and the 128-byte lines of some ARM cores.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// `T`, aligned (and so padded) to 128 bytes.
#[repr(align(128))]
pub(crate) struct CachePadded<T>(T);

impl<T> CachePadded<T> {
    pub(crate) const fn new(value: T) -> CachePadded<T> {
        CachePadded(value)
    }
}

impl<T> Deref for CachePadded<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for CachePadded<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for CachePadded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::CachePadded;

    #[test]
    fn neighbours_never_share_a_line() {
        struct Two {
            a: CachePadded<u8>,
            b: CachePadded<u8>,
        }
        let two = Two {
            a: CachePadded::new(1),
            b: CachePadded::new(2),
        };
        let (a, b) = (&*two.a as *const u8 as usize, &*two.b as *const u8 as usize);
        assert_eq!(a % 128, 0);
        assert_eq!(b % 128, 0);
        assert!(a.abs_diff(b) >= 128);
        assert_eq!((*two.a, *two.b), (1, 2));
    }
}
