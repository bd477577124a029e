//! Dropping sockets and dropping the runtime closes every fd. Alone in its
//! binary so that no parallel test opens fds while we count them.

mod support;

use evloop::io::AsyncWriteExt;
use evloop::net::{TcpListener, TcpStream, UdpSocket, UnixStream};

/// Linux lists a process's open fds in `/proc/self/fd`; macOS and FreeBSD
/// (with fdescfs mounted) in `/dev/fd`.
fn open_fds() -> usize {
    let dir = if cfg!(any(target_os = "linux", target_os = "android")) {
        "/proc/self/fd"
    } else {
        "/dev/fd"
    };
    std::fs::read_dir(dir).unwrap().count()
}

#[test]
fn sockets_and_runtime_release_every_fd() {
    let before = open_fds();
    {
        let rt = support::rt();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();

            // Dropping a socket closes it at once.
            let during = open_fds();
            let s = TcpStream::connect(addr).await.unwrap();
            let (a, _) = listener.accept().await.unwrap();
            assert_eq!(open_fds(), during + 2);
            drop((s, a));
            assert_eq!(open_fds(), during);

            // Left behind in tasks that never finish: the runtime's drop
            // must close them.
            for _ in 0..20 {
                let mut s = TcpStream::connect(addr).await.unwrap();
                let (a, _) = listener.accept().await.unwrap();
                evloop::spawn(async move {
                    s.write_all(b"x").await.unwrap();
                    let mut buf = [0u8; 1];
                    let _ = evloop::io::AsyncReadExt::read(&mut s, &mut buf).await;
                    std::future::pending::<()>().await;
                });
                evloop::spawn(async move {
                    let _keep = a;
                    std::future::pending::<()>().await;
                });
            }
            let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let (u1, u2) = UnixStream::pair().unwrap();
            evloop::spawn(async move {
                let _keep = (listener, udp, u1, u2);
                std::future::pending::<()>().await;
            });
            evloop::task::yield_now().await;
        });
        assert!(open_fds() > before + 40);
    }
    assert_eq!(open_fds(), before, "fds leaked by the runtime");
}
