//! `io::unix::AsyncFd`: readiness for descriptors the runtime does not own.
#![cfg(unix)]

mod support;

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use evloop::io::unix::AsyncFd;
use evloop::io::{Interest, Ready};
use evloop::time::timeout;
use support::rt;

const LIMIT: Duration = Duration::from_secs(10);

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// Polls `f` once with a waker that does nothing.
fn poll_once<T>(f: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
    f(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn readable_then_would_block_clears_and_waits_for_new_data() {
    rt().block_on(async {
        let (a, mut b) = pair();
        let fd = AsyncFd::new(a).unwrap();
        b.write_all(b"abc").unwrap();

        let mut guard = timeout(LIMIT, fd.readable()).await.unwrap().unwrap();
        assert!(guard.ready().is_readable());
        let mut buf = [0u8; 16];
        let n = guard
            .try_io(|inner| inner.get_ref().read(&mut buf))
            .expect("data was ready")
            .unwrap();
        assert_eq!(&buf[..n], b"abc");
        // The guard dropped without clearing: the next wait returns at
        // once, and the read that finds nothing clears the readiness.
        let mut guard = timeout(LIMIT, fd.readable()).await.unwrap().unwrap();
        assert!(guard
            .try_io(|inner| inner.get_ref().read(&mut buf))
            .is_err());
        assert!(guard.ready().is_empty());
        drop(guard);
        assert!(poll_once(|cx| fd.poll_read_ready(cx).map(drop)).is_pending());

        // New data is a new event.
        let writer = evloop::spawn(async move {
            evloop::time::sleep(Duration::from_millis(5)).await;
            b.write_all(b"d").unwrap();
            b
        });
        let n = timeout(
            LIMIT,
            fd.async_io(Interest::READABLE, |inner| (&*inner).read(&mut buf)),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(&buf[..n], b"d");
        drop(writer.await.unwrap());
    });
}

#[test]
fn writable_fills_then_waits_for_room() {
    rt().block_on(async {
        let (a, mut b) = pair();
        let mut fd = AsyncFd::new(a).unwrap();
        let chunk = [7u8; 4096];
        let mut sent = 0usize;
        // Fill the socket's buffers until a write would block.
        loop {
            let mut guard = timeout(LIMIT, fd.writable_mut()).await.unwrap().unwrap();
            assert!(guard.ready().is_writable());
            match guard.try_io(|fd| fd.get_mut().write(&chunk)) {
                Ok(n) => sent += n.unwrap(),
                Err(_would_block) => break,
            }
        }
        assert!(sent > 0);
        assert!(poll_once(|cx| fd.poll_write_ready(cx).map(drop)).is_pending());

        let reader = std::thread::spawn(move || {
            b.set_nonblocking(false).unwrap();
            let mut buf = vec![0u8; sent];
            b.read_exact(&mut buf).unwrap();
            assert!(buf.iter().all(|&x| x == 7));
        });
        let guard = timeout(LIMIT, fd.writable()).await.unwrap().unwrap();
        assert!(guard.ready().is_writable());
        drop(guard);
        reader.join().unwrap();
    });
}

#[test]
fn clear_ready_matching_keeps_the_other_direction() {
    rt().block_on(async {
        let (a, mut b) = pair();
        let fd = AsyncFd::new(a).unwrap();
        b.write_all(b"x").unwrap();
        let both = Interest::READABLE | Interest::WRITABLE;
        let mut guard = timeout(LIMIT, fd.ready(both)).await.unwrap().unwrap();
        // Both directions are reported by the registration's first event.
        assert!(guard.ready().is_readable() && guard.ready().is_writable());
        guard.clear_ready_matching(Ready::READABLE);
        assert_eq!(guard.ready(), Ready::WRITABLE);
        drop(guard);
        assert!(poll_once(|cx| fd.poll_read_ready(cx).map(drop)).is_pending());
        assert!(poll_once(|cx| fd.poll_write_ready(cx).map(drop)).is_ready());
        let mut guard = fd.writable().await.unwrap();
        guard.retain_ready();
        assert_eq!(guard.get_inner().as_raw_fd(), fd.as_raw_fd());
        guard.clear_ready();
        assert!(guard.ready().is_empty());
        drop(guard);
        assert!(poll_once(|cx| fd.poll_write_ready(cx).map(drop)).is_pending());
    });
}

#[test]
fn many_tasks_wait_on_one_descriptor() {
    rt().block_on(async {
        let (a, mut b) = pair();
        let fd = std::sync::Arc::new(AsyncFd::with_interest(a, Interest::READABLE).unwrap());
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let fd = fd.clone();
                evloop::spawn(async move {
                    let guard = fd.readable().await.unwrap();
                    guard.ready().is_readable()
                })
            })
            .collect();
        evloop::task::yield_now().await;
        b.write_all(b"go").unwrap();
        for w in waiters {
            assert!(timeout(LIMIT, w).await.unwrap().unwrap());
        }
    });
}

#[test]
fn into_inner_and_drop_deregister() {
    rt().block_on(async {
        let (a, _b) = pair();
        let raw: RawFd = a.as_raw_fd();
        // Registering one fd twice fails (EEXIST) unless the first
        // registration was removed: into_inner and drop must remove it.
        let fd = AsyncFd::new(raw).unwrap();
        assert!(AsyncFd::new(raw).is_err());
        let raw_back = fd.into_inner();
        assert_eq!(raw_back, raw);
        let fd = AsyncFd::new(raw).unwrap();
        drop(fd);
        let fd = AsyncFd::new(a).unwrap();
        let a = fd.into_inner();
        assert_eq!(a.as_raw_fd(), raw);
    });
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn try_new_gives_the_value_back() {
    rt().block_on(async {
        // epoll refuses regular files (EPERM).
        let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
        let raw = file.as_raw_fd();
        let err = AsyncFd::try_new(file).expect_err("epoll takes no regular file");
        let (file, cause) = err.into_parts();
        assert_eq!(file.as_raw_fd(), raw);
        assert_eq!(cause.raw_os_error(), Some(libc::EPERM));
        // SAFETY: `file` stays open for as long as the `AsyncFd` holds it.
        let err = unsafe { AsyncFd::register_with_interest(file, Interest::READABLE) }
            .expect_err("epoll takes no regular file");
        assert_eq!(io::Error::from(err).raw_os_error(), Some(libc::EPERM));
    });
}

#[test]
fn try_io_runs_only_when_ready() {
    rt().block_on(async {
        let (a, mut b) = pair();
        // SAFETY: `a` owns its descriptor and the `AsyncFd` owns `a`.
        let mut fd = unsafe { AsyncFd::register(a) }.unwrap();
        let mut buf = [0u8; 8];
        // Nothing reported yet: the closure does not run.
        let mut ran = false;
        let err = fd
            .try_io(Interest::READABLE, |_| {
                ran = true;
                Ok(())
            })
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        assert!(!ran, "no readiness: the closure must not run");
        b.write_all(b"first").unwrap();
        drop(timeout(LIMIT, fd.readable()).await.unwrap().unwrap());
        let n = fd
            .try_io(Interest::READABLE, |inner| (&*inner).read(&mut buf))
            .unwrap();
        assert_eq!(&buf[..n], b"first");
        // Still marked readable; the read finds nothing and clears it.
        let mut ran = false;
        let err = fd
            .try_io(Interest::READABLE, |inner| {
                ran = true;
                (&*inner).read(&mut buf)
            })
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        assert!(ran);
        let mut ran = false;
        let err = fd
            .try_io(Interest::READABLE, |_| {
                ran = true;
                Ok(())
            })
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        assert!(!ran, "readiness was cleared: the closure must not run");
        b.write_all(b"now").unwrap();
        drop(timeout(LIMIT, fd.readable()).await.unwrap().unwrap());
        let n = fd
            .try_io_mut(Interest::READABLE, |inner| inner.read(&mut buf))
            .unwrap();
        assert_eq!(&buf[..n], b"now");
        use std::os::fd::AsFd;
        assert_eq!(fd.as_fd().as_raw_fd(), fd.get_ref().as_raw_fd());
    });
}

#[test]
#[should_panic(expected = "reactor")]
fn new_outside_a_runtime_panics() {
    let (a, _b) = pair();
    let _ = AsyncFd::new(a);
}

#[test]
fn operations_fail_after_the_runtime_is_gone() {
    let (a, _b) = pair();
    let runtime = rt();
    let fd = runtime.block_on(async { AsyncFd::new(a).unwrap() });
    drop(runtime);
    let res = poll_once(|cx| fd.poll_read_ready(cx).map(|r| r.map(drop)));
    match res {
        Poll::Ready(Err(e)) => assert!(e.to_string().contains("shut down"), "{e}"),
        other => panic!("expected a shutdown error, got {other:?}"),
    }
}

/// Out-of-band TCP data is priority readiness (`EPOLLPRI`).
#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn priority_interest_sees_out_of_band_data() {
    rt().block_on(async {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        let fd = AsyncFd::with_interest(server, Interest::PRIORITY).unwrap();
        let waiter = async { fd.ready(Interest::PRIORITY).await.unwrap().ready() };
        let send = async {
            evloop::time::sleep(Duration::from_millis(5)).await;
            // SAFETY: a live socket and a one-byte buffer.
            let n =
                unsafe { libc::send(client.as_raw_fd(), b"!".as_ptr().cast(), 1, libc::MSG_OOB) };
            assert_eq!(n, 1, "{}", io::Error::last_os_error());
        };
        let (ready, ()) = timeout(LIMIT, async { evloop::join!(waiter, send) })
            .await
            .unwrap();
        assert!(ready.is_priority(), "{ready:?}");
    });
}

/// A UDP datagram to a closed port comes back as an ICMP error: error
/// readiness, which an `ERROR` interest waits for.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn error_interest_sees_a_socket_error() {
    rt().block_on(async {
        let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let target = closed.local_addr().unwrap();
        drop(closed);
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_nonblocking(true).unwrap();
        sock.connect(target).unwrap();
        let fd = AsyncFd::with_interest(sock, Interest::ERROR).unwrap();
        fd.get_ref().send(b"anyone?").unwrap();
        let guard = timeout(LIMIT, fd.ready(Interest::ERROR))
            .await
            .unwrap()
            .unwrap();
        assert!(guard.ready().is_error(), "{:?}", guard.ready());
        let err = fd.get_ref().take_error().unwrap().expect("a pending error");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn works_on_the_multi_thread_runtime() {
    support::mt().block_on(async {
        let (a, mut b) = pair();
        let mut fd = AsyncFd::new(a).unwrap();
        let task = evloop::spawn(async move {
            evloop::time::sleep(Duration::from_millis(5)).await;
            b.write_all(b"mt").unwrap();
            b
        });
        let mut buf = [0u8; 2];
        let n = timeout(
            LIMIT,
            fd.async_io_mut(Interest::READABLE, |inner| inner.read(&mut buf)),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(&buf[..n], b"mt");
        let mut guard = fd.ready_mut(Interest::WRITABLE).await.unwrap();
        assert!(guard.get_inner_mut().write(b"back").is_ok());
        drop(guard);
        let mut b = task.await.unwrap();
        b.set_nonblocking(false).unwrap();
        let mut back = [0u8; 4];
        b.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"back");
    });
}
