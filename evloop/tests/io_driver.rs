//! Choosing the I/O driver (`Builder::io_driver`, `EVLOOP_IO_DRIVER`,
//! `Handle::io_driver`) and running sockets, pipes, timers and wakes on the
//! io_uring driver where this machine has it.

use std::time::Duration;

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::{TcpListener, TcpStream};
use evloop::runtime::{Builder, IoDriver, Runtime};

/// Every test runs under a watchdog: a lost wake fails instead of hanging.
fn watchdog<T>(rt: &Runtime, f: impl std::future::Future<Output = T>) -> T {
    rt.block_on(async {
        evloop::time::timeout(Duration::from_secs(20), f)
            .await
            .expect("watchdog: the test did not finish in 20 s")
    })
}

/// A runtime on io_uring, or `None` where the kernel refuses it (then
/// asking for it must fail with `Unsupported`).
fn uring(multi: bool) -> Option<Runtime> {
    let mut b = if multi {
        let mut b = Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        Builder::new_current_thread()
    };
    match b.enable_all().io_driver(IoDriver::Uring).build() {
        Ok(rt) => {
            assert_eq!(rt.handle().io_driver(), IoDriver::Uring);
            Some(rt)
        }
        Err(e) => {
            assert!(!cfg!(target_os = "linux") || e.kind() == std::io::ErrorKind::Unsupported);
            assert_eq!(e.kind(), std::io::ErrorKind::Unsupported, "{e}");
            None
        }
    }
}

#[test]
fn explicit_epoll_and_no_io() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .io_driver(IoDriver::Epoll)
        .build()
        .unwrap();
    assert_eq!(rt.handle().io_driver(), IoDriver::Epoll);
    let rt = Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.handle().io_driver(), IoDriver::Auto);
}

async fn echo_round_trips(n: usize) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = evloop::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 64];
        loop {
            let k = s.read(&mut buf).await.unwrap();
            if k == 0 {
                break;
            }
            s.write_all(&buf[..k]).await.unwrap();
        }
    });
    let mut c = TcpStream::connect(addr).await.unwrap();
    for i in 0..n {
        let msg = [i as u8; 48];
        c.write_all(&msg).await.unwrap();
        let mut back = [0u8; 48];
        c.read_exact(&mut back).await.unwrap();
        assert_eq!(back, msg);
    }
    // Dropping the client must close it for the server (the ring's poll
    // request is removed before the descriptor is closed).
    drop(c);
    server.await.unwrap();
}

#[test]
fn uring_tcp_echo_current_thread() {
    let Some(rt) = uring(false) else { return };
    watchdog(&rt, echo_round_trips(200));
}

#[test]
fn uring_tcp_echo_multi_thread_many_connections() {
    let Some(rt) = uring(true) else { return };
    watchdog(&rt, async {
        let tasks: Vec<_> = (0..16)
            .map(|_| evloop::spawn(echo_round_trips(50)))
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// The park's timeout (`IORING_ENTER_EXT_ARG`) fires timers while no I/O
/// comes, and a wake from a foreign thread reaches a parked ring.
#[test]
fn uring_timers_and_foreign_wakes() {
    let Some(rt) = uring(false) else { return };
    let start = std::time::Instant::now();
    watchdog(&rt, async {
        evloop::time::sleep(Duration::from_millis(30)).await
    });
    assert!(start.elapsed() >= Duration::from_millis(30));

    let (tx, rx) = evloop::sync::oneshot::channel();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        tx.send(7).unwrap();
    });
    assert_eq!(watchdog(&rt, rx).unwrap(), 7);
    t.join().unwrap();
}

/// Pipes and `AsyncFd` register by descriptor on the ring.
#[test]
fn uring_pipe_and_async_fd() {
    let Some(rt) = uring(true) else { return };
    watchdog(&rt, async {
        let (mut tx, mut rx) = evloop::net::unix::pipe::pipe().unwrap();
        let reader = evloop::spawn(async move {
            let mut got = Vec::new();
            rx.read_to_end(&mut got).await.unwrap();
            got
        });
        for _ in 0..100 {
            tx.write_all(&[3u8; 1000]).await.unwrap();
        }
        drop(tx);
        assert_eq!(reader.await.unwrap(), vec![3u8; 100_000]);

        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let fd = evloop::io::unix::AsyncFd::new(a).unwrap();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            std::io::Write::write_all(&mut &b, b"hi").unwrap();
            b
        });
        let mut guard = fd.readable().await.unwrap();
        let mut buf = [0u8; 2];
        let n = guard
            .try_io(|inner| std::io::Read::read(&mut inner.get_ref(), &mut buf))
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"hi");
        writer.join().unwrap();
    });
}

/// `EVLOOP_IO_DRIVER` applies when the builder names no driver, and the
/// builder wins over it. Run in a child process: the variable is
/// process-wide.
#[test]
fn env_variable_and_precedence() {
    let exe = std::env::current_exe().unwrap();
    for (value, expect) in [
        ("epoll", "Epoll"),
        ("uring", "uring-or-epoll"),
        ("bogus", "Epoll"),
    ] {
        let out = std::process::Command::new(&exe)
            .args(["--exact", "env_child", "--nocapture", "--include-ignored"])
            .env("EVLOOP_IO_DRIVER", value)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{value}: {stdout}");
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("driver="))
            .unwrap_or_else(|| panic!("{value}: {stdout}"));
        match expect {
            "uring-or-epoll" => {
                let can = uring(false).is_some();
                assert_eq!(line, if can { "Uring" } else { "Epoll" }, "{value}");
            }
            _ => assert_eq!(line, expect, "{value}"),
        }
    }
}

#[test]
#[ignore = "run by env_variable_and_precedence in a child process"]
fn env_child() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    println!("driver={:?}", rt.handle().io_driver());
    // The builder's choice wins over the variable.
    let rt = Builder::new_current_thread()
        .enable_all()
        .io_driver(IoDriver::Epoll)
        .build()
        .unwrap();
    assert_eq!(rt.handle().io_driver(), IoDriver::Epoll);
}

/// Prints the driver a default runtime gets here (`.ci/run` shows it for
/// its run on `EVLOOP_IO_DRIVER=uring`).
#[test]
fn report_driver() {
    let rt = Builder::new_multi_thread().enable_all().build().unwrap();
    let driver = rt.handle().io_driver();
    assert_ne!(driver, IoDriver::Auto);
    println!("io driver: {driver:?}");
}
