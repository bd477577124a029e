//! `block_in_place`: a worker hands its core to another thread before it
//! blocks, so the tasks in its queues keep running.
//!
//! A core (local queue, LIFO slot, parker, and with it the turn at the
//! driver) is what makes a thread a worker (worker rule 1). Any thread of
//! the runtime can run any core, so a worker about to block gives its core
//! away, blocks, and afterwards takes a core back if one is waiting, or
//! finishes its current poll without one and waits as a *spare* thread until
//! some other worker blocks in place.
//!
//! # Protocol
//!
//! Blocking thread B (a worker inside a task poll that calls
//! `block_in_place(f)`):
//! 1. Take the core out of its `Context`, file it in `Handoff::cores`, and
//!    make sure a thread comes for it: wake a waiting spare, or start a new
//!    thread (rule 1).
//! 2. Run `f` outside the runtime (`thread_state::exit_runtime`), so it may call
//!    `MultiThreadHandle::block_on`, with no coop budget.
//! 3. Lock `Handoff`; if a core is still filed there (nobody took it yet),
//!    take it back into the `Context`: the poll goes on as a worker's.
//! 4. Otherwise the poll finishes without a core: the wakes it makes go to
//!    the inject queue (handle rule 1), and when it returns the worker loop
//!    finds no core and the thread becomes a spare (step S1).
//!
//! Spare thread S (started in step 1, or left without a core in step 4):
//! 1. Lock `Handoff`. If a core is filed, take it (rule 2) and run the
//!    worker loop with it.
//! 2. Otherwise, if the runtime is shutting down or S waited `KEEP_ALIVE` in
//!    vain, stop the thread.
//! 3. Otherwise wait on the condvar and go back to step 1.
//!
//! # Rules
//!
//! 1. `takers` counts the spares waiting in S1–S3 plus the threads started
//!    and not yet there; `takers >= cores.len()` at all times, so every filed
//!    core has a thread coming for it. A filer starts a thread only when a
//!    core would otherwise lack one.
//! 2. A spare takes a filed core before it looks at shutdown, so a core
//!    filed while the runtime shuts down is still run to its shutdown and
//!    filed in `stopped` (worker rule 3 needs every core there).
//! 3. Threads started here count in `running` like the first workers, so
//!    dropping the runtime waits for them, and for blocking sections still
//!    running (`shutdown_timeout` bounds that wait).
//!
//! Rejected: running `f` on another thread while the worker waits (`f` is
//! not `Send` and borrows the task's stack: it must run right here); keeping
//! the core and letting `f` block it (the tasks in the local queue would wait
//! for `f`, which is the problem being solved); the blocking pool for the
//! new threads (a worker thread must outlive the pool's shutdown, which only
//! waits for its own tasks).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::context;
use crate::coop;
use crate::loom::sync::{Condvar, Mutex};
use crate::runtime::scheduler;
use crate::thread_state::{self, EnterRuntime};

use super::handle::MultiThreadHandle;
use super::worker::{self, Core};

/// How long a spare thread waits for a core before it exits.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// Cores given away by blocking workers, and the spare threads waiting for
/// them.
pub(crate) struct Handoff {
    state: Mutex<State>,
    condvar: Condvar,
}

struct State {
    /// Boxed as in the worker's `Context`: a core moves as one pointer.
    #[allow(clippy::vec_box)]
    cores: Vec<Box<Core>>,
    /// Rule 1.
    takers: usize,
    is_shutdown: bool,
}

impl Handoff {
    pub(super) fn new() -> Handoff {
        Handoff {
            state: Mutex::new(State {
                cores: Vec::new(),
                takers: 0,
                is_shutdown: false,
            }),
            condvar: Condvar::new(),
        }
    }

    /// Step 1 (after the core left the context): file `core` and make sure a
    /// thread comes for it. If no thread can be started, gives the core back.
    pub(super) fn file(
        &self,
        handle: &Arc<MultiThreadHandle>,
        core: Box<Core>,
    ) -> Result<(), Box<Core>> {
        let mut state = self.state.lock();
        state.cores.push(core);
        if state.takers >= state.cores.len() {
            drop(state);
            self.condvar.notify_one();
            return Ok(());
        }
        // Rule 1: counted before it starts, so a second filer does not start
        // another one for the same core.
        state.takers += 1;
        drop(state);
        if worker::launch(handle, None).is_ok() {
            return Ok(());
        }
        let mut state = self.state.lock();
        state.takers -= 1;
        // Any filed core will do: cores are interchangeable.
        Err(state.cores.pop().expect("a filed core without a taker"))
    }

    /// Step 3: takes a core back if one is still filed.
    pub(super) fn reclaim(&self) -> Option<Box<Core>> {
        self.state.lock().cores.pop()
    }

    /// Spare steps S1–S3, for a thread already counted in `takers`. Returns
    /// `None` when the thread should stop.
    pub(super) fn wait_for_core(&self) -> Option<Box<Core>> {
        let deadline = Instant::now() + KEEP_ALIVE;
        let mut state = self.state.lock();
        loop {
            // S1 (rule 2: before the shutdown check).
            if let Some(core) = state.cores.pop() {
                state.takers -= 1;
                let more = !state.cores.is_empty();
                drop(state);
                if more {
                    // Pass the wake on: one notify per filed core.
                    self.condvar.notify_one();
                }
                return Some(core);
            }
            // S2.
            let now = Instant::now();
            if state.is_shutdown || now >= deadline {
                state.takers -= 1;
                return None;
            }
            // S3.
            state = self.condvar.wait_timeout(state, deadline - now);
        }
    }

    /// A thread whose core was taken joins the spares (step 4): counted in
    /// `takers` before it waits.
    pub(super) fn become_spare(&self) -> Option<Box<Core>> {
        self.state.lock().takers += 1;
        self.wait_for_core()
    }

    /// Runtime shutdown: spares without a core stop.
    pub(super) fn shutdown(&self) {
        self.state.lock().is_shutdown = true;
        self.condvar.notify_all();
    }
}

/// `task::block_in_place`: see its docs for the behaviour per context.
#[track_caller]
pub(crate) fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    match thread_state::runtime_entered() {
        // Outside any runtime, or already inside a blocking section.
        EnterRuntime::NotEntered => return f(),
        EnterRuntime::Entered {
            allow_block_in_place: false,
        } => panic!(
            "`block_in_place` cannot be called on a current_thread runtime: it has no other \
             worker to hand its tasks to. Use `task::spawn_blocking`, or a multi_thread runtime"
        ),
        EnterRuntime::Entered {
            allow_block_in_place: true,
        } => {}
    }

    /// Step 3, also when `f` panics.
    struct Reclaim(bool);
    impl Drop for Reclaim {
        fn drop(&mut self) {
            if self.0 {
                context::with_scheduler(|cx| {
                    if let Some(scheduler::SchedulerContext::MultiThread(cx)) = cx {
                        cx.reclaim_core();
                    }
                });
            }
        }
    }

    // Step 1. Not on a worker inside a task poll (a multi-thread `block_on`
    // thread, or a worker dropping tasks at shutdown): nothing to hand off.
    let handed_off = context::with_scheduler(|cx| match cx {
        Some(scheduler::SchedulerContext::MultiThread(cx)) => cx.hand_off_core(),
        _ => false,
    });
    let _reclaim = Reclaim(handed_off);
    // Step 2.
    thread_state::exit_runtime(|| coop::with_unconstrained(f))
}

impl fmt::Debug for Handoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Handoff")
            .field("filed", &state.cores.len())
            .field("takers", &state.takers)
            .finish()
    }
}
