//! UDP and Unix-domain sockets.

mod support;

use std::io::ErrorKind;

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::{UdpSocket, UnixDatagram, UnixListener, UnixStream};
use support::rt;

#[test]
fn udp_send_recv_connected_and_unconnected() {
    rt().block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let mut buf = [0u8; 64];
        assert_eq!(
            b.try_recv_from(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        for i in 0..50u8 {
            a.send_to(&[i; 10], ba).await.unwrap();
            let (n, from) = b.peek_from(&mut buf).await.unwrap();
            assert_eq!((n, from), (10, aa));
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&[i; 10][..], aa));
        }
        a.connect(ba).await.unwrap();
        b.connect(aa).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), ba);
        a.send(b"hello").await.unwrap();
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");
        b.writable().await.unwrap();
        b.try_send(b"back").unwrap();
        a.readable().await.unwrap();
        let n = loop {
            match a.try_recv(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => a.readable().await.unwrap(),
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(&buf[..n], b"back");
        a.set_broadcast(true).unwrap();
        assert!(a.broadcast().unwrap());
    });
}

#[test]
fn udp_concurrent_receivers_on_shared_socket() {
    rt().block_on(async {
        let server = std::sync::Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = server.local_addr().unwrap();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let server = server.clone();
            tasks.push(evloop::spawn(async move {
                let mut buf = [0u8; 8];
                server.recv_from(&mut buf).await.unwrap().0
            }));
        }
        evloop::task::yield_now().await;
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        for _ in 0..4 {
            client.send_to(b"x", addr).await.unwrap();
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 1);
        }
    });
}

#[test]
fn unix_stream_listener_and_datagram() {
    rt().block_on(async {
        let dir = std::env::temp_dir().join(format!("evloop-unix-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sock");
        let listener = UnixListener::bind(&path).unwrap();
        let server = evloop::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut line = String::new();
            s.read_to_string(&mut line).await.unwrap();
            s.write_all(line.to_uppercase().as_bytes()).await.unwrap();
        });
        let mut c = UnixStream::connect(&path).await.unwrap();
        c.write_all(b"shout").await.unwrap();
        c.shutdown().await.unwrap();
        let mut got = String::new();
        c.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "SHOUT");
        server.await.unwrap();

        let err = UnixStream::connect(dir.join("nobody")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);

        let (a, b) = UnixDatagram::pair().unwrap();
        a.send(b"d1").await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(b.recv(&mut buf).await.unwrap(), 2);
        let named = UnixDatagram::bind(dir.join("dgram")).unwrap();
        let unbound = UnixDatagram::unbound().unwrap();
        unbound
            .send_to(b"to-path", dir.join("dgram"))
            .await
            .unwrap();
        let (n, _) = named.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"to-path");
        std::fs::remove_dir_all(&dir).unwrap();
    });
}
