//! Property target: `copy` and `copy_buf` against the bytes they were
//! given.
//!
//! Each case copies random bytes from a reader that hands them out in
//! random chunks (and says `Pending` at random) to a writer that takes
//! random amounts (and also waits at random); either may fail once at a
//! random offset. A third kind of case copies into one end of a `duplex`
//! pipe while a second future reads the other end to its end, both polled
//! together. Checked: without a failure the copy returns the length, the
//! writer holds exactly the bytes and was flushed; with one, the copy fails
//! with it and the writer holds exactly the bytes before it (a copy writes
//! out all it read before it reads again); every `Pending` came with a
//! wake; nothing takes more than a bounded number of polls.

use arbitrary::Unstructured;

use super::chunked::{drive, ChunkedReader, ChunkedWriter, Script};
use crate::io::{copy, copy_buf, AsyncReadExt, AsyncWriteExt, BufReader};

const POLLS: usize = 1_000_000;
const CASES: usize = 8;

fn bytes(u: &mut Unstructured<'_>) -> Vec<u8> {
    let len = u.int_in_range(0..=8_192usize).unwrap_or(0);
    (0..len).map(|i| (i % 251) as u8 ^ 0x5a).collect()
}

fn copy_case(u: &mut Unstructured<'_>, buffered: bool) {
    let data = bytes(u);
    let len = data.len();
    let rs = Script::arbitrary(u, len, true);
    let ws = Script::arbitrary(u, len, true);
    let (r_at, w_at) = (rs.fail_at, ws.fail_at.filter(|&at| at < len));
    let mut reader = ChunkedReader::new(data.clone(), rs);
    let mut writer = ChunkedWriter::new(ws);
    let got = if buffered {
        let cap = u.int_in_range(1..=100usize).unwrap_or(1);
        let mut reader = BufReader::with_capacity(cap, reader);
        drive(copy_buf(&mut reader, &mut writer), POLLS)
    } else {
        drive(copy(&mut reader, &mut writer), POLLS)
    };
    let ctx =
        format!("buffered {buffered}, len {len}, reader fails at {r_at:?}, writer at {w_at:?}");
    match (r_at, w_at) {
        (r, Some(w)) if r.is_none_or(|r| w < r) => {
            got.expect_err(&ctx);
            assert_eq!(writer.written.len(), w, "{ctx}: bytes written");
        }
        (Some(r), _) => {
            got.expect_err(&ctx);
            assert_eq!(writer.written.len(), r, "{ctx}: bytes written");
        }
        _ => {
            assert_eq!(got.expect(&ctx), len as u64, "{ctx}: count");
            assert_eq!(writer.flushed, len, "{ctx}: not flushed");
        }
    }
    assert!(
        writer.written == data[..writer.written.len()],
        "{ctx}: bytes"
    );
}

fn duplex_case(u: &mut Unstructured<'_>) {
    let data = bytes(u);
    let rs = Script::arbitrary(u, data.len(), false);
    let cap = u.int_in_range(1..=300usize).unwrap_or(1);
    let (mut a, mut b) = crate::io::duplex(cap);
    let mut reader = ChunkedReader::new(data.clone(), rs);
    let write = async {
        let n = copy(&mut reader, &mut a).await?;
        a.shutdown().await?;
        std::io::Result::Ok(n)
    };
    let read = async {
        let mut out = Vec::new();
        b.read_to_end(&mut out).await.map(|_| out)
    };
    let (n, out) = drive(async { crate::join!(write, read) }, POLLS);
    assert_eq!(n.expect("copy into duplex"), data.len() as u64);
    assert!(
        out.expect("read_to_end from duplex") == data,
        "duplex: bytes"
    );
}

/// Runs the cases described by `data`.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    for _ in 0..CASES {
        if u.is_empty() {
            break;
        }
        match u.int_in_range(0..=2u8).unwrap_or(0) {
            0 => copy_case(&mut u, false),
            1 => copy_case(&mut u, true),
            _ => duplex_case(&mut u),
        }
    }
}
