//! The state machine behind `File`'s reads, writes and seeks.
//!
//! A file is either *idle*, holding a buffer, or *busy*: the buffer and a
//! clone of the `std::fs::File` are on a pool thread doing one operation,
//! and the `JoinHandle` of that operation is here.
//!
//! ```text
//!            read: buffer empty → read up to len(dst) into it
//!          ┌──────────────────────────────────────────────┐
//!   Idle(buf)   write: copy src into buf → write it behind   Busy(op)
//!          ◀──────────────────────────────────────────────┘
//!                 op completes: buf comes back (with read data)
//! ```
//!
//! # Rules
//!
//! 1. In `Idle`, a non-empty buffer holds *read-ahead*: bytes the OS file
//!    position is already past but the caller has not consumed. Reads are
//!    served from it first.
//! 2. Before anything else moves the OS position (a write, a seek,
//!    `set_len`), the read-ahead is discarded and the OS position moved back
//!    by its length, so the position the caller sees is the one the OS uses.
//! 3. Writes are *write-behind*: `poll_write` copies the bytes into the
//!    buffer, starts the write and returns `Ready(n)` at once. The outcome is
//!    collected by the next operation; an error is kept in `last_write_err`
//!    and reported by the next `poll_write` or `poll_flush`.
//! 4. Several tasks may wait for the same operation (`File`'s `&self`
//!    methods). The `JoinHandle` has one waker slot, so it is given the
//!    `Waiters` fan-out waker, which wakes every task that polled since the
//!    last wake.
//!
//! Rejected: one `spawn_blocking` per call with no buffer of our own — a
//! write could then not return before the OS write, so every small write
//! would cost a full round trip to the pool; and a read would need a
//! `'static` destination buffer.

use std::fmt;
use std::fs::File as StdFile;
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll, Wake, Waker};

use crate::fs::blocking::join_error;
use crate::loom::sync::Mutex;
use crate::runtime::task::JoinHandle;
use crate::task::spawn_blocking;

/// The most bytes moved by one read or write hand-off, unless
/// `File::set_max_buf_size` says otherwise.
pub(crate) const MAX_BUF: usize = 2 * 1024 * 1024;

pub(crate) struct FileInner {
    state: State,
    /// Rule 3.
    last_write_err: Option<io::Error>,
    /// The position the last seek returned (what an idle `poll_complete`
    /// reports).
    pos: u64,
    /// Rule 4.
    waiters: Arc<Waiters>,
    /// The most bytes one read or write hand-off moves (at least 1).
    max_buf: usize,
}

enum State {
    Idle(Buf),
    Busy(JoinHandle<(Op, Buf)>),
}

/// The outcome of a blocking operation.
enum Op {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
}

/// Bytes in flight between the caller and the OS file.
#[derive(Default)]
struct Buf {
    buf: Vec<u8>,
    /// Bytes before `pos` were consumed.
    pos: usize,
}

impl FileInner {
    pub(crate) fn new() -> FileInner {
        FileInner {
            state: State::Idle(Buf::default()),
            last_write_err: None,
            pos: 0,
            waiters: Arc::new(Waiters::default()),
            max_buf: MAX_BUF,
        }
    }

    /// Sets the most bytes one hand-off moves; 0 counts as 1, so that a
    /// read never reports end of file for lack of room.
    pub(crate) fn set_max_buf(&mut self, max_buf: usize) {
        self.max_buf = max_buf.max(1);
    }

    pub(crate) fn max_buf(&self) -> usize {
        self.max_buf
    }

    pub(crate) fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle(_))
    }

    /// Reads into `dst`: from the read-ahead if there is some (rule 1),
    /// otherwise from the OS file on the pool.
    pub(crate) fn poll_read(
        &mut self,
        std: &Arc<StdFile>,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            match &mut self.state {
                State::Idle(buf) => {
                    if !buf.is_empty() || dst.is_empty() {
                        return Poll::Ready(Ok(buf.copy_to(dst)));
                    }
                    let mut buf = std::mem::take(buf);
                    let max = dst.len().min(self.max_buf);
                    let std = std.clone();
                    self.state = State::Busy(spawn_blocking(move || {
                        let res = buf.read_from(&mut &*std, max);
                        (Op::Read(res), buf)
                    }));
                }
                State::Busy(_) => match ready!(self.poll_busy(cx))? {
                    Op::Read(Ok(_)) => {
                        let State::Idle(buf) = &mut self.state else {
                            unreachable!("poll_busy returns idle");
                        };
                        return Poll::Ready(Ok(buf.copy_to(dst)));
                    }
                    Op::Read(Err(e)) => return Poll::Ready(Err(e)),
                    Op::Write(res) => self.keep_write_err(res),
                    Op::Seek(res) => self.keep_seek(res),
                },
            }
        }
    }

    /// Copies up to `max_buf` bytes of `src` and writes them behind
    /// (rule 3); returns how many were taken.
    pub(crate) fn poll_write(
        &mut self,
        std: &Arc<StdFile>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            match &mut self.state {
                State::Idle(buf) => {
                    if let Some(e) = self.last_write_err.take() {
                        return Poll::Ready(Err(e));
                    }
                    if src.is_empty() {
                        return Poll::Ready(Ok(0));
                    }
                    // Rule 2.
                    let back = buf.discard_read();
                    let mut buf = std::mem::take(buf);
                    // Inside a simulation: maybe a seeded short write.
                    let src = &src[..crate::sim::fs_write_len(src.len())];
                    let n = buf.copy_from(src, self.max_buf);
                    let std = std.clone();
                    self.state = State::Busy(spawn_blocking(move || {
                        let mut file = &*std;
                        // Inside a simulation: maybe a seeded EIO/ENOSPC.
                        if let Some(e) = crate::sim::fs_error(true) {
                            return (Op::Write(Err(e)), buf);
                        }
                        let res = match back {
                            0 => buf.write_to(&mut file),
                            back => file
                                .seek(SeekFrom::Current(back))
                                .and_then(|_| buf.write_to(&mut file)),
                        };
                        (Op::Write(res), buf)
                    }));
                    return Poll::Ready(Ok(n));
                }
                State::Busy(_) => match ready!(self.poll_busy(cx))? {
                    Op::Write(Err(e)) => return Poll::Ready(Err(e)),
                    Op::Write(Ok(())) | Op::Read(_) => {}
                    Op::Seek(res) => self.keep_seek(res),
                },
            }
        }
    }

    /// Waits for the operation in flight; reports a write-behind error.
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &self.state {
                State::Idle(_) => {
                    return Poll::Ready(match self.last_write_err.take() {
                        Some(e) => Err(e),
                        None => Ok(()),
                    });
                }
                State::Busy(_) => match ready!(self.poll_busy(cx))? {
                    Op::Write(res) => self.keep_write_err(res),
                    Op::Seek(res) => self.keep_seek(res),
                    Op::Read(_) => {}
                },
            }
        }
    }

    /// Waits for the operation in flight, keeping any write error for later.
    pub(crate) fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let State::Busy(_) = self.state {
            match ready!(self.poll_busy(cx))? {
                Op::Write(res) => self.keep_write_err(res),
                Op::Seek(res) => self.keep_seek(res),
                Op::Read(_) => {}
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Starts a seek; the file must be idle (as `AsyncSeek::start_seek`).
    pub(crate) fn start_seek(&mut self, std: &Arc<StdFile>, pos: SeekFrom) -> io::Result<()> {
        let State::Idle(buf) = &mut self.state else {
            return Err(io::Error::other(
                "another file operation is pending; poll_complete it before start_seek",
            ));
        };
        // Rule 2: a relative seek is relative to what the caller consumed.
        let back = buf.discard_read();
        let pos = match pos {
            SeekFrom::Current(n) => SeekFrom::Current(n.checked_add(back).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "seek offset overflows")
            })?),
            other => other,
        };
        let buf = std::mem::take(buf);
        let std = std.clone();
        self.state = State::Busy(spawn_blocking(move || {
            let res = (&*std).seek(pos);
            (Op::Seek(res), buf)
        }));
        Ok(())
    }

    /// Completes a seek started by `start_seek` with the new position; when
    /// idle, the position of the last seek.
    pub(crate) fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        loop {
            match &self.state {
                State::Idle(_) => return Poll::Ready(Ok(self.pos)),
                State::Busy(_) => match ready!(self.poll_busy(cx))? {
                    Op::Seek(res) => {
                        if let Ok(pos) = res {
                            self.pos = pos;
                        }
                        return Poll::Ready(res);
                    }
                    Op::Write(res) => self.keep_write_err(res),
                    Op::Read(_) => {}
                },
            }
        }
    }

    /// Starts `set_len` (the file must be idle); completes through
    /// `poll_complete`, leaving the position where the caller had it.
    pub(crate) fn start_set_len(&mut self, std: &Arc<StdFile>, size: u64) -> io::Result<()> {
        let State::Idle(buf) = &mut self.state else {
            unreachable!("set_len on a busy file");
        };
        // Rule 2.
        let back = buf.discard_read();
        let buf = std::mem::take(buf);
        let std = std.clone();
        self.state = State::Busy(spawn_blocking(move || {
            let mut file = &*std;
            let res = file
                .seek(SeekFrom::Current(back))
                .and_then(|pos| file.set_len(size).map(|()| pos));
            (Op::Seek(res), buf)
        }));
        Ok(())
    }

    /// Polls the operation in flight through the fan-out waker (rule 4);
    /// when it is done the file is idle again with the buffer back.
    fn poll_busy(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Op>> {
        let State::Busy(join) = &mut self.state else {
            unreachable!("poll_busy on an idle file");
        };
        self.waiters.register(cx.waker());
        let waker = Waker::from(self.waiters.clone());
        let res = ready!(Pin::new(join).poll(&mut Context::from_waker(&waker)));
        Poll::Ready(match res {
            Ok((op, buf)) => {
                self.state = State::Idle(buf);
                Ok(op)
            }
            Err(e) => {
                self.state = State::Idle(Buf::default());
                Err(join_error(e))
            }
        })
    }

    fn keep_write_err(&mut self, res: io::Result<()>) {
        if let Err(e) = res {
            self.last_write_err = Some(e);
        }
    }

    fn keep_seek(&mut self, res: io::Result<u64>) {
        if let Ok(pos) = res {
            self.pos = pos;
        }
    }
}

impl Buf {
    fn is_empty(&self) -> bool {
        self.pos == self.buf.len()
    }

    /// Serves read-ahead into `dst`.
    fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = (self.buf.len() - self.pos).min(dst.len());
        dst[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        if self.is_empty() {
            self.clear();
        }
        n
    }

    /// Takes bytes to write; the buffer holds no read-ahead (rule 2).
    fn copy_from(&mut self, src: &[u8], max: usize) -> usize {
        debug_assert!(self.is_empty());
        let n = src.len().min(max);
        self.buf.extend_from_slice(&src[..n]);
        n
    }

    /// Drops the read-ahead; returns the seek that undoes it (zero or
    /// negative).
    fn discard_read(&mut self) -> i64 {
        let unread = (self.buf.len() - self.pos) as i64;
        self.clear();
        -unread
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.pos = 0;
    }

    /// On a pool thread: reads up to `max` bytes.
    fn read_from(&mut self, file: &mut impl Read, max: usize) -> io::Result<usize> {
        self.buf.resize(max, 0);
        let res = loop {
            match file.read(&mut self.buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                res => break res,
            }
        };
        self.buf.truncate(*res.as_ref().unwrap_or(&0));
        self.pos = 0;
        res
    }

    /// On a pool thread: writes the whole buffer.
    fn write_to(&mut self, file: &mut impl Write) -> io::Result<()> {
        let res = file.write_all(&self.buf[self.pos..]);
        self.clear();
        res
    }
}

/// Wakes every task waiting for the operation in flight (rule 4).
#[derive(Default)]
struct Waiters(Mutex<Vec<Waker>>);

impl Waiters {
    fn register(&self, waker: &Waker) {
        let mut wakers = self.0.lock();
        if !wakers.iter().any(|w| w.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }
}

impl Wake for Waiters {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let wakers = std::mem::take(&mut *self.0.lock());
        for waker in wakers {
            waker.wake();
        }
    }
}

impl fmt::Debug for FileInner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("File");
        match &self.state {
            State::Idle(buf) => d.field("read_ahead", &(buf.buf.len() - buf.pos)),
            State::Busy(_) => d.field("busy", &true),
        };
        d.field("pos", &self.pos).finish()
    }
}
