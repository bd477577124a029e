//! Unix-domain sockets: stream listener, stream, stream halves, datagram.

mod datagram;
mod listener;
pub(crate) mod split;
pub(crate) mod split_owned;
mod stream;
mod ucred;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use split::{ReadHalf, WriteHalf};
pub use split_owned::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use std::os::unix::net::SocketAddr;
pub use stream::UnixStream;
pub use ucred::UCred;
