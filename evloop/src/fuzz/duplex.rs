//! Property target: `duplex` streams, each `split` into halves, against two
//! byte queues.
//!
//! Operations (each a single poll, as a task would make): write from one
//! end, read into one end (also into an empty buffer), shut an end's write
//! side down, drop an end (both halves), and `unsplit` an end and split it
//! again. The model is, per direction, the bytes in the pipe, its capacity,
//! and whether the writer shut down or either end dropped. Checked after
//! every step:
//!
//! - a write takes as many bytes as there is room for, waits only while the
//!   pipe is full, and fails with `BrokenPipe` after its own shutdown or the
//!   reader's drop;
//! - a read returns the oldest bytes in order, waits only while the pipe is
//!   empty and open, and returns `Ok(0)` at the end (and at once into an
//!   empty buffer);
//! - a waiting read is woken by the next write, shutdown or drop; a waiting
//!   write by the next read or drop.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use arbitrary::{Arbitrary, Unstructured};

use super::support::{ops, trace, Flag};
use crate::io::{split, AsyncRead, AsyncWrite, DuplexStream, ReadBuf, ReadHalf, WriteHalf};

#[derive(Arbitrary, Debug)]
enum Op {
    Write { end: bool, len: u8 },
    Read { end: bool, len: u8 },
    Shutdown(bool),
    Drop(bool),
    Resplit(bool),
}

type Halves = (ReadHalf<DuplexStream>, WriteHalf<DuplexStream>);

/// One direction: written by end `d`, read by end `1 - d`.
#[derive(Default)]
struct Pipe {
    bytes: VecDeque<u8>,
    /// the writer shut down, or either end dropped
    closed: bool,
    next_byte: u8,
    read_waiting: Option<Arc<Flag>>,
    write_waiting: Option<Arc<Flag>>,
}

struct State {
    cap: usize,
    ends: [Option<Halves>; 2],
    /// `pipes[d]`: written by end `d`
    pipes: [Pipe; 2],
}

fn poll_once<T>(f: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> (Poll<T>, Arc<Flag>) {
    let flag = Flag::new();
    let waker = Waker::from(flag.clone());
    (f(&mut Context::from_waker(&waker)), flag)
}

impl State {
    fn step(&mut self, op: Op) {
        match op {
            Op::Write { end, len } => {
                let d = end as usize;
                let Some((_, w)) = &mut self.ends[d] else {
                    return;
                };
                let pipe = &mut self.pipes[d];
                let src: Vec<u8> = (0..len).map(|i| pipe.next_byte.wrapping_add(i)).collect();
                let (poll, flag) = poll_once(|cx| Pin::new(&mut *w).poll_write(cx, &src));
                let room = self.cap - pipe.bytes.len();
                match poll {
                    Poll::Ready(Ok(n)) => {
                        assert!(!pipe.closed, "write succeeded on a closed pipe");
                        assert_eq!(n, room.min(src.len()), "write: count");
                        pipe.bytes.extend(&src[..n]);
                        pipe.next_byte = pipe.next_byte.wrapping_add(n as u8);
                    }
                    Poll::Ready(Err(e)) => {
                        assert!(pipe.closed, "write failed on an open pipe: {e}");
                        assert_eq!(e.kind(), ErrorKind::BrokenPipe);
                    }
                    Poll::Pending => {
                        assert!(!pipe.closed && room == 0, "write waits with room {room}");
                        pipe.write_waiting = Some(flag);
                    }
                }
            }
            Op::Read { end, len } => {
                let d = end as usize;
                let Some((r, _)) = &mut self.ends[d] else {
                    return;
                };
                let pipe = &mut self.pipes[1 - d];
                let mut buf = vec![0u8; len as usize % 64];
                let mut rb = ReadBuf::new(&mut buf);
                let (poll, flag) = poll_once(|cx| Pin::new(&mut *r).poll_read(cx, &mut rb));
                let got = rb.filled().to_vec();
                match poll {
                    Poll::Ready(Ok(())) => {
                        if buf.is_empty() {
                            return;
                        }
                        if got.is_empty() {
                            assert!(pipe.closed && pipe.bytes.is_empty(), "read: Ok(0) early");
                        }
                        let want: Vec<u8> = pipe.bytes.drain(..got.len()).collect();
                        assert_eq!(got, want, "read: bytes");
                        if !buf.is_empty() {
                            let expect = pipe.bytes.len() + got.len();
                            assert!(
                                got.len() == buf.len() || got.len() == expect,
                                "read: short of what was there"
                            );
                        }
                    }
                    Poll::Ready(Err(e)) => panic!("read failed: {e}"),
                    Poll::Pending => {
                        assert!(!buf.is_empty(), "a read into an empty buffer waits");
                        assert!(
                            pipe.bytes.is_empty() && !pipe.closed,
                            "read waits with data"
                        );
                        pipe.read_waiting = Some(flag);
                    }
                }
            }
            Op::Shutdown(end) => {
                let d = end as usize;
                let Some((_, w)) = &mut self.ends[d] else {
                    return;
                };
                let (poll, _) = poll_once(|cx| Pin::new(&mut *w).poll_shutdown(cx));
                assert!(matches!(poll, Poll::Ready(Ok(()))), "shutdown");
                self.pipes[d].closed = true;
            }
            Op::Drop(end) => {
                let d = end as usize;
                if self.ends[d].take().is_some() {
                    for p in &mut self.pipes {
                        p.closed = true;
                    }
                    // Its own waits die with it.
                    self.pipes[1 - d].read_waiting = None;
                    self.pipes[d].write_waiting = None;
                }
            }
            Op::Resplit(end) => {
                let d = end as usize;
                if let Some((r, w)) = self.ends[d].take() {
                    assert!(r.is_pair_of(&w));
                    self.ends[d] = Some(split(r.unsplit(w)));
                }
            }
        }
    }

    fn check(&mut self) {
        for pipe in &mut self.pipes {
            if let Some(flag) = &pipe.read_waiting {
                if !pipe.bytes.is_empty() || pipe.closed {
                    assert!(flag.is_set(), "a waiting read was not woken (lost wake)");
                    pipe.read_waiting = None;
                }
            }
            if let Some(flag) = &pipe.write_waiting {
                if pipe.bytes.len() < self.cap || pipe.closed {
                    assert!(flag.is_set(), "a waiting write was not woken (lost wake)");
                    pipe.write_waiting = None;
                }
            }
        }
    }
}

/// Runs the operations in `data` on a duplex pair and the model.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let cap = u.int_in_range(1..=64usize).unwrap_or(1);
    let ops: Vec<Op> = ops(&mut u);
    let (a, b) = crate::io::duplex(cap);
    let mut s = State {
        cap,
        ends: [Some(split(a)), Some(split(b))],
        pipes: Default::default(),
    };
    for op in ops {
        trace(&op);
        s.step(op);
        s.check();
    }
}
