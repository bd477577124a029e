//! `UdpSocket`: `BufMut` receives, sender peeking, poll-style operations,
//! caller-supplied operations and socket options, over real sockets.

mod support;

use std::future::poll_fn;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use evloop::io::{Interest, ReadBuf};
use evloop::net::UdpSocket;
use support::{poll_once, rt, watchdog};

const LIMIT: Duration = Duration::from_secs(10);

async fn pair() -> (UdpSocket, UdpSocket) {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    (a, b)
}

#[test]
fn udp_recv_buf_appends_truncates_and_reports_sender() {
    watchdog(LIMIT, "recv_buf hung", || {
        rt().block_on(async {
            let (a, b) = pair().await;
            let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
            let mut buf = Vec::with_capacity(64);
            assert_eq!(
                b.try_recv_buf_from(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            assert!(buf.is_empty());

            a.send_to(b"first", ba).await.unwrap();
            let (n, from) = b.recv_buf_from(&mut buf).await.unwrap();
            assert_eq!((n, from, &buf[..]), (5, aa, &b"first"[..]));

            // Appends after what the buffer holds.
            a.send_to(b"-second", ba).await.unwrap();
            b.readable().await.unwrap();
            let (n, from) = loop {
                match b.try_recv_buf_from(&mut buf) {
                    Err(e) if e.kind() == ErrorKind::WouldBlock => b.readable().await.unwrap(),
                    res => break res.unwrap(),
                }
            };
            assert_eq!((n, from, &buf[..]), (7, aa, &b"first-second"[..]));

            // A datagram longer than the spare capacity is cut to it, and the
            // rest of it is gone: the next receive gets the next datagram.
            let mut small = Vec::with_capacity(4);
            a.send_to(b"truncated", ba).await.unwrap();
            a.send_to(b"next", ba).await.unwrap();
            let (n, _) = b.recv_buf_from(&mut small).await.unwrap();
            assert_eq!((n, &small[..]), (small.capacity(), &b"truncated"[..n]));
            let mut next = Vec::new();
            let (n, _) = b.recv_buf_from(&mut next).await.unwrap();
            assert_eq!(&next[..n], b"next");

            // Connected: recv_buf / try_recv_buf.
            b.connect(aa).await.unwrap();
            a.send_to(b"conn", ba).await.unwrap();
            let mut got = Vec::new();
            assert_eq!(b.recv_buf(&mut got).await.unwrap(), 4);
            assert_eq!(got, b"conn");
            assert_eq!(
                b.try_recv_buf(&mut got).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            a.send_to(b"!", ba).await.unwrap();
            b.readable().await.unwrap();
            assert_eq!(b.try_recv_buf(&mut got).unwrap(), 1);
            assert_eq!(got, b"conn!");

            // A plain slice is a `BufMut` too.
            a.send_to(b"xyz", ba).await.unwrap();
            let mut arr = [0u8; 8];
            let mut slice = &mut arr[..];
            assert_eq!(b.recv_buf(&mut slice).await.unwrap(), 3);
            assert_eq!(slice.len(), 5);
            assert_eq!(&arr[..3], b"xyz");
        })
    })
}

#[test]
fn udp_peek_sender_leaves_the_datagram_queued() {
    watchdog(LIMIT, "peek_sender hung", || {
        rt().block_on(async {
            let (a, b) = pair().await;
            let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
            assert_eq!(
                b.try_peek_sender().unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            let mut peek = Box::pin(b.peek_sender());
            assert!(poll_once(&mut peek).is_pending());

            a.send_to(b"payload", ba).await.unwrap();
            assert_eq!(peek.await.unwrap(), aa);
            assert_eq!(b.try_peek_sender().unwrap(), aa);
            assert_eq!(poll_fn(|cx| b.poll_peek_sender(cx)).await.unwrap(), aa);

            let mut buf = [0u8; 16];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"payload"[..], aa));
            assert_eq!(
                b.try_peek_sender().unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
        })
    })
}

#[test]
fn udp_poll_operations_move_datagrams() {
    watchdog(LIMIT, "poll operations hung", || {
        rt().block_on(async {
            let (a, b) = pair().await;
            let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
            a.connect(ba).await.unwrap();
            b.connect(aa).await.unwrap();

            poll_fn(|cx| a.poll_send_ready(cx)).await.unwrap();
            let mut recv_ready = Box::pin(poll_fn(|cx| b.poll_recv_ready(cx)));
            assert!(poll_once(&mut recv_ready).is_pending());

            assert_eq!(poll_fn(|cx| a.poll_send(cx, b"one")).await.unwrap(), 3);
            recv_ready.await.unwrap();

            let mut storage = [0u8; 16];
            let mut buf = ReadBuf::new(&mut storage);
            poll_fn(|cx| b.poll_peek(cx, &mut buf)).await.unwrap();
            assert_eq!(buf.filled(), b"one");
            buf.clear();
            let from = poll_fn(|cx| b.poll_peek_from(cx, &mut buf)).await.unwrap();
            assert_eq!((buf.filled(), from), (&b"one"[..], aa));
            let mut peeked = [0u8; 16];
            assert_eq!(b.try_peek(&mut peeked).unwrap(), 3);
            assert_eq!(b.peek(&mut peeked).await.unwrap(), 3);
            buf.clear();
            poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
            assert_eq!(buf.filled(), b"one");

            // The queue is empty again.
            buf.clear();
            let mut recv = Box::pin(poll_fn(|cx| b.poll_recv(cx, &mut buf)));
            assert!(poll_once(&mut recv).is_pending());
            drop(recv);

            let c = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let n = poll_fn(|cx| c.poll_send_to(cx, b"two", aa)).await.unwrap();
            assert_eq!(n, 3);
            let mut buf = ReadBuf::new(&mut storage);
            let from = poll_fn(|cx| a.poll_recv_from(cx, &mut buf));
            // `a` is connected to `b`: the kernel drops `c`'s datagram.
            let mut from = Box::pin(from);
            assert!(poll_once(&mut from).is_pending());
        })
    })
}

#[test]
fn udp_async_io_clears_readiness_on_would_block() {
    fn raw_recv(sock: &UdpSocket, buf: &mut [u8]) -> std::io::Result<usize> {
        // SAFETY: `buf` is valid for `buf.len()` bytes and the fd is open.
        let n = unsafe {
            libc::recv(
                sock.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
    watchdog(LIMIT, "async_io hung", || {
        rt().block_on(async {
            let (a, b) = pair().await;
            let ba = b.local_addr().unwrap();
            let mut buf = [0u8; 8];
            assert_eq!(
                b.try_io(Interest::READABLE, || raw_recv(&b, &mut buf))
                    .unwrap_err()
                    .kind(),
                ErrorKind::WouldBlock
            );
            let b = std::sync::Arc::new(b);
            let b2 = b.clone();
            let reader = evloop::spawn(async move {
                let mut buf = [0u8; 8];
                let n = b2
                    .async_io(Interest::READABLE, || raw_recv(&b2, &mut buf))
                    .await
                    .unwrap();
                buf[..n].to_vec()
            });
            evloop::task::yield_now().await;
            a.send_to(b"raw", ba).await.unwrap();
            assert_eq!(reader.await.unwrap(), b"raw");
        })
    })
}

#[test]
fn udp_options_read_back() {
    rt().block_on(async {
        let (a, _b) = pair().await;
        a.set_multicast_loop_v4(false).unwrap();
        assert!(!a.multicast_loop_v4().unwrap());
        a.set_multicast_loop_v4(true).unwrap();
        assert!(a.multicast_loop_v4().unwrap());
        a.set_multicast_ttl_v4(7).unwrap();
        assert_eq!(a.multicast_ttl_v4().unwrap(), 7);
        a.set_tos_v4(0x10).unwrap();
        assert_eq!(a.tos_v4().unwrap(), 0x10);
        a.set_broadcast(true).unwrap();
        assert!(a.broadcast().unwrap());
        a.set_ttl(33).unwrap();
        assert_eq!(a.ttl().unwrap(), 33);
        assert!(a.take_error().unwrap().is_none());

        // Joining on the loopback interface, leaving, then leaving again
        // (no longer a member) fails.
        let group = Ipv4Addr::new(224, 0, 0, 123);
        a.join_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
        a.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
        assert!(a.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).is_err());

        if let Ok(v6) = UdpSocket::bind("[::1]:0").await {
            v6.set_multicast_loop_v6(false).unwrap();
            assert!(!v6.multicast_loop_v6().unwrap());
            v6.set_tclass_v6(0x20).unwrap();
            assert_eq!(v6.tclass_v6().unwrap(), 0x20);
        }
    })
}

#[cfg(target_os = "linux")]
#[test]
fn udp_bind_device_reads_back() {
    rt().block_on(async {
        let (a, _b) = pair().await;
        assert_eq!(a.device().unwrap(), None);
        match a.bind_device(Some(b"lo")) {
            // Needs CAP_NET_RAW.
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {}
            res => {
                res.unwrap();
                assert_eq!(a.device().unwrap().as_deref(), Some(&b"lo"[..]));
                a.bind_device(None).unwrap();
                assert_eq!(a.device().unwrap(), None);
            }
        }
    })
}

#[test]
fn udp_std_round_trip_keeps_the_socket() {
    rt().block_on(async {
        let (a, b) = pair().await;
        let aa = a.local_addr().unwrap();
        let fd = a.as_fd().as_raw_fd();
        let std_sock = a.into_std().unwrap();
        assert_eq!(std_sock.as_raw_fd(), fd);
        let a: UdpSocket = std_sock.try_into().unwrap();
        assert_eq!(a.local_addr().unwrap(), aa);
        b.send_to(b"back", aa).await.unwrap();
        let mut buf = [0u8; 8];
        let (n, from): (usize, SocketAddr) = a.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"back"[..], b.local_addr().unwrap()));
    })
}
