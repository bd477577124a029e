//! I/O utilities: extension traits, buffering, copying, splitting, pipes.

mod adapters;
mod buf_ext;
mod buf_read_ext;
pub(crate) mod buf_reader;
mod buf_stream;
mod buf_writer;
mod copy;
mod join;
mod mem;
mod read_ext;
mod seek_ext;
mod simplex;
mod split;
mod trivial;
mod write_ext;

pub use adapters::{Chain, Take};
pub use buf_ext::{ReadIntoBuf, WriteAllBuf, WriteBuf};
pub use buf_read_ext::{AsyncBufReadExt, FillBuf, Lines, ReadLine, ReadUntil, Split};
pub use buf_reader::BufReader;
pub use buf_stream::BufStream;
pub use buf_writer::BufWriter;
pub use copy::{copy, copy_bidirectional, copy_bidirectional_with_sizes, copy_buf};
pub use join::{join, Join};
pub use mem::{duplex, DuplexStream};
pub use read_ext::{AsyncReadExt, FromBytes, Read, ReadExact, ReadInt, ReadToEnd, ReadToString};
pub use seek_ext::{AsyncSeekExt, Seek};
pub use simplex::{simplex, SimplexStream};
pub use split::{split, ReadHalf, WriteHalf};
pub use trivial::{empty, repeat, sink, Empty, Repeat, Sink};
pub use write_ext::{AsyncWriteExt, Flush, Shutdown, Write, WriteAll, WriteInt, WriteVectored};
