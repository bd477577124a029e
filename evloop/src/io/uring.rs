//! The io_uring backend of the reactor (Linux only): readiness through
//! multishot `IORING_OP_POLL_ADD` requests on one ring, so every resource
//! of the epoll backend (sockets, pipes, `AsyncFd`) works unchanged. The
//! slab, the tokens, the generations and the delivery protocol are the
//! reactor's (`super::reactor`); this file is what differs: how a resource
//! is watched, how the parking thread waits, how it is woken.
//!
//! # Rules
//!
//! 1. **One ring per runtime**, shared by its workers. The multi-thread
//!    scheduler lets one worker at a time park on the driver, so the
//!    completion queue has one reader at a time: the thread inside
//!    [`Ring::park`]. Submissions come from any thread (a socket is
//!    registered where it is created), so the ring is set up without
//!    `SINGLE_ISSUER`/`DEFER_TASKRUN`.
//! 2. **Submission lock.** Pushing to the submission queue and the
//!    `fd -> token` table take `Ring::sq`; a registration or a removal is
//!    submitted (`io_uring_enter`, no wait) before its call returns, so it
//!    never waits for the parked thread, and a removal is done before the
//!    owner closes the descriptor (a pending poll request holds a reference
//!    to the file: the peer would not see the close).
//! 3. **Tokens.** A poll request's `user_data` is the registration's token
//!    (slot and generation, top bit clear). [`WAKE`] names the eventfd's
//!    poll request, [`IGNORE`] the removals, whose completions are dropped.
//!    A completion for a released or reused slot is dropped by the
//!    generation check of the delivery protocol, as with epoll.
//! 4. **Edge-triggered.** Multishot poll requests post one completion per
//!    wake-up of the file (`EPOLLET` semantics), which is what
//!    `ScheduledIo` expects. A request the kernel ends (no `F_MORE`: the
//!    completion queue overflowed, or an error) is re-armed by the parking
//!    thread if its registration is still in the table.
//! 5. **Park.** One `io_uring_enter` submits what is queued and waits for
//!    one completion or the timeout (`IORING_ENTER_EXT_ARG`); the unpark
//!    state of `super::unpark` decides when the wait must not block.
//! 6. **Unpark** writes the eventfd (only when the parked thread may be
//!    blocked, `super::unpark`); a multishot poll on the eventfd turns each
//!    write into a completion.
//! 7. **Completion operations** (owned-buffer reads and writes, files) get
//!    a `user_data` with [`OP_BIT`] and an `OpState` in the table
//!    (`super::op_state` has the buffer's rules). They are pushed from any
//!    thread and *not* submitted at once: the next park's `io_uring_enter`
//!    submits the whole batch. If the ring's thread may be blocked in that
//!    enter already, the pusher submits itself. The two sides decide with
//!    the Dekker pattern: the pusher publishes the entry, then (SeqCst
//!    fence) reads the unpark state; the parker publishes `PARKED`, then
//!    (SeqCst fence) lets the kernel read the queue; one of them sees the
//!    other (`loom_submit_or_leave` in `super::unpark`).
//! 8. **Shutdown** cancels the operations in flight and waits (bounded) for
//!    their completions, so no buffer is freed while the kernel may use
//!    it; an operation still in flight after that keeps its buffer for
//!    ever (leaked, not freed).

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use io_uring::{cqueue, opcode, squeue, types, IoUring};
use mio::Token;

use crate::io::op_state::OpState;
use crate::io::selection::Probe;
use crate::io::{Interest, Ready};
use crate::loom::sync::atomic::{fence, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};

/// `user_data` of the eventfd's poll request (rule 3).
pub(crate) const WAKE: u64 = u64::MAX;
/// `user_data` of requests whose completions are dropped (rule 3).
pub(crate) const IGNORE: u64 = u64::MAX - 1;

/// Submission queue entries; completions get four times as many.
const ENTRIES: u32 = 256;

/// Bit of the `user_data` of a completion operation (`OpState`, rule 7).
pub(crate) const OP_BIT: u64 = 1 << 62;

/// Rule 2: every op the driver uses.
const OPS: [u8; 7] = [
    opcode::PollAdd::CODE,
    opcode::PollRemove::CODE,
    opcode::AsyncCancel::CODE,
    opcode::Recv::CODE,
    opcode::Send::CODE,
    opcode::Read::CODE,
    opcode::Write::CODE,
];

/// The probe of `io::selection` (its rule 2): a ring can be set up and
/// has what the driver needs.
pub(crate) fn probe() -> Probe {
    check(IoUring::new(8))
}

/// Judges a setup attempt: the seam the fallback tests use.
pub(crate) fn check(setup: io::Result<IoUring>) -> Probe {
    let ring = match setup {
        Ok(ring) => ring,
        Err(e) => return Probe::Unavailable(format!("io_uring_setup failed: {e}")),
    };
    let params = ring.params();
    // `RSRC_TAGS` came with 5.13, the kernel of multishot poll requests.
    if !(params.is_feature_nodrop()
        && params.is_feature_ext_arg()
        && params.is_feature_resource_tagging())
    {
        return Probe::Unavailable("the kernel is older than 5.13".into());
    }
    let mut probe = io_uring::Probe::new();
    if let Err(e) = ring.submitter().register_probe(&mut probe) {
        return Probe::Unavailable(format!("IORING_REGISTER_PROBE failed: {e}"));
    }
    check_ops(|op| probe.is_supported(op))
}

/// The opcode half of [`check`].
pub(crate) fn check_ops(supported: impl Fn(u8) -> bool) -> Probe {
    match OPS.iter().find(|op| !supported(**op)) {
        None => Probe::Available,
        Some(op) => Probe::Unavailable(format!("the kernel lacks io_uring opcode {op}")),
    }
}

/// The poll mask watched for `interest` (errors and hang-ups always are).
fn poll_mask(interest: Interest) -> u32 {
    let mut mask = (libc::POLLERR | libc::POLLHUP) as u32;
    if interest.is_readable() {
        mask |= (libc::POLLIN | libc::POLLRDHUP) as u32;
    }
    if interest.is_writable() {
        mask |= libc::POLLOUT as u32;
    }
    if interest.is_priority() {
        // The kernel filters a poll request's wake-ups by its mask without
        // `POLLPRI`, and TCP's urgent data wakes with `POLLIN | POLLPRI`:
        // without `POLLIN` that wake-up would be dropped.
        mask |= (libc::POLLPRI | libc::POLLIN) as u32;
    }
    mask
}

/// A poll completion's mask as a readiness set (what mio reports for the
/// same epoll bits).
pub(crate) fn ready_from_mask(mask: u32) -> Ready {
    let has = |bit: i16| mask & bit as u32 != 0;
    let mut ready = Ready::EMPTY;
    if has(libc::POLLIN) {
        ready |= Ready::READABLE;
    }
    if has(libc::POLLOUT) {
        ready |= Ready::WRITABLE;
    }
    if has(libc::POLLPRI) {
        ready |= Ready::PRIORITY;
    }
    if has(libc::POLLRDHUP) || has(libc::POLLHUP) {
        ready |= Ready::READ_CLOSED;
    }
    if has(libc::POLLHUP) || (has(libc::POLLOUT) && has(libc::POLLERR)) {
        ready |= Ready::WRITE_CLOSED;
    }
    if has(libc::POLLERR) {
        ready |= Ready::ERROR;
    }
    ready
}

/// The ring, shared by the parking thread and the registering threads.
pub(crate) struct Ring {
    ring: IoUring,
    eventfd: OwnedFd,
    /// Rule 2.
    sq: Mutex<Table>,
}

/// The registered descriptors (rule 4 needs them to re-arm).
#[derive(Default)]
struct Table {
    by_fd: HashMap<RawFd, u64>,
    by_token: HashMap<u64, (RawFd, u32)>,
    /// Rule 7: operations in flight.
    ops: HashMap<u64, Arc<OpState>>,
    next_op: u64,
    closed: bool,
}

impl Ring {
    pub(crate) fn new() -> io::Result<Ring> {
        let ring = IoUring::builder()
            .setup_cqsize(ENTRIES * 4)
            .setup_clamp()
            .build(ENTRIES)?;
        // SAFETY: rule 1 of this module's `eventfd` call: a fresh
        // descriptor, owned by nobody else.
        let eventfd = unsafe {
            let fd = libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            OwnedFd::from_raw_fd(fd)
        };
        let ring = Ring {
            ring,
            eventfd,
            sq: Mutex::new(Table::default()),
        };
        let wake = poll_entry(ring.eventfd.as_raw_fd(), libc::POLLIN as u32, WAKE);
        ring.push_and_submit(&mut ring.sq.lock(), &wake)?;
        Ok(ring)
    }

    /// Rule 2: pushes `entry` and submits it, with the lock held.
    fn push_and_submit(&self, _table: &mut Table, entry: &squeue::Entry) -> io::Result<()> {
        loop {
            // SAFETY: rule 2: the submission queue is pushed to only under
            // `sq`, which the caller holds (`_table`); the entry's buffers
            // (none: poll requests carry no pointers) stay valid.
            let pushed = unsafe { self.ring.submission_shared().push(entry).is_ok() };
            if pushed {
                break;
            }
            // Full: hand the queued entries to the kernel first.
            self.submit()?;
        }
        self.submit().map(drop)
    }

    fn submit(&self) -> io::Result<usize> {
        loop {
            match self.ring.submit() {
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) => return Ok(0),
                other => return other,
            }
        }
    }

    /// Watches `fd` for `interest` under `token` (rule 2).
    pub(crate) fn register(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        let mut table = self.sq.lock();
        if table.closed {
            return Err(super::reactor::shutdown_error());
        }
        // What epoll answers, so both drivers behave alike: a descriptor
        // is registered once, and files that cannot be polled are refused.
        if table.by_fd.contains_key(&fd) {
            return Err(io::Error::from_raw_os_error(libc::EEXIST));
        }
        refuse_unpollable(fd)?;
        let mask = poll_mask(interest);
        let user_data = token.0 as u64;
        self.push_and_submit(&mut table, &poll_entry(fd, mask, user_data))?;
        table.by_fd.insert(fd, user_data);
        table.by_token.insert(user_data, (fd, mask));
        Ok(())
    }

    /// Stops watching `fd`; done in the kernel when this returns (rule 2).
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        let mut table = self.sq.lock();
        let Some(user_data) = table.by_fd.remove(&fd) else {
            return Ok(());
        };
        table.by_token.remove(&user_data);
        let remove = opcode::PollRemove::new(user_data).build().user_data(IGNORE);
        self.push_and_submit(&mut table, &remove)
    }

    /// Rule 7: queues `entry` (not submitted yet) for `state`; returns its
    /// `user_data`.
    pub(crate) fn push_op(&self, entry: squeue::Entry, state: Arc<OpState>) -> io::Result<u64> {
        let mut table = self.sq.lock();
        if table.closed {
            return Err(super::reactor::shutdown_error());
        }
        let user_data = OP_BIT | (table.next_op & (OP_BIT - 1));
        table.next_op = table.next_op.wrapping_add(1);
        let entry = entry.user_data(user_data);
        loop {
            // SAFETY: rule 2, we hold `sq`; the entry's buffer is kept
            // alive until its completion (`super::op_state` rules 1-2).
            if unsafe { self.ring.submission_shared().push(&entry).is_ok() } {
                break;
            }
            self.submit()?;
        }
        table.ops.insert(user_data, state);
        Ok(user_data)
    }

    /// Rule 7, the pusher's half: submits if the ring's thread may be
    /// blocked in its wait (`parked`, read after the fence).
    pub(crate) fn submit_if(&self, parked: impl FnOnce() -> bool) {
        fence(SeqCst);
        if parked() {
            let _table = self.sq.lock();
            let _ = self.submit();
        }
    }

    /// Asks the kernel to cancel the operation `user_data`, if in flight.
    pub(crate) fn cancel(&self, user_data: u64) {
        let mut table = self.sq.lock();
        if table.ops.contains_key(&user_data) {
            let cancel = opcode::AsyncCancel::new(user_data)
                .build()
                .user_data(IGNORE);
            let _ = self.push_and_submit(&mut table, &cancel);
        }
    }

    /// Refuses registrations from now on (driver rule 4) and removes the
    /// poll requests still armed: resources may outlive the runtime, and an
    /// armed request would keep their file open after they close it. Then
    /// rule 8 for the operations in flight.
    pub(crate) fn close(&self) {
        let mut table = self.sq.lock();
        table.closed = true;
        table.by_fd.clear();
        let armed: Vec<u64> = table.by_token.drain().map(|(ud, _)| ud).collect();
        let ops: Vec<u64> = table.ops.keys().copied().collect();
        for ud in armed {
            let remove = opcode::PollRemove::new(ud).build().user_data(IGNORE);
            // Best effort: the ring is going away anyway.
            let _ = self.push_and_submit(&mut table, &remove);
        }
        for ud in ops {
            let cancel = opcode::AsyncCancel::new(ud).build().user_data(IGNORE);
            let _ = self.push_and_submit(&mut table, &cancel);
        }
        drop(table);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let mut events = Vec::new();
        while !self.sq.lock().ops.is_empty() {
            let now = std::time::Instant::now();
            if now >= deadline {
                // Rule 8: never free what the kernel may still write.
                std::mem::forget(std::mem::take(&mut self.sq.lock().ops));
                break;
            }
            self.park(
                Some((deadline - now).min(Duration::from_millis(50))),
                &mut events,
            );
            events.clear();
        }
    }

    /// Rule 6: makes a blocked `park` return.
    pub(crate) fn wake(&self) {
        let one = 1u64.to_ne_bytes();
        loop {
            // SAFETY: writes 8 bytes from a live buffer to our eventfd.
            let n = unsafe { libc::write(self.eventfd.as_raw_fd(), one.as_ptr().cast(), 8) };
            if n >= 0 {
                return;
            }
            match io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => continue,
                // The counter is full: empty it (any later write wakes).
                Some(libc::EAGAIN) => {
                    let mut buf = [0u8; 8];
                    // SAFETY: reads 8 bytes into a live buffer.
                    unsafe { libc::read(self.eventfd.as_raw_fd(), buf.as_mut_ptr().cast(), 8) };
                }
                _ => panic!("failed to wake the io_uring driver"),
            }
        }
    }

    /// Rule 5: submits, waits (`timeout`: `None` for ever, `ZERO` not at
    /// all), and collects the completions as `(token, readiness)`. Returns
    /// whether the eventfd fired. Call from one thread at a time (rule 1).
    pub(crate) fn park(&self, timeout: Option<Duration>, events: &mut Vec<(Token, Ready)>) -> bool {
        // Rule 7, the parker's half: `PARKED` (published by the caller) is
        // ordered before the kernel reads the submission queue.
        fence(SeqCst);
        let res = match timeout {
            Some(Duration::ZERO) => self.ring.submit(),
            None => self.ring.submit_and_wait(1),
            Some(d) => {
                let ts = types::Timespec::new()
                    .sec(d.as_secs())
                    .nsec(d.subsec_nanos());
                let args = types::SubmitArgs::new().timespec(&ts);
                self.ring.submitter().submit_with_args(1, &args)
            }
        };
        match res {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::ETIME | libc::EINTR | libc::EBUSY)
                ) => {}
            Err(e) => panic!("unexpected error when waiting on the io_uring driver: {e:?}"),
        }
        let mut woken = false;
        let mut rearm = Vec::new();
        let mut done = Vec::new();
        // SAFETY: rule 1: only the parking thread reads the completion
        // queue, and one thread parks at a time.
        let cq = unsafe { self.ring.completion_shared() };
        for cqe in cq {
            let user_data = cqe.user_data();
            let more = cqueue::more(cqe.flags());
            match user_data {
                IGNORE => {}
                op if op & OP_BIT != 0 && op != WAKE => done.push((op, cqe.result())),
                WAKE => {
                    woken = true;
                    if !more {
                        rearm.push(WAKE);
                    }
                }
                token => {
                    if cqe.result() > 0 {
                        events.push((Token(token as usize), ready_from_mask(cqe.result() as u32)));
                    }
                    if !more && cqe.result() != -libc::ECANCELED {
                        rearm.push(token);
                    }
                }
            }
        }
        if !rearm.is_empty() {
            self.rearm(&rearm);
        }
        if !done.is_empty() {
            let states: Vec<_> = {
                let mut table = self.sq.lock();
                done.iter()
                    .filter_map(|(ud, res)| table.ops.remove(ud).map(|s| (s, *res)))
                    .collect()
            };
            // `op_state` rule 3: woken (or orphans freed) outside `sq`.
            for (state, res) in states {
                state.complete(res);
            }
            woken = true;
        }
        woken
    }

    /// Rule 4: arms again the requests the kernel ended, for registrations
    /// still in the table.
    fn rearm(&self, user_data: &[u64]) {
        let mut table = self.sq.lock();
        if table.closed {
            return;
        }
        for &ud in user_data {
            let entry = if ud == WAKE {
                poll_entry(self.eventfd.as_raw_fd(), libc::POLLIN as u32, WAKE)
            } else {
                match table.by_token.get(&ud) {
                    Some(&(fd, mask)) => poll_entry(fd, mask, ud),
                    None => continue,
                }
            };
            self.push_and_submit(&mut table, &entry)
                .expect("failed to re-arm an io_uring poll request");
        }
    }
}

/// epoll refuses regular files and directories (`EPERM`: they are always
/// ready); a poll request would accept them.
fn refuse_unpollable(fd: RawFd) -> io::Result<()> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `fstat` writes a whole `stat` into the live buffer.
    if unsafe { libc::fstat(fd, st.as_mut_ptr()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: initialized by the successful `fstat`.
    let mode = unsafe { st.assume_init() }.st_mode & libc::S_IFMT;
    if mode == libc::S_IFREG || mode == libc::S_IFDIR {
        return Err(io::Error::from_raw_os_error(libc::EPERM));
    }
    Ok(())
}

fn poll_entry(fd: RawFd, mask: u32, user_data: u64) -> squeue::Entry {
    opcode::PollAdd::new(types::Fd(fd), mask)
        .multi(true)
        .build()
        .user_data(user_data)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn errno(code: i32) -> io::Result<IoUring> {
        Err(io::Error::from_raw_os_error(code))
    }

    /// The fallback seam: each setup failure the issue names, and a kernel
    /// without an opcode, make the probe say "unavailable".
    #[test]
    fn probe_failures_are_unavailable() {
        for code in [libc::ENOSYS, libc::EPERM, libc::EINVAL] {
            assert!(
                matches!(check(errno(code)), Probe::Unavailable(_)),
                "{code}"
            );
        }
        let lacks_poll = check_ops(|op| op != opcode::PollAdd::CODE);
        assert!(matches!(lacks_poll, Probe::Unavailable(ref s) if s.contains("opcode")));
        assert_eq!(check_ops(|_| true), Probe::Available);
    }

    /// The real probe on this machine agrees with a real setup.
    #[test]
    fn probe_matches_setup() {
        let probe = probe();
        if let Ok(ring) = IoUring::new(8) {
            if ring.params().is_feature_resource_tagging() {
                assert_eq!(probe, Probe::Available);
            }
        } else {
            assert!(matches!(probe, Probe::Unavailable(_)));
        }
    }

    #[test]
    fn mask_to_ready() {
        let r = ready_from_mask((libc::POLLIN | libc::POLLRDHUP) as u32);
        assert!(r.is_readable() && r.is_read_closed() && !r.is_writable());
        let r = ready_from_mask((libc::POLLOUT | libc::POLLERR) as u32);
        assert!(r.is_writable() && r.is_error() && r.is_write_closed());
        assert!(ready_from_mask(libc::POLLHUP as u32).is_read_closed());
    }

    /// A registered pipe: readiness arrives as a completion; after
    /// deregistration no more arrive; the eventfd wakes a blocked park.
    #[test]
    fn poll_register_wake_deregister() {
        let Ok(ring) = Ring::new() else { return };
        let (r, w) = std::io::pipe().unwrap();
        ring.register(r.as_raw_fd(), Token(7), Interest::READABLE)
            .unwrap();
        let mut events = Vec::new();
        ring.park(Some(Duration::ZERO), &mut events);
        assert!(events.is_empty(), "{events:?}");
        use std::io::Write;
        (&w).write_all(b"x").unwrap();
        ring.park(Some(Duration::from_secs(5)), &mut events);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].0, Token(7));
        assert!(events[0].1.is_readable());

        ring.deregister(r.as_raw_fd()).unwrap();
        events.clear();
        (&w).write_all(b"y").unwrap();
        ring.park(Some(Duration::from_millis(20)), &mut events);
        assert!(events.is_empty(), "{events:?}");

        let ring = std::sync::Arc::new(ring);
        let r2 = ring.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            r2.wake();
        });
        assert!(ring.park(Some(Duration::from_secs(10)), &mut events));
        t.join().unwrap();
    }
}
