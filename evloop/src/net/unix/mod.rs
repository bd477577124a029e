//! Unix-domain sockets: stream listener, stream, stream halves, datagram.

mod datagram;
mod listener;
pub mod pipe;
mod socketaddr;
pub(crate) mod split;
pub(crate) mod split_owned;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use socketaddr::SocketAddr;
pub use split::{ReadHalf, WriteHalf};
pub use split_owned::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::UnixStream;
