//! [`IoBuf`] and [`IoBufMut`]: buffers handed to an operation by value, for
//! the owned-buffer methods (`TcpStream::read_owned`, `write_owned`).
//!
//! A completion driver (io_uring) lets the kernel use the buffer after the
//! call that started the operation returned, so the operation must own it:
//! the method takes the buffer and gives it back with the result, as a
//! [`BufResult`] (the shape tokio-uring and monoio use). If the future is
//! dropped before the kernel finished, the driver keeps the buffer until the
//! kernel's completion (`io::op_state`), and frees it then.
//!
//! On the epoll driver the same methods wait for readiness and make the
//! system call into the buffer: the same results, no fast path.

/// The result of an owned-buffer operation, with the buffer given back.
pub type BufResult<T, B> = (std::io::Result<T>, B);

/// A buffer an operation may read from while it owns it.
///
/// # Safety
///
/// [`stable_ptr`](IoBuf::stable_ptr) must point to
/// [`bytes_init`](IoBuf::bytes_init) initialized bytes, and to
/// [`bytes_total`](IoBuf::bytes_total) bytes of memory, that stay at the
/// same address while the value is moved, until it is dropped or accessed
/// mutably (heap memory, or `'static` data).
pub unsafe trait IoBuf: Unpin + Send + 'static {
    /// The start of the buffer.
    fn stable_ptr(&self) -> *const u8;
    /// How many bytes from the start are initialized (what a write sends).
    fn bytes_init(&self) -> usize;
    /// How many bytes the buffer can hold (what a read may fill).
    fn bytes_total(&self) -> usize;
}

/// A buffer an operation may write into while it owns it. A read fills it
/// from its start, at most [`bytes_total`](IoBuf::bytes_total) bytes, then
/// calls [`set_init`](IoBufMut::set_init) with the count (for a `Vec`, the
/// length becomes at least that count).
///
/// # Safety
///
/// As [`IoBuf`], and the memory is writable.
pub unsafe trait IoBufMut: IoBuf {
    /// The start of the buffer, writable.
    fn stable_mut_ptr(&mut self) -> *mut u8;
    /// Marks the first `pos` bytes initialized.
    ///
    /// # Safety
    ///
    /// The first `pos` bytes (`pos <= bytes_total()`) are initialized.
    unsafe fn set_init(&mut self, pos: usize);
}

// SAFETY: a `Vec`'s heap block does not move with the `Vec`; its first
// `len` bytes are initialized, `capacity` are allocated.
unsafe impl IoBuf for Vec<u8> {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
    fn bytes_total(&self) -> usize {
        self.capacity()
    }
}

// SAFETY: as for `IoBuf`; the block is owned, so writable.
unsafe impl IoBufMut for Vec<u8> {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        if self.len() < pos {
            // SAFETY: the caller says `pos` bytes are initialized, and
            // `pos <= capacity`.
            unsafe { self.set_len(pos) };
        }
    }
}

// SAFETY: a boxed slice's block does not move with the box; all of it is
// initialized.
unsafe impl IoBuf for Box<[u8]> {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
    fn bytes_total(&self) -> usize {
        self.len()
    }
}

// SAFETY: as for `IoBuf`; owned, so writable.
unsafe impl IoBufMut for Box<[u8]> {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }
    unsafe fn set_init(&mut self, _: usize) {}
}

// SAFETY: `'static` data never moves.
unsafe impl IoBuf for &'static [u8] {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
    fn bytes_total(&self) -> usize {
        self.len()
    }
}

// SAFETY: `'static` data never moves.
unsafe impl IoBuf for &'static str {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
    fn bytes_total(&self) -> usize {
        self.len()
    }
}

// SAFETY: a `Bytes` points to shared memory that its clones keep alive and
// that moving the handle does not move.
unsafe impl IoBuf for bytes::Bytes {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
    fn bytes_total(&self) -> usize {
        self.len()
    }
}

// SAFETY: a `BytesMut`'s block does not move with the handle; its first
// `len` bytes are initialized, `capacity` are allocated.
unsafe impl IoBuf for bytes::BytesMut {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
    fn bytes_total(&self) -> usize {
        self.capacity()
    }
}

// SAFETY: as for `IoBuf`; the handle owns its view, so writable.
unsafe impl IoBufMut for bytes::BytesMut {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        if self.len() < pos {
            // SAFETY: the caller says `pos` bytes are initialized, and
            // `pos <= capacity`.
            unsafe { self.set_len(pos) };
        }
    }
}
