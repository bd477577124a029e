//! `UnixDatagram`: addressed sends, `BufMut` receives, poll-style
//! operations, std conversion, shutdown, and Linux abstract names.

mod support;
#[path = "support/tempdir.rs"]
mod tempdir;

use std::future::poll_fn;
use std::io::ErrorKind;
use std::net::Shutdown;
use std::time::Duration;

use evloop::io::{Interest, ReadBuf};
use evloop::net::UnixDatagram;
use support::{poll_once, rt, watchdog};
use tempdir::TempDir;

const LIMIT: Duration = Duration::from_secs(10);

#[test]
fn unix_datagram_try_send_to_and_try_recv_from_carry_addresses() {
    watchdog(LIMIT, "datagram try_* hung", || {
        rt().block_on(async {
            let dir = TempDir::new("udg");
            let (pa, pb) = (dir.join("a"), dir.join("b"));
            let a = UnixDatagram::bind(&pa).unwrap();
            let b = UnixDatagram::bind(&pb).unwrap();
            let mut buf = [0u8; 32];
            assert_eq!(
                b.try_recv_from(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            a.writable().await.unwrap();
            assert_eq!(a.try_send_to(b"hello", &pb).unwrap(), 5);
            b.readable().await.unwrap();
            let (n, from) = b.try_recv_from(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"hello");
            assert_eq!(from.as_pathname(), Some(pa.as_path()));
            assert!(!from.is_unnamed());

            // An unbound sender is unnamed.
            let c = UnixDatagram::unbound().unwrap();
            c.send_to(b"anon", &pb).await.unwrap();
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"anon");
            assert!(from.is_unnamed());

            // Sending to a path nobody is bound to fails.
            let gone = dir.join("nobody");
            assert!(a.try_send_to(b"x", &gone).is_err());
        })
    })
}

#[test]
fn unix_datagram_recv_buf_family() {
    watchdog(LIMIT, "datagram recv_buf hung", || {
        rt().block_on(async {
            let dir = TempDir::new("udg-buf");
            let pa = dir.join("a");
            let a = UnixDatagram::bind(&pa).unwrap();
            let b = UnixDatagram::unbound().unwrap();
            b.connect(&pa).unwrap();
            assert_eq!(b.peer_addr().unwrap().as_pathname(), Some(pa.as_path()));

            let mut buf = Vec::with_capacity(16);
            assert_eq!(
                a.try_recv_buf_from(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            b.send(b"one").await.unwrap();
            let (n, from) = a.recv_buf_from(&mut buf).await.unwrap();
            assert_eq!((n, &buf[..]), (3, &b"one"[..]));
            assert!(from.is_unnamed());
            b.send(b"two").await.unwrap();
            a.readable().await.unwrap();
            let (n, _) = a.try_recv_buf_from(&mut buf).unwrap();
            assert_eq!((n, &buf[..]), (3, &b"onetwo"[..]));

            let (x, y) = UnixDatagram::pair().unwrap();
            let mut got = Vec::new();
            assert_eq!(
                y.try_recv_buf(&mut got).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            x.send(b"pair").await.unwrap();
            assert_eq!(y.recv_buf(&mut got).await.unwrap(), 4);
            x.send(b"!").await.unwrap();
            y.readable().await.unwrap();
            assert_eq!(y.try_recv_buf(&mut got).unwrap(), 1);
            assert_eq!(got, b"pair!");
        })
    })
}

#[test]
fn unix_datagram_poll_operations() {
    watchdog(LIMIT, "datagram poll hung", || {
        rt().block_on(async {
            let dir = TempDir::new("udg-poll");
            let (pa, pb) = (dir.join("a"), dir.join("b"));
            let a = UnixDatagram::bind(&pa).unwrap();
            let b = UnixDatagram::bind(&pb).unwrap();

            poll_fn(|cx| a.poll_send_ready(cx)).await.unwrap();
            let mut ready = Box::pin(poll_fn(|cx| b.poll_recv_ready(cx)));
            assert!(poll_once(&mut ready).is_pending());
            let n = poll_fn(|cx| a.poll_send_to(cx, b"to-b", &pb))
                .await
                .unwrap();
            assert_eq!(n, 4);
            ready.await.unwrap();

            let mut storage = [0u8; 16];
            let mut buf = ReadBuf::new(&mut storage);
            let from = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
            assert_eq!(buf.filled(), b"to-b");
            assert_eq!(from.as_pathname(), Some(pa.as_path()));

            a.connect(&pb).unwrap();
            b.connect(&pa).unwrap();
            assert_eq!(poll_fn(|cx| a.poll_send(cx, b"conn")).await.unwrap(), 4);
            buf.clear();
            poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
            assert_eq!(buf.filled(), b"conn");

            buf.clear();
            let mut recv = Box::pin(poll_fn(|cx| b.poll_recv(cx, &mut buf)));
            assert!(poll_once(&mut recv).is_pending());
        })
    })
}

#[test]
fn unix_datagram_std_round_trip_shutdown_and_errors() {
    watchdog(LIMIT, "datagram std hung", || {
        rt().block_on(async {
            let (sa, sb) = std::os::unix::net::UnixDatagram::pair().unwrap();
            let a = UnixDatagram::from_std(sa).unwrap();
            let b: UnixDatagram = sb.try_into().unwrap();
            assert!(a.take_error().unwrap().is_none());
            a.send(b"x").await.unwrap();
            let std_b = b.into_std().unwrap();
            let mut buf = [0u8; 4];
            // Deregistered but still non-blocking, with the datagram queued.
            assert_eq!(std_b.recv(&mut buf).unwrap(), 1);
            assert_eq!(
                std_b.recv(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            let b = UnixDatagram::from_std(std_b).unwrap();

            a.shutdown(Shutdown::Write).unwrap();
            assert_eq!(
                a.send(b"y").await.unwrap_err().kind(),
                ErrorKind::BrokenPipe
            );
            b.shutdown(Shutdown::Read).unwrap();
            // The reactor reports the read side closed.
            let ready = b.ready(Interest::READABLE).await.unwrap();
            assert!(ready.is_read_closed());

            // Unconnected: no peer.
            let u = UnixDatagram::unbound().unwrap();
            assert_eq!(u.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
            assert!(u.local_addr().unwrap().is_unnamed());
        })
    })
}

#[test]
fn unix_datagram_async_io_runs_the_callers_operation() {
    watchdog(LIMIT, "datagram async_io hung", || {
        rt().block_on(async {
            let (a, b) = UnixDatagram::pair().unwrap();
            let mut buf = [0u8; 8];
            assert_eq!(
                b.try_io(Interest::READABLE, || b.try_recv(&mut buf))
                    .unwrap_err()
                    .kind(),
                ErrorKind::WouldBlock
            );
            let b = std::sync::Arc::new(b);
            let b2 = b.clone();
            let reader = evloop::spawn(async move {
                let mut buf = [0u8; 8];
                let n = b2
                    .async_io(Interest::READABLE, || b2.try_recv(&mut buf))
                    .await
                    .unwrap();
                buf[..n].to_vec()
            });
            evloop::task::yield_now().await;
            a.send(b"late").await.unwrap();
            assert_eq!(reader.await.unwrap(), b"late");
        })
    })
}

#[cfg(target_os = "linux")]
#[test]
fn unix_datagram_abstract_names() {
    watchdog(LIMIT, "abstract datagram hung", || {
        rt().block_on(async {
            let name = format!(
                "evloop-udg-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            );
            let path = format!("\0{name}");
            let a = UnixDatagram::bind(&path).unwrap();
            assert_eq!(
                a.local_addr().unwrap().as_abstract_name(),
                Some(name.as_bytes())
            );
            assert_eq!(a.local_addr().unwrap().as_pathname(), None);
            let b = UnixDatagram::unbound().unwrap();
            b.send_to(b"abs", &path).await.unwrap();
            let mut buf = [0u8; 8];
            assert_eq!(a.recv(&mut buf).await.unwrap(), 3);
            b.connect(&path).unwrap();
            b.send(b"c").await.unwrap();
            assert_eq!(a.recv(&mut buf).await.unwrap(), 1);
            // No file was created for it.
            assert!(!std::path::Path::new(&name).exists());
        })
    })
}
