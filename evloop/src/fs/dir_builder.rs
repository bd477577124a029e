//! [`DirBuilder`]: creating directories with options.

use std::io;
use std::path::Path;

use crate::fs::blocking::asyncify;

/// Creates directories, optionally with their missing parents and (on
/// Unix) a permission mode. The async counterpart of
/// [`std::fs::DirBuilder`]; `create` runs on the blocking pool.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// # let rt = evloop::runtime::Runtime::new()?;
/// # rt.block_on(async {
/// use evloop::fs::DirBuilder;
/// let root = std::env::temp_dir().join(format!("evloop-dirbuilder-doc-{}", std::process::id()));
/// DirBuilder::new().recursive(true).create(root.join("a/b/c")).await?;
/// assert!(evloop::fs::metadata(root.join("a/b/c")).await?.is_dir());
/// # evloop::fs::remove_dir_all(&root).await?;
/// # Ok(())
/// # })
/// # }
/// ```
#[derive(Debug, Default)]
pub struct DirBuilder {
    recursive: bool,
    #[cfg(unix)]
    mode: Option<u32>,
}

impl DirBuilder {
    /// A builder that creates one directory, with the default mode.
    pub fn new() -> DirBuilder {
        DirBuilder::default()
    }

    /// Whether `create` also creates missing parents (and accepts a
    /// directory that already exists).
    pub fn recursive(&mut self, recursive: bool) -> &mut Self {
        self.recursive = recursive;
        self
    }

    /// The permission bits of the directories created (before the umask);
    /// `0o777` by default.
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        self.mode = Some(mode);
        self
    }

    /// Creates the directory at `path` with these options.
    ///
    /// Not cancel-safe: once started, the directory is created even if the
    /// future is dropped.
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::DirBuilder::create`]: `AlreadyExists` if `path`
    /// exists and `recursive` is off, `NotFound` if a parent is missing
    /// and `recursive` is off, and so on.
    pub async fn create(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref().to_owned();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(self.recursive);
        #[cfg(unix)]
        if let Some(mode) = self.mode {
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
        }
        asyncify(move || builder.create(path)).await
    }
}
