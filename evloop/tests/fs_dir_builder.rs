//! `fs::DirBuilder`, `File::set_max_buf_size`, `File`'s fd conversions and
//! timestamps.

mod support;
#[path = "support/tempdir.rs"]
mod tempdir;

use std::io::ErrorKind;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, SystemTime};

use evloop::fs::{DirBuilder, File};
use evloop::io::{AsyncReadExt, AsyncWriteExt};
use support::rt;
use tempdir::TempDir;

#[test]
fn dir_builder_plain_recursive_and_mode() {
    rt().block_on(async {
        let dir = TempDir::new("dirbuilder");
        let one = dir.join("one");
        DirBuilder::new().create(&one).await.unwrap();
        assert!(std::fs::metadata(&one).unwrap().is_dir());
        // Not recursive: an existing directory and a missing parent fail.
        let err = DirBuilder::new().create(&one).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        let deep = dir.join("a/b/c");
        let err = DirBuilder::new().create(&deep).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(!dir.join("a").exists());

        // Recursive: the whole chain, with the mode on every new level, and
        // an existing directory is fine.
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&deep)
            .await
            .unwrap();
        for level in ["a", "a/b", "a/b/c"] {
            let meta = std::fs::metadata(dir.join(level)).unwrap();
            assert!(meta.is_dir());
            assert_eq!(meta.permissions().mode() & 0o777, 0o700, "{level}");
        }
        DirBuilder::new()
            .recursive(true)
            .create(&deep)
            .await
            .unwrap();

        // A file in the way is an error even when recursive.
        let file = dir.join("file");
        std::fs::write(&file, b"").unwrap();
        assert!(DirBuilder::new()
            .recursive(true)
            .create(file.join("sub"))
            .await
            .is_err());
    })
}

#[test]
fn file_max_buf_size_bounds_each_hand_off() {
    rt().block_on(async {
        let dir = TempDir::new("maxbuf");
        let path = dir.join("f");
        let mut file = File::create(&path).await.unwrap();
        assert_eq!(file.max_buf_size(), 2 * 1024 * 1024);
        file.set_max_buf_size(4);
        assert_eq!(file.max_buf_size(), 4);
        assert_eq!(file.write(b"abcdefgh").await.unwrap(), 4);
        file.write_all(b"efgh").await.unwrap();
        file.flush().await.unwrap();
        drop(file);
        assert_eq!(std::fs::read(&path).unwrap(), b"abcdefgh");

        let mut file = File::open(&path).await.unwrap();
        file.set_max_buf_size(3);
        let mut buf = [0u8; 16];
        assert_eq!(file.read(&mut buf).await.unwrap(), 3);
        assert_eq!(&buf[..3], b"abc");
        // Zero counts as one: reads still make progress.
        file.set_max_buf_size(0);
        assert_eq!(file.max_buf_size(), 1);
        assert_eq!(file.read(&mut buf).await.unwrap(), 1);
        assert_eq!(buf[0], b'd');
        let mut rest = Vec::new();
        file.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"efgh");
    })
}

#[test]
fn file_fd_conversions_keep_the_open_file() {
    rt().block_on(async {
        let dir = TempDir::new("filefd");
        let path = dir.join("f");
        std::fs::write(&path, b"through fds").unwrap();

        let raw = std::fs::File::open(&path).unwrap().into_raw_fd();
        // SAFETY: `raw` came from `into_raw_fd` and nothing else owns it.
        let mut file = unsafe { File::from_raw_fd(raw) };
        assert_eq!(file.as_raw_fd(), raw);
        assert_eq!(file.as_fd().as_raw_fd(), raw);
        let mut got = String::new();
        file.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "through fds");

        let owned: OwnedFd = std::fs::File::open(&path).unwrap().into();
        let mut file = File::from(owned);
        let mut got = Vec::new();
        file.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"through fds");
    })
}

#[test]
fn file_set_modified_after_pending_writes() {
    rt().block_on(async {
        let dir = TempDir::new("filetimes");
        let path = dir.join("f");
        let mut file = File::create(&path).await.unwrap();
        file.write_all(b"written behind").await.unwrap();
        let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        // The write above may still be in flight: set_modified waits for it,
        // so it cannot move the time afterwards.
        file.set_modified(when).await.unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.modified().unwrap(), when);
        assert_eq!(meta.len(), 14);
        let accessed = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        file.set_times(std::fs::FileTimes::new().set_accessed(accessed))
            .await
            .unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().accessed().unwrap(),
            accessed
        );
    })
}

#[test]
fn dir_entry_ino_matches_metadata() {
    use std::os::unix::fs::MetadataExt;
    rt().block_on(async {
        let dir = TempDir::new("ino");
        std::fs::write(dir.join("f"), b"").unwrap();
        let mut entries = evloop::fs::read_dir(dir.path()).await.unwrap();
        let entry = entries.next_entry().await.unwrap().unwrap();
        assert_eq!(entry.ino(), std::fs::metadata(entry.path()).unwrap().ino());
        // `evloop::fs::FileTimes` is the type `set_times` takes.
        let times = evloop::fs::FileTimes::new().set_modified(SystemTime::UNIX_EPOCH);
        let file = File::open(entry.path()).await.unwrap();
        file.set_times(times).await.unwrap();
        assert_eq!(
            std::fs::metadata(entry.path()).unwrap().modified().unwrap(),
            SystemTime::UNIX_EPOCH
        );
    })
}
