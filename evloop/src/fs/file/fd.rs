//! `File`: the fd conversions of `std::fs::File`.

use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::File;

impl AsFd for File {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.std.as_fd()
    }
}

impl FromRawFd for File {
    /// Wraps an open file descriptor (see [`File::from_std`]).
    ///
    /// # Safety
    ///
    /// `fd` must be an open file descriptor that nothing else owns.
    unsafe fn from_raw_fd(fd: RawFd) -> File {
        // SAFETY: the caller hands over sole ownership of an open fd.
        File::from_std(unsafe { std::fs::File::from_raw_fd(fd) })
    }
}

impl From<OwnedFd> for File {
    fn from(fd: OwnedFd) -> File {
        File::from_std(std::fs::File::from(fd))
    }
}
