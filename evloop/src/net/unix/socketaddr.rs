//! [`SocketAddr`]: the address of a Unix-domain socket, and the conversion
//! of a path argument into one.
//!
//! On Linux and Android a path whose first byte is NUL names a socket in
//! the *abstract namespace*: the rest of the bytes are the name, no file is
//! created, and the name disappears with the last socket bound to it. On
//! other systems such a path is rejected (`InvalidInput`), as std does.

use std::fmt;
use std::io;
use std::path::Path;

/// The address of a Unix-domain socket: a filesystem path, an abstract name
/// (Linux), or unnamed (an unbound socket, or one end of a `pair`).
///
/// ```
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let (a, _b) = evloop::net::UnixStream::pair().unwrap();
/// assert!(a.local_addr().unwrap().is_unnamed());
/// # }); }
/// ```
#[derive(Clone)]
pub struct SocketAddr(pub(crate) std::os::unix::net::SocketAddr);

impl SocketAddr {
    /// Whether the address is unnamed.
    pub fn is_unnamed(&self) -> bool {
        self.0.is_unnamed()
    }

    /// The filesystem path, if the address is one.
    pub fn as_pathname(&self) -> Option<&Path> {
        self.0.as_pathname()
    }

    /// The name in the abstract namespace (without the leading NUL), if the
    /// address is one.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn as_abstract_name(&self) -> Option<&[u8]> {
        #[cfg(target_os = "android")]
        use std::os::android::net::SocketAddrExt;
        #[cfg(target_os = "linux")]
        use std::os::linux::net::SocketAddrExt;
        self.0.as_abstract_name()
    }
}

impl fmt::Debug for SocketAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<std::os::unix::net::SocketAddr> for SocketAddr {
    fn from(addr: std::os::unix::net::SocketAddr) -> SocketAddr {
        SocketAddr(addr)
    }
}

impl From<SocketAddr> for std::os::unix::net::SocketAddr {
    fn from(addr: SocketAddr) -> std::os::unix::net::SocketAddr {
        addr.0
    }
}

/// The address a path argument names: an abstract name if it starts with
/// NUL (Linux and Android), otherwise a filesystem path.
pub(crate) fn from_path(path: &Path) -> io::Result<std::os::unix::net::SocketAddr> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::unix::ffi::OsStrExt;
        if let Some((0, name)) = path.as_os_str().as_bytes().split_first() {
            #[cfg(target_os = "android")]
            use std::os::android::net::SocketAddrExt;
            #[cfg(target_os = "linux")]
            use std::os::linux::net::SocketAddrExt;
            return std::os::unix::net::SocketAddr::from_abstract_name(name);
        }
    }
    std::os::unix::net::SocketAddr::from_pathname(path)
}

/// The socket2 address for `path`, with the rules of [`from_path`]
/// (abstract names on Linux, an error for a NUL byte elsewhere).
pub(crate) fn sock_addr(path: &Path) -> io::Result<socket2::SockAddr> {
    from_path(path)?;
    socket2::SockAddr::unix(path)
}
