//! [`AsyncSeekExt`] and its future.

use std::future::Future;
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::io::AsyncSeek;

/// Seeking helpers for every [`AsyncSeek`].
///
/// ```
/// use std::io::{Cursor, SeekFrom};
/// use evloop::io::{AsyncReadExt, AsyncSeekExt};
///
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let mut cur = Cursor::new(b"hello world".to_vec());
/// assert_eq!(cur.seek(SeekFrom::Start(6)).await.unwrap(), 6);
/// let mut word = String::new();
/// cur.read_to_string(&mut word).await.unwrap();
/// assert_eq!(word, "world");
/// assert_eq!(cur.stream_position().await.unwrap(), 11);
/// cur.rewind().await.unwrap();
/// assert_eq!(cur.stream_position().await.unwrap(), 0);
/// # }); }
/// ```
pub trait AsyncSeekExt: AsyncSeek {
    /// Moves the position to `pos`; returns the new position from the
    /// start of the stream. An operation the seeker still has in flight is
    /// driven to its end first (`poll_complete`).
    ///
    /// Not cancel-safe: dropped after the seek was submitted, the position
    /// may or may not have moved.
    fn seek(&mut self, pos: SeekFrom) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        Seek {
            seeker: self,
            pos: Some(pos),
        }
    }

    /// Moves the position to the start of the stream; returns 0 (the new
    /// position). Not cancel-safe, as [`seek`](AsyncSeekExt::seek).
    fn rewind(&mut self) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Start(0))
    }

    /// The current position from the start of the stream (a
    /// `seek(SeekFrom::Current(0))`). Cancel-safe in effect: the position
    /// does not move.
    fn stream_position(&mut self) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Current(0))
    }
}

impl<S: AsyncSeek + ?Sized> AsyncSeekExt for S {}

/// Future of [`AsyncSeekExt::seek`], `rewind` and `stream_position`.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Seek<'a, S: ?Sized> {
    seeker: &'a mut S,
    /// `Some` until the seek was submitted with `start_seek`.
    pos: Option<SeekFrom>,
}

impl<S: AsyncSeek + Unpin + ?Sized> Future for Seek<'_, S> {
    type Output = io::Result<u64>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let me = self.get_mut();
        if let Some(pos) = me.pos {
            // `start_seek` may refuse while an earlier operation is in
            // flight: finish that one first.
            ready!(Pin::new(&mut *me.seeker).poll_complete(cx))?;
            me.pos = None;
            Pin::new(&mut *me.seeker).start_seek(pos)?;
        }
        Pin::new(&mut *me.seeker).poll_complete(cx)
    }
}
