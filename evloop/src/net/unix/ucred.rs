//! [`UCred`]: the credentials of the process at the other end of a Unix
//! stream, from the kernel (`SO_PEERCRED` on Linux and Android,
//! `getpeereid` elsewhere).

use std::io;
use std::os::fd::AsRawFd;

use super::UnixStream;

/// The user, group and (where the OS reports it) process of a Unix stream's
/// peer, as the kernel recorded them when the connection was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UCred {
    pid: Option<libc::pid_t>,
    uid: libc::uid_t,
    gid: libc::gid_t,
}

impl UCred {
    /// The peer's user id.
    pub fn uid(&self) -> libc::uid_t {
        self.uid
    }

    /// The peer's group id.
    pub fn gid(&self) -> libc::gid_t {
        self.gid
    }

    /// The peer's process id, where the OS reports it (Linux, Android).
    pub fn pid(&self) -> Option<libc::pid_t> {
        self.pid
    }
}

impl UnixStream {
    /// The credentials of the process at the other end.
    ///
    /// ```
    /// # #[evloop::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let (a, _b) = evloop::net::UnixStream::pair()?;
    /// let cred = a.peer_cred()?;
    /// # #[cfg(target_os = "linux")]
    /// assert_eq!(cred.pid(), Some(std::process::id() as i32));
    /// # Ok(())
    /// # }
    /// ```
    pub fn peer_cred(&self) -> io::Result<UCred> {
        peer_cred(self.as_raw_fd())
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn peer_cred(fd: std::os::fd::RawFd) -> io::Result<UCred> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writes and `len` is the size of
    // `cred`; the kernel writes at most `len` bytes.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(UCred {
        pid: Some(cred.pid),
        uid: cred.uid,
        gid: cred.gid,
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn peer_cred(fd: std::os::fd::RawFd) -> io::Result<UCred> {
    let mut uid = 0;
    let mut gid = 0;
    // SAFETY: `uid` and `gid` are valid for writes.
    let rc = unsafe { libc::getpeereid(fd, &mut uid, &mut gid) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(UCred {
        pid: None,
        uid,
        gid,
    })
}
