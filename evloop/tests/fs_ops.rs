//! `evloop::fs` one-shot operations and directory listings, in a temp dir.

#[path = "support/tempdir.rs"]
mod tempdir;

use std::collections::BTreeSet;
use std::io::ErrorKind;

use evloop::fs;
use evloop::runtime::{Builder, Runtime};
use tempdir::TempDir;

fn rt() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn write_then_read_round_trips() {
    let dir = TempDir::new("fs-rw");
    rt().block_on(async {
        let path = dir.join("data.bin");
        let bytes: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
        fs::write(&path, &bytes).await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), bytes);

        fs::write(&path, "text").await.unwrap();
        assert_eq!(fs::read_to_string(&path).await.unwrap(), "text");

        fs::write(&path, [0xff, 0xfe]).await.unwrap();
        let err = fs::read_to_string(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);

        let err = fs::read(dir.join("missing")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn copy_rename_remove() {
    let dir = TempDir::new("fs-mv");
    rt().block_on(async {
        let a = dir.join("a");
        let b = dir.join("b");
        let c = dir.join("c");
        fs::write(&a, "abc").await.unwrap();
        assert_eq!(fs::copy(&a, &b).await.unwrap(), 3);
        assert_eq!(fs::read(&b).await.unwrap(), b"abc");

        fs::rename(&b, &c).await.unwrap();
        assert!(!fs::try_exists(&b).await.unwrap());
        assert!(fs::try_exists(&c).await.unwrap());

        fs::remove_file(&c).await.unwrap();
        assert!(!fs::try_exists(&c).await.unwrap());
        let err = fs::remove_file(&c).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn directories() {
    let dir = TempDir::new("fs-dir");
    rt().block_on(async {
        let sub = dir.join("sub");
        fs::create_dir(&sub).await.unwrap();
        let err = fs::create_dir(&sub).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        assert!(fs::metadata(&sub).await.unwrap().is_dir());

        let deep = sub.join("x/y/z");
        fs::create_dir_all(&deep).await.unwrap();
        fs::create_dir_all(&deep).await.unwrap();
        fs::write(deep.join("f"), "f").await.unwrap();

        assert!(fs::remove_dir(&sub).await.is_err(), "sub is not empty");
        fs::remove_dir(dir.join("missing")).await.unwrap_err();
        fs::remove_dir_all(&sub).await.unwrap();
        assert!(!fs::try_exists(&sub).await.unwrap());

        fs::create_dir(&sub).await.unwrap();
        fs::remove_dir(&sub).await.unwrap();
    });
}

#[test]
fn metadata_links_and_canonical_paths() {
    let dir = TempDir::new("fs-meta");
    rt().block_on(async {
        let file = dir.join("file");
        fs::write(&file, "12345").await.unwrap();
        let meta = fs::metadata(&file).await.unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.len(), 5);

        let hard = dir.join("hard");
        fs::hard_link(&file, &hard).await.unwrap();
        assert_eq!(fs::read_to_string(&hard).await.unwrap(), "12345");

        let link = dir.join("link");
        fs::symlink(&file, &link).await.unwrap();
        assert_eq!(fs::read_link(&link).await.unwrap(), file);
        assert!(fs::symlink_metadata(&link)
            .await
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(fs::metadata(&link).await.unwrap().is_file());
        assert_eq!(
            fs::canonicalize(&link).await.unwrap(),
            std::fs::canonicalize(&file).unwrap()
        );

        let dangling = dir.join("dangling");
        fs::symlink(dir.join("nowhere"), &dangling).await.unwrap();
        assert!(!fs::try_exists(&dangling).await.unwrap());
    });
}

#[test]
fn set_permissions_read_only() {
    use std::os::unix::fs::PermissionsExt;

    let dir = TempDir::new("fs-perm");
    rt().block_on(async {
        let file = dir.join("file");
        fs::write(&file, "x").await.unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o400))
            .await
            .unwrap();
        let mode = fs::metadata(&file).await.unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o400);
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600))
            .await
            .unwrap();
    });
}

#[test]
fn read_dir_lists_every_entry() {
    let dir = TempDir::new("fs-ls");
    rt().block_on(async {
        // More entries than one trip to the pool reads.
        let mut expected = BTreeSet::new();
        for i in 0..100 {
            let name = format!("file-{i:03}");
            fs::write(dir.join(&name), &name).await.unwrap();
            expected.insert(name);
        }
        fs::create_dir(dir.join("subdir")).await.unwrap();
        expected.insert("subdir".to_string());

        let mut seen = BTreeSet::new();
        let mut entries = fs::read_dir(dir.path()).await.unwrap();
        while let Some(entry) = entries.next_entry().await.unwrap() {
            let name = entry.file_name().into_string().unwrap();
            assert_eq!(entry.path(), dir.join(&name));
            let file_type = entry.file_type().await.unwrap();
            if name == "subdir" {
                assert!(file_type.is_dir());
            } else {
                assert!(file_type.is_file());
                assert_eq!(entry.metadata().await.unwrap().len(), name.len() as u64);
            }
            assert!(seen.insert(name), "listed twice");
        }
        assert_eq!(seen, expected);
        // Exhausted listings stay exhausted.
        assert!(entries.next_entry().await.unwrap().is_none());

        let err = fs::read_dir(dir.join("missing")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

#[test]
#[should_panic(expected = "`spawn_blocking` called at")]
fn fs_outside_a_runtime_panics_clearly() {
    use std::future::Future;
    use std::sync::Arc;
    use std::task::{Context, Wake, Waker};

    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    // Poll it by hand: no runtime is current.
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let _ = std::pin::pin!(fs::read("/nonexistent"))
        .as_mut()
        .poll(&mut cx);
}
