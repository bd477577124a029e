//! Receiving into a [`bytes::BufMut`]'s spare capacity: the shared step
//! behind every socket's `recv_buf` / `try_recv_buf` family.
//!
//! # Rules
//!
//! 1. The receive call gets the buffer's next chunk as uninitialised bytes.
//!    It writes only initialised bytes into it (the kernel copies datagram
//!    bytes in) and returns how many; that prefix, and nothing more, is then
//!    marked filled.
//! 2. `zeroed` first fills the chunk with zeros, for receive calls (std's)
//!    that need a `&mut [u8]`; rule 1 then holds trivially.

use std::io;
use std::mem::MaybeUninit;

use bytes::BufMut;

/// Runs `recv` on `buf`'s next chunk and advances `buf` by the byte count
/// it returns (rule 1).
pub(crate) fn recv_uninit<B: BufMut + ?Sized, R>(
    buf: &mut B,
    recv: impl FnOnce(&mut [MaybeUninit<u8>]) -> io::Result<(usize, R)>,
) -> io::Result<(usize, R)> {
    let chunk = buf.chunk_mut();
    let len = chunk.len();
    // SAFETY: rule 1: `recv` only ever writes initialised bytes through the
    // slice, so nothing initialised is made uninitialised.
    let dst = unsafe { chunk.as_uninit_slice_mut() };
    let (n, extra) = recv(dst)?;
    assert!(
        n <= len,
        "receive call reported more bytes than it was given"
    );
    // SAFETY: rule 1: the first `n` bytes of the chunk were written by `recv`.
    unsafe { buf.advance_mut(n) };
    Ok((n, extra))
}

/// Like [`recv_uninit`] for a receive call that takes `&mut [u8]`: the chunk
/// is zeroed first (rule 2).
pub(crate) fn recv_zeroed<B: BufMut + ?Sized, R>(
    buf: &mut B,
    recv: impl FnOnce(&mut [u8]) -> io::Result<(usize, R)>,
) -> io::Result<(usize, R)> {
    recv_uninit(buf, |dst| {
        for byte in dst.iter_mut() {
            byte.write(0);
        }
        // SAFETY: rule 2: every byte of `dst` was just initialised, and
        // `MaybeUninit<u8>` has the layout of `u8`.
        let dst = unsafe { &mut *(dst as *mut [MaybeUninit<u8>] as *mut [u8]) };
        recv(dst)
    })
}
