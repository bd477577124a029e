//! TCP through the reactor: bulk echo with partial writes, many concurrent
//! connections, end of stream, refused and reset connections, shutdown.

mod support;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::{TcpListener, TcpSocket, TcpStream};
use support::{mt, rt};

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

async fn echo_server() -> (SocketAddr, evloop::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = evloop::spawn(async move {
        loop {
            let (mut sock, _) = match listener.accept().await {
                Ok(conn) => conn,
                Err(_) => return,
            };
            evloop::spawn(async move {
                let (mut rd, mut wr) = sock.split();
                let _ = evloop::io::copy(&mut rd, &mut wr).await;
                let _ = wr.shutdown().await;
            });
        }
    });
    (addr, server)
}

#[test]
fn echo_several_mib_with_concurrent_write_and_read() {
    rt().block_on(echo_several_mib());
}

#[test]
fn echo_several_mib_with_concurrent_write_and_read_multi_thread() {
    mt().block_on(echo_several_mib());
}

async fn echo_several_mib() {
    let (addr, server) = echo_server().await;
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    // Small kernel buffers force partial writes and many WouldBlocks.
    let data = pattern(6 * 1024 * 1024);
    let (mut rd, mut wr) = stream.into_split();
    let expected = data.clone();
    let writer = evloop::spawn(async move {
        for chunk in data.chunks(100_003) {
            wr.write_all(chunk).await.unwrap();
        }
        wr.shutdown().await.unwrap();
    });
    let mut got = Vec::new();
    rd.read_to_end(&mut got).await.unwrap();
    writer.await.unwrap();
    assert_eq!(got.len(), expected.len());
    assert!(got == expected, "echoed bytes differ");
    server.abort();
}

#[test]
fn thousand_concurrent_loopback_connections() {
    rt().block_on(thousand_connections());
}

#[test]
fn thousand_concurrent_loopback_connections_multi_thread() {
    mt().block_on(thousand_connections());
}

async fn thousand_connections() {
    let (addr, server) = echo_server().await;
    let mut clients = Vec::new();
    for i in 0..1000u32 {
        clients.push(evloop::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_u32(i).await.unwrap();
            assert_eq!(s.read_u32().await.unwrap(), i);
            s.shutdown().await.unwrap();
            let mut rest = Vec::new();
            assert_eq!(s.read_to_end(&mut rest).await.unwrap(), 0);
        }));
    }
    for c in clients {
        c.await.unwrap();
    }
    server.abort();
}

#[test]
fn peer_close_reads_as_zero_and_reset_is_an_error() {
    rt().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(client.peer_addr().unwrap(), addr);
        drop(server);
        let mut buf = [0u8; 16];
        assert_eq!(client.read(&mut buf).await.unwrap(), 0);
        assert_eq!(client.read(&mut buf).await.unwrap(), 0, "EOF is sticky");

        // Linger zero: close sends RST.
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        server.set_zero_linger().unwrap();
        assert_eq!(server.linger().unwrap(), Some(Duration::ZERO));
        drop(server);
        let err = client.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    });
}

#[test]
fn connect_refused_is_connection_refused() {
    rt().block_on(async {
        // Bind then drop to get a port nobody listens on.
        let addr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        let err = TcpSocket::new_v4()
            .unwrap()
            .connect(addr)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    });
}

#[test]
fn try_read_readable_peek_and_reunite() {
    rt().block_on(async {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(format!("127.0.0.1:{}", addr.port()))
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(
            client.try_read(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        server.write_all(b"abc").await.unwrap();
        let n = loop {
            client.readable().await.unwrap();
            let mut peeked = [0u8; 8];
            let p = client.peek(&mut peeked).await.unwrap();
            assert_eq!(&peeked[..p], &b"abc"[..p]);
            match client.try_read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(&buf[..n], b"abc");
        client.writable().await.unwrap();
        assert_eq!(client.try_write(b"xy").unwrap(), 2);
        let mut two = [0u8; 2];
        server.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"xy");

        let (r, w) = client.into_split();
        let other = TcpStream::connect(addr).await.unwrap();
        let (r2, w2) = other.into_split();
        // The error gives both halves back, and destructures as a tuple
        // struct, as tokio's does.
        let err = r.reunite(w2).unwrap_err();
        assert!(err.to_string().contains("not from the same socket"));
        let evloop::net::tcp::ReuniteError(r, w2) = err;
        let client = r.reunite(w).unwrap();
        assert_eq!(client.peer_addr().unwrap(), addr);
        drop((r2, w2));
    });
}

#[test]
fn from_std_into_std_round_trip_and_ttl() {
    rt().block_on(async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let listener = TcpListener::from_std(std_listener).unwrap();
        listener.set_ttl(42).unwrap();
        assert_eq!(listener.ttl().unwrap(), 42);
        let addr = listener.local_addr().unwrap();
        let std_listener = listener.into_std().unwrap();
        let listener = TcpListener::from_std(std_listener).unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut std_server = server.into_std().unwrap();
        std_server.set_nonblocking(false).unwrap();
        std::io::Write::write_all(&mut std_server, b"z").unwrap();
        let mut client = client;
        assert_eq!(client.read_u8().await.unwrap(), b'z');
        assert!(!client.nodelay().unwrap());
    });
}

#[test]
fn operations_after_runtime_shutdown_fail() {
    let rt1 = rt();
    let listener = rt1.block_on(async { TcpListener::bind("127.0.0.1:0").await.unwrap() });
    drop(rt1);
    let rt2 = rt();
    let err = rt2.block_on(listener.accept()).unwrap_err();
    assert_eq!(err.to_string(), "the I/O driver has shut down");
}

#[test]
fn no_runtime_or_no_io_is_reported_with_the_fix() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = TcpListener::from_std(std_listener).unwrap_err();
    assert!(err.to_string().contains("no reactor running"), "{err}");

    let no_io = evloop::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = no_io.block_on(async { TcpListener::from_std(std_listener).unwrap_err() });
    assert!(err.to_string().contains("enable_io"), "{err}");

    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        no_io.block_on(async { TcpListener::bind("127.0.0.1:0").await })
    }))
    .unwrap_err();
    let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("enable_io"), "{msg}");
}

#[test]
fn host_names_resolve_off_the_runtime_thread() {
    rt().block_on(async {
        let listener = TcpListener::bind("localhost:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let addrs: Vec<_> = evloop::net::lookup_host(("localhost", port))
            .await
            .unwrap()
            .collect();
        assert!(addrs
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == port));
        // Tries each address of "localhost" until one accepts.
        let client = TcpStream::connect(format!("localhost:{port}"))
            .await
            .unwrap();
        let (_server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        let err = evloop::net::lookup_host("no-such-host.invalid:80").await;
        assert!(err.is_err());
    });
}
