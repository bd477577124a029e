//! [`File`]: an open file whose operations run on the blocking pool.

use std::fmt;
use std::fs::File as StdFile;
use std::future::poll_fn;
use std::io::{self, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use crate::fs::blocking::asyncify;
use crate::fs::file_state::FileInner;
use crate::fs::{Metadata, OpenOptions, Permissions};
use crate::io::{AsyncRead, AsyncSeek, AsyncSeekExt, AsyncWrite, ReadBuf};
use crate::loom::sync::Mutex;

mod fd;
mod owned;
mod settings;

/// An open file. The async counterpart of [`std::fs::File`].
///
/// Reads, writes and seeks run on the blocking pool, with the file's own
/// buffer in between (up to 2 MiB per hand-off):
///
/// - a read fetches up to the size of the caller's buffer and hands out
///   what it got; what the caller did not take is served by the next read;
/// - a write copies the bytes and returns at once, the OS write happening
///   in the background (*write-behind*). An error is reported by the next
///   write or by [`flush`](crate::io::AsyncWriteExt::flush). Call `flush` before dropping the
///   file to know that every write reached the OS, and
///   [`sync_all`](Self::sync_all) to know it reached the disk. A file
///   dropped with a write in flight still completes that write.
///
/// `File` implements [`AsyncRead`], [`AsyncWrite`] and [`AsyncSeek`]; use
/// [`AsyncReadExt`](crate::io::AsyncReadExt) and
/// [`AsyncWriteExt`](crate::io::AsyncWriteExt) for `read`, `write_all`,
/// `flush` and friends, and [`File::seek`] to move the position.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// # let rt = evloop::runtime::Runtime::new()?;
/// # rt.block_on(async {
/// use evloop::fs::File;
/// use evloop::io::{AsyncReadExt, AsyncWriteExt};
///
/// let path = std::env::temp_dir().join(format!("evloop-file-doc-{}", std::process::id()));
/// let mut file = File::create(&path).await?;
/// file.write_all(b"hello, file").await?;
/// file.sync_all().await?;
///
/// let mut file = File::open(&path).await?;
/// let mut contents = Vec::new();
/// file.read_to_end(&mut contents).await?;
/// assert_eq!(contents, b"hello, file");
/// # evloop::fs::remove_file(&path).await?;
/// # Ok(())
/// # })
/// # }
/// ```
pub struct File {
    std: Arc<StdFile>,
    /// Locked only inside a poll, never across an `.await`.
    inner: Mutex<FileInner>,
}

impl File {
    /// Opens `path` read-only.
    ///
    /// Not cancel-safe (see [`OpenOptions::open`]).
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::File::open`].
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens `path` write-only, creating it or truncating it.
    ///
    /// Not cancel-safe (see [`OpenOptions::open`]).
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::File::create`].
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Creates `path` read-write, failing if it exists.
    ///
    /// Not cancel-safe (see [`OpenOptions::open`]).
    ///
    /// # Errors
    ///
    /// `AlreadyExists` if `path` exists; otherwise those of the OS.
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .await
    }

    /// An [`OpenOptions`] with everything off.
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open `std` file. Its position is where the std file had it.
    pub fn from_std(std: StdFile) -> File {
        File {
            std: Arc::new(std),
            inner: Mutex::new(FileInner::new()),
        }
    }

    /// Waits for the operation in flight, then returns the `std` file.
    ///
    /// Read-ahead not yet consumed is lost: the std file's position is past
    /// it. If a dropped `File` future still holds the std file on a pool
    /// thread, the returned file is a duplicate descriptor (same open file,
    /// same position).
    ///
    /// # Panics
    ///
    /// Panics if the descriptor must be duplicated and the OS refuses.
    pub async fn into_std(self) -> StdFile {
        // An error here belongs to a write the caller can no longer observe.
        let _ = poll_fn(|cx| self.inner.lock().poll_idle(cx)).await;
        match Arc::try_unwrap(self.std) {
            Ok(std) => std,
            Err(shared) => shared
                .try_clone()
                .expect("could not duplicate the file descriptor"),
        }
    }

    /// Returns the `std` file at once if no operation is in flight, or the
    /// file back.
    ///
    /// # Errors
    ///
    /// `Err(self)` while an operation is in flight.
    pub fn try_into_std(self) -> Result<StdFile, File> {
        if !self.inner.lock().is_idle() {
            return Err(self);
        }
        let File { std, inner } = self;
        Arc::try_unwrap(std).map_err(|std| File { std, inner })
    }

    /// Flushes pending writes, then waits until data and metadata reach the
    /// disk (`fsync`).
    ///
    /// Not cancel-safe: dropped after the sync was handed to the pool, the
    /// sync still happens.
    ///
    /// # Errors
    ///
    /// A write-behind error, or those of [`std::fs::File::sync_all`].
    pub async fn sync_all(&self) -> io::Result<()> {
        self.flush_shared().await?;
        let std = self.std.clone();
        asyncify(move || std.sync_all()).await
    }

    /// As [`sync_all`](Self::sync_all) but may skip metadata not needed to
    /// read the data back (`fdatasync`).
    ///
    /// # Errors
    ///
    /// A write-behind error, or those of [`std::fs::File::sync_data`].
    pub async fn sync_data(&self) -> io::Result<()> {
        self.flush_shared().await?;
        let std = self.std.clone();
        asyncify(move || std.sync_data()).await
    }

    /// Truncates or extends the file to `size` bytes, after pending writes.
    /// The position the caller sees does not change (it may end up past the
    /// end).
    ///
    /// # Errors
    ///
    /// A write-behind error, or those of [`std::fs::File::set_len`].
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        // `&self`: another task may start an operation between our polls,
        // so wait for idle and start in the same critical section.
        poll_fn(|cx| {
            let mut inner = self.inner.lock();
            match inner.poll_flush(cx) {
                Poll::Ready(Ok(())) => Poll::Ready(inner.start_set_len(&self.std, size)),
                other => other,
            }
        })
        .await?;
        poll_fn(|cx| self.inner.lock().poll_complete(cx))
            .await
            .map(|_| ())
    }

    /// The file's metadata, after pending writes (so the length includes
    /// them).
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::File::metadata`].
    pub async fn metadata(&self) -> io::Result<Metadata> {
        poll_fn(|cx| self.inner.lock().poll_idle(cx)).await?;
        let std = self.std.clone();
        asyncify(move || std.metadata()).await
    }

    /// Sets the file's permissions.
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::File::set_permissions`].
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        let std = self.std.clone();
        asyncify(move || std.set_permissions(perm)).await
    }

    /// A new `File` for the same open file (a duplicated descriptor: same
    /// position, same flags), after pending writes.
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::File::try_clone`].
    pub async fn try_clone(&self) -> io::Result<File> {
        poll_fn(|cx| self.inner.lock().poll_idle(cx)).await?;
        let std = self.std.clone();
        let clone = asyncify(move || std.try_clone()).await?;
        Ok(File::from_std(clone))
    }

    /// Moves the position, after pending operations; returns the new
    /// position from the start of the file. `SeekFrom::Current` is relative
    /// to what the caller has read, not to the read-ahead.
    ///
    /// Not cancel-safe: dropped after the seek started, the position may
    /// have moved.
    ///
    /// # Errors
    ///
    /// Those of the OS seek (for example a negative position).
    pub async fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        // `AsyncSeekExt::seek` drives any operation in flight to its end
        // (`poll_complete`), then submits the seek and waits for it.
        AsyncSeekExt::seek(self, pos).await
    }

    async fn flush_shared(&self) -> io::Result<()> {
        poll_fn(|cx| self.inner.lock().poll_flush(cx)).await
    }
}

/// Reads go through the file's buffer; see the type docs. Only the waker
/// of the last poll is woken.
impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        let dst = buf.initialize_unfilled();
        let n = ready!(me.inner.lock().poll_read(&me.std, cx, dst))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

/// Writes are write-behind; `poll_flush` waits for them and reports their
/// errors. `poll_shutdown` is `poll_flush`: a file has no write side to
/// close.
impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        me.inner.lock().poll_write(&me.std, cx, src)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.lock().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.lock().poll_flush(cx)
    }
}

/// `start_seek` fails while another operation is in flight; call
/// `poll_complete` first (it drives that operation to its end).
/// `SeekFrom::Current` is relative to what the caller has read.
impl AsyncSeek for File {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let me = self.get_mut();
        me.inner.lock().start_seek(&me.std, position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.inner.lock().poll_complete(cx)
    }
}

impl From<StdFile> for File {
    fn from(std: StdFile) -> File {
        File::from_std(std)
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.try_lock() {
            Some(inner) => fmt::Debug::fmt(&*inner, f),
            None => f.debug_struct("File").finish_non_exhaustive(),
        }
    }
}

#[cfg(unix)]
impl std::os::unix::io::AsRawFd for File {
    fn as_raw_fd(&self) -> std::os::unix::io::RawFd {
        self.std.as_raw_fd()
    }
}
