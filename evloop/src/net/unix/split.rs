//! Borrowed halves of a [`UnixStream`]: [`ReadHalf`] and [`WriteHalf`].

use std::os::unix::net::SocketAddr;

use crate::net::halves::borrowed_halves;
use crate::net::UnixStream;

borrowed_halves!(UnixStream, SocketAddr, {});
