//! The reactor: one `mio::Poll` (epoll, edge-triggered) that the runtime
//! parks on, and the slab of registrations its events are delivered to.
//!
//! # Glossary
//!
//! - *registration*: one OS resource (socket, pipe) registered with mio under
//!   a token; owned by a [`Registration`](super::registration::Registration).
//! - *slot*: the index of a registration in the slab; reused after release.
//! - *generation*: a counter bumped for every new registration; packed into
//!   the token next to the slot index and stored in the registration's state
//!   word, so that an event for a closed resource whose fd number and slot
//!   were reused is recognized and dropped.
//!
//! # Token layout
//!
//! ```text
//!  usize::BITS-1   (reserved, 0)       INDEX_BITS        0
//! +---------------+--------------------+-----------------+
//! |       0       | generation (masked)|   slab index    |
//! +---------------+--------------------+-----------------+
//! ```
//!
//! The top bit is always clear, so no registration token equals
//! [`WAKE_TOKEN`] (`usize::MAX`), the token of the `mio::Waker`.
//!
//! # Rules
//!
//! 1. The slab, the registry and the shutdown flag live behind one mutex
//!    (`Shared::inner`). Registering, releasing and shutting down take it;
//!    event dispatch takes it once per batch of events, only to look up slots.
//! 2. Readiness is set and wakers are called *after* the lock is released:
//!    a waker may drop a resource, which releases its slot (takes the lock).
//! 3. A slot is released only by its `Registration`'s drop, after the
//!    resource was deregistered from mio, and only if it still holds that
//!    registration's state (compared by pointer).
//! 4. After shutdown no registration succeeds; the registry (a duplicate of
//!    the epoll fd) is closed at once; every registration is marked shut
//!    down and woken, and its operations fail with "the I/O driver has shut
//!    down".
//! 5. `IoHandle::unpark` writes the waker fd only when the reactor's thread
//!    may be blocked in `epoll_wait`; the protocol is in `super::unpark`.
//!
//! # Event delivery protocol
//!
//! Reactor (the thread that owns [`Driver`], inside `park`):
//! 1. `epoll_wait` through `mio::Poll::poll` (between the `unpark` state's
//!    `enter_wait` and `enter_dispatch`, rule 5; `leave` after step 3).
//! 2. Lock; for each event, look up the slot of its token and clone the
//!    `Arc<ScheduledIo>` it holds, with the token's generation; unlock.
//! 3. For each: `ScheduledIo::set_readiness(generation, ready)` — a
//!    generation mismatch (the slot was reused between 1 and 2) drops the
//!    event — which wakes the waiting tasks.
//!
//! With the io_uring backend (`super::uring`, Linux) step 1 is one
//! `io_uring_enter` collecting multishot poll completions instead of
//! `epoll_wait`; steps 2-3 are the same.
//!
//! Steps 2-3 are `Reactor::deliver` (`super::backend`, the registration
//! half of the driver contract, which `IoHandle` implements).
//! Everything past step 1 is plain data, so the delivery logic is tested
//! below with made-up events and no file descriptors.

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use mio::event::Source;
use mio::Token;

use crate::io::backend::{Reactor, Registers};
use crate::io::scheduled_io::ScheduledIo;
use crate::io::selection::IoDriver;
use crate::io::unpark::UnparkState;
#[cfg(target_os = "linux")]
use crate::io::uring::Ring;
use crate::io::{Interest, Ready};
use crate::loom::sync::atomic::{AtomicBool, Ordering::Acquire, Ordering::Release};
use crate::loom::sync::{Arc, Mutex};
use crate::runtime::contract::Delivered;

/// Token of the `mio::Waker` that `IoHandle::unpark` triggers.
const WAKE_TOKEN: Token = Token(usize::MAX);

/// Bits of a token holding the slab index.
const INDEX_BITS: u32 = 24;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
/// Bits of a token holding the generation (the top bit stays clear).
const GEN_BITS: u32 = {
    let available = usize::BITS - INDEX_BITS - 1;
    if available < 32 {
        available
    } else {
        32
    }
};
const GEN_MASK: u32 = if GEN_BITS == 32 {
    u32::MAX
} else {
    (1 << GEN_BITS) - 1
};

fn pack(index: usize, generation: u32) -> Token {
    Token(((generation as usize) << INDEX_BITS) | index)
}

fn unpack(token: Token) -> (usize, u32) {
    (
        token.0 & INDEX_MASK,
        ((token.0 >> INDEX_BITS) as u32) & GEN_MASK,
    )
}

/// The error every operation on a resource returns once its reactor is gone.
pub(crate) fn shutdown_error() -> io::Error {
    crate::util::shutdown_error::runtime_shutdown("the I/O driver has shut down")
}

/// Owned by the thread that parks.
pub(crate) struct Driver {
    backend: Backend,
    /// Reused buffer for step 2 of the delivery protocol.
    pending: Vec<(Arc<ScheduledIo>, u32, Ready)>,
}

/// Registers resources and wakes the parked reactor; cheap to clone.
#[derive(Clone)]
pub(crate) struct IoHandle {
    shared: Arc<Shared>,
}

/// What step 1 of the delivery protocol waits on.
enum Backend {
    Epoll {
        poll: mio::Poll,
        events: mio::Events,
    },
    #[cfg(target_os = "linux")]
    Uring {
        ring: Arc<Ring>,
        events: Vec<(Token, Ready)>,
    },
}

/// Where resources are registered (and, for io_uring, the ring that wakes).
enum Registry {
    Epoll(mio::Registry),
    #[cfg(target_os = "linux")]
    Uring(Arc<Ring>),
}

enum Waker {
    Epoll(mio::Waker),
    #[cfg(target_os = "linux")]
    Uring(Arc<Ring>),
}

struct Shared {
    waker: Waker,
    /// Which backend runs.
    kind: IoDriver,
    /// When `unpark` must write `waker` (rule 5).
    unpark: UnparkState,
    /// A copy of `ReactorShared::is_shutdown` that `park` reads without the lock.
    is_shutdown: AtomicBool,
    /// Rule 1.
    inner: Mutex<ReactorShared>,
}

struct ReactorShared {
    /// `None` after shutdown (rule 4) or in tests without an OS backend.
    registry: Option<Registry>,
    is_shutdown: bool,
    slab: Slab,
    next_generation: u32,
}

/// Slots of `Arc<ScheduledIo>` with a free list.
#[derive(Default)]
struct Slab {
    entries: Vec<Option<Arc<ScheduledIo>>>,
    free: Vec<usize>,
    len: usize,
}

impl Slab {
    fn vacant(&mut self) -> io::Result<usize> {
        if let Some(index) = self.free.pop() {
            return Ok(index);
        }
        if self.entries.len() > INDEX_MASK {
            return Err(io::Error::other(
                "the I/O driver has reached its maximum number of registered resources",
            ));
        }
        self.entries.push(None);
        Ok(self.entries.len() - 1)
    }

    fn fill(&mut self, index: usize, io: Arc<ScheduledIo>) {
        debug_assert!(self.entries[index].is_none());
        self.entries[index] = Some(io);
        self.len += 1;
    }

    /// Returns an unused slot from `vacant` to the free list.
    fn unvacant(&mut self, index: usize) {
        self.free.push(index);
    }

    fn get(&self, index: usize) -> Option<&Arc<ScheduledIo>> {
        self.entries.get(index).and_then(Option::as_ref)
    }

    /// Rule 3: frees `index` only if it still holds `io`.
    fn remove(&mut self, index: usize, io: &Arc<ScheduledIo>) -> bool {
        match self.entries.get_mut(index) {
            Some(slot) if slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, io)) => {
                *slot = None;
                self.free.push(index);
                self.len -= 1;
                true
            }
            _ => false,
        }
    }

    fn drain(&mut self) -> Vec<Arc<ScheduledIo>> {
        self.free.clear();
        self.len = 0;
        self.entries.drain(..).flatten().collect()
    }
}

impl ReactorShared {
    fn new(registry: Option<Registry>) -> ReactorShared {
        ReactorShared {
            registry,
            is_shutdown: false,
            slab: Slab::default(),
            next_generation: 0,
        }
    }

    /// Allocates a slot and a fresh state for a new registration, calling
    /// `register` with its token; undone if `register` fails.
    fn insert(
        &mut self,
        register: impl FnOnce(Option<&Registry>, Token) -> io::Result<()>,
    ) -> io::Result<(Arc<ScheduledIo>, Token)> {
        if self.is_shutdown {
            return Err(shutdown_error());
        }
        let index = self.slab.vacant()?;
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1) & GEN_MASK;
        let token = pack(index, generation);
        if let Err(e) = register(self.registry.as_ref(), token) {
            self.slab.unvacant(index);
            return Err(e);
        }
        let io = Arc::new(ScheduledIo::new(generation));
        self.slab.fill(index, io.clone());
        Ok((io, token))
    }
}

impl Driver {
    /// A reactor on epoll (kqueue), or on io_uring for
    /// `IoDriver::Uring`, which the caller resolved (never `Auto`).
    pub(crate) fn new(nevents: usize, kind: IoDriver) -> io::Result<(Driver, IoHandle)> {
        let (backend, registry, waker) = match kind {
            #[cfg(target_os = "linux")]
            IoDriver::Uring => {
                let ring = Arc::new(Ring::new()?);
                let backend = Backend::Uring {
                    ring: ring.clone(),
                    events: Vec::with_capacity(nevents.max(1)),
                };
                (backend, Registry::Uring(ring.clone()), Waker::Uring(ring))
            }
            _ => {
                let poll = mio::Poll::new()?;
                let waker = mio::Waker::new(poll.registry(), WAKE_TOKEN)?;
                let registry = poll.registry().try_clone()?;
                let backend = Backend::Epoll {
                    poll,
                    events: mio::Events::with_capacity(nevents.max(1)),
                };
                (backend, Registry::Epoll(registry), Waker::Epoll(waker))
            }
        };
        let kind = match backend {
            Backend::Epoll { .. } => IoDriver::Epoll,
            #[cfg(target_os = "linux")]
            Backend::Uring { .. } => IoDriver::Uring,
        };
        let handle = IoHandle {
            shared: Arc::new(Shared {
                waker,
                kind,
                unpark: UnparkState::new(),
                is_shutdown: AtomicBool::new(false),
                inner: Mutex::new(ReactorShared::new(Some(registry))),
            }),
        };
        let driver = Driver {
            backend,
            pending: Vec::new(),
        };
        Ok((driver, handle))
    }

    /// Waits for events (at most `timeout`) and delivers them. Returns the
    /// number of readiness events delivered, and whether anything came: an
    /// event, or an unpark (pending or during the wait), so that a task
    /// may be runnable now.
    pub(crate) fn park(&mut self, handle: &IoHandle, timeout: Option<Duration>) -> Delivered {
        let shared = &*handle.shared;
        if shared.is_shutdown.load(Acquire) {
            return Delivered::default();
        }
        // Rule 5, reactor step 1.
        let unparked = !shared.unpark.enter_wait();
        let timeout = if unparked {
            Some(Duration::ZERO)
        } else {
            timeout
        };
        let (events, any) = match &mut self.backend {
            Backend::Epoll { poll, events } => {
                // Delivery step 1.
                let res = poll.poll(events, timeout);
                shared.unpark.enter_dispatch();
                match res {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => panic!("unexpected error when polling the I/O driver: {e:?}"),
                }
                let ready = events
                    .iter()
                    .filter(|event| event.token() != WAKE_TOKEN)
                    .count();
                let any = !events.is_empty();
                let iter = events
                    .iter()
                    .map(|event| (event.token(), Ready::from_mio(event)));
                handle.deliver(iter, &mut self.pending);
                (ready, any)
            }
            #[cfg(target_os = "linux")]
            Backend::Uring { ring, events } => {
                // Delivery step 1, on the ring.
                let woken = ring.park(timeout, events);
                shared.unpark.enter_dispatch();
                let ready = events.len();
                let any = woken || !events.is_empty();
                handle.deliver(events.drain(..), &mut self.pending);
                (ready, any)
            }
        };
        shared.unpark.leave();
        Delivered {
            events,
            any: unparked || any,
        }
    }

    /// Rule 4.
    pub(crate) fn shutdown(&mut self, handle: &IoHandle) {
        #[cfg(target_os = "linux")]
        if let Backend::Uring { ring, .. } = &self.backend {
            ring.close();
        }
        handle.shutdown();
    }
}

impl IoHandle {
    /// Current runtime's reactor, or an error naming the fix.
    pub(crate) fn current() -> io::Result<IoHandle> {
        if let Some(seed) = crate::context::simulation_seed() {
            panic!(
                "evloop::sim: leak of real I/O into a simulation (seed {seed}): a real OS \
                 socket or file descriptor is being registered with the I/O reactor. A \
                 simulation has no reactor: its runs must not depend on the real network. \
                 Create the resource outside the simulation, or use the simulated one"
            );
        }
        match crate::context::with_driver(|d| d.io.clone()) {
            Some(Some(handle)) => Ok(handle),
            Some(None) => Err(io::Error::other(
                "the current evloop runtime has I/O disabled: call `enable_io()` (or \
                 `enable_all()`) on the runtime `Builder`",
            )),
            None => Err(io::Error::other(
                "there is no reactor running: this must be called from within an evloop \
                 runtime (inside `block_on`, a spawned task, or after `Runtime::enter`)",
            )),
        }
    }

    /// Like [`IoHandle::current`], but panics with the error's message.
    #[track_caller]
    pub(crate) fn current_or_panic() -> IoHandle {
        match IoHandle::current() {
            Ok(handle) => handle,
            Err(e) => panic!("{e}"),
        }
    }

    /// Wakes the thread parked in [`Driver::park`], or makes its next park
    /// return at once; writes the waker fd only if that thread may be
    /// blocked in `epoll_wait` (rule 5).
    pub(crate) fn unpark(&self) {
        if self.shared.unpark.unpark() {
            match &self.shared.waker {
                Waker::Epoll(waker) => waker.wake().expect("failed to wake the I/O driver"),
                #[cfg(target_os = "linux")]
                Waker::Uring(ring) => ring.wake(),
            }
        }
    }

    /// The io_uring ring, if this reactor runs on one.
    #[cfg(target_os = "linux")]
    pub(crate) fn ring(&self) -> Option<&Arc<Ring>> {
        match &self.shared.waker {
            Waker::Uring(ring) => Some(ring),
            Waker::Epoll(_) => None,
        }
    }

    /// Queues a completion operation (`uring` rule 7): submitted with the
    /// next park, or at once if the parked thread may be blocked.
    #[cfg(target_os = "linux")]
    pub(crate) fn push_op(
        &self,
        entry: io_uring::squeue::Entry,
        state: Arc<crate::io::op_state::OpState>,
    ) -> io::Result<u64> {
        let ring = self
            .ring()
            .ok_or_else(|| io::Error::other("not an io_uring driver"))?;
        let user_data = ring.push_op(entry, state)?;
        ring.submit_if(|| self.shared.unpark.is_parked());
        Ok(user_data)
    }

    /// Cancels a completion operation in flight (its future was dropped).
    #[cfg(target_os = "linux")]
    pub(crate) fn cancel_op(&self, user_data: u64) {
        if let Some(ring) = self.ring() {
            ring.cancel(user_data);
        }
    }

    /// Which backend this reactor runs on (`Uring` or `Epoll`).
    pub(crate) fn kind(&self) -> IoDriver {
        self.shared.kind
    }

    fn shutdown(&self) {
        let ios = {
            let mut inner = self.shared.inner.lock();
            if inner.is_shutdown {
                return;
            }
            inner.is_shutdown = true;
            self.shared.is_shutdown.store(true, Release);
            inner.registry = None;
            inner.slab.drain()
        };
        for io in ios {
            io.shutdown();
        }
    }

    #[cfg(test)]
    fn registered(&self) -> usize {
        self.shared.inner.lock().slab.len
    }
}

/// The registration half of the driver contract (`super::backend`), for
/// the mio reactor: tokens are slot and generation packed, events are
/// readiness sets.
impl Reactor for IoHandle {
    type Token = Token;
    type Event = Ready;
    type Scratch = Vec<(Arc<ScheduledIo>, u32, Ready)>;

    /// Rule 3: frees the slot of a dropped registration.
    fn release(&self, token: Token, io: &Arc<ScheduledIo>) {
        let (index, _) = unpack(token);
        self.shared.inner.lock().slab.remove(index, io);
    }

    /// Delivery steps 2-3.
    fn deliver(
        &self,
        events: impl Iterator<Item = (Token, Ready)>,
        pending: &mut Vec<(Arc<ScheduledIo>, u32, Ready)>,
    ) {
        {
            let inner = self.shared.inner.lock();
            for (token, ready) in events {
                if token == WAKE_TOKEN {
                    continue;
                }
                let (index, generation) = unpack(token);
                if let Some(io) = inner.slab.get(index) {
                    pending.push((io.clone(), generation, ready));
                }
            }
        }
        // Rule 2.
        for (io, generation, ready) in pending.drain(..) {
            io.set_readiness(generation, ready);
        }
    }
}

impl<S: Source + AsRawFd + ?Sized> Registers<S> for IoHandle {
    /// Registers `source` for `interest`; returns its state and token.
    fn register(
        &self,
        source: &mut S,
        interest: Interest,
    ) -> io::Result<(Arc<ScheduledIo>, Token)> {
        self.shared
            .inner
            .lock()
            .insert(|registry, token| match registry {
                Some(Registry::Epoll(registry)) => {
                    registry.register(source, token, interest.to_mio())
                }
                #[cfg(target_os = "linux")]
                Some(Registry::Uring(ring)) => ring.register(source.as_raw_fd(), token, interest),
                None => Err(shutdown_error()),
            })
    }

    /// Deregisters `source` from mio (its slot stays until `release`).
    fn deregister(&self, source: &mut S) -> io::Result<()> {
        let inner = self.shared.inner.lock();
        match &inner.registry {
            Some(Registry::Epoll(registry)) => registry.deregister(source),
            #[cfg(target_os = "linux")]
            Some(Registry::Uring(ring)) => ring.deregister(source.as_raw_fd()),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("io::Driver").finish_non_exhaustive()
    }
}

impl fmt::Debug for IoHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.shared.inner.lock();
        f.debug_struct("io::IoHandle")
            .field("registered", &inner.slab.len)
            .field("is_shutdown", &inner.is_shutdown)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::io::Interest;
    use std::io::{Read, Write};

    #[test]
    fn token_round_trip_never_hits_wake_token() {
        for (index, generation) in [(0, 0), (INDEX_MASK, GEN_MASK), (5, 77)] {
            let token = pack(index, generation);
            assert_ne!(token, WAKE_TOKEN);
            assert_eq!(unpack(token), (index, generation));
        }
    }

    /// Slot reuse without file descriptors: an event carrying the old
    /// generation of a reused slot must not reach the new owner.
    #[test]
    fn stale_event_for_reused_slot_is_dropped() {
        let mut inner = ReactorShared::new(None);
        let (old, old_token) = inner.insert(|_, _| Ok(())).unwrap();
        assert!(inner.slab.remove(unpack(old_token).0, &old));
        let (new, new_token) = inner.insert(|_, _| Ok(())).unwrap();
        assert_eq!(unpack(old_token).0, unpack(new_token).0, "slot reused");
        assert_ne!(old_token, new_token);

        let slot = inner.slab.get(unpack(old_token).0).unwrap().clone();
        assert!(!slot.set_readiness(unpack(old_token).1, Ready::READABLE));
        assert!(new.ready_event(Interest::READABLE).ready.is_empty());
        assert!(slot.set_readiness(unpack(new_token).1, Ready::READABLE));
        assert!(new.ready_event(Interest::READABLE).ready.is_readable());
    }

    #[test]
    fn failed_register_frees_the_slot_and_remove_checks_identity() {
        let mut inner = ReactorShared::new(None);
        let err = inner
            .insert(|_, _| Err(io::Error::from(io::ErrorKind::InvalidInput)))
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let (a, ta) = inner.insert(|_, _| Ok(())).unwrap();
        assert_eq!(unpack(ta).0, 0);
        let other = Arc::new(ScheduledIo::new(99));
        assert!(!inner.slab.remove(0, &other));
        assert!(inner.slab.remove(0, &a));
        assert!(!inner.slab.remove(0, &a));
        inner.is_shutdown = true;
        assert!(inner.insert(|_, _| Ok(())).is_err());
    }

    /// The same storm with real fds: events are read from epoll, then the
    /// resource is closed and a new one (same fd number, same slot) is
    /// registered before the events are delivered.
    #[test]
    fn register_close_reopen_storm_delivers_no_stale_event() {
        use std::os::fd::AsRawFd;
        let (mut driver, handle) = Driver::new(64, IoDriver::Epoll).unwrap();
        // Irrefutable where io_uring is not compiled in.
        #[allow(irrefutable_let_patterns)]
        let Backend::Epoll { poll, events } = &mut driver.backend
        else {
            unreachable!()
        };
        let mut reused_fd = 0;
        for round in 0..200 {
            let (mut a, mut b) = mio::net::UnixStream::pair().unwrap();
            let fd = a.as_raw_fd();
            let (io_a, _token_a) = handle.register(&mut a, Interest::READABLE).unwrap();
            b.write_all(b"x").unwrap();
            poll.poll(events, Some(Duration::from_secs(5))).unwrap();
            assert!(events.iter().count() >= 1, "round {round}");

            // Close `a` before its event is delivered, reuse fd and slot.
            handle.deregister(&mut a).unwrap();
            let (old_index, _) = unpack(_token_a);
            handle.release(_token_a, &io_a);
            drop(a);
            drop(b);
            let (mut c, d) = mio::net::UnixStream::pair().unwrap();
            let (io_c, token_c) = handle.register(&mut c, Interest::READABLE).unwrap();
            assert_eq!(unpack(token_c).0, old_index);
            // Usually the same fd number, unless a parallel test took it.
            reused_fd += usize::from(c.as_raw_fd() == fd);

            let events: Vec<_> = events
                .iter()
                .map(|e| (e.token(), Ready::from_mio(e)))
                .collect();
            handle.deliver(events.into_iter(), &mut driver.pending);
            assert!(
                io_c.ready_event(Interest::READABLE).ready.is_empty(),
                "stale event delivered to the new owner in round {round}"
            );
            // And the new owner still gets its own events.
            let mut c_read = &c;
            let mut buf = [0u8; 1];
            assert_eq!(
                c_read.read(&mut buf).unwrap_err().kind(),
                io::ErrorKind::WouldBlock
            );
            handle.deregister(&mut c).unwrap();
            handle.release(token_c, &io_c);
            drop(d);
        }
        assert_eq!(handle.registered(), 0);
        assert!(reused_fd > 0, "the storm never reused an fd number");
    }

    #[test]
    fn shutdown_marks_and_refuses() {
        let (mut driver, handle) = Driver::new(8, IoDriver::Epoll).unwrap();
        let (mut a, _b) = mio::net::UnixStream::pair().unwrap();
        let (io, _) = handle.register(&mut a, Interest::READABLE).unwrap();
        driver.shutdown(&handle);
        assert!(io.is_shutdown());
        let (mut c, _d) = mio::net::UnixStream::pair().unwrap();
        let err = handle.register(&mut c, Interest::READABLE).unwrap_err();
        assert_eq!(err.to_string(), "the I/O driver has shut down");
        // Parking after shutdown returns at once.
        driver.park(&handle, None);
    }
}
