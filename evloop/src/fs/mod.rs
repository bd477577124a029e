//! Asynchronous filesystem access, on the blocking pool.
//!
//! Operating systems offer no readiness notifications for regular files: a
//! read from disk blocks the calling thread. So every operation here runs
//! the matching `std::fs` call on the runtime's blocking pool (see
//! [`task::spawn_blocking`](crate::task::spawn_blocking)) and awaits its
//! result; the event loop keeps serving other tasks meanwhile.
//!
//! Each call costs a hand-off to a pool thread and back. For many small
//! operations on one file, batch them: read or write whole buffers, or do
//! the whole job inside a single `spawn_blocking` with `std::fs`.
//!
//! # Cancel safety
//!
//! Dropping one of these futures does not stop the operation once it has
//! been handed to the pool: the file is still created, renamed or removed,
//! only the result is lost. [`File`]'s writes are buffered and performed in
//! the background; call [`flush`](crate::io::AsyncWriteExt::flush) (or [`File::sync_all`]) to learn
//! whether they succeeded.
//!
//! - `ops.rs`: the one-shot functions (`read`, `write`, `rename`, ...);
//! - `read_dir.rs`: [`read_dir`], [`ReadDir`], [`DirEntry`];
//! - `open_options.rs`: [`OpenOptions`]; `dir_builder.rs`: [`DirBuilder`];
//! - `file.rs`: [`File`]; `file_state.rs`: the state machine behind its
//!   reads, writes and seeks;
//! - `blocking.rs`: the bridge from a `std` call to a future.
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! # let rt = evloop::runtime::Runtime::new()?;
//! # rt.block_on(async {
//! let dir = std::env::temp_dir().join(format!("evloop-fs-doc-{}", std::process::id()));
//! evloop::fs::create_dir_all(&dir).await?;
//! let path = dir.join("greeting.txt");
//! evloop::fs::write(&path, "hello").await?;
//! assert_eq!(evloop::fs::read_to_string(&path).await?, "hello");
//! evloop::fs::remove_dir_all(&dir).await?;
//! # Ok(())
//! # })
//! # }
//! ```

mod blocking;
mod dir_builder;
mod file;
mod file_state;
mod open_options;
mod ops;
mod read_dir;

pub use dir_builder::DirBuilder;
pub use file::File;
pub use open_options::OpenOptions;
#[cfg(unix)]
pub use ops::symlink;
pub use ops::{
    canonicalize, copy, create_dir, create_dir_all, hard_link, metadata, read, read_link,
    read_to_string, remove_dir, remove_dir_all, remove_file, rename, set_permissions,
    symlink_metadata, try_exists, write,
};
pub use read_dir::{read_dir, DirEntry, ReadDir};
pub use std::fs::{FileTimes, FileType, Metadata, Permissions};
