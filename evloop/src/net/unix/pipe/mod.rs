//! Unix pipes and FIFOs: [`Sender`] (the write end) and [`Receiver`] (the
//! read end), driven by the reactor like sockets.
//!
//! [`pipe()`] makes an anonymous pair; [`OpenOptions`] opens a named FIFO
//! (one made with `mkfifo`); `from_file` / `from_owned_fd` adopt an end
//! opened elsewhere.
//!
//! # Rules
//!
//! 1. Every end is non-blocking while registered: the checked constructors
//!    (`pipe`, `OpenOptions`, `from_file`, `from_owned_fd`) make it so; the
//!    `_unchecked` ones leave that, and whether the fd is a pipe opened for
//!    the right direction, to their caller.
//! 2. A checked constructor accepts an fd only if `fstat` says it is a FIFO
//!    and its access mode allows the end's direction (`O_RDWR` allows
//!    both); otherwise `InvalidInput`.
//! 3. A [`Receiver`] reads `Ok(0)` (end of file) once every write end is
//!    closed and the pipe is drained. A FIFO opened with
//!    [`OpenOptions::read_write`] holds a write end itself, so it never
//!    reads end of file.
//! 4. Writing to a [`Sender`] whose read ends are all closed fails with
//!    `BrokenPipe` (Rust programs ignore `SIGPIPE` by default).
//!
//! ```
//! use evloop::io::{AsyncReadExt, AsyncWriteExt};
//! use evloop::net::unix::pipe;
//!
//! # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! # rt.block_on(async {
//! let (mut tx, mut rx) = pipe::pipe().unwrap();
//! tx.write_all(b"through the pipe").await.unwrap();
//! drop(tx);
//! let mut got = String::new();
//! rx.read_to_string(&mut got).await.unwrap();
//! assert_eq!(got, "through the pipe");
//! # }); }
//! ```

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

mod receiver;
mod sender;

pub use receiver::Receiver;
pub use sender::Sender;

/// Makes an anonymous pipe: what is written to the [`Sender`] is read from
/// the [`Receiver`]. Both ends are non-blocking and close-on-exec.
///
/// # Panics
///
/// If called outside an evloop runtime with I/O enabled.
#[track_caller]
pub fn pipe() -> io::Result<(Sender, Receiver)> {
    let handle = crate::io::IoHandle::current_or_panic();
    let (tx, rx) = mio::unix::pipe::new()?;
    Ok((
        Sender::from_mio(tx, handle.clone())?,
        Receiver::from_mio(rx, handle)?,
    ))
}

/// Options for opening a named FIFO as a [`Sender`] or a [`Receiver`].
///
/// ```
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("evloop-doc-fifo-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("fifo");
/// # let c = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str())).unwrap();
/// # assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
/// use evloop::net::unix::pipe;
/// // Opening the read end never waits for a writer.
/// let rx = pipe::OpenOptions::new().open_receiver(&path).unwrap();
/// let tx = pipe::OpenOptions::new().open_sender(&path).unwrap();
/// tx.writable().await.unwrap();
/// assert_eq!(tx.try_write(b"x").unwrap(), 1);
/// # drop((rx, tx)); std::fs::remove_dir_all(&dir).unwrap();
/// # }); }
/// ```
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    read_write: bool,
    unchecked: bool,
}

/// Which end an fd is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum End {
    Sender,
    Receiver,
}

impl OpenOptions {
    /// Default options: write-only for senders, read-only for receivers,
    /// checked to be a FIFO.
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Opens the FIFO for reading and writing both (Linux). A sender opened
    /// so does not fail when no reader exists, and a receiver opened so
    /// never reads end of file (rule 3).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn read_write(&mut self, value: bool) -> &mut Self {
        self.read_write = value;
        self
    }

    /// Skips the check that the opened file is a FIFO (rule 2), e.g. to
    /// open a character device the same way.
    pub fn unchecked(&mut self, value: bool) -> &mut Self {
        self.unchecked = value;
        self
    }

    /// Opens the FIFO at `path` as a [`Receiver`]. Does not wait for a
    /// writer.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn open_receiver<P: AsRef<Path>>(&self, path: P) -> io::Result<Receiver> {
        let handle = crate::io::IoHandle::current_or_panic();
        let file = self.open(path.as_ref(), End::Receiver)?;
        Receiver::from_mio(OwnedFd::from(file).into(), handle)
    }

    /// Opens the FIFO at `path` as a [`Sender`]. Fails with the OS error
    /// `ENXIO` if no reader has it open (unless `read_write` is set).
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn open_sender<P: AsRef<Path>>(&self, path: P) -> io::Result<Sender> {
        let handle = crate::io::IoHandle::current_or_panic();
        let file = self.open(path.as_ref(), End::Sender)?;
        Sender::from_mio(OwnedFd::from(file).into(), handle)
    }

    fn open(&self, path: &Path, end: End) -> io::Result<File> {
        let mut options = std::fs::OpenOptions::new();
        options
            .read(end == End::Receiver)
            .write(end == End::Sender)
            .custom_flags(libc::O_NONBLOCK);
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.read_write {
            options.read(true).write(true);
        }
        // std opens with O_CLOEXEC.
        let file = options.open(path)?;
        if !self.unchecked && !is_fifo(file.as_fd())? {
            return Err(invalid_input("not a pipe"));
        }
        Ok(file)
    }
}

fn invalid_input(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

fn is_fifo(fd: BorrowedFd<'_>) -> io::Result<bool> {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `fd` is open for the borrow and `stat` is valid for writes of
    // one `struct stat`.
    if unsafe { libc::fstat(fd.as_raw_fd(), stat.as_mut_ptr()) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fstat` succeeded, so it initialised `stat`.
    let stat = unsafe { stat.assume_init() };
    Ok(stat.st_mode & libc::S_IFMT == libc::S_IFIFO)
}

fn status_flags(fd: BorrowedFd<'_>) -> io::Result<libc::c_int> {
    // SAFETY: `fd` is open for the borrow; F_GETFL reads no memory.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if flags == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(flags)
    }
}

fn set_status_flags(fd: BorrowedFd<'_>, flags: libc::c_int) -> io::Result<()> {
    // SAFETY: `fd` is open for the borrow; F_SETFL reads no memory.
    if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags) } == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Rule 2, then rule 1: checks that `fd` is a FIFO usable as `end` and
/// makes it non-blocking.
pub(crate) fn check_and_set_nonblocking(fd: BorrowedFd<'_>, end: End) -> io::Result<()> {
    if !is_fifo(fd)? {
        return Err(invalid_input("not a pipe"));
    }
    let flags = status_flags(fd)?;
    let mode = flags & libc::O_ACCMODE;
    let allowed = match end {
        End::Sender => mode == libc::O_WRONLY || mode == libc::O_RDWR,
        End::Receiver => mode == libc::O_RDONLY || mode == libc::O_RDWR,
    };
    if !allowed {
        return Err(invalid_input(match end {
            End::Sender => "not in O_WRONLY or O_RDWR access mode",
            End::Receiver => "not in O_RDONLY or O_RDWR access mode",
        }));
    }
    if flags & libc::O_NONBLOCK == 0 {
        set_status_flags(fd, flags | libc::O_NONBLOCK)?;
    }
    Ok(())
}

/// Clears `O_NONBLOCK` on an fd leaving the reactor.
pub(crate) fn set_blocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    let flags = status_flags(fd)?;
    if flags & libc::O_NONBLOCK != 0 {
        set_status_flags(fd, flags & !libc::O_NONBLOCK)?;
    }
    Ok(())
}
