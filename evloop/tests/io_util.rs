//! The I/O traits and utilities over in-memory readers and writers.

mod support;

use std::io::Cursor;

use evloop::io::{self, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use support::rt;

#[test]
fn ints_exact_take_chain() {
    rt().block_on(async {
        let mut out = Vec::new();
        out.write_u8(1).await.unwrap();
        out.write_i16(-2).await.unwrap();
        out.write_u32_le(3).await.unwrap();
        out.write_u64(4).await.unwrap();
        out.write_f64_le(0.5).await.unwrap();
        let mut src = &out[..];
        assert_eq!(src.read_u8().await.unwrap(), 1);
        assert_eq!(src.read_i16().await.unwrap(), -2);
        assert_eq!(src.read_u32_le().await.unwrap(), 3);
        assert_eq!(src.read_u64().await.unwrap(), 4);
        assert_eq!(src.read_f64_le().await.unwrap(), 0.5);
        let err = src.read_u16().await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);

        let mut got = String::new();
        (&b"hello "[..])
            .chain(Cursor::new(b"world, and more".to_vec()))
            .take(11)
            .read_to_string(&mut got)
            .await
            .unwrap();
        assert_eq!(got, "hello world");
        let mut bad = String::new();
        let err = (&[0xffu8, 0xfe][..])
            .read_to_string(&mut bad)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    });
}

#[test]
fn duplex_backpressure_and_eof() {
    rt().block_on(async {
        let (mut a, mut b) = io::duplex(7);
        let data: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        let expected = data.clone();
        let writer = evloop::spawn(async move {
            a.write_all(&data).await.unwrap();
            a.shutdown().await.unwrap();
            a
        });
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, expected);
        let a = writer.await.unwrap();
        drop(b);
        let mut a = a;
        let err = a.write(b"x").await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn buffered_lines_split_copy() {
    rt().block_on(async {
        let text = "alpha\r\nbeta\n\ngamma";
        let mut lines = BufReader::with_capacity(3, text.as_bytes()).lines();
        let mut all = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            all.push(line);
        }
        assert_eq!(all, ["alpha", "beta", "", "gamma"]);

        let mut segs = BufReader::new(&b"a,b,,c"[..]).split(b',');
        let mut parts = Vec::new();
        while let Some(s) = segs.next_segment().await.unwrap() {
            parts.push(String::from_utf8(s).unwrap());
        }
        assert_eq!(parts, ["a", "b", "", "c"]);

        let mut r = BufReader::new(&b"x\ny"[..]);
        let mut line = String::new();
        assert_eq!(r.read_line(&mut line).await.unwrap(), 2);
        let mut until = Vec::new();
        assert_eq!(r.read_until(b'\n', &mut until).await.unwrap(), 1);
        assert_eq!(r.read_line(&mut line).await.unwrap(), 0);

        let mut w = BufWriter::with_capacity(4, Vec::new());
        w.write_all(b"ab").await.unwrap();
        assert!(w.get_ref().is_empty());
        w.write_all(b"cdefgh").await.unwrap();
        w.flush().await.unwrap();
        assert_eq!(w.get_ref(), b"abcdefgh");

        let mut sink = Vec::new();
        let n = io::copy(&mut io::repeat(7).take(100_000), &mut sink)
            .await
            .unwrap();
        assert_eq!((n, sink.len()), (100_000, 100_000));
        let n = io::copy_buf(&mut BufReader::new(&b"buffered"[..]), &mut io::sink())
            .await
            .unwrap();
        assert_eq!(n, 8);
        assert_eq!(io::copy(&mut io::empty(), &mut sink).await.unwrap(), 0);
    });
}

#[test]
fn split_halves_and_copy_bidirectional() {
    rt().block_on(async {
        let (client, mut proxy_in) = io::duplex(64);
        let (mut proxy_out, server) = io::duplex(64);
        let proxy = evloop::spawn(async move {
            io::copy_bidirectional(&mut proxy_in, &mut proxy_out)
                .await
                .unwrap()
        });
        let echo = evloop::spawn(async move {
            let (mut r, mut w) = io::split(server);
            io::copy(&mut r, &mut w).await.unwrap();
            w.shutdown().await.unwrap();
            r.unsplit(w)
        });
        let (mut r, mut w) = io::split(client);
        w.write_all(b"through the proxy").await.unwrap();
        w.shutdown().await.unwrap();
        let mut got = String::new();
        r.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "through the proxy");
        assert_eq!(proxy.await.unwrap(), (17, 17));
        let _server = echo.await.unwrap();
    });
}
