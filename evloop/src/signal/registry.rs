//! Process-wide signal state: the handler, the self-pipe and the listeners.
//!
//! # Design
//!
//! A signal handler may only do async-signal-safe things. Ours sets the
//! signal's `pending` flag and writes one byte into the sending end of a
//! non-blocking Unix stream pair (the *self-pipe*). The receiving end is
//! registered with the reactor of the first runtime that listens for a
//! signal; its reader waker is [`PipeWaker`], so the reactor itself drains
//! the pipe when it becomes readable, turns every pending flag into a bump
//! of that signal's `version`, and wakes the signal's listeners. No task has
//! to run for delivery.
//!
//! Rejected: a dedicated thread blocking on the pipe (one more thread per
//! process, and it would bypass the reactor); a task per runtime (the pipe
//! can be registered with only one reactor).
//!
//! # Rules
//!
//! 1. The handler touches only `GLOBALS` (an initialized `OnceLock`, read
//!    with an atomic load), a `pending` atomic and `write(2)`, and restores
//!    `errno`.
//! 2. `pending` is set before the byte is written; the drainer reads the
//!    pipe until `WouldBlock` before swapping the flags, so a signal is
//!    either seen in this round or its byte wakes the next one.
//! 3. A listener stores its waker under the slot's `waiters` lock and then
//!    re-reads `version`; delivery bumps `version` before taking the lock.
//!    So a listener either sees the new version or is woken (the reactor
//!    readiness protocol, applied once more).
//! 4. Many deliveries between two `recv`s coalesce into one.
//! 5. If the reactor holding the pipe shuts down, the registration is
//!    dropped and every listener is woken; the next listener (or `signal()`
//!    call) to run registers the pipe with its own runtime's reactor.
//!    Delivery depends on the holding runtime being driven: a runtime that
//!    holds the pipe but is never polled again (not dropped either) delays
//!    signals for listeners on other runtimes.

use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::sync::{Once, OnceLock};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use crate::io::poll_evented::PollEvented;
use crate::io::scheduled_io::Direction;
use crate::io::Interest;
use crate::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering::AcqRel, Ordering::Acquire};
use crate::loom::sync::Mutex;

/// Signal numbers we keep a slot for (covers real-time signals on Linux).
const MAX_SIGNUM: usize = 65;

pub(crate) struct Globals {
    /// Written by the handler (rule 1).
    sender: StdUnixStream,
    /// The receiving end, never registered itself: each registration uses a
    /// duplicate, closed when that registration is dropped (rule 5).
    receiver_std: StdUnixStream,
    receiver: Mutex<Option<PollEvented<mio::net::UnixStream>>>,
    slots: Vec<Slot>,
}

pub(crate) struct Slot {
    pending: AtomicBool,
    version: AtomicU64,
    install: Once,
    install_error: Mutex<Option<i32>>,
    waiters: Mutex<Waiters>,
}

#[derive(Default)]
struct Waiters {
    list: Vec<Option<Waker>>,
    free: Vec<usize>,
}

static GLOBALS: OnceLock<Globals> = OnceLock::new();

pub(crate) fn globals() -> io::Result<&'static Globals> {
    if let Some(g) = GLOBALS.get() {
        return Ok(g);
    }
    let (sender, receiver_std) = StdUnixStream::pair()?;
    sender.set_nonblocking(true)?;
    receiver_std.set_nonblocking(true)?;
    let slots = (0..=MAX_SIGNUM)
        .map(|_| Slot {
            pending: AtomicBool::new(false),
            version: AtomicU64::new(0),
            install: Once::new(),
            install_error: Mutex::new(None),
            waiters: Mutex::new(Waiters::default()),
        })
        .collect();
    // A racing initializer may have won; then ours is dropped.
    let _ = GLOBALS.set(Globals {
        sender,
        receiver_std,
        receiver: Mutex::new(None),
        slots,
    });
    Ok(GLOBALS.get().expect("initialized above"))
}

impl Globals {
    pub(crate) fn slot(&self, signum: i32) -> io::Result<&Slot> {
        usize::try_from(signum)
            .ok()
            .and_then(|i| self.slots.get(i))
            .filter(|_| signum > 0)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "invalid signal number"))
    }

    /// Installs the handler for `signum` once per process.
    pub(crate) fn install(&self, signum: i32) -> io::Result<()> {
        let slot = self.slot(signum)?;
        slot.install.call_once(|| {
            // SAFETY: a zeroed `sigaction` is a valid "no flags, empty mask"
            // value; we then set the handler, which follows rule 1.
            let res = unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler as extern "C" fn(libc::c_int) as usize;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signum, &action, std::ptr::null_mut())
            };
            if res != 0 {
                *slot.install_error.lock() = io::Error::last_os_error().raw_os_error();
            }
        });
        match *slot.install_error.lock() {
            Some(code) => Err(io::Error::from_raw_os_error(code)),
            None => Ok(()),
        }
    }

    /// Registers the receiving end with the current runtime's reactor if no
    /// live reactor holds it (rule 5), and arms the pipe waker. Listeners
    /// call it on every poll, so that when the reactor holding the pipe
    /// shuts down, the next listener to run takes the pipe over.
    pub(crate) fn ensure_registered(&'static self) -> io::Result<()> {
        {
            let mut receiver = self.receiver.lock();
            if receiver.is_some() {
                return Ok(());
            }
            let handle = crate::io::IoHandle::current()?;
            let std = self.receiver_std.try_clone()?;
            *receiver = Some(PollEvented::new_with_handle(
                mio::net::UnixStream::from_std(std),
                Interest::READABLE,
                handle,
            )?);
        }
        drive(self);
        Ok(())
    }
}

/// Rule 1.
extern "C" fn handler(signum: libc::c_int) {
    let errno = super::errno::slot();
    // SAFETY: `slot` points at this thread's errno, live while it runs.
    let saved_errno = unsafe { *errno };
    if let Some(g) = GLOBALS.get() {
        if let Some(slot) = usize::try_from(signum).ok().and_then(|i| g.slots.get(i)) {
            slot.pending
                .store(true, crate::loom::sync::atomic::Ordering::SeqCst);
        }
        let byte = 1u8;
        // SAFETY: `write` is async-signal-safe; the fd stays open for the
        // life of the process (`GLOBALS` is never dropped) and the buffer
        // is one valid byte. A full pipe (EAGAIN) is fine: a wake-up is
        // already pending.
        unsafe {
            libc::write(g.sender.as_raw_fd(), (&byte as *const u8).cast(), 1);
        }
    }
    // SAFETY: as above; restoring errno keeps the interrupted code correct.
    unsafe {
        *errno = saved_errno;
    }
}

/// The reader waker of the self-pipe: the reactor calls it on readiness.
/// The pipe's waker: it carries no state (waking it drives the global
/// registry), so it is a static vtable and allocates nothing.
fn pipe_waker() -> Waker {
    static VTABLE: RawWakerVTable =
        RawWakerVTable::new(clone_pipe_waker, wake_pipe, wake_pipe, drop_pipe_waker);

    fn clone_pipe_waker(_: *const ()) -> RawWaker {
        RawWaker::new(std::ptr::null(), &VTABLE)
    }
    fn wake_pipe(_: *const ()) {
        if let Some(g) = GLOBALS.get() {
            drive(g);
        }
    }
    fn drop_pipe_waker(_: *const ()) {}

    // SAFETY: every vtable function ignores the data pointer, and `drive`
    // may be called from any thread (it only touches the locked globals).
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
}

/// Drains the pipe, re-arms the waker and delivers pending signals.
fn drive(g: &'static Globals) {
    let waker = pipe_waker();
    let mut cx = Context::from_waker(&waker);
    let mut orphaned = false;
    {
        let mut receiver = g.receiver.lock();
        let Some(io) = receiver.as_ref() else { return };
        loop {
            match io
                .registration()
                .poll_ready_uncounted(&mut cx, Direction::Read)
            {
                Poll::Pending => break,
                Poll::Ready(Err(_)) => {
                    // Rule 5: the reactor is gone.
                    *receiver = None;
                    orphaned = true;
                    break;
                }
                Poll::Ready(Ok(event)) => {
                    let mut buf = [0u8; 64];
                    loop {
                        match (&**io).read(&mut buf) {
                            Ok(0) => break,
                            Ok(_) => continue,
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                                io.registration().clear_readiness(event);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                }
            }
        }
    }
    // Rule 2: after draining, collect the flags.
    for slot in &g.slots {
        if slot.pending.swap(false, AcqRel) {
            slot.deliver();
        } else if orphaned {
            // Rule 5: listeners on other runtimes re-poll and re-register.
            slot.wake_all();
        }
    }
}

impl Slot {
    /// Rule 3, delivering side.
    fn deliver(&self) {
        self.version.fetch_add(1, AcqRel);
        self.wake_all();
    }

    fn wake_all(&self) {
        let wakers: Vec<Waker> = {
            let mut waiters = self.waiters.lock();
            waiters.list.iter_mut().filter_map(Option::take).collect()
        };
        for w in wakers {
            w.wake();
        }
    }

    pub(crate) fn version(&self) -> u64 {
        self.version.load(Acquire)
    }

    /// Rule 3, listening side: `Ready` once the version differs from
    /// `*seen` (and updates it).
    pub(crate) fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        seen: &mut u64,
        key: &mut Option<usize>,
    ) -> Poll<()> {
        let v = self.version();
        if v != *seen {
            *seen = v;
            return Poll::Ready(());
        }
        let mut waiters = self.waiters.lock();
        let index = match *key {
            Some(i) => i,
            None => {
                let i = waiters.free.pop().unwrap_or_else(|| {
                    waiters.list.push(None);
                    waiters.list.len() - 1
                });
                *key = Some(i);
                i
            }
        };
        waiters.list[index] = Some(cx.waker().clone());
        drop(waiters);
        let v = self.version();
        if v != *seen {
            *seen = v;
            return Poll::Ready(());
        }
        Poll::Pending
    }

    pub(crate) fn remove_waiter(&self, key: usize) {
        let mut waiters = self.waiters.lock();
        if let Some(slot) = waiters.list.get_mut(key) {
            *slot = None;
            waiters.free.push(key);
        }
    }
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("version", &self.version())
            .finish_non_exhaustive()
    }
}
