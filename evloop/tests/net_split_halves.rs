//! The readiness and `try_*` methods of TCP and Unix stream halves, and
//! their `AsRef` to the whole stream.

mod support;

use std::future::poll_fn;
use std::io::{ErrorKind, IoSlice, IoSliceMut};
use std::time::Duration;

use evloop::io::{Interest, ReadBuf};
use evloop::net::{TcpListener, TcpStream, UnixStream};
use support::{rt, watchdog};

const LIMIT: Duration = Duration::from_secs(10);

#[test]
fn tcp_halves_ready_try_and_peek() {
    watchdog(LIMIT, "tcp halves hung", || {
        rt().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut a = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (b, _) = listener.accept().await.unwrap();
            let local = a.local_addr().unwrap();
            {
                let (rd, wr) = a.split();
                assert_eq!(AsRef::<TcpStream>::as_ref(&rd).local_addr().unwrap(), local);
                assert!(wr.ready(Interest::WRITABLE).await.unwrap().is_writable());
                wr.writable().await.unwrap();
                let n = wr
                    .try_write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")])
                    .unwrap();
                assert_eq!(n, 4);
                let mut buf = [0u8; 4];
                assert_eq!(
                    rd.try_read(&mut buf).unwrap_err().kind(),
                    ErrorKind::WouldBlock
                );
            }
            let mut buf = [0u8; 4];
            b.readable().await.unwrap();
            assert_eq!(b.try_read(&mut buf).unwrap(), 4);
            assert_eq!(&buf, b"abcd");

            let (mut rd, wr) = a.into_split();
            assert_eq!(wr.as_ref().local_addr().unwrap(), local);
            b.writable().await.unwrap();
            b.try_write(b"xyz").unwrap();
            rd.ready(Interest::READABLE).await.unwrap();
            let mut storage = [0u8; 8];
            let mut peeked = ReadBuf::new(&mut storage);
            let n = poll_fn(|cx| rd.poll_peek(cx, &mut peeked)).await.unwrap();
            assert_eq!((n, peeked.filled()), (3, &b"xyz"[..]));
            rd.readable().await.unwrap();
            let (mut x, mut y) = ([0u8; 1], [0u8; 4]);
            let n = rd
                .try_read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])
                .unwrap();
            assert_eq!((n, &x, &y[..2]), (3, b"x", &b"yz"[..]));
            wr.writable().await.unwrap();
            assert_eq!(wr.try_write(b"!").unwrap(), 1);
        })
    })
}

#[test]
fn unix_halves_ready_and_try() {
    watchdog(LIMIT, "unix halves hung", || {
        rt().block_on(async {
            let (mut a, b) = UnixStream::pair().unwrap();
            {
                let (rd, wr) = a.split();
                assert!(AsRef::<UnixStream>::as_ref(&rd)
                    .local_addr()
                    .unwrap()
                    .is_unnamed());
                wr.ready(Interest::WRITABLE).await.unwrap();
                assert_eq!(wr.try_write(b"hi").unwrap(), 2);
                let mut buf = [0u8; 2];
                assert_eq!(
                    rd.try_read(&mut buf).unwrap_err().kind(),
                    ErrorKind::WouldBlock
                );
            }
            let (rd, wr) = a.into_split();
            b.writable().await.unwrap();
            b.try_write(b"back").unwrap();
            rd.readable().await.unwrap();
            let mut buf = [0u8; 4];
            assert_eq!(rd.try_read(&mut buf).unwrap(), 4);
            wr.writable().await.unwrap();
            let n = wr.try_write_vectored(&[IoSlice::new(b"v")]).unwrap();
            assert_eq!(n, 1);
            assert!(wr.as_ref().peer_cred().is_ok());
        })
    })
}
