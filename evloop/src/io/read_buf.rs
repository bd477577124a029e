//! [`ReadBuf`]: a buffer a reader fills, possibly partly uninitialized.
//!
//! # Rules
//!
//! 1. `filled <= initialized <= buf.len()`, always.
//! 2. Bytes `..initialized` are initialized; safe accessors never expose
//!    bytes past it as `u8`.

use std::fmt;
use std::mem::MaybeUninit;

/// A borrowed byte buffer filled in steps, tracking how much is filled and
/// how much is initialized.
///
/// ```
/// use evloop::io::ReadBuf;
///
/// let mut storage = [0u8; 8];
/// let mut buf = ReadBuf::new(&mut storage);
/// buf.put_slice(b"abc");
/// assert_eq!(buf.filled(), b"abc");
/// assert_eq!(buf.remaining(), 5);
/// ```
pub struct ReadBuf<'a> {
    buf: &'a mut [MaybeUninit<u8>],
    filled: usize,
    initialized: usize,
}

impl<'a> ReadBuf<'a> {
    /// Wraps a fully initialized buffer.
    pub fn new(buf: &'a mut [u8]) -> ReadBuf<'a> {
        let initialized = buf.len();
        // SAFETY: `u8` and `MaybeUninit<u8>` have the same layout, and the
        // slice stays initialized (rule 2: we only ever write `u8`s to it).
        let buf = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
        ReadBuf {
            buf,
            filled: 0,
            initialized,
        }
    }

    /// Wraps an uninitialized buffer.
    pub fn uninit(buf: &'a mut [MaybeUninit<u8>]) -> ReadBuf<'a> {
        ReadBuf {
            buf,
            filled: 0,
            initialized: 0,
        }
    }

    /// Total size of the buffer.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// The filled part.
    pub fn filled(&self) -> &[u8] {
        // SAFETY: rule 1 and 2: `..filled` is initialized.
        unsafe { &*(&self.buf[..self.filled] as *const [MaybeUninit<u8>] as *const [u8]) }
    }

    /// The filled part, mutably.
    pub fn filled_mut(&mut self) -> &mut [u8] {
        // SAFETY: rule 1 and 2: `..filled` is initialized.
        unsafe { &mut *(&mut self.buf[..self.filled] as *mut [MaybeUninit<u8>] as *mut [u8]) }
    }

    /// The initialized part (filled and not).
    pub fn initialized(&self) -> &[u8] {
        // SAFETY: rule 2.
        unsafe { &*(&self.buf[..self.initialized] as *const [MaybeUninit<u8>] as *const [u8]) }
    }

    /// The initialized part, mutably.
    pub fn initialized_mut(&mut self) -> &mut [u8] {
        // SAFETY: rule 2.
        unsafe { &mut *(&mut self.buf[..self.initialized] as *mut [MaybeUninit<u8>] as *mut [u8]) }
    }

    /// A new `ReadBuf` over at most `n` bytes of the unfilled part.
    pub fn take(&mut self, n: usize) -> ReadBuf<'_> {
        let max = n.min(self.remaining());
        let initialized = self.initialized.saturating_sub(self.filled).min(max);
        ReadBuf {
            buf: &mut self.buf[self.filled..self.filled + max],
            filled: 0,
            initialized,
        }
    }

    /// The whole buffer, possibly uninitialized.
    ///
    /// # Safety
    ///
    /// The caller must not de-initialize bytes that were initialized
    /// (write `MaybeUninit::uninit()` into them).
    pub unsafe fn inner_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        self.buf
    }

    /// The unfilled part, possibly uninitialized.
    ///
    /// # Safety
    ///
    /// The caller must not de-initialize bytes that were initialized.
    pub unsafe fn unfilled_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        &mut self.buf[self.filled..]
    }

    /// Zeroes the uninitialized part and returns the whole unfilled part.
    pub fn initialize_unfilled(&mut self) -> &mut [u8] {
        self.initialize_unfilled_to(self.remaining())
    }

    /// Initializes at least `n` unfilled bytes and returns exactly `n`.
    ///
    /// # Panics
    ///
    /// If fewer than `n` bytes remain.
    #[track_caller]
    pub fn initialize_unfilled_to(&mut self, n: usize) -> &mut [u8] {
        assert!(self.remaining() >= n, "n overflows remaining");
        let end = self.filled + n;
        if self.initialized < end {
            for byte in &mut self.buf[self.initialized..end] {
                byte.write(0);
            }
            self.initialized = end;
        }
        let slice = &mut self.buf[self.filled..end];
        // SAFETY: rule 2: `..end` was just initialized.
        unsafe { &mut *(slice as *mut [MaybeUninit<u8>] as *mut [u8]) }
    }

    /// Bytes not yet filled.
    pub fn remaining(&self) -> usize {
        self.capacity() - self.filled
    }

    /// Marks everything unfilled (initialization is kept).
    pub fn clear(&mut self) {
        self.filled = 0;
    }

    /// Marks `n` more bytes filled.
    ///
    /// # Panics
    ///
    /// If that would fill uninitialized bytes.
    #[track_caller]
    pub fn advance(&mut self, n: usize) {
        let new = self.filled.checked_add(n).expect("filled overflow");
        self.set_filled(new);
    }

    /// Sets the filled length.
    ///
    /// # Panics
    ///
    /// If `n` is past the initialized part.
    #[track_caller]
    pub fn set_filled(&mut self, n: usize) {
        assert!(
            n <= self.initialized,
            "filled must not become larger than initialized"
        );
        self.filled = n;
    }

    /// Asserts that `n` unfilled bytes are initialized.
    ///
    /// # Safety
    ///
    /// The first `n` bytes of the unfilled part must be initialized.
    pub unsafe fn assume_init(&mut self, n: usize) {
        let new = self.filled + n;
        if new > self.initialized {
            self.initialized = new;
        }
    }

    /// Appends `src` to the filled part.
    ///
    /// # Panics
    ///
    /// If `src` does not fit.
    #[track_caller]
    pub fn put_slice(&mut self, src: &[u8]) {
        assert!(
            self.remaining() >= src.len(),
            "buf.len() must fit in remaining()"
        );
        let end = self.filled + src.len();
        for (dst, &byte) in self.buf[self.filled..end].iter_mut().zip(src) {
            dst.write(byte);
        }
        if self.initialized < end {
            self.initialized = end;
        }
        self.filled = end;
    }
}

impl fmt::Debug for ReadBuf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadBuf")
            .field("filled", &self.filled)
            .field("initialized", &self.initialized)
            .field("capacity", &self.capacity())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uninit_take_and_advance() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 10];
        let mut buf = ReadBuf::uninit(&mut storage);
        assert_eq!(buf.initialized().len(), 0);
        buf.put_slice(b"ab");
        {
            let mut sub = buf.take(3);
            sub.put_slice(b"cde");
            assert_eq!(sub.remaining(), 0);
        }
        assert_eq!(buf.filled(), b"ab");
        let dst = buf.initialize_unfilled_to(4);
        dst.copy_from_slice(b"wxyz");
        buf.advance(4);
        assert_eq!(buf.filled(), b"abwxyz");
        assert_eq!(buf.initialized().len(), 6);
        buf.clear();
        assert_eq!(buf.remaining(), 10);
    }

    #[test]
    #[should_panic(expected = "larger than initialized")]
    fn advance_past_initialized_panics() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 4];
        ReadBuf::uninit(&mut storage).advance(1);
    }
}
