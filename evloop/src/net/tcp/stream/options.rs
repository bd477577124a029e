//! `TcpStream`: linger and quick-ack options, caller-supplied operations.

use std::io;
use std::time::Duration;

use socket2::SockRef;

use super::TcpStream;
use crate::io::Interest;

impl TcpStream {
    /// Sets `SO_LINGER` to zero: dropping the stream then resets the
    /// connection (sends RST, discards unsent data) instead of the orderly
    /// FIN handshake, and the socket skips `TIME_WAIT`.
    pub fn set_zero_linger(&self) -> io::Result<()> {
        SockRef::from(&*self.real("set_zero_linger")?.io).set_linger(Some(Duration::ZERO))
    }

    /// Whether `TCP_QUICKACK` is on: ACKs go out at once instead of being
    /// delayed. The kernel turns it off again by itself as the connection
    /// goes on, so it reads back as it currently stands.
    #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
    pub fn quickack(&self) -> io::Result<bool> {
        SockRef::from(&*self.real("quickack")?.io).quickack()
    }

    /// Sets `TCP_QUICKACK` (see [`quickack`](TcpStream::quickack)).
    #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
    pub fn set_quickack(&self, quickack: bool) -> io::Result<()> {
        SockRef::from(&*self.real("set_quickack")?.io).set_quickack(quickack)
    }

    /// Runs `f` if the stream is ready for `interest`; when `f` returns
    /// `WouldBlock` the readiness is cleared. `f` must return `WouldBlock`
    /// only when the socket did.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.real("try_io")?.io.registration().try_io(interest, f)
    }

    /// Waits for `interest` and runs `f` until it returns something other
    /// than `WouldBlock` (same contract as [`try_io`](TcpStream::try_io)).
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.real("async_io")?
            .io
            .registration()
            .async_io(interest, f)
            .await
    }
}

impl AsRef<TcpStream> for TcpStream {
    fn as_ref(&self) -> &TcpStream {
        self
    }
}
