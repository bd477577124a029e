//! This thread's `errno` slot, which the signal handler saves and restores
//! (`registry.rs`, rule 1). Each libc names the accessor differently.

/// A pointer to the calling thread's `errno`; valid for the thread's life.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn slot() -> *mut libc::c_int {
    // SAFETY: `__errno_location` has no preconditions and is
    // async-signal-safe; it returns this thread's errno slot.
    unsafe { libc::__errno_location() }
}

/// A pointer to the calling thread's `errno`; valid for the thread's life.
#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
pub(super) fn slot() -> *mut libc::c_int {
    // SAFETY: `__error` has no preconditions and is async-signal-safe; it
    // returns this thread's errno slot.
    unsafe { libc::__error() }
}
