//! Owned halves of a [`UnixStream`]: [`OwnedReadHalf`] and
//! [`OwnedWriteHalf`], which can move to different tasks.

use std::os::unix::net::SocketAddr;

use crate::net::halves::owned_halves;
use crate::net::UnixStream;

owned_halves!(UnixStream, SocketAddr, {});
