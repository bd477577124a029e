//! The orphan queue: children whose [`Child`](super::Child) was dropped
//! before they were reaped (process rule 5).
//!
//! Nobody waits for an orphan any more, yet its exit must still be
//! collected, or it stays a zombie. The queue keeps the orphans'
//! `std::process::Child`ren and reaps them (non-blocking `waitpid` on each
//! pid) in *rounds*. A round runs when a child is pushed, when SIGCHLD is
//! delivered (the queue's own waker listens for it through the signal
//! driver, see `crate::signal`), and at every spawn (a *kick*, which also
//! lets the listener hook the signal pipe to the spawning runtime if the
//! runtime that held it is gone).
//!
//! A round can be asked for from any thread, and also from inside a round:
//! arming the listener may run the signal driver, which may wake the
//! queue's own waker on the same thread. So rounds are not run under a lock
//! that the asker takes; they are handed over through one atomic word.
//!
//! # The state word
//!
//! | bit | meaning |
//! |---|---|
//! | `BUSY` | a thread is running rounds; only it touches `work` |
//! | `NOTIFIED` | a round was asked for and has not started yet |
//!
//! # Rules
//!
//! 1. Pushing takes the `incoming` lock only to push; nothing else is done
//!    under it. A round moves `incoming` into `work`.
//! 2. `work` (the orphans being reaped and the SIGCHLD listener) is locked
//!    only by the thread that set `BUSY`, so that lock is never contended
//!    and never taken twice on one thread.
//! 3. Asking for a round: set `NOTIFIED`, then try to set `BUSY`. Who sets
//!    `BUSY` runs rounds; a thread that finds `BUSY` set returns at once,
//!    leaving its request to the runner.
//! 4. The runner clears `NOTIFIED` before each round, and leaves only with
//!    a compare-exchange from exactly `BUSY` to `0`; if a request arrived
//!    meanwhile, the exchange fails and it runs another round. Every bit
//!    change is a read-modify-write of the one word, so a request is either
//!    seen by the runner or finds `BUSY` clear and runs its own round.
//! 5. A round reaps, and while orphans remain it polls the listener with
//!    the queue's waker (process rule 2: armed, then checked): a listener
//!    that reports a delivery makes the round reap again; a new listener
//!    (its signal handler was just installed, so an exit just before went
//!    unsignalled) also makes it reap again before it is polled.
//! 6. A listener that cannot be made (no runtime to hook the signal pipe
//!    to) leaves the orphans for the next push or kick.

use std::fmt;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};
use crate::loom::sync::Mutex;

const BUSY: usize = 0b01;
const NOTIFIED: usize = 0b10;

/// A child the queue can reap.
pub(crate) trait Reap {
    /// One non-blocking check; `true` once the child is reaped (or cannot
    /// be waited for at all) and can be forgotten.
    fn reap(&mut self) -> bool;
}

/// Something that reports child exits (SIGCHLD deliveries).
pub(crate) trait Listen {
    /// `Ready` if a delivery happened since the last `Ready`; otherwise
    /// stores the context's waker, to be woken by the next delivery.
    fn poll_delivery(&mut self, cx: &mut Context<'_>) -> Poll<()>;
}

pub(crate) struct Orphans<C, L> {
    /// Rules 3 and 4.
    state: AtomicUsize,
    /// Rule 1.
    incoming: Mutex<Vec<C>>,
    /// Rule 2.
    work: Mutex<Work<C, L>>,
}

struct Work<C, L> {
    children: Vec<C>,
    listener: Option<L>,
}

impl<C: Reap, L: Listen> Orphans<C, L> {
    pub(crate) fn new() -> Orphans<C, L> {
        Orphans {
            state: AtomicUsize::new(0),
            incoming: Mutex::new(Vec::new()),
            work: Mutex::new(Work {
                children: Vec::new(),
                listener: None,
            }),
        }
    }

    /// Hands `child` to the queue and runs (or requests) a round.
    pub(crate) fn push(&self, child: C, listen: impl Fn() -> Option<L>, waker: &Waker) {
        self.incoming.lock().push(child);
        self.request(listen, waker);
    }

    /// Rule 3: asks for a round, and runs rounds if no other thread does.
    pub(crate) fn request(&self, listen: impl Fn() -> Option<L>, waker: &Waker) {
        self.state.fetch_or(NOTIFIED, AcqRel);
        if self.state.fetch_or(BUSY, AcqRel) & BUSY != 0 {
            return;
        }
        loop {
            // Rule 4.
            self.state.fetch_and(!NOTIFIED, AcqRel);
            self.round(&listen, waker);
            if self
                .state
                .compare_exchange(BUSY, 0, AcqRel, Acquire)
                .is_ok()
            {
                return;
            }
        }
    }

    /// Rule 5. Runs only with `BUSY` set (rule 2).
    fn round(&self, listen: &impl Fn() -> Option<L>, waker: &Waker) {
        let mut work = self.work.lock();
        let work = &mut *work;
        work.children.append(&mut self.incoming.lock());
        let mut cx = Context::from_waker(waker);
        loop {
            work.children.retain_mut(|child| !child.reap());
            if work.children.is_empty() {
                return;
            }
            let listener = match &mut work.listener {
                Some(listener) => listener,
                None => match listen() {
                    Some(new) => {
                        // Rule 5: installed just now; reap again first.
                        work.listener = Some(new);
                        continue;
                    }
                    // Rule 6.
                    None => return,
                },
            };
            if listener.poll_delivery(&mut cx).is_pending() {
                return;
            }
        }
    }

    /// How many orphans wait to be reaped (for the loom models).
    #[cfg(all(test, loom))]
    pub(crate) fn len(&self) -> usize {
        self.work.lock().children.len() + self.incoming.lock().len()
    }
}

impl<C, L> fmt::Debug for Orphans<C, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Orphans").finish_non_exhaustive()
    }
}

pub(crate) use global::{kick, push};

/// The process-wide queue, reaping `std::process::Child`ren on SIGCHLD.
mod global {
    use std::sync::OnceLock;
    use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

    use super::{Listen, Orphans, Reap};
    use crate::signal::unix::{signal, Signal, SignalKind};

    impl Reap for std::process::Child {
        fn reap(&mut self) -> bool {
            // An error (ECHILD) means the pid is not ours to wait for any
            // more: nothing left to do for it either.
            !matches!(self.try_wait(), Ok(None))
        }
    }

    impl Listen for Signal {
        fn poll_delivery(&mut self, cx: &mut Context<'_>) -> Poll<()> {
            self.poll_recv(cx).map(|_| ())
        }
    }

    static ORPHANS: OnceLock<Orphans<std::process::Child, Signal>> = OnceLock::new();

    fn orphans() -> &'static Orphans<std::process::Child, Signal> {
        ORPHANS.get_or_init(Orphans::new)
    }

    fn listen() -> Option<Signal> {
        signal(SignalKind::child()).ok()
    }

    /// The queue's waker: it carries no state, so a static vtable; waking
    /// it runs (or requests) a round on the waking thread, which is the
    /// signal driver's.
    fn waker() -> Waker {
        static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake, drop_waker);

        fn clone(_: *const ()) -> RawWaker {
            RawWaker::new(std::ptr::null(), &VTABLE)
        }
        fn wake(_: *const ()) {
            if let Some(orphans) = ORPHANS.get() {
                orphans.request(listen, &waker());
            }
        }
        fn drop_waker(_: *const ()) {}

        // SAFETY: every function of the vtable ignores the data pointer,
        // and a round may run on any thread (orphan rules 2-4).
        unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
    }

    /// Process rule 5: queues a dropped child that is not reaped yet.
    pub(crate) fn push(child: std::process::Child) {
        orphans().push(child, listen, &waker());
    }

    /// A round, if there were ever orphans (called at each spawn).
    pub(crate) fn kick() {
        if let Some(orphans) = ORPHANS.get() {
            orphans.request(listen, &waker());
        }
    }
}
