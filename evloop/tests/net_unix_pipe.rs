//! `net::unix::pipe`: anonymous pipes and FIFOs, their checks, end of file
//! and broken pipes, readiness and the `try_*` family.

mod support;
#[path = "support/tempdir.rs"]
mod tempdir;

use std::ffi::CString;
use std::fs::File;
use std::future::poll_fn;
use std::io::{ErrorKind, IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::unix::pipe;
use support::{mt, poll_once, rt, watchdog};
use tempdir::TempDir;

const LIMIT: Duration = Duration::from_secs(20);

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

fn nonblocking(fd: BorrowedFd<'_>) -> bool {
    // SAFETY: the fd is open for the borrow.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    assert!(flags >= 0);
    flags & libc::O_NONBLOCK != 0
}

fn raw_pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds `pipe` writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: `pipe` returned two fresh fds that nothing else owns.
    unsafe { (OwnedFd::from_raw_fd(fds[1]), OwnedFd::from_raw_fd(fds[0])) }
}

#[test]
fn pipe_carries_every_byte_then_reads_eof_when_the_writer_closes() {
    watchdog(LIMIT, "pipe transfer hung", || {
        mt().block_on(async {
            let (mut tx, mut rx) = pipe::pipe().unwrap();
            assert!(nonblocking(tx.as_fd()) && nonblocking(rx.as_fd()));
            let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
            let expect = data.clone();
            let writer = evloop::spawn(async move {
                tx.write_all(&data).await.unwrap();
                // Dropping the only write end is end of file for the reader.
            });
            let mut got = Vec::new();
            rx.read_to_end(&mut got).await.unwrap();
            writer.await.unwrap();
            assert_eq!(got.len(), expect.len());
            assert!(got == expect);
            // Still end of file.
            let mut buf = [0u8; 4];
            assert_eq!(rx.read(&mut buf).await.unwrap(), 0);
            assert_eq!(rx.try_read(&mut buf).unwrap(), 0);
        })
    })
}

#[test]
fn pipe_write_after_the_reader_closes_is_broken_pipe() {
    watchdog(LIMIT, "broken pipe hung", || {
        rt().block_on(async {
            let (mut tx, rx) = pipe::pipe().unwrap();
            drop(rx);
            let err = tx.write_all(b"nobody reads").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokenPipe);
        })
    })
}

#[test]
fn pipe_try_operations_and_readiness() {
    watchdog(LIMIT, "pipe readiness hung", || {
        rt().block_on(async {
            let (tx, rx) = pipe::pipe().unwrap();
            let mut buf = [0u8; 16];
            assert_eq!(
                rx.try_read(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            let mut readable = Box::pin(rx.readable());
            assert!(poll_once(&mut readable).is_pending());
            let mut read_ready = Box::pin(poll_fn(|cx| rx.poll_read_ready(cx)));
            assert!(poll_once(&mut read_ready).is_pending());

            tx.writable().await.unwrap();
            poll_fn(|cx| tx.poll_write_ready(cx)).await.unwrap();
            assert_eq!(tx.try_write(b"abc").unwrap(), 3);
            let n = tx
                .try_write_vectored(&[IoSlice::new(b"de"), IoSlice::new(b"fgh")])
                .unwrap();
            assert_eq!(n, 5);
            readable.await.unwrap();
            read_ready.await.unwrap();

            let (mut one, mut two) = ([0u8; 2], [0u8; 10]);
            let n = rx
                .try_read_vectored(&mut [IoSliceMut::new(&mut one), IoSliceMut::new(&mut two)])
                .unwrap();
            assert_eq!((n, &one, &two[..6]), (8, b"ab", &b"cdefgh"[..]));

            tx.try_write(b"buf").unwrap();
            let mut got = Vec::with_capacity(8);
            rx.readable().await.unwrap();
            assert_eq!(rx.try_read_buf(&mut got).unwrap(), 3);
            assert_eq!(got, b"buf");
            assert_eq!(
                rx.try_io(|| Err::<(), _>(ErrorKind::WouldBlock.into()))
                    .unwrap_err()
                    .kind(),
                ErrorKind::WouldBlock
            );

            // Fill the pipe: `try_write` reports WouldBlock, `writable` waits
            // until the reader makes room.
            let chunk = [7u8; 4096];
            let mut queued = 0;
            loop {
                match tx.try_write(&chunk) {
                    Ok(n) => queued += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => panic!("{e}"),
                }
            }
            assert!(queued >= 4096);
            let mut writable = Box::pin(tx.writable());
            assert!(poll_once(&mut writable).is_pending());
            let mut sink = vec![0u8; queued];
            let mut drained = 0;
            while drained < queued {
                rx.readable().await.unwrap();
                match rx.try_read(&mut sink[drained..]) {
                    Ok(n) => drained += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => panic!("{e}"),
                }
            }
            writable.await.unwrap();
            assert!(sink.iter().all(|&b| b == 7));
        })
    })
}

#[test]
fn fifo_open_options() {
    watchdog(LIMIT, "fifo open hung", || {
        rt().block_on(async {
            let dir = TempDir::new("fifo");
            let path = dir.join("fifo");
            mkfifo(&path);

            // No reader yet: opening the write end fails with ENXIO.
            let err = pipe::OpenOptions::new().open_sender(&path).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ENXIO));

            let mut rx = pipe::OpenOptions::new().open_receiver(&path).unwrap();
            let mut tx = pipe::OpenOptions::new().open_sender(&path).unwrap();
            tx.write_all(b"via fifo").await.unwrap();
            drop(tx);
            let mut got = String::new();
            rx.read_to_string(&mut got).await.unwrap();
            assert_eq!(got, "via fifo");

            // A regular file is refused unless unchecked.
            let file = dir.join("plain");
            std::fs::write(&file, b"").unwrap();
            let err = pipe::OpenOptions::new().open_receiver(&file).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            #[cfg(target_os = "linux")]
            {
                // Unchecked, the open goes through to the reactor, which
                // cannot poll a regular file.
                let err = pipe::OpenOptions::new()
                    .unchecked(true)
                    .open_receiver(&file)
                    .unwrap_err();
                assert_eq!(err.raw_os_error(), Some(libc::EPERM));
            }
        })
    })
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn fifo_read_write_needs_no_peer_and_never_reads_eof() {
    watchdog(LIMIT, "fifo read_write hung", || {
        rt().block_on(async {
            let dir = TempDir::new("fifo-rw");
            let path = dir.join("fifo");
            mkfifo(&path);
            let tx = pipe::OpenOptions::new()
                .read_write(true)
                .open_sender(&path)
                .unwrap();
            let rx = pipe::OpenOptions::new()
                .read_write(true)
                .open_receiver(&path)
                .unwrap();
            tx.writable().await.unwrap();
            tx.try_write(b"rw").unwrap();
            drop(tx);
            let mut buf = [0u8; 4];
            rx.readable().await.unwrap();
            assert_eq!(rx.try_read(&mut buf).unwrap(), 2);
            // The receiver holds a write end itself: empty, not end of file.
            assert_eq!(
                rx.try_read(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
        })
    })
}

#[test]
fn from_file_checks_type_and_access_mode() {
    watchdog(LIMIT, "from_file hung", || {
        rt().block_on(async {
            let dir = TempDir::new("fifo-from");
            let path = dir.join("fifo");
            mkfifo(&path);
            let open = |write: bool| {
                std::fs::OpenOptions::new()
                    .read(!write)
                    .write(write)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(&path)
                    .unwrap()
            };
            use std::os::unix::fs::OpenOptionsExt;
            let read_end = open(false);
            let write_end = open(true);
            // Wrong direction.
            let err = pipe::Sender::from_file(open(false)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            let err = pipe::Receiver::from_file(open(true)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            // Not a pipe.
            let plain = dir.join("plain");
            std::fs::write(&plain, b"").unwrap();
            let err = pipe::Receiver::from_file(File::open(&plain).unwrap()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);

            let rx = pipe::Receiver::from_file(read_end).unwrap();
            let tx = pipe::Sender::from_file(write_end).unwrap();
            tx.writable().await.unwrap();
            tx.try_write(b"ok").unwrap();
            let mut buf = [0u8; 2];
            rx.readable().await.unwrap();
            assert_eq!(rx.try_read(&mut buf).unwrap(), 2);

            // Unchecked: the caller vouches for it.
            let rx2 = pipe::Receiver::from_file_unchecked(open(false)).unwrap();
            let tx2 = pipe::Sender::from_file_unchecked(open(true)).unwrap();
            tx2.writable().await.unwrap();
            tx2.try_write(b"u").unwrap();
            rx2.readable().await.unwrap();
            drop((rx, tx));
        })
    })
}

#[test]
fn owned_fd_conversions_set_and_clear_nonblocking() {
    watchdog(LIMIT, "owned fd hung", || {
        rt().block_on(async {
            let (w, r) = raw_pipe();
            assert!(!nonblocking(w.as_fd()));
            let tx = pipe::Sender::from_owned_fd(w).unwrap();
            let rx = pipe::Receiver::from_owned_fd(r).unwrap();
            assert!(nonblocking(tx.as_fd()) && nonblocking(rx.as_fd()));
            tx.writable().await.unwrap();
            tx.try_write(b"x").unwrap();

            let w = tx.into_blocking_fd().unwrap();
            assert!(!nonblocking(w.as_fd()));
            let r = rx.into_nonblocking_fd().unwrap();
            assert!(nonblocking(r.as_fd()));

            // The byte written before the conversion is still there.
            let rx = pipe::Receiver::from_owned_fd_unchecked(r).unwrap();
            let tx = pipe::Sender::from_owned_fd(w).unwrap();
            let mut buf = [0u8; 2];
            rx.readable().await.unwrap();
            assert_eq!(rx.try_read(&mut buf).unwrap(), 1);
            drop(tx);
            rx.readable().await.unwrap();
            assert_eq!(rx.try_read(&mut buf).unwrap(), 0);

            // A socket is not a pipe.
            let (s, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
            let err = pipe::Receiver::from_owned_fd(s.into()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
        })
    })
}
