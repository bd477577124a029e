//! Directory listings, read in chunks on the blocking pool.
//!
//! `std::fs::ReadDir` is an iterator whose every step may block. [`ReadDir`]
//! moves it to a pool thread to read up to [`CHUNK`] entries at a time and
//! hands them out one by one, so a listing of n entries costs about
//! n / `CHUNK` hand-offs instead of n.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use crate::fs::blocking::{asyncify, join_error};
use crate::fs::{FileType, Metadata};
use crate::runtime::task::JoinHandle;
use crate::task::spawn_blocking;

/// Entries read per trip to the blocking pool.
const CHUNK: usize = 32;

/// Lists the directory at `path`; see [`ReadDir::next_entry`].
///
/// The async counterpart of [`std::fs::read_dir`]. The entries `.` and `..`
/// are not listed; the order is the file system's.
///
/// # Errors
///
/// Those of `std::fs::read_dir` (`path` does not exist, is not a directory,
/// no permission), or an error if the runtime shut down first.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// # let rt = evloop::runtime::Runtime::new()?;
/// # rt.block_on(async {
/// let mut names = Vec::new();
/// let mut entries = evloop::fs::read_dir(env!("CARGO_MANIFEST_DIR")).await?;
/// while let Some(entry) = entries.next_entry().await? {
///     names.push(entry.file_name());
/// }
/// assert!(names.iter().any(|n| n == "Cargo.toml"));
/// # Ok(())
/// # })
/// # }
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let std = asyncify(move || std::fs::read_dir(path)).await?;
    Ok(ReadDir {
        state: State::Idle(Chunk {
            entries: VecDeque::new(),
            std: Some(std),
        }),
    })
}

/// A directory listing: a stream of [`DirEntry`], from [`read_dir`].
pub struct ReadDir {
    state: State,
}

enum State {
    /// Entries to hand out, and the iterator for more (`None` at the end).
    Idle(Chunk),
    /// The iterator is on a pool thread, filling a chunk.
    Pending(JoinHandle<Chunk>),
}

struct Chunk {
    entries: VecDeque<io::Result<DirEntry>>,
    std: Option<std::fs::ReadDir>,
}

impl ReadDir {
    /// The next entry, or `None` once the listing is exhausted.
    ///
    /// Cancel-safe: entries already read stay buffered in the `ReadDir`,
    /// so dropping this future loses none.
    ///
    /// # Errors
    ///
    /// An error reading one entry; the listing may go on after it.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry; `Ready(Ok(None))` at the end. Only the
    /// waker of the last call is woken.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.state {
                State::Idle(chunk) => {
                    if let Some(entry) = chunk.entries.pop_front() {
                        return Poll::Ready(entry.map(Some));
                    }
                    let Some(mut std) = chunk.std.take() else {
                        return Poll::Ready(Ok(None));
                    };
                    let mut entries = std::mem::take(&mut chunk.entries);
                    self.state = State::Pending(spawn_blocking(move || {
                        let more = fill(&mut std, &mut entries);
                        Chunk {
                            entries,
                            std: more.then_some(std),
                        }
                    }));
                }
                State::Pending(join) => {
                    let res = ready!(Pin::new(join).poll(cx));
                    match res {
                        Ok(chunk) => self.state = State::Idle(chunk),
                        Err(e) => {
                            self.state = State::Idle(Chunk {
                                entries: VecDeque::new(),
                                std: None,
                            });
                            return Poll::Ready(Err(join_error(e)));
                        }
                    }
                }
            }
        }
    }
}

/// Reads up to `CHUNK` entries; `false` once the iterator is exhausted.
fn fill(std: &mut std::fs::ReadDir, entries: &mut VecDeque<io::Result<DirEntry>>) -> bool {
    for _ in 0..CHUNK {
        let Some(entry) = std.next() else {
            return false;
        };
        entries.push_back(entry.map(|std| {
            // Usually free (the kernel reports the type with the name), so
            // it is read here, on the pool, once.
            let file_type = std.file_type().ok();
            DirEntry {
                std: Arc::new(std),
                file_type,
            }
        }));
    }
    true
}

/// An entry of a directory listing, from [`ReadDir::next_entry`].
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    file_type: Option<FileType>,
}

impl DirEntry {
    /// The entry's full path: the listed directory joined with
    /// [`file_name`](Self::file_name).
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name, without any directory.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's inode number, as the listing reported it (no system
    /// call).
    #[cfg(unix)]
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&*self.std)
    }

    /// The entry's metadata, without following a symbolic link (as
    /// [`std::fs::DirEntry::metadata`]).
    ///
    /// # Errors
    ///
    /// For example if the entry was removed since it was listed.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify(move || std.metadata()).await
    }

    /// The entry's type, without following a symbolic link. Usually known
    /// from the listing itself, without another system call.
    ///
    /// # Errors
    ///
    /// As [`metadata`](Self::metadata), when the type must be looked up.
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = self.std.clone();
        asyncify(move || std.file_type()).await
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ReadDir");
        match &self.state {
            State::Idle(chunk) => d
                .field("buffered", &chunk.entries.len())
                .field("done", &chunk.std.is_none()),
            State::Pending(_) => d.field("reading", &true),
        };
        d.finish()
    }
}

impl fmt::Debug for DirEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DirEntry").field(&self.path()).finish()
    }
}
