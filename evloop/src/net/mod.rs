//! Networking: TCP, UDP and Unix-domain sockets, and Unix pipes
//! ([`unix::pipe`]), driven by the reactor.
//!
//! Every socket here is registered with the reactor of the runtime that
//! created it (found through the thread's runtime context); its operations
//! wait for readiness without blocking the thread. Async constructors
//! (`bind`, `connect`) panic outside a runtime with I/O enabled, naming the
//! fix; `from_std` returns an error instead.

mod addr;
mod buf;
mod read_into;
pub mod split;
pub mod tcp;
mod udp;
pub mod unix;

pub use addr::{lookup_host, ToSocketAddrs};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixSocket, UnixStream};
