//! Asynchronous I/O: the reactor, the I/O traits and their utilities.
//!
//! - The traits [`AsyncRead`], [`AsyncWrite`], [`AsyncBufRead`] and
//!   [`AsyncSeek`] are the non-blocking counterparts of `std::io`'s; the
//!   extension traits [`AsyncReadExt`], [`AsyncWriteExt`] and
//!   [`AsyncBufReadExt`] add `read`, `write_all`, `read_line` and friends as
//!   futures; [`AsyncSeekExt`] adds `seek`, `rewind` and `stream_position`.
//! - [`stdin`], [`stdout`] and [`stderr`]: the standard streams, read and
//!   written on the blocking pool (`blocking`, the adapter behind them).
//! - [`BufReader`], [`BufWriter`], [`BufStream`], [`copy`], [`split`],
//!   [`join`], [`duplex`], [`simplex`] and friends combine them.
//! - [`unix::AsyncFd`]: readiness for any Unix file descriptor, on the
//!   same reactor as the sockets.
//! - The *reactor* (crate-internal: `driver`, `registration`, `scheduled_io`)
//!   waits on epoll for the sockets of [`crate::net`] and wakes the tasks
//!   that wait on them. See `reactor.rs` for its rules; `backend` holds the
//!   registration half of the driver contract.
//!
//! # Cancel safety
//!
//! A future is *cancel-safe* if dropping it before it completes loses no
//! data: `read`, `write`, `flush`, `shutdown`, `Lines::next_line`,
//! `readable()`/`writable()`/`ready()` are; `read_exact`, `write_all`,
//! `read_line`, `read_to_string`, `copy*` and the number readers/writers are
//! not (they may have consumed or written part of the data). Each future's
//! documentation says which it is.

mod async_buf_read;
mod async_read;
mod async_seek;
mod async_write;
pub(crate) mod backend;
mod blocking;
mod interest;
#[cfg(target_os = "linux")]
pub(crate) mod op_state;
mod owned;
pub(crate) mod poll_evented;
mod reactor;
mod read_buf;
mod ready;
pub(crate) mod registration;
pub(crate) mod scheduled_io;
pub(crate) mod selection;
mod stdio;
#[cfg(unix)]
pub mod unix;
mod unpark;
#[cfg(target_os = "linux")]
pub(crate) mod uring;
#[cfg(target_os = "linux")]
pub(crate) mod uring_op;
pub mod util;

pub(crate) use reactor::{Driver, IoHandle};

pub use async_buf_read::AsyncBufRead;
pub use async_read::AsyncRead;
pub use async_seek::AsyncSeek;
pub use async_write::AsyncWrite;
pub use interest::Interest;
pub use owned::{BufResult, IoBuf, IoBufMut};
pub use read_buf::ReadBuf;
pub use ready::Ready;
pub use std::io::{Error, ErrorKind, Result, SeekFrom};
pub use stdio::{stderr, stdin, stdout, Stderr, Stdin, Stdout};
pub use util::{
    copy, copy_bidirectional, copy_buf, duplex, empty, repeat, sink, split, AsyncBufReadExt,
    AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader, BufWriter, DuplexStream, Empty, ReadHalf,
    Repeat, Sink, Take, WriteHalf,
};
pub use util::{
    copy_bidirectional_with_sizes, join, simplex, BufStream, Chain, Join, Lines, SimplexStream,
    Split,
};
