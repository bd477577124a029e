//! How to open a file: [`OpenOptions`].

use std::io;
use std::path::Path;

use crate::fs::blocking::asyncify;
use crate::fs::File;

/// Options for opening a [`File`]: which access, whether to create or
/// truncate. The async counterpart of [`std::fs::OpenOptions`], with the
/// same methods and defaults (everything off).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// # let rt = evloop::runtime::Runtime::new()?;
/// # rt.block_on(async {
/// use evloop::fs::OpenOptions;
/// use evloop::io::AsyncWriteExt;
///
/// let path = std::env::temp_dir().join(format!("evloop-open-doc-{}", std::process::id()));
/// let mut file = OpenOptions::new().create(true).append(true).open(&path).await?;
/// file.write_all(b"appended\n").await?;
/// file.flush().await?;
/// evloop::fs::remove_file(&path).await?;
/// # Ok(())
/// # })
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions(std::fs::OpenOptions);

impl OpenOptions {
    /// All options off; set at least one access mode before opening.
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.0.read(read);
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.0.write(write);
        self
    }

    /// Open for appending: every write goes to the end of the file.
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.0.append(append);
        self
    }

    /// Truncate the file to length 0 when opening (needs `write`).
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.0.truncate(truncate);
        self
    }

    /// Create the file if it does not exist (needs `write` or `append`).
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.0.create(create);
        self
    }

    /// Create the file, failing with `AlreadyExists` if it exists; checked
    /// atomically by the OS.
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.0.create_new(create_new);
        self
    }

    /// Permission bits of a file this call creates (Unix; default 0o666,
    /// minus the umask).
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.0, mode);
        self
    }

    /// Extra `open(2)` flags, or-ed in (Unix).
    #[cfg(unix)]
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut self.0, flags);
        self
    }

    /// Opens `path` with these options.
    ///
    /// Not cancel-safe: if the future is dropped after the open was handed
    /// to the blocking pool, the file may still be created (and is then
    /// closed).
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::OpenOptions::open`], or an error if the runtime
    /// shut down first.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        let opts = self.0.clone();
        let std = asyncify(move || opts.open(path)).await?;
        Ok(File::from_std(std))
    }
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(options: std::fs::OpenOptions) -> OpenOptions {
        OpenOptions(options)
    }
}
