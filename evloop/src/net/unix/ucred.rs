//! [`UCred`]: who is on the other end of a Unix-domain stream.
//!
//! The credentials are those the peer had when it called `connect` (or
//! `socketpair`), read from the kernel: `SO_PEERCRED` on Linux and Android
//! (uid, gid and pid), `getpeereid` plus `LOCAL_PEERPID` on Apple systems,
//! `getpeereid` elsewhere (no pid).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// A user id.
#[allow(non_camel_case_types)]
pub type uid_t = u32;
/// A group id.
#[allow(non_camel_case_types)]
pub type gid_t = u32;
/// A process id.
#[allow(non_camel_case_types)]
pub type pid_t = i32;

/// The credentials of a Unix-domain socket's peer
/// ([`UnixStream::peer_cred`](crate::net::UnixStream::peer_cred)).
///
/// ```
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let (a, _b) = evloop::net::UnixStream::pair().unwrap();
/// let cred = a.peer_cred().unwrap();
/// assert_eq!(cred.uid(), unsafe { libc::geteuid() });
/// # }); }
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct UCred {
    pid: Option<pid_t>,
    uid: uid_t,
    gid: gid_t,
}

impl UCred {
    /// The peer's effective user id.
    pub fn uid(&self) -> uid_t {
        self.uid
    }

    /// The peer's effective group id.
    pub fn gid(&self) -> gid_t {
        self.gid
    }

    /// The peer's process id, where the system reports it (Linux, Android,
    /// Apple systems); `None` elsewhere.
    pub fn pid(&self) -> Option<pid_t> {
        self.pid
    }
}

/// Reads the peer credentials of the connected socket `fd`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn peer_cred(fd: BorrowedFd<'_>) -> io::Result<UCred> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `fd` is open for the borrow; `cred` and `len` are valid for
    // writes and `len` holds the size of `cred`.
    let ret = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if ret != 0 || len as usize != std::mem::size_of::<libc::ucred>() {
        return Err(io::Error::last_os_error());
    }
    Ok(UCred {
        pid: Some(cred.pid),
        uid: cred.uid,
        gid: cred.gid,
    })
}

/// Reads the peer credentials of the connected socket `fd`.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn peer_cred(fd: BorrowedFd<'_>) -> io::Result<UCred> {
    let (mut uid, mut gid) = (0, 0);
    // SAFETY: `fd` is open for the borrow; `uid` and `gid` are valid for
    // writes.
    if unsafe { libc::getpeereid(fd.as_raw_fd(), &mut uid, &mut gid) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(UCred {
        pid: peer_pid(fd),
        uid,
        gid,
    })
}

#[cfg(any(target_os = "macos", target_os = "ios"))]
fn peer_pid(fd: BorrowedFd<'_>) -> Option<pid_t> {
    let mut pid: libc::pid_t = 0;
    let mut len = std::mem::size_of::<libc::pid_t>() as libc::socklen_t;
    // SAFETY: `fd` is open for the borrow; `pid` and `len` are valid for
    // writes and `len` holds the size of `pid`.
    let ret = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_LOCAL,
            libc::LOCAL_PEERPID,
            (&mut pid as *mut libc::pid_t).cast(),
            &mut len,
        )
    };
    (ret == 0).then_some(pid)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios"
)))]
fn peer_pid(_fd: BorrowedFd<'_>) -> Option<pid_t> {
    None
}
