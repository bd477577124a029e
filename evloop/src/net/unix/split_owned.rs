//! Owned halves of a [`UnixStream`]: [`OwnedReadHalf`] and
//! [`OwnedWriteHalf`], which can move to different tasks.

use crate::net::halves::owned_halves;
use crate::net::unix::SocketAddr;
use crate::net::UnixStream;

owned_halves!(UnixStream, SocketAddr, {});
