//! Borrowed halves of a [`UnixStream`]: [`ReadHalf`] and [`WriteHalf`].

use crate::net::halves::borrowed_halves;
use crate::net::unix::SocketAddr;
use crate::net::UnixStream;

borrowed_halves!(UnixStream, SocketAddr, {});
