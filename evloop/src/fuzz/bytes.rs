//! Property target: `BufReader` and the buffered-read helpers against a
//! plain byte slice.
//!
//! A `BufReader` of a random capacity wraps a reader that hands out the
//! input's bytes in random chunks, says `Pending` at random, and may fail
//! once at a random offset. Operations: `read`, `read_exact`, `read_line`,
//! `read_until`, `fill_buf` + `consume`, `read_to_end`, and (at the end)
//! `lines`. The model is the offset of the next byte. Checked: every
//! operation returns exactly the model's next bytes (a line up to and with
//! its `\n`, a `read` at least one byte unless at the end), the failure
//! surfaces when the model reaches its offset, and the bytes a failing
//! `read_line` / `read_until` / `read_to_end` read before it are kept in
//! the caller's buffer (as `std` and tokio do).

use std::io::ErrorKind;
use std::pin::Pin;

use arbitrary::{Arbitrary, Unstructured};

use super::chunked::{drive, ChunkedReader, Script};
use super::support::{ops, trace};
use crate::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, BufReader};

/// Polls any one operation may take.
const POLLS: usize = 100_000;

#[derive(Arbitrary, Debug)]
enum Op {
    Read(u8),
    ReadExact(u8),
    ReadLine,
    ReadUntil(bool),
    FillBuf(u8),
    ReadToEnd,
}

/// Text with many line ends, so lines are short and varied.
fn text(u: &mut Unstructured<'_>) -> Vec<u8> {
    let len = u.int_in_range(0..=2048usize).unwrap_or(0);
    (0..len)
        .map(|_| match u.int_in_range(0..=9u8).unwrap_or(0) {
            0 => b'\n',
            1 => b'\r',
            2 => b';',
            n => b'a' + n,
        })
        .collect()
}

struct State {
    data: Vec<u8>,
    pos: usize,
    fail_at: Option<usize>,
    failed: bool,
}

impl State {
    /// Whether an operation that reads the bytes `pos..end` (and then
    /// looks for the end of data, if `to_eof`) meets the failure; marks it
    /// met, and says where it struck.
    fn fails_before(&mut self, end: usize, to_eof: bool) -> Option<usize> {
        let len = self.data.len();
        match self.fail_at {
            Some(at) if !self.failed && at >= self.pos && (at < end || (to_eof && at == len)) => {
                self.failed = true;
                Some(at)
            }
            _ => None,
        }
    }

    fn rest(&self) -> &[u8] {
        &self.data[self.pos..]
    }

    /// The end of the next segment ending in `delim` (or the end of data).
    fn until(&self, delim: u8) -> usize {
        match self.rest().iter().position(|&b| b == delim) {
            Some(i) => self.pos + i + 1,
            None => self.data.len(),
        }
    }
}

/// Runs the operations in `data` through a `BufReader` and the model.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let capacity = u.int_in_range(1..=40usize).unwrap_or(8);
    let text = text(&mut u);
    let script = Script::arbitrary(&mut u, text.len(), true);
    let ops: Vec<Op> = ops(&mut u);
    let mut s = State {
        data: text.clone(),
        pos: 0,
        fail_at: script.fail_at,
        failed: false,
    };
    let mut r = BufReader::with_capacity(capacity, ChunkedReader::new(text, script));
    for op in ops {
        trace(&op);
        match op {
            Op::Read(n) => {
                let mut buf = vec![0u8; n as usize];
                let got = drive(r.read(&mut buf), POLLS);
                // An empty read may or may not look at the reader (as in
                // `std`); if it does, it meets a failure due here.
                let may_fail = n > 0 || got.is_err();
                if may_fail && s.fails_before(s.pos + 1, false).is_some() {
                    assert_eq!(got.expect_err("read: failure").kind(), ErrorKind::Other);
                    continue;
                }
                let k = got.expect("read");
                if n > 0 && s.pos < s.data.len() {
                    assert!(k > 0, "read returned 0 before the end");
                }
                assert!(k <= n as usize);
                assert_eq!(&buf[..k], &s.rest()[..k], "read: bytes");
                s.pos += k;
            }
            Op::ReadExact(n) => {
                let mut buf = vec![0u8; n as usize];
                let got = drive(r.read_exact(&mut buf), POLLS);
                let end = s.pos + n as usize;
                if let Some(at) = s.fails_before(end, end > s.data.len()) {
                    assert_eq!(
                        got.expect_err("read_exact: failure").kind(),
                        ErrorKind::Other
                    );
                    s.pos = at;
                } else if end > s.data.len() {
                    let e = got.expect_err("read_exact past the end");
                    assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
                    s.pos = s.data.len();
                } else {
                    got.expect("read_exact");
                    assert_eq!(&buf[..], &s.data[s.pos..end], "read_exact: bytes");
                    s.pos = end;
                }
            }
            Op::ReadLine | Op::ReadUntil(_) => {
                let delim = match op {
                    Op::ReadUntil(true) => b';',
                    _ => b'\n',
                };
                let end = s.until(delim);
                let to_eof = s.data[s.pos..end].last() != Some(&delim);
                let (got, buf) = if matches!(op, Op::ReadLine) {
                    let mut line = String::from("<");
                    let got = drive(r.read_line(&mut line), POLLS);
                    (got, line.into_bytes())
                } else {
                    let mut buf = b"<".to_vec();
                    let got = drive(r.read_until(delim, &mut buf), POLLS);
                    (got, buf)
                };
                assert_eq!(buf[0], b'<', "{op:?}: the buffer's old contents");
                let kept = &buf[1..];
                if let Some(at) = s.fails_before(end, to_eof) {
                    assert_eq!(got.expect_err("failure").kind(), ErrorKind::Other);
                    assert_eq!(
                        kept,
                        &s.data[s.pos..at],
                        "{op:?}: bytes read before a failure"
                    );
                    s.pos = at;
                } else {
                    let n = got.expect("read_line / read_until");
                    assert_eq!(n, end - s.pos, "{op:?}: count");
                    assert_eq!(kept, &s.data[s.pos..end], "{op:?}: bytes");
                    s.pos = end;
                }
            }
            Op::FillBuf(consume) => {
                let failing = s.fails_before(s.pos + 1, false).is_some();
                let got = drive(
                    std::future::poll_fn(|cx| {
                        Pin::new(&mut r).poll_fill_buf(cx).map_ok(|b| b.to_vec())
                    }),
                    POLLS,
                );
                if failing {
                    got.expect_err("fill_buf: failure");
                    continue;
                }
                let buf = got.expect("fill_buf");
                assert!(
                    buf.len() <= capacity.max(1),
                    "fill_buf: more than the capacity"
                );
                assert_eq!(buf.is_empty(), s.pos == s.data.len(), "fill_buf: empty");
                assert_eq!(&buf[..], &s.rest()[..buf.len()], "fill_buf: bytes");
                let k = (consume as usize).min(buf.len());
                Pin::new(&mut r).consume(k);
                s.pos += k;
            }
            Op::ReadToEnd => {
                let mut buf = b"<".to_vec();
                let got = drive(r.read_to_end(&mut buf), POLLS);
                if let Some(at) = s.fails_before(s.data.len(), true) {
                    got.expect_err("read_to_end: failure");
                    assert_eq!(&buf[1..], &s.data[s.pos..at], "read_to_end: bytes kept");
                    s.pos = at;
                } else {
                    assert_eq!(got.expect("read_to_end"), s.data.len() - s.pos);
                    assert_eq!(&buf[1..], s.rest(), "read_to_end: bytes");
                    s.pos = s.data.len();
                }
            }
        }
    }
    // The rest, as lines.
    if s.fails_before(s.data.len(), true).is_some() {
        return;
    }
    let mut lines = r.lines();
    let rest = String::from_utf8(s.rest().to_vec()).unwrap();
    // `\r\n` and `\n` end a line; a last line without `\n` keeps its `\r`.
    let mut want: Vec<&str> = rest.split_inclusive('\n').collect::<Vec<_>>();
    for w in &mut want {
        if let Some(line) = w.strip_suffix('\n') {
            *w = line.strip_suffix('\r').unwrap_or(line);
        }
    }
    for w in want {
        let got = drive(lines.next_line(), POLLS).expect("next_line");
        assert_eq!(got.as_deref(), Some(w), "lines");
    }
    assert_eq!(drive(lines.next_line(), POLLS).expect("next_line"), None);
}
