//! Unix-domain sockets (stream listener, stream, stream halves, datagram,
//! unconnected socket, peer credentials, addresses) and pipes.

mod datagram;
mod listener;
pub mod pipe;
mod socket;
mod socketaddr;
pub(crate) mod split;
mod stream;
mod ucred;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use socket::UnixSocket;
pub use socketaddr::SocketAddr;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use stream::UnixStream;
pub use ucred::{gid_t, pid_t, uid_t, UCred};
