//! `evloop::fs::File`: reads, writes, seeks, write-behind errors,
//! read-ahead, and the std conversions, in a temp dir.

#[path = "support/tempdir.rs"]
mod tempdir;

use std::future::{poll_fn, Future};
use std::io::{ErrorKind, SeekFrom};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use evloop::fs::{self, File, OpenOptions};
use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::runtime::{Builder, Runtime};
use tempdir::TempDir;

fn rt() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

/// Polls a read once and drops it: usually a read abandoned in flight.
/// Returns how many bytes it delivered if the pool was quick enough to
/// finish it within that one poll (then the caller did consume them).
async fn poll_read_once_and_drop(file: &mut File, buf: &mut [u8]) -> usize {
    let mut fut = pin!(file.read(buf));
    poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Pending => Poll::Ready(0),
        Poll::Ready(n) => Poll::Ready(n.unwrap()),
    })
    .await
}

#[test]
fn large_write_and_read_back() {
    let dir = TempDir::new("file-big");
    rt().block_on(async {
        let path = dir.join("big");
        // Larger than one 2 MiB hand-off, not a multiple of it.
        let data: Vec<u8> = (0..5 * 1024 * 1024 + 123)
            .map(|i: usize| (i % 251) as u8)
            .collect();
        let mut file = File::create(&path).await.unwrap();
        file.write_all(&data).await.unwrap();
        file.flush().await.unwrap();
        drop(file);
        assert_eq!(std::fs::read(&path).unwrap(), data);

        let mut file = File::open(&path).await.unwrap();
        let mut back = Vec::new();
        assert_eq!(file.read_to_end(&mut back).await.unwrap(), data.len());
        assert_eq!(back, data);
        // At the end, reads return 0.
        assert_eq!(file.read(&mut [0u8; 16]).await.unwrap(), 0);
    });
}

#[test]
fn seek_read_and_write_in_place() {
    let dir = TempDir::new("file-seek");
    rt().block_on(async {
        let path = dir.join("digits");
        fs::write(&path, "0123456789").await.unwrap();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .await
            .unwrap();

        let mut buf = [0u8; 4];
        assert_eq!(file.read(&mut buf).await.unwrap(), 4);
        assert_eq!(&buf, b"0123");
        assert_eq!(file.seek(SeekFrom::Current(2)).await.unwrap(), 6);
        assert_eq!(file.read(&mut buf).await.unwrap(), 4);
        assert_eq!(&buf, b"6789");

        assert_eq!(file.seek(SeekFrom::Start(1)).await.unwrap(), 1);
        file.write_all(b"ab").await.unwrap();
        assert_eq!(file.seek(SeekFrom::End(-1)).await.unwrap(), 9);
        file.write_all(b"Z!").await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"0ab345678Z!");

        let err = file.seek(SeekFrom::Current(-100)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn read_ahead_of_an_abandoned_read_is_not_lost() {
    let dir = TempDir::new("file-ahead");
    rt().block_on(async {
        let path = dir.join("digits");
        fs::write(&path, "0123456789").await.unwrap();
        let mut file = File::open(&path).await.unwrap();

        let mut buf = [0u8; 4];
        let consumed = poll_read_once_and_drop(&mut file, &mut buf).await;
        // The bytes the abandoned read fetched come next.
        let mut all = buf[..consumed].to_vec();
        file.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"0123456789");
    });
}

#[test]
fn a_write_after_an_abandoned_read_lands_where_the_caller_is() {
    let dir = TempDir::new("file-undo");
    rt().block_on(async {
        let path = dir.join("digits");
        fs::write(&path, "0123456789").await.unwrap();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .await
            .unwrap();

        let mut buf = [0u8; 4];
        assert_eq!(file.read(&mut buf).await.unwrap(), 4);
        // This read moves the OS position to 8, but (unless it completed
        // at once) the caller consumed nothing of it: the write must go to
        // offset 4.
        let consumed = poll_read_once_and_drop(&mut file, &mut buf).await;
        file.write_all(b"AB").await.unwrap();
        file.flush().await.unwrap();
        let mut expected = b"0123456789".to_vec();
        expected[4 + consumed..6 + consumed].copy_from_slice(b"AB");
        assert_eq!(std::fs::read(&path).unwrap(), expected);
        // And a relative seek counts from the caller's position too.
        let pos = 6 + consumed as u64;
        let consumed = poll_read_once_and_drop(&mut file, &mut buf).await;
        assert_eq!(
            file.seek(SeekFrom::Current(0)).await.unwrap(),
            pos + consumed as u64
        );
    });
}

#[test]
fn write_behind_errors_surface_on_flush() {
    let dir = TempDir::new("file-err");
    rt().block_on(async {
        let path = dir.join("ro");
        fs::write(&path, "x").await.unwrap();
        let mut file = File::open(&path).await.unwrap(); // read-only
                                                         // The write is accepted (it happens in the background)...
        assert_eq!(file.write(b"nope").await.unwrap(), 4);
        // ...and its failure is reported by the flush.
        assert!(file.flush().await.is_err());
        // Reported once.
        file.flush().await.unwrap();
    });
}

#[test]
fn set_len_metadata_and_sync() {
    let dir = TempDir::new("file-len");
    rt().block_on(async {
        let path = dir.join("f");
        let mut file = File::create(&path).await.unwrap();
        file.write_all(&[7u8; 1000]).await.unwrap();
        // No flush: metadata waits for the write in flight.
        assert_eq!(file.metadata().await.unwrap().len(), 1000);
        file.sync_all().await.unwrap();
        file.sync_data().await.unwrap();

        file.set_len(10).await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), 10);
        file.set_len(4096).await.unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 4096);
    });
}

#[test]
fn shared_file_serves_concurrent_waiters() {
    let dir = TempDir::new("file-shared");
    rt().block_on(async {
        let path = dir.join("f");
        let mut file = File::create(&path).await.unwrap();
        file.write_all(&vec![1u8; 1 << 20]).await.unwrap();
        // A write is in flight; several tasks wait for it through `&self`.
        let file = Arc::new(file);
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                let file = file.clone();
                evloop::spawn(async move {
                    if i % 2 == 0 {
                        file.sync_all().await.map(|()| 0)
                    } else {
                        file.metadata().await.map(|m| m.len())
                    }
                })
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            let n = t.await.unwrap().unwrap();
            if i % 2 == 1 {
                assert_eq!(n, 1 << 20);
            }
        }
    });
}

#[test]
fn open_options_append_and_create_new() {
    let dir = TempDir::new("file-opts");
    rt().block_on(async {
        let path = dir.join("log");
        let mut file = File::create_new(&path).await.unwrap();
        file.write_all(b"one\n").await.unwrap();
        file.flush().await.unwrap();
        let err = File::create_new(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);

        let mut file = File::options().append(true).open(&path).await.unwrap();
        file.write_all(b"two\n").await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(fs::read_to_string(&path).await.unwrap(), "one\ntwo\n");

        let err = File::open(dir.join("missing")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn std_conversions_and_clones() {
    let dir = TempDir::new("file-std");
    rt().block_on(async {
        let path = dir.join("f");
        fs::write(&path, "abcdef").await.unwrap();
        let file = File::from_std(std::fs::File::open(&path).unwrap());
        let mut clone = file.try_clone().await.unwrap();
        let mut buf = [0u8; 3];
        assert_eq!(clone.read(&mut buf).await.unwrap(), 3);

        // A clone shares the position.
        let mut std_file = file.into_std().await;
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut std_file, &mut rest).unwrap();
        assert_eq!(rest, "def");

        let idle = File::from(std_file);
        assert!(idle.try_into_std().is_ok());

        let mut busy = File::create(dir.join("g")).await.unwrap();
        busy.write_all(b"x").await.unwrap();
        let busy = match busy.try_into_std() {
            Ok(_) => panic!("a file with a write in flight converted"),
            Err(file) => file,
        };
        let _ = busy.into_std().await;
        assert_eq!(std::fs::read(dir.join("g")).unwrap(), b"x");
    });
}
