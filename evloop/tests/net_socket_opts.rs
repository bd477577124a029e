//! `TcpSocket` and `TcpStream` options read back from the kernel, and their
//! effect where one can be observed.

mod support;

use std::io::ErrorKind;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::time::Duration;

use evloop::io::{AsyncReadExt, AsyncWriteExt, Interest};
use evloop::net::{TcpListener, TcpSocket, TcpStream};
use support::{rt, watchdog};

const LIMIT: Duration = Duration::from_secs(10);

#[test]
fn tcp_socket_options_read_back() {
    rt().block_on(async {
        let s = TcpSocket::new_v4().unwrap();
        assert!(!s.keepalive().unwrap());
        s.set_keepalive(true).unwrap();
        assert!(s.keepalive().unwrap());
        s.set_nodelay(true).unwrap();
        assert!(s.nodelay().unwrap());
        assert_eq!(s.linger().unwrap(), None);
        s.set_zero_linger().unwrap();
        assert_eq!(s.linger().unwrap(), Some(Duration::ZERO));
        s.set_recv_buffer_size(64 * 1024).unwrap();
        assert!(s.recv_buffer_size().unwrap() >= 64 * 1024);
        s.set_tos_v4(0x08).unwrap();
        assert_eq!(s.tos_v4().unwrap(), 0x08);
        assert!(s.take_error().unwrap().is_none());

        if let Ok(v6) = TcpSocket::new_v6() {
            v6.set_tclass_v6(0x28).unwrap();
            assert_eq!(v6.tclass_v6().unwrap(), 0x28);
        }

        // Through a raw fd and back: the options stay with the socket.
        let fd = s.into_raw_fd();
        // SAFETY: `fd` came from `into_raw_fd` and nothing else owns it.
        let s = unsafe { TcpSocket::from_raw_fd(fd) };
        assert_eq!(s.as_raw_fd(), fd);
        assert!(s.keepalive().unwrap());
        assert!(s.nodelay().unwrap());
    })
}

#[test]
fn tcp_socket_options_carry_over_to_the_connection() {
    watchdog(LIMIT, "connect with options hung", || {
        rt().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let s = TcpSocket::new_v4().unwrap();
            s.set_nodelay(true).unwrap();
            s.set_keepalive(true).unwrap();
            s.set_zero_linger().unwrap();
            let client = s.connect(addr).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            assert!(client.nodelay().unwrap());
            assert_eq!(client.linger().unwrap(), Some(Duration::ZERO));
            // Zero linger: dropping the client resets the connection.
            drop(client);
            let mut buf = [0u8; 4];
            let err = server.read(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionReset);
        })
    })
}

#[cfg(target_os = "linux")]
#[test]
fn tcp_socket_bind_device_reads_back() {
    let s = TcpSocket::new_v4().unwrap();
    assert_eq!(s.device().unwrap(), None);
    match s.bind_device(Some(b"lo")) {
        // Needs CAP_NET_RAW.
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {}
        res => {
            res.unwrap();
            assert_eq!(s.device().unwrap().as_deref(), Some(&b"lo"[..]));
        }
    }
}

#[test]
fn tcp_stream_zero_linger_and_caller_operations() {
    watchdog(LIMIT, "stream options hung", || {
        rt().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let mut client = TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();

            #[cfg(target_os = "linux")]
            {
                server.set_quickack(true).unwrap();
                assert!(server.quickack().unwrap());
                server.set_quickack(false).unwrap();
                assert!(!server.quickack().unwrap());
            }

            let mut buf = [0u8; 8];
            assert_eq!(
                server
                    .try_io(Interest::READABLE, || server.try_read(&mut buf))
                    .unwrap_err()
                    .kind(),
                ErrorKind::WouldBlock
            );
            client.write_all(b"raw").await.unwrap();
            let n = server
                .async_io(Interest::READABLE, || server.try_read(&mut buf))
                .await
                .unwrap();
            assert_eq!(&buf[..n], b"raw");

            server.set_zero_linger().unwrap();
            assert_eq!(server.linger().unwrap(), Some(Duration::ZERO));
            drop(server);
            let err = client.read(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionReset);
        })
    })
}
