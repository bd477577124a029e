//! `File`: the hand-off size, and timestamps.

use std::fs::FileTimes;
use std::future::poll_fn;
use std::io;
use std::time::SystemTime;

use super::File;
use crate::fs::blocking::asyncify;

impl File {
    /// Sets the most bytes one read or write hands to the blocking pool at
    /// a time (2 MiB by default; 0 counts as 1). A read asks the OS for at
    /// most this much; a write copies at most this much and returns that
    /// count. Larger values mean fewer hand-offs for big transfers, at the
    /// cost of a larger buffer per file.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// # let rt = evloop::runtime::Runtime::new()?;
    /// # rt.block_on(async {
    /// use evloop::io::AsyncWriteExt;
    /// let path = std::env::temp_dir().join(format!("evloop-maxbuf-doc-{}", std::process::id()));
    /// let mut file = evloop::fs::File::create(&path).await?;
    /// file.set_max_buf_size(4);
    /// assert_eq!(file.max_buf_size(), 4);
    /// assert_eq!(file.write(b"longer than four").await?, 4);
    /// # drop(file); evloop::fs::remove_file(&path).await?;
    /// # Ok(())
    /// # })
    /// # }
    /// ```
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        self.inner.lock().set_max_buf(max_buf_size);
    }

    /// The most bytes one read or write hands to the blocking pool.
    pub fn max_buf_size(&self) -> usize {
        self.inner.lock().max_buf()
    }

    /// Sets the file's access and modification times, after pending
    /// writes (so that they do not move the modification time later).
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::File::set_times`].
    pub async fn set_times(&self, times: FileTimes) -> io::Result<()> {
        poll_fn(|cx| self.inner.lock().poll_idle(cx)).await?;
        let std = self.std.clone();
        asyncify(move || std.set_times(times)).await
    }

    /// Sets the file's modification time, after pending writes.
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::File::set_modified`].
    pub async fn set_modified(&self, modified: SystemTime) -> io::Result<()> {
        self.set_times(FileTimes::new().set_modified(modified))
            .await
    }
}
