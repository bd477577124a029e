//! `AsyncSeekExt`: `seek`, `rewind`, `stream_position` over a cursor, over
//! a seeker that is busy with an earlier operation, and over `fs::File`.

mod support;
#[path = "support/tempdir.rs"]
mod tempdir;

use std::io::{self, Cursor, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use evloop::io::{AsyncReadExt, AsyncSeek, AsyncSeekExt, AsyncWriteExt};
use support::rt;

#[test]
fn cursor_seek_rewind_stream_position() {
    rt().block_on(async {
        let mut cur = Cursor::new(b"0123456789".to_vec());
        assert_eq!(cur.seek(SeekFrom::End(-3)).await.unwrap(), 7);
        assert_eq!(cur.read_u8().await.unwrap(), b'7');
        assert_eq!(cur.stream_position().await.unwrap(), 8);
        assert_eq!(cur.seek(SeekFrom::Current(-6)).await.unwrap(), 2);
        assert_eq!(cur.rewind().await.unwrap(), 0);
        assert_eq!(cur.read_u8().await.unwrap(), b'0');
        let err = cur.seek(SeekFrom::Current(-5)).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    });
}

/// A seeker whose operations take `delay` polls to complete and that
/// refuses `start_seek` while one is in flight, like a file on a pool.
struct SlowSeeker {
    pos: u64,
    in_flight: Option<(u64, u32)>,
    delay: u32,
    starts: u32,
}

impl AsyncSeek for SlowSeeker {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let me = self.get_mut();
        if me.in_flight.is_some() {
            return Err(io::Error::other("busy"));
        }
        let target = match position {
            SeekFrom::Start(n) => n,
            SeekFrom::Current(n) => me.pos.checked_add_signed(n).unwrap(),
            SeekFrom::End(n) => 100u64.checked_add_signed(n).unwrap(),
        };
        me.starts += 1;
        me.in_flight = Some((target, me.delay));
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let me = self.get_mut();
        match &mut me.in_flight {
            None => Poll::Ready(Ok(me.pos)),
            Some((_, 0)) => {
                me.pos = me.in_flight.take().unwrap().0;
                Poll::Ready(Ok(me.pos))
            }
            Some((_, left)) => {
                *left -= 1;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

#[test]
fn seek_finishes_the_operation_in_flight_first() {
    rt().block_on(async {
        let mut s = SlowSeeker {
            pos: 0,
            in_flight: None,
            delay: 3,
            starts: 0,
        };
        // An earlier seek submitted by hand and never completed.
        Pin::new(&mut s).start_seek(SeekFrom::Start(40)).unwrap();
        // Relative to where that seek lands, not to 0.
        assert_eq!(s.seek(SeekFrom::Current(2)).await.unwrap(), 42);
        assert_eq!(s.starts, 2);
        assert_eq!(s.stream_position().await.unwrap(), 42);
        assert_eq!(s.seek(SeekFrom::End(-1)).await.unwrap(), 99);
        assert_eq!(s.rewind().await.unwrap(), 0);
        assert!(s.in_flight.is_none());
    });
}

#[test]
fn file_seek_through_the_trait_and_inherent() {
    rt().block_on(async {
        let dir = tempdir::TempDir::new("io_seek");
        let path = dir.path().join("f");
        let mut f = evloop::fs::File::create(&path).await.unwrap();
        f.write_all(b"hello world").await.unwrap();
        // Inherent `File::seek` after a write-behind still in flight.
        assert_eq!(f.seek(SeekFrom::Start(6)).await.unwrap(), 6);
        f.write_all(b"WORLD").await.unwrap();
        f.flush().await.unwrap();
        drop(f);

        let mut f = evloop::fs::File::open(&path).await.unwrap();
        let mut head = [0u8; 5];
        f.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"hello");
        // Relative to what was read, not to the read-ahead.
        assert_eq!(AsyncSeekExt::stream_position(&mut f).await.unwrap(), 5);
        assert_eq!(
            AsyncSeekExt::seek(&mut f, SeekFrom::Current(1))
                .await
                .unwrap(),
            6
        );
        let mut rest = String::new();
        f.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "WORLD");
        assert_eq!(AsyncSeekExt::rewind(&mut f).await.unwrap(), 0);
        let mut all = String::new();
        f.read_to_string(&mut all).await.unwrap();
        assert_eq!(all, "hello WORLD");
    });
}
