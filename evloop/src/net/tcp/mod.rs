//! TCP: listener, stream, unconnected socket, and stream halves.

// `TCP_INQ` is Linux's; elsewhere reads are plain. The portable file is
// also built for Linux tests, so CI runs its tests.
#[cfg(any(target_os = "linux", target_os = "android"))]
mod inq;
#[cfg(any(test, not(any(target_os = "linux", target_os = "android"))))]
mod inq_portable;
mod listener;
mod socket;
pub(crate) mod split;
mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use stream::TcpStream;

#[cfg(any(target_os = "linux", target_os = "android"))]
use inq::Inq;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use inq_portable::Inq;
