//! The halves of a [`UnixStream`]: [`ReadHalf`] and [`WriteHalf`] borrow
//! it ([`UnixStream::split`]); [`OwnedReadHalf`] and [`OwnedWriteHalf`]
//! share it and can move to different tasks ([`UnixStream::into_split`]).
//! The types are [`net::split`](crate::net::split)'s, named for
//! `UnixStream`.

use crate::net::split;
use crate::net::unix::SocketAddr;
use crate::net::UnixStream;

/// The read half of [`UnixStream::split`].
pub type ReadHalf<'a> = split::ReadHalf<'a, UnixStream>;

/// The write half of [`UnixStream::split`]; `shutdown` shuts down the write
/// direction of the whole stream.
pub type WriteHalf<'a> = split::WriteHalf<'a, UnixStream>;

/// The read half of [`UnixStream::into_split`].
pub type OwnedReadHalf = split::OwnedReadHalf<UnixStream>;

/// The write half of [`UnixStream::into_split`]; dropping it shuts down the
/// write direction unless [`forget`](split::OwnedWriteHalf::forget) was
/// called.
pub type OwnedWriteHalf = split::OwnedWriteHalf<UnixStream>;

/// The halves given to `reunite` came from different `UnixStream`s; both
/// are given back.
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl std::fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl std::error::Error for ReuniteError {}

split::impl_split_stream!(UnixStream, SocketAddr, ReuniteError);
