//! Per-registration readiness state shared by the reactor and the tasks.
//!
//! One [`ScheduledIo`] exists per registered resource (one allocation, shared
//! through an `Arc` by the reactor's slab and the resource's `Registration`).
//!
//! # The state word
//!
//! ```text
//!  63                 32 31            16 15    7   6        5..0
//! +---------------------+----------------+-------+----------+-----------+
//! |     generation      |      tick      | (0)   | SHUTDOWN | readiness |
//! +---------------------+----------------+-------+----------+-----------+
//! ```
//!
//! - *readiness*: the [`Ready`] flags (readable, writable, read-closed,
//!   write-closed, error, priority) the reactor has reported and no task has yet
//!   cleared.
//! - *SHUTDOWN*: the reactor has shut down; every operation fails.
//! - *tick*: incremented (wrapping) by every event the reactor delivers.
//! - *generation*: fixed at creation; the generation packed into the mio
//!   token this resource was registered with.
//!
//! # Rules
//!
//! 1. Only the reactor sets readiness ([`ScheduledIo::set_readiness`]), and
//!    only if the event's generation equals the word's generation: an event
//!    for an earlier owner of the slab slot is dropped.
//! 2. Only a task clears readiness ([`ScheduledIo::clear_readiness`]), and
//!    only after an operation returned `WouldBlock` or is known to have
//!    drained the kernel's queue (`io::poll_evented`, rules 2 and 3), and
//!    only if the tick is still the one it observed *before* that operation:
//!    a clear never erases an event that arrived after the task looked.
//! 3. The closed flags are never cleared: end of stream is final.
//! 4. Wakers live in `waiters`, behind a mutex. The reactor changes the state
//!    word *before* taking the lock to collect wakers; a task stores its waker
//!    under the lock and then re-reads the state word before it returns
//!    `Pending`. So either the task sees the new readiness, or the reactor
//!    finds the task's waker (no lost wake-up; modelled by loom below).
//! 5. Wakers are called after the lock is released: a waker may run
//!    arbitrary code, including dropping the resource.
//! 6. Each waker is woken through `util::wake::wake`: one whose `wake()`
//!    panics is reported and the others of the event are still woken; the
//!    panic never reaches the reactor's thread.
//!
//! # Protocol (both sides of the race)
//!
//! Reactor, for an event `(generation, ready)`:
//! 1. CAS the word: if generations differ, stop; else OR in `ready`, tick += 1.
//! 2. Lock `waiters`; take every waker whose interest `ready` satisfies.
//! 3. Unlock; wake them.
//!
//! Task, waiting for a direction:
//! 1. Load the word; if it satisfies the direction (or SHUTDOWN), return
//!    ready with the observed tick.
//! 2. Lock `waiters`; store the waker.
//! 3. Load the word again; if ready, return ready. Else unlock, `Pending`.
//!
//! Rejected: a waker slot updated by CAS without a lock (`AtomicWaker`) per
//! direction. It does not give many `readable()` callers each a slot, and the
//! lock is uncontended in the common case (one reader, one writer, one
//! reactor).

use std::task::{Context, Poll, Waker};

use crate::io::{Interest, Ready};
use crate::loom::sync::atomic::{AtomicU64, Ordering::AcqRel, Ordering::Acquire};
use crate::loom::sync::Mutex;
use crate::util::wake;

const READINESS_MASK: u64 = 0b11_1111;
const SHUTDOWN: u64 = 1 << 6;
const TICK_SHIFT: u32 = 16;
const TICK_MASK: u64 = 0xFFFF << TICK_SHIFT;
const GEN_SHIFT: u32 = 32;

/// The two directions with a dedicated waker slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    pub(crate) fn interest(self) -> Interest {
        match self {
            Direction::Read => Interest::READABLE,
            Direction::Write => Interest::WRITABLE,
        }
    }
}

/// What a task observed: the readiness and the tick it came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadyEvent {
    pub(crate) ready: Ready,
    pub(crate) tick: u16,
    pub(crate) is_shutdown: bool,
}

#[derive(Debug)]
pub(crate) struct ScheduledIo {
    /// The state word (module docs).
    readiness: AtomicU64,
    /// Rule 4.
    waiters: Mutex<Waiters>,
}

#[derive(Debug, Default)]
struct Waiters {
    /// The waker of the task polling reads (`poll_read`, `poll_accept`, ...).
    reader: Option<Waker>,
    /// The waker of the task polling writes.
    writer: Option<Waker>,
    /// `readable()`/`writable()`/`ready()` futures, any number; a slot stays
    /// allocated until its future drops, so keys are never reused while held.
    list: Vec<Option<Waiter>>,
    free: Vec<usize>,
}

#[derive(Debug)]
struct Waiter {
    interest: Interest,
    /// `None` once woken (or before the first poll).
    waker: Option<Waker>,
}

fn generation_of(word: u64) -> u32 {
    (word >> GEN_SHIFT) as u32
}

fn tick_of(word: u64) -> u16 {
    ((word & TICK_MASK) >> TICK_SHIFT) as u16
}

fn event_of(word: u64, interest: Interest) -> ReadyEvent {
    ReadyEvent {
        ready: Ready::from_usize((word & READINESS_MASK) as usize).intersection(interest),
        tick: tick_of(word),
        is_shutdown: word & SHUTDOWN != 0,
    }
}

impl ScheduledIo {
    pub(crate) fn new(generation: u32) -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicU64::new((generation as u64) << GEN_SHIFT),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    #[cfg(test)]
    pub(crate) fn generation(&self) -> u32 {
        generation_of(self.readiness.load(Acquire))
    }

    /// Reactor step 1-3: records `ready` if `generation` matches (rule 1) and
    /// wakes the tasks it satisfies. Returns false for a stale event.
    pub(crate) fn set_readiness(&self, generation: u32, ready: Ready) -> bool {
        let mut current = self.readiness.load(Acquire);
        loop {
            if generation_of(current) != generation {
                return false;
            }
            let tick = tick_of(current).wrapping_add(1) as u64;
            let next = (current & !TICK_MASK)
                | (tick << TICK_SHIFT)
                | (ready.as_usize() as u64 & READINESS_MASK);
            match self
                .readiness
                .compare_exchange(current, next, AcqRel, Acquire)
            {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        self.wake(ready);
        true
    }

    /// Rule 2: clears `event.ready` (except the closed flags, rule 3) unless a
    /// newer event arrived since `event` was observed.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        let mask = (event.ready - Ready::READ_CLOSED - Ready::WRITE_CLOSED).as_usize() as u64;
        let mut current = self.readiness.load(Acquire);
        loop {
            if tick_of(current) != event.tick {
                return;
            }
            let next = current & !mask;
            if next == current {
                return;
            }
            match self
                .readiness
                .compare_exchange(current, next, AcqRel, Acquire)
            {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Marks the resource shut down and wakes every waiter.
    pub(crate) fn shutdown(&self) {
        self.readiness.fetch_or(SHUTDOWN, AcqRel);
        self.wake(Ready::ALL);
    }

    #[cfg(test)]
    pub(crate) fn is_shutdown(&self) -> bool {
        self.readiness.load(Acquire) & SHUTDOWN != 0
    }

    /// The current readiness for `interest`, without registering anything.
    pub(crate) fn ready_event(&self, interest: Interest) -> ReadyEvent {
        event_of(self.readiness.load(Acquire), interest)
    }

    /// Task steps 1-3 for the reader or writer slot.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<ReadyEvent> {
        let interest = direction.interest();
        // Task step 1.
        let event = self.ready_event(interest);
        if !event.ready.is_empty() || event.is_shutdown {
            return Poll::Ready(event);
        }
        // Task step 2.
        let mut waiters = self.waiters.lock();
        let slot = match direction {
            Direction::Read => &mut waiters.reader,
            Direction::Write => &mut waiters.writer,
        };
        match slot {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
        // Task step 3 (rule 4).
        let event = self.ready_event(interest);
        drop(waiters);
        if !event.ready.is_empty() || event.is_shutdown {
            Poll::Ready(event)
        } else {
            Poll::Pending
        }
    }

    /// Task steps 1-3 for a waiter in the list; `key` is allocated on first
    /// use and must be released with [`ScheduledIo::remove_waiter`].
    pub(crate) fn poll_waiter(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        key: &mut Option<usize>,
    ) -> Poll<ReadyEvent> {
        let event = self.ready_event(interest);
        if !event.ready.is_empty() || event.is_shutdown {
            return Poll::Ready(event);
        }
        let mut waiters = self.waiters.lock();
        let waiters = &mut *waiters;
        let index = match *key {
            Some(index) => index,
            None => {
                let index = match waiters.free.pop() {
                    Some(index) => index,
                    None => {
                        waiters.list.push(None);
                        waiters.list.len() - 1
                    }
                };
                *key = Some(index);
                index
            }
        };
        let entry = waiters.list[index].get_or_insert(Waiter {
            interest,
            waker: None,
        });
        entry.interest = interest;
        match &entry.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => entry.waker = Some(cx.waker().clone()),
        }
        let event = self.ready_event(interest);
        if !event.ready.is_empty() || event.is_shutdown {
            Poll::Ready(event)
        } else {
            Poll::Pending
        }
    }

    /// Releases a waiter key from [`ScheduledIo::poll_waiter`].
    pub(crate) fn remove_waiter(&self, key: usize) {
        let mut waiters = self.waiters.lock();
        if let Some(slot) = waiters.list.get_mut(key) {
            *slot = None;
            waiters.free.push(key);
        }
    }

    /// Reactor steps 2-3 (rule 5). The reader and writer slots (the common
    /// case: one task per direction) are woken without allocating; only
    /// `readable()`-style waiters are collected into a `Vec`.
    fn wake(&self, ready: Ready) {
        let mut list: Vec<Waker> = Vec::new();
        let (reader, writer) = {
            let mut waiters = self.waiters.lock();
            let reader = if ready.satisfies(Interest::READABLE) {
                waiters.reader.take()
            } else {
                None
            };
            let writer = if ready.satisfies(Interest::WRITABLE) {
                waiters.writer.take()
            } else {
                None
            };
            for waiter in waiters.list.iter_mut().flatten() {
                if ready.satisfies(waiter.interest) {
                    list.extend(waiter.waker.take());
                }
            }
            (reader, writer)
        };
        // Rule 6: a panicking waker costs only itself.
        if let Some(waker) = reader {
            wake::wake(waker, &"I/O readiness");
        }
        if let Some(waker) = writer {
            wake::wake(waker, &"I/O readiness");
        }
        for waker in list {
            wake::wake(waker, &"I/O readiness");
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct CountWaker(AtomicUsize);
    impl Wake for CountWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counter() -> (Arc<CountWaker>, Waker) {
        let c = Arc::new(CountWaker(AtomicUsize::new(0)));
        (c.clone(), Waker::from(c))
    }

    #[test]
    fn set_then_poll_is_ready_and_clear_respects_tick() {
        let io = ScheduledIo::new(7);
        let (_, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());
        assert!(io.set_readiness(7, Ready::READABLE));
        let ev = match io.poll_ready(&mut cx, Direction::Read) {
            Poll::Ready(ev) => ev,
            Poll::Pending => panic!("not ready"),
        };
        assert!(ev.ready.is_readable());
        // A newer event arrives between the observation and the clear.
        assert!(io.set_readiness(7, Ready::READABLE));
        io.clear_readiness(ev);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_ready());
        // With the current tick the clear takes effect.
        let ev = io.ready_event(Interest::READABLE);
        io.clear_readiness(ev);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());
    }

    #[test]
    fn stale_generation_is_dropped() {
        let io = ScheduledIo::new(3);
        let (count, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());
        assert!(!io.set_readiness(2, Ready::READABLE));
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());
        assert_eq!(io.generation(), 3);
    }

    #[test]
    fn directions_wake_their_own_waker() {
        let io = ScheduledIo::new(0);
        let (reads, rw) = counter();
        let (writes, ww) = counter();
        assert!(io
            .poll_ready(&mut Context::from_waker(&rw), Direction::Read)
            .is_pending());
        assert!(io
            .poll_ready(&mut Context::from_waker(&ww), Direction::Write)
            .is_pending());
        io.set_readiness(0, Ready::WRITABLE);
        assert_eq!(reads.0.load(Ordering::SeqCst), 0);
        assert_eq!(writes.0.load(Ordering::SeqCst), 1);
        io.set_readiness(0, Ready::READ_CLOSED);
        assert_eq!(reads.0.load(Ordering::SeqCst), 1);
        // Closed flags survive a clear (rule 3).
        let ev = io.ready_event(Interest::READABLE);
        io.clear_readiness(ev);
        assert!(io.ready_event(Interest::READABLE).ready.is_read_closed());
    }

    #[test]
    fn many_waiters_each_woken_and_shutdown_wakes_all() {
        let io = ScheduledIo::new(0);
        let counters: Vec<_> = (0..3).map(|_| counter()).collect();
        let mut keys = [None, None, None];
        for (i, (_, w)) in counters.iter().enumerate() {
            assert!(io
                .poll_waiter(
                    &mut Context::from_waker(w),
                    Interest::READABLE,
                    &mut keys[i]
                )
                .is_pending());
        }
        io.set_readiness(0, Ready::READABLE);
        for (c, _) in &counters {
            assert_eq!(c.0.load(Ordering::SeqCst), 1);
        }
        let ev = io.ready_event(Interest::READABLE);
        io.clear_readiness(ev);
        // A released key is reused by the next waiter.
        io.remove_waiter(keys[1].take().unwrap());
        let (c, w) = counter();
        let mut key = None;
        assert!(io
            .poll_waiter(&mut Context::from_waker(&w), Interest::WRITABLE, &mut key)
            .is_pending());
        assert_eq!(key, Some(1));
        io.shutdown();
        assert_eq!(c.0.load(Ordering::SeqCst), 1);
        match io.poll_ready(&mut Context::from_waker(&w), Direction::Read) {
            Poll::Ready(ev) => assert!(ev.is_shutdown),
            Poll::Pending => panic!("shutdown must be ready"),
        }
        for k in keys.into_iter().chain([key]).flatten() {
            io.remove_waiter(k);
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use crate::loom::sync::Arc;
    use crate::loom::thread;

    /// The reactor reports readiness while the task, having seen a stale
    /// readable event, gets `WouldBlock` and clears it. The task must still
    /// get the data: either its clear is refused (newer tick) or its waker is
    /// found by the reactor.
    #[test]
    fn loom_set_readiness_races_clear() {
        loom::model(|| {
            let io = Arc::new(ScheduledIo::new(1));
            let has_data = Arc::new(AtomicBool::new(false));
            // An earlier event the task will find with no data behind it.
            io.set_readiness(1, Ready::READABLE);

            let reactor = {
                let io = io.clone();
                let has_data = has_data.clone();
                thread::spawn(move || {
                    // The "socket" gets data (an RMW: loom may reorder a
                    // plain store before an earlier-executed swap).
                    has_data.swap(true, SeqCst);
                    io.set_readiness(1, Ready::READABLE);
                })
            };

            loom::future::block_on(std::future::poll_fn(|cx| loop {
                match io.poll_ready(cx, Direction::Read) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(ev) => {
                        if has_data.swap(false, SeqCst) {
                            return Poll::Ready(());
                        }
                        io.clear_readiness(ev);
                    }
                }
            }));
            reactor.join().unwrap();
        });
    }

    /// A read that takes everything queued and reports the queue drained
    /// clears readiness at once (no `WouldBlock` first), while the reactor
    /// queues one more message and reports it. The task must get both.
    #[test]
    fn loom_drained_read_clear_races_new_data() {
        use crate::loom::sync::atomic::AtomicUsize;
        loom::model(|| {
            let io = Arc::new(ScheduledIo::new(1));
            let queued = Arc::new(AtomicUsize::new(1));
            io.set_readiness(1, Ready::READABLE);

            let reactor = {
                let io = io.clone();
                let queued = queued.clone();
                thread::spawn(move || {
                    queued.fetch_add(1, SeqCst);
                    io.set_readiness(1, Ready::READABLE);
                })
            };

            let mut got = 0;
            loom::future::block_on(std::future::poll_fn(|cx| loop {
                match io.poll_ready(cx, Direction::Read) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(ev) => {
                        // Either `WouldBlock` or a read that drained the
                        // queue: both clear with the observed tick.
                        got += queued.swap(0, SeqCst);
                        if got == 2 {
                            return Poll::Ready(());
                        }
                        io.clear_readiness(ev);
                    }
                }
            }));
            reactor.join().unwrap();
        });
    }

    /// A `readable()` waiter registering while the reactor delivers.
    #[test]
    fn loom_waiter_registration_races_wake() {
        loom::model(|| {
            let io = Arc::new(ScheduledIo::new(0));
            let reactor = {
                let io = io.clone();
                thread::spawn(move || {
                    io.set_readiness(0, Ready::READABLE);
                })
            };
            let mut key = None;
            let ev = loom::future::block_on(std::future::poll_fn(|cx| {
                io.poll_waiter(cx, Interest::READABLE, &mut key)
            }));
            assert!(ev.ready.is_readable());
            io.remove_waiter(key.unwrap());
            reactor.join().unwrap();
        });
    }
}
