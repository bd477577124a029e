//! One-shot filesystem operations: each runs one `std::fs` call on the
//! blocking pool.
//!
//! Every function copies its arguments into owned values, so the returned
//! future is `'static`-friendly, and none is cancel-safe in the sense of
//! [the module docs](crate::fs#cancel-safety): once handed to the pool, the
//! operation completes even if the future is dropped.

use std::io;
use std::path::{Path, PathBuf};

use crate::fs::blocking::asyncify;
use crate::fs::{Metadata, Permissions};

/// Reads the whole file at `path` into a byte vector.
///
/// The async counterpart of [`std::fs::read`]; errors are the same.
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read(path)).await
}

/// Reads the whole file at `path` into a string.
///
/// The async counterpart of [`std::fs::read_to_string`]; fails with
/// `InvalidData` if the contents are not UTF-8.
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_to_string(path)).await
}

/// Writes `contents` to the file at `path`, creating it or replacing its
/// contents.
///
/// The async counterpart of [`std::fs::write`]. The bytes are copied before
/// the write is handed to the blocking pool.
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_owned();
    // Inside a simulation with fs faults on: a seeded `ENOSPC`.
    if let Some(e) = crate::sim::fs_error(true) {
        return Err(e);
    }
    asyncify(move || std::fs::write(path, contents)).await
}

/// Copies the contents and permissions of `from` to `to`, returning the
/// number of bytes copied.
///
/// The async counterpart of [`std::fs::copy`].
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let from = from.as_ref().to_owned();
    let to = to.as_ref().to_owned();
    asyncify(move || std::fs::copy(from, to)).await
}

/// Renames `from` to `to`, replacing `to` if it exists (as `rename(2)`).
///
/// The async counterpart of [`std::fs::rename`].
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let from = from.as_ref().to_owned();
    let to = to.as_ref().to_owned();
    asyncify(move || std::fs::rename(from, to)).await
}

/// Removes the file at `path`.
///
/// The async counterpart of [`std::fs::remove_file`].
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_file(path)).await
}

/// Removes the empty directory at `path`.
///
/// The async counterpart of [`std::fs::remove_dir`].
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir(path)).await
}

/// Creates the directory `path`; its parent must exist.
///
/// The async counterpart of [`std::fs::create_dir`].
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::create_dir(path)).await
}

/// Creates the directory `path` and every missing parent; succeeds if it
/// already exists.
///
/// The async counterpart of [`std::fs::create_dir_all`].
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::create_dir_all(path)).await
}

/// Removes the directory `path` and everything in it.
///
/// The async counterpart of [`std::fs::remove_dir_all`]. Symbolic links
/// inside are removed, not followed.
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir_all(path)).await
}

/// Metadata of the file at `path`, following symbolic links.
///
/// The async counterpart of [`std::fs::metadata`].
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::metadata(path)).await
}

/// Metadata of `path` itself, without following a symbolic link.
///
/// The async counterpart of [`std::fs::symlink_metadata`].
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::symlink_metadata(path)).await
}

/// The absolute form of `path`, with every symbolic link, `.` and `..`
/// resolved.
///
/// The async counterpart of [`std::fs::canonicalize`].
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::canonicalize(path)).await
}

/// Creates `link` as a new hard link to `original`.
///
/// The async counterpart of [`std::fs::hard_link`].
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let original = original.as_ref().to_owned();
    let link = link.as_ref().to_owned();
    asyncify(move || std::fs::hard_link(original, link)).await
}

/// The target of the symbolic link `path`.
///
/// The async counterpart of [`std::fs::read_link`].
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_link(path)).await
}

/// Sets the permissions of the file at `path`.
///
/// The async counterpart of [`std::fs::set_permissions`].
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn set_permissions(path: impl AsRef<Path>, perm: Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::set_permissions(path, perm)).await
}

/// Whether `path` exists, following symbolic links: `Ok(false)` for a
/// broken link, `Err` if existence cannot be determined (for example a
/// permission error on a parent directory).
///
/// The async counterpart of [`Path::try_exists`].
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    let path = path.as_ref().to_owned();
    asyncify(move || path.try_exists()).await
}

/// Creates `link` as a symbolic link to `original` (Unix).
///
/// The async counterpart of [`std::os::unix::fs::symlink`].
///
/// # Errors
///
/// Those of the `std` call, or an error if the runtime shut down before the
/// operation ran.
#[cfg(unix)]
pub async fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let original = original.as_ref().to_owned();
    let link = link.as_ref().to_owned();
    asyncify(move || std::os::unix::fs::symlink(original, link)).await
}
