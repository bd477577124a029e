//! `UnixSocket`, `UnixStream::peer_cred` and friends, and Linux abstract
//! socket names, over real sockets.

mod support;
#[path = "support/tempdir.rs"]
mod tempdir;

use std::future::poll_fn;
use std::io::{ErrorKind, IoSlice, IoSliceMut};
use std::os::fd::{FromRawFd, IntoRawFd};
use std::time::Duration;

use evloop::io::{AsyncReadExt, AsyncWriteExt, Interest};
use evloop::net::unix::UCred;
use evloop::net::{UnixListener, UnixSocket, UnixStream};
use support::{poll_once, rt, watchdog};
use tempdir::TempDir;

const LIMIT: Duration = Duration::from_secs(10);

fn me() -> (u32, u32, i32) {
    // SAFETY: these calls read the process's own ids and cannot fail.
    unsafe { (libc::geteuid(), libc::getegid(), libc::getpid()) }
}

#[test]
fn peer_cred_matches_this_process() {
    watchdog(LIMIT, "peer_cred hung", || {
        rt().block_on(async {
            let (uid, gid, pid) = me();
            let (a, b) = UnixStream::pair().unwrap();
            for s in [&a, &b] {
                let cred: UCred = s.peer_cred().unwrap();
                assert_eq!((cred.uid(), cred.gid()), (uid, gid));
                #[cfg(any(target_os = "linux", target_os = "android", target_os = "macos"))]
                assert_eq!(cred.pid(), Some(pid));
                let _ = pid;
            }

            // Over a listener too, on both ends.
            let dir = TempDir::new("cred");
            let path = dir.join("sock");
            let listener = UnixListener::bind(&path).unwrap();
            let client = UnixStream::connect(&path).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            assert_eq!(server.peer_cred().unwrap().uid(), uid);
            assert_eq!(client.peer_cred().unwrap().gid(), gid);
            assert!(client.take_error().unwrap().is_none());
            assert!(listener.take_error().unwrap().is_none());
        })
    })
}

#[test]
fn unix_socket_stream_listen_connect_and_type_checks() {
    watchdog(LIMIT, "UnixSocket hung", || {
        rt().block_on(async {
            let dir = TempDir::new("unixsocket");
            let path = dir.join("listen");
            let socket = UnixSocket::new_stream().unwrap();
            socket.bind(&path).unwrap();
            let listener = socket.listen(16).unwrap();
            assert_eq!(
                listener.local_addr().unwrap().as_pathname(),
                Some(path.as_path())
            );

            let client = UnixSocket::new_stream().unwrap();
            let client_path = dir.join("client");
            client.bind(&client_path).unwrap();
            let mut client = client.connect(&path).await.unwrap();
            let (mut server, from) = listener.accept().await.unwrap();
            assert_eq!(from.as_pathname(), Some(client_path.as_path()));
            client.write_all(b"over UnixSocket").await.unwrap();
            let mut buf = [0u8; 15];
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"over UnixSocket");

            // Nobody listening: the connect fails.
            let err = UnixSocket::new_stream()
                .unwrap()
                .connect(dir.join("absent"))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);

            // Wrong socket types.
            let dgram = UnixSocket::new_datagram().unwrap();
            assert_eq!(dgram.listen(1).unwrap_err().kind(), ErrorKind::InvalidInput);
            let dgram = UnixSocket::new_datagram().unwrap();
            let err = dgram.connect(&path).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            let stream = UnixSocket::new_stream().unwrap();
            assert_eq!(
                stream.datagram().unwrap_err().kind(),
                ErrorKind::InvalidInput
            );
        })
    })
}

#[test]
fn unix_socket_datagram_and_raw_fd_round_trip() {
    watchdog(LIMIT, "UnixSocket datagram hung", || {
        rt().block_on(async {
            let dir = TempDir::new("unixsocket-dg");
            let (pa, pb) = (dir.join("a"), dir.join("b"));
            let a = UnixSocket::new_datagram().unwrap();
            a.bind(&pa).unwrap();
            // Through a raw fd and back.
            let fd = a.into_raw_fd();
            // SAFETY: `fd` came from `into_raw_fd` and nothing else owns it.
            let a = unsafe { UnixSocket::from_raw_fd(fd) }.datagram().unwrap();
            let b = UnixSocket::new_datagram().unwrap();
            b.bind(&pb).unwrap();
            let b = b.datagram().unwrap();
            a.send_to(b"dgram", &pb).await.unwrap();
            let mut buf = [0u8; 8];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"dgram");
            assert_eq!(from.as_pathname(), Some(pa.as_path()));
        })
    })
}

#[test]
fn unix_stream_readiness_vectored_and_caller_operations() {
    watchdog(LIMIT, "UnixStream ops hung", || {
        rt().block_on(async {
            let (sa, sb) = std::os::unix::net::UnixStream::pair().unwrap();
            let a: UnixStream = sa.try_into().unwrap();
            let b = UnixStream::from_std(sb).unwrap();
            let mut ready = Box::pin(poll_fn(|cx| b.poll_read_ready(cx)));
            assert!(poll_once(&mut ready).is_pending());
            poll_fn(|cx| a.poll_write_ready(cx)).await.unwrap();
            let n = a
                .try_write_vectored(&[IoSlice::new(b"vec"), IoSlice::new(b"tor")])
                .unwrap();
            assert_eq!(n, 6);
            ready.await.unwrap();
            let (mut x, mut y) = ([0u8; 3], [0u8; 3]);
            let n = b
                .try_read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])
                .unwrap();
            assert_eq!((n, &x, &y), (6, b"vec", b"tor"));

            let mut buf = [0u8; 4];
            assert_eq!(
                b.try_io(Interest::READABLE, || b.try_read(&mut buf))
                    .unwrap_err()
                    .kind(),
                ErrorKind::WouldBlock
            );
            a.try_write(b"late").unwrap();
            let n = b
                .async_io(Interest::READABLE, || b.try_read(&mut buf))
                .await
                .unwrap();
            assert_eq!(&buf[..n], b"late");
        })
    })
}

#[cfg(target_os = "linux")]
#[test]
fn abstract_names_bind_connect_and_read_back() {
    use evloop::net::unix::SocketAddr;
    use std::os::linux::net::SocketAddrExt;
    watchdog(LIMIT, "abstract stream hung", || {
        rt().block_on(async {
            let name = format!("evloop-abs-{}", std::process::id());
            let path = format!("\0{name}");
            let listener = UnixListener::bind(&path).unwrap();
            let local = listener.local_addr().unwrap();
            assert_eq!(local.as_abstract_name(), Some(name.as_bytes()));
            assert_eq!(local.as_pathname(), None);
            assert!(!local.is_unnamed());

            // By path string, by address, and through UnixSocket.
            let mut a = UnixStream::connect(&path).await.unwrap();
            let std_addr = std::os::unix::net::SocketAddr::from_abstract_name(&name).unwrap();
            let addr = SocketAddr::from(std_addr);
            let b = UnixStream::connect_addr(&addr).await.unwrap();
            let c = UnixSocket::new_stream()
                .unwrap()
                .connect(&path)
                .await
                .unwrap();
            assert_eq!(
                b.peer_addr().unwrap().as_abstract_name(),
                Some(name.as_bytes())
            );
            let (mut sa, _) = listener.accept().await.unwrap();
            a.write_all(b"abstract").await.unwrap();
            let mut buf = [0u8; 8];
            sa.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"abstract");
            drop((b, c));

            // The name is taken while the listener lives, and is not a file.
            assert_eq!(
                UnixListener::bind(&path).unwrap_err().kind(),
                ErrorKind::AddrInUse
            );
            assert!(!std::path::Path::new(&name).exists());
            drop(listener);
            let again = UnixListener::bind_addr(&addr).unwrap();
            let back: std::os::unix::net::SocketAddr = again.local_addr().unwrap().into();
            assert_eq!(back.as_abstract_name(), Some(name.as_bytes()));
        })
    })
}
