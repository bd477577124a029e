//! `read_to_end`'s use of capacity, vectored writes through the utility
//! writers, `fill_buf`/`consume`, `join`, `simplex`, `BufStream`, and
//! seeking through the buffered wrappers.

mod support;

use std::io::{self, Cursor, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use evloop::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWrite, AsyncWriteExt, BufReader,
    BufStream, BufWriter, ReadBuf,
};
use evloop::time::timeout;
use support::rt;

const LIMIT: Duration = Duration::from_secs(10);

/// Serves `data` in reads of at most `chunk` bytes and records how much
/// room each read was offered.
struct Recording {
    data: Vec<u8>,
    pos: usize,
    chunk: usize,
    offered: Vec<usize>,
}

impl AsyncRead for Recording {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.offered.push(buf.remaining());
        let n = (self.data.len() - self.pos)
            .min(self.chunk)
            .min(buf.remaining());
        let start = self.pos;
        buf.put_slice(&self.data[start..start + n]);
        self.pos += n;
        Poll::Ready(Ok(()))
    }
}

fn recording(data: &[u8], chunk: usize) -> Recording {
    Recording {
        data: data.to_vec(),
        pos: 0,
        chunk,
        offered: Vec::new(),
    }
}

#[test]
fn read_to_end_uses_the_capacity_it_was_given() {
    rt().block_on(async {
        // Capacity exactly the stream's size: no reallocation to learn EOF.
        let mut src = recording(&[5; 100], 1000);
        let mut buf = Vec::with_capacity(100);
        let ptr = buf.as_ptr();
        assert_eq!(src.read_to_end(&mut buf).await.unwrap(), 100);
        assert_eq!(buf, vec![5; 100]);
        assert_eq!(buf.capacity(), 100);
        assert_eq!(buf.as_ptr(), ptr);

        // A small spare capacity is offered as is before the vector grows.
        let mut src = recording(b"0123456789abcdef", 1000);
        let mut buf = Vec::with_capacity(10);
        src.read_to_end(&mut buf).await.unwrap();
        assert_eq!(buf, b"0123456789abcdef");
        assert_eq!(src.offered[0], 10, "offered {:?}", src.offered);

        // Appends after existing contents, in small chunks too.
        let mut src = recording(&[1; 5000], 7);
        let mut buf = b"head".to_vec();
        assert_eq!(src.read_to_end(&mut buf).await.unwrap(), 5000);
        assert_eq!(&buf[..4], b"head");
        assert!(buf[4..].iter().all(|&b| b == 1) && buf.len() == 5004);
    });
}

#[test]
fn vectored_writes_take_every_slice_that_fits() {
    rt().block_on(async {
        let slices = [
            IoSlice::new(b"abc"),
            IoSlice::new(b""),
            IoSlice::new(b"def"),
            IoSlice::new(b"ghi"),
        ];
        // duplex: room for 8 of the 9 bytes.
        let (mut a, mut b) = evloop::io::duplex(8);
        assert!(a.is_write_vectored());
        assert_eq!(a.write_vectored(&slices).await.unwrap(), 8);
        let mut got = [0u8; 8];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"abcdefgh");

        // simplex, the same.
        let mut s = evloop::io::SimplexStream::new_unsplit(100);
        assert_eq!(s.write_vectored(&slices).await.unwrap(), 9);

        // sink: everything.
        let mut sink = evloop::io::sink();
        assert_eq!(sink.write_vectored(&slices).await.unwrap(), 9);

        // BufWriter over a writer that is not vectored buffers as many
        // whole slices as fit instead of passing only the first one on.
        let mut w = BufWriter::with_capacity(8, NotVectored(Vec::new()));
        assert_eq!(w.write_vectored(&slices).await.unwrap(), 6);
        assert!(w.get_ref().0.is_empty());
        w.flush().await.unwrap();
        assert_eq!(w.get_ref().0, b"abcdef");
    });
}

struct NotVectored(Vec<u8>);

impl AsyncWrite for NotVectored {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn fill_buf_and_consume() {
    rt().block_on(async {
        let mut reader = BufReader::with_capacity(4, &b"abcdef"[..]);
        assert_eq!(reader.fill_buf().await.unwrap(), b"abcd");
        reader.consume(3);
        assert_eq!(reader.fill_buf().await.unwrap(), b"d");
        reader.consume(1);
        assert_eq!(reader.fill_buf().await.unwrap(), b"ef");
        reader.consume(2);
        assert!(reader.fill_buf().await.unwrap().is_empty());
    });
}

/// `fill_buf` keeps its reader across `Pending` and completes later.
#[test]
fn fill_buf_waits_for_data() {
    rt().block_on(async {
        let (mut tx, rx) = evloop::io::duplex(16);
        let mut reader = BufReader::new(rx);
        {
            let mut fut = std::pin::pin!(reader.fill_buf());
            let mut cx = Context::from_waker(Waker::noop());
            assert!(fut.as_mut().poll(&mut cx).is_pending());
            tx.write_all(b"late").await.unwrap();
            assert_eq!(timeout(LIMIT, fut).await.unwrap().unwrap(), b"late");
        }
        reader.consume(4);
    });
}

use std::future::Future;

#[test]
fn join_reads_from_one_and_writes_to_the_other() {
    rt().block_on(async {
        let mut joined = evloop::io::join(BufReader::new(&b"line one\nline two\n"[..]), Vec::new());
        let mut line = String::new();
        joined.read_line(&mut line).await.unwrap();
        assert_eq!(line, "line one\n");
        joined.write_all(b"reply").await.unwrap();
        assert_eq!(joined.writer(), b"reply");
        joined.writer_mut().push(b'!');
        let (mut reader, writer) = joined.into_inner();
        assert_eq!(writer, b"reply!");
        let mut rest = String::new();
        reader.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "line two\n");
    });
}

#[test]
fn simplex_backpressure_shutdown_and_broken_pipe() {
    rt().block_on(async {
        let (mut rx, mut tx) = evloop::io::simplex(4);
        let writer = evloop::spawn(async move {
            tx.write_all(b"0123456789").await.unwrap();
            tx.shutdown().await.unwrap();
            let err = tx.write(b"late").await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        });
        let mut got = Vec::new();
        timeout(LIMIT, rx.read_to_end(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, b"0123456789");
        timeout(LIMIT, writer).await.unwrap().unwrap();
    });
}

#[test]
fn buf_stream_reads_and_writes_through_buffers() {
    rt().block_on(async {
        let (a, b) = evloop::io::duplex(64);
        let mut a = BufStream::with_capacity(16, 16, a);
        let mut b = BufStream::new(b);
        a.write_all(b"hello\n").await.unwrap();
        // Buffered until flushed.
        let mut probe = std::pin::pin!(b.read_u8());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(probe.as_mut().poll(&mut cx).is_pending());
        a.flush().await.unwrap();
        assert_eq!(timeout(LIMIT, probe).await.unwrap().unwrap(), b'h');
        let mut line = String::new();
        b.read_line(&mut line).await.unwrap();
        assert_eq!(line, "ello\n");
        b.write_all(b"back").await.unwrap();
        b.shutdown().await.unwrap();
        let mut rest = String::new();
        a.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "back");
    });
}

#[test]
fn buf_reader_seek_counts_from_the_logical_position() {
    rt().block_on(async {
        let mut r = BufReader::with_capacity(4, Cursor::new(b"0123456789".to_vec()));
        assert_eq!(r.read_u8().await.unwrap(), b'0');
        // The cursor is at 4 (one buffer read), the reader at 1.
        assert_eq!(r.stream_position().await.unwrap(), 1);
        assert_eq!(r.seek(SeekFrom::Current(2)).await.unwrap(), 3);
        assert_eq!(r.read_u8().await.unwrap(), b'3');
        assert_eq!(r.seek(SeekFrom::End(-2)).await.unwrap(), 8);
        assert_eq!(r.read_u8().await.unwrap(), b'8');
        assert_eq!(r.seek(SeekFrom::Start(0)).await.unwrap(), 0);
        assert_eq!(r.read_u8().await.unwrap(), b'0');
        // An offset that overflows once the buffered bytes are taken off
        // is done in two steps; this one lands before the start.
        let err = r.seek(SeekFrom::Current(i64::MIN + 1)).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    });
}

#[test]
fn buf_writer_seek_flushes_first() {
    rt().block_on(async {
        let mut w = BufWriter::new(Cursor::new(Vec::new()));
        w.write_all(b"abc").await.unwrap();
        assert_eq!(w.seek(SeekFrom::Start(1)).await.unwrap(), 1);
        assert_eq!(w.get_ref().get_ref(), b"abc");
        w.write_all(b"X").await.unwrap();
        w.flush().await.unwrap();
        assert_eq!(w.get_ref().get_ref(), b"aXc");

        // Through a BufStream: written bytes flushed, then read back.
        let mut s = BufStream::new(Cursor::new(Vec::new()));
        s.write_all(b"stream").await.unwrap();
        s.rewind().await.unwrap();
        let mut back = String::new();
        s.read_to_string(&mut back).await.unwrap();
        assert_eq!(back, "stream");
    });
}

#[test]
fn empty_seeks_to_zero() {
    rt().block_on(async {
        let mut e = evloop::io::empty();
        assert_eq!(e.seek(SeekFrom::Start(42)).await.unwrap(), 0);
        assert_eq!(e.seek(SeekFrom::End(-1)).await.unwrap(), 0);
    });
}

#[test]
fn empty_discards_writes() {
    rt().block_on(async {
        let mut e = evloop::io::empty();
        e.write_all(b"gone").await.unwrap();
        assert_eq!(
            e.write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"c")])
                .await
                .unwrap(),
            3
        );
        e.shutdown().await.unwrap();
        let mut buf = Vec::new();
        assert_eq!(e.read_to_end(&mut buf).await.unwrap(), 0);
    });
}

#[test]
fn chain_and_take_accessors() {
    rt().block_on(async {
        let mut chain = (&b"ab"[..]).chain(&b"cd"[..]);
        let (first, _) = chain.get_mut();
        *first = &b"x"[..];
        let mut out = String::new();
        chain.read_to_string(&mut out).await.unwrap();
        assert_eq!(out, "xcd");

        let mut take = std::pin::pin!((&b"abcdef"[..]).take(3));
        let mut first = [0u8; 1];
        take.as_mut()
            .get_pin_mut()
            .read_exact(&mut first)
            .await
            .unwrap();
        assert_eq!(&first, b"a");
        let mut rest = Vec::new();
        take.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"bcd");
    });
}

#[test]
fn copy_bidirectional_with_small_buffers() {
    rt().block_on(async {
        let (mut a, mut a_peer) = evloop::io::duplex(1024);
        let (mut b, mut b_peer) = evloop::io::duplex(1024);
        let data: Vec<u8> = (0..600u32).map(|i| i as u8).collect();
        a_peer.write_all(&data).await.unwrap();
        a_peer.shutdown().await.unwrap();
        b_peer.write_all(b"back").await.unwrap();
        b_peer.shutdown().await.unwrap();
        let (ab, ba) = timeout(
            LIMIT,
            evloop::io::copy_bidirectional_with_sizes(&mut a, &mut b, 7, 1),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!((ab, ba), (600, 4));
        let mut got = Vec::new();
        b_peer.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, data);
        let mut back = Vec::new();
        a_peer.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"back");
    });
}
