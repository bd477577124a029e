//! The worker loop.
//!
//! # The loop (one `tick` per task)
//!
//! 1. Every `event_interval` ticks, poll the driver without blocking (I/O
//!    and timers are served even when every worker is busy) and check for
//!    shutdown.
//! 2. Find a task: every `global_queue_interval` ticks the inject queue
//!    first (so remote wakes never starve behind local work); otherwise the
//!    LIFO slot, then the local ring, then a batch from the inject queue.
//! 3. Run it. After it, run the task it woke (the LIFO slot) at once, at most
//!    `MAX_LIFO_POLLS` times in a row; then the slot's task goes to the back
//!    of the ring, so two tasks waking each other cannot starve the others.
//!    3b. No task in the LIFO slot, the ring or the inject queue, but some
//!    yielded (`Push::Deferred`): poll the driver without blocking (step 1),
//!    then move them to the back of the ring and go on. A task that
//!    yields always finds the driver polled before it runs again (also at
//!    step 1, which moves them too), so I/O and timers that are ready
//!    get their tasks queued ahead of it.
//! 4. Nothing local: become a searcher (if the [`super::idle`] cap allows)
//!    and steal half of a random victim's queue, or its LIFO slot if the
//!    same task sat there at the previous look (stranded); look
//!    again, spinning briefly between rounds, before giving up
//!    (`SEARCH_ROUNDS`).
//! 5. Nothing anywhere: park ([`super::idle`]'s worker steps, then
//!    [`super::park`]).
//!
//! # Rules
//!
//! 1. The core is in exactly one place: on the worker's stack, or in its
//!    `WorkerContext` while a task runs or the worker parks (so wakes from the
//!    task, or from the driver's timers and I/O, reach the local queue), or
//!    filed in [`super::handoff`] by a task that blocks in place. A thread
//!    whose core was handed off finishes its poll without one and waits as a
//!    spare for another core.
//! 2. A worker that leaves the searching state because it found work calls
//!    `transition_worker_from_searching` before running the task, and wakes
//!    another worker if it was the last searcher.
//! 3. Shutdown: a worker that sees the inject queue closed cancels tasks of
//!    the owned list, drops what its queue holds and files its core; the last
//!    core filed drains everything and shuts the driver down
//!    ([`super::handle`] rule 3).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::Arc;

use crate::context;
use crate::runtime::drivers;
use crate::runtime::metrics::{Batch, Polling, MODE_ANY};
use crate::runtime::scheduler;
use crate::runtime::task::Notified;
use crate::thread_state;

use super::handle::{MultiThreadHandle, Push, Remote};
use super::park::{self, Parker};
use super::run_queue;
use crate::runtime::scheduler::countdown_due;

/// Consecutive LIFO-slot polls before the slot's task must queue (step 3).
const MAX_LIFO_POLLS: u32 = 3;

/// Step 4 looks at every victim and the inject queue this many times, with
/// `SEARCH_SPIN` spin-loop hints in between (a `pause` costs ~45 ns on the
/// machines measured: a look every ~6 µs, ~12 µs in all), before the worker
/// parks. A worker that parks must be woken by the next push with a syscall
/// (an eventfd write or a futex wake, paid by the pusher, and the wakeup
/// latency on top); when work arrives in a steady trickle (one task
/// spawning many) the spin finds it instead. At most half the workers
/// search (idle rule 2), so at most half of them spin.
///
/// The looks are spaced out on purpose. Each one reads the victim's queue
/// indices, the cache line its owner writes on every push, so the owner's
/// next push misses in its cache; a thief looking every few hundred
/// nanoseconds also steals one task at a time. Spacing the looks lets a
/// batch build up between them: with one task spawning a million others
/// and one thief, the spawner's time fell by a fifth when the gap grew from
/// 8 to 128 pauses. The cost is that a searcher notices new work up to one
/// gap late.
///
/// The rounds are few because the spin takes a core from whatever else runs
/// on the machine. With 8 rounds (~45 µs) an HTTP server sharing two cores
/// with its load generator doubled its p99 latency (14 ms → 24–32 ms) while
/// requests/s stayed level; 3 rounds kept the latency at the parked-worker
/// figure and most of the spawn-heavy gain.
const SEARCH_ROUNDS: u32 = 3;
const SEARCH_SPIN: u32 = 128;

type Task = Notified<Arc<MultiThreadHandle>>;

/// A worker's owned state (rule 1).
pub(crate) struct Core {
    index: usize,
    tick: u32,
    /// Ticks left until the next step 1 / inject-first step 2: countdowns,
    /// because `tick % interval` would cost a division on every task.
    event_countdown: u32,
    global_countdown: u32,
    run_queue: run_queue::Local<Task>,
    /// Tasks that yielded since the last driver poll (step 3b).
    deferred: Vec<Task>,
    is_searching: bool,
    is_shutdown: bool,
    /// `None` only while the worker is parked inside it.
    park: Option<Parker>,
    rand: FastRand,
    /// Per victim, the LIFO-slot task seen at the last look (step 4; see
    /// `run_queue::Steal::steal_into_patient`).
    lifo_seen: Box<[usize]>,
    /// The metrics of the batch of polls in progress, published at its end
    /// (`WorkerContext::end_poll`) by whichever thread holds the core then.
    batch: Batch,
}

/// Installed as the thread's scheduler context while the worker runs.
pub(crate) struct WorkerContext {
    handle: Arc<MultiThreadHandle>,
    core: RefCell<Option<Box<Core>>>,
    /// True while a task is being polled: only then may `block_in_place`
    /// hand the core off (the loop's other uses of the context, parking and
    /// polling the driver, expect the core back).
    polling: Cell<bool>,
}

/// Creates the cores and the matching remotes.
pub(super) fn create(num_workers: usize, driver: drivers::Driver) -> (Vec<Core>, Vec<Remote>) {
    let shared = park::Shared::new(driver);
    let mut cores = Vec::with_capacity(num_workers);
    let mut remotes = Vec::with_capacity(num_workers);
    for index in 0..num_workers {
        let (steal, run_queue) = run_queue::local();
        let park = Parker::new(shared.clone());
        remotes.push(Remote {
            steal,
            unpark: park.unparker(),
        });
        cores.push(Core {
            index,
            tick: 0,
            event_countdown: 0,
            global_countdown: 0,
            run_queue,
            deferred: Vec::new(),
            is_searching: false,
            is_shutdown: false,
            park: Some(park),
            rand: FastRand::new(index as u64),
            lifo_seen: vec![0; num_workers].into_boxed_slice(),
            batch: Batch::default(),
        });
    }
    (cores, remotes)
}

/// Starts a worker thread, with `core`, or (for [`super::handoff`]) as a
/// spare that takes a filed core. Workers are OS threads the runtime owns,
/// not modelled by loom, hence `std::thread` here.
pub(super) fn launch(
    handle: &Arc<MultiThreadHandle>,
    core: Option<Box<Core>>,
) -> std::io::Result<()> {
    let config = &handle.shared.config;
    let mut builder = std::thread::Builder::new().name((config.thread_name)());
    if let Some(size) = config.thread_stack_size {
        builder = builder.stack_size(size);
    }
    // Counted before it starts (handoff rule 3), so a shutdown that begins
    // meanwhile waits for it.
    handle.worker_started();
    let h = handle.clone();
    let lane = core.as_ref().map(|c| c.index);
    let spawned = builder.spawn(move || {
        if let Some(index) = lane {
            crate::trace::recorder::set_worker_lane(index);
        }
        struct Stopped(Arc<MultiThreadHandle>);
        impl Drop for Stopped {
            fn drop(&mut self) {
                if let Some(f) = &self.0.shared.config.on_thread_stop {
                    f();
                }
                self.0.worker_stopped();
            }
        }
        let stopped = Stopped(h);
        if let Some(f) = &stopped.0.shared.config.on_thread_start {
            f();
        }
        run(&stopped.0, core);
    });
    if let Err(e) = spawned {
        handle.worker_stopped();
        return Err(e);
    }
    Ok(())
}

fn run(handle: &Arc<MultiThreadHandle>, core: Option<Box<Core>>) {
    let _current = context::set_current(&scheduler::SchedulerHandle::MultiThread(handle.clone()));
    let _rt = thread_state::enter_runtime(true);
    // The runner of a core owns the core's queue of lazily armed timers;
    // ownership follows the core (see `switch_worker` below and in
    // `hand_off_core` / `reclaim_core`).
    let _timers = handle.driver.enter_worker(core.as_ref().map(|c| c.index));
    let cx = scheduler::SchedulerContext::MultiThread(WorkerContext {
        handle: handle.clone(),
        core: RefCell::new(None),
        polling: Cell::new(false),
    });
    context::set_scheduler(&cx, || {
        let scheduler::SchedulerContext::MultiThread(cx) = &cx else {
            unreachable!()
        };
        let handoff = &handle.shared.handoff;
        let mut core = match core {
            Some(core) => core,
            None => match handoff.wait_for_core() {
                Some(core) => {
                    handle.driver.switch_worker(Some(core.index));
                    core
                }
                None => return,
            },
        };
        loop {
            match cx.run(core) {
                Some(core) => return cx.shutdown_core(*core),
                // The core was handed off by `block_in_place`.
                None => match handoff.become_spare() {
                    Some(next) => {
                        handle.driver.switch_worker(Some(next.index));
                        core = next;
                    }
                    None => return,
                },
            }
        }
    });
}

impl WorkerContext {
    /// The index of the worker whose core this thread holds, if it holds
    /// one now (`runtime::worker_index`).
    pub(crate) fn worker_index(&self) -> Option<usize> {
        let core = self.core.try_borrow().ok()?;
        core.as_ref().map(|core| core.index)
    }

    /// The loop; returns the core at shutdown, `None` if a task handed it
    /// off (`block_in_place`) and did not get one back.
    fn run(&self, mut core: Box<Core>) -> Option<Box<Core>> {
        let handle = &*self.handle;
        let config = &handle.shared.config;
        // The hooks' record of the poll in progress, or of the last one
        // whose end is still pending: polls that follow each other with no
        // other event in between (no maintenance, no park) are one batch,
        // and one record stands for the end of one and the start of the
        // next. It stays with this thread if a poll hands the core off.
        let mut prev = Polling::default();
        config.hooks.batch_start(core.index, &mut core.batch);
        while !core.is_shutdown {
            core.tick = core.tick.wrapping_add(1);
            // Step 1.
            if countdown_due(&mut core.event_countdown, config.event_interval) {
                self.end_poll(&mut core, &mut prev);
                core = self.maintenance(core);
                if core.is_shutdown {
                    break;
                }
            }
            // Steps 2–3.
            if let Some(task) = core.next_task(handle) {
                core = self.run_task(task, core, &mut prev)?;
                continue;
            }
            // Step 3b.
            if !core.deferred.is_empty() {
                self.end_poll(&mut core, &mut prev);
                core = self.maintenance(core);
                continue;
            }
            // Step 4.
            if let Some(task) = core.steal_work(handle) {
                core = self.run_task(task, core, &mut prev)?;
                continue;
            }
            // Step 5.
            self.end_poll(&mut core, &mut prev);
            core = self.park(core);
        }
        self.end_poll(&mut core, &mut prev);
        Some(core)
    }

    /// The end of a batch: the end hook of its last poll, if due, and its
    /// metrics published.
    #[inline]
    fn end_poll(&self, core: &mut Core, prev: &mut Polling<'_>) {
        let hooks = &self.handle.shared.config.hooks;
        let depth = core.run_queue.len();
        hooks.batch_end::<MODE_ANY>(Some(&mut core.batch), prev, depth);
    }

    /// Runs `task`, then what it woke (step 3). `None`: the core was handed
    /// off during a poll ([`super::handoff`] step 4). `prev`: the batch's
    /// poll whose end hook is still due, before and after.
    fn run_task<'a>(
        &'a self,
        task: Task,
        mut core: Box<Core>,
        prev: &mut Polling<'a>,
    ) -> Option<Box<Core>> {
        // Rule 2.
        if core.is_searching {
            core.is_searching = false;
            if self.handle.shared.idle.transition_worker_from_searching() {
                self.handle.notify_parked();
            }
        }
        let mut task = task;
        let mut lifo_polls = 0;
        loop {
            let hooks = &self.handle.shared.config.hooks;
            let depth = core.run_queue.len();
            hooks.poll_start::<MODE_ANY, _>(&mut core.batch, prev, &task, depth);
            *self.core.borrow_mut() = Some(core);
            self.polling.set(true);
            let outcome = task.run();
            self.polling.set(false);
            hooks.poll_end::<MODE_ANY>(prev, outcome);
            let Some(c) = self.core.borrow_mut().take() else {
                // The core was handed off: only this poll's end is due here.
                hooks.batch_end::<MODE_ANY>(None, prev, 0);
                return None;
            };
            core = c;
            let Some(next) = core.run_queue.take_lifo() else {
                return Some(core);
            };
            lifo_polls += 1;
            if lifo_polls >= MAX_LIFO_POLLS {
                core.run_queue
                    .push_back_or_overflow(next, &self.handle.shared.inject);
                return Some(core);
            }
            task = next;
        }
    }

    fn take_core(&self) -> Box<Core> {
        self.core
            .borrow_mut()
            .take()
            .expect("worker core missing after running a task")
    }

    /// Step 1: poll the driver without blocking, check for shutdown.
    fn maintenance(&self, mut core: Box<Core>) -> Box<Core> {
        let mut park = core.park.take().expect("parker missing");
        *self.core.borrow_mut() = Some(core);
        // Timers armed here that may be due go to the wheel, even if another
        // worker holds the driver.
        let _ = self.handle.driver.flush_timers(false);
        let io_events = park.park_timeout_zero(&self.handle.driver);
        core = self.take_core();
        self.handle.shared.config.hooks.io_ready(io_events);
        core.park = Some(park);
        core.requeue_deferred(&self.handle);
        let index = core.index;
        self.handle
            .shared
            .config
            .hooks
            .batch_start(index, &mut core.batch);
        core.is_shutdown = self.handle.is_shutdown();
        self.notify_if_shared_work(&core);
        core
    }

    /// Step 5: the worker side of the no-lost-wakeup protocol in
    /// [`super::idle`].
    fn park(&self, mut core: Box<Core>) -> Box<Core> {
        let handle = &*self.handle;
        let idle = &handle.shared.idle;
        // Worker step 1.
        let was_searching = std::mem::replace(&mut core.is_searching, false);
        let is_last_searcher = idle.transition_worker_to_parked(core.index, was_searching);
        // Worker step 2.
        if self.has_work(&core, is_last_searcher) {
            self.unpark_self(&mut core);
            return core;
        }
        loop {
            let mut park = core.park.take().expect("parker missing");
            let index = core.index;
            handle.shared.config.hooks.park(index, 0);
            *self.core.borrow_mut() = Some(core);
            // Timers armed here must be in the wheel before this worker
            // sleeps, wherever it sleeps. If that fired one, a task was
            // woken: look for it instead of sleeping.
            let io_events = if handle.driver.flush_timers(true) {
                0
            } else {
                park.park(&handle.driver)
            };
            core = self.take_core();
            core.park = Some(park);
            handle.shared.config.hooks.io_ready(io_events);
            handle.shared.config.hooks.unpark(index);
            handle
                .shared
                .config
                .hooks
                .batch_start(index, &mut core.batch);
            core.is_shutdown = handle.is_shutdown();
            if core.is_shutdown || !core.run_queue.is_empty() {
                self.unpark_self(&mut core);
                self.notify_if_shared_work(&core);
                return core;
            }
            if !idle.is_parked(core.index) {
                // Chosen by `worker_to_notify`: counted as a searcher.
                core.is_searching = true;
                return core;
            }
            // A timer or I/O event that woke nothing here, or spurious.
        }
    }

    /// Worker step 3: undo the park transition.
    fn unpark_self(&self, core: &mut Core) {
        // False: a pusher chose us meanwhile and counted us as a searcher.
        core.is_searching = !self.handle.shared.idle.unpark_worker_by_id(core.index);
    }

    fn has_work(&self, core: &Core, check_all: bool) -> bool {
        let shared = &self.handle.shared;
        !core.run_queue.is_empty()
            || !shared.inject.is_empty()
            || self.handle.is_shutdown()
            || (check_all && shared.remotes.iter().any(|r| !r.steal.is_empty()))
    }

    /// [`super::handoff`] step 1: gives the core away if a task is being
    /// polled. Returns true if it did.
    pub(super) fn hand_off_core(&self) -> bool {
        if !self.polling.get() {
            return false;
        }
        let Some(core) = self.core.borrow_mut().take() else {
            return false;
        };
        // The core's queue of lazily armed timers goes with it: let go of it
        // while this thread is still the core's only runner. Once the core
        // is filed, the thread that takes it owns the queue, so touching the
        // queue after `file` would race with it.
        let index = core.index;
        self.handle.driver.switch_worker(None);
        match self.handle.shared.handoff.file(&self.handle, core) {
            Ok(()) => true,
            Err(core) => {
                // No thread could be started: keep the core and block it.
                self.handle.driver.switch_worker(Some(index));
                *self.core.borrow_mut() = Some(core);
                false
            }
        }
    }

    /// [`super::handoff`] step 3.
    pub(super) fn reclaim_core(&self) {
        let mut slot = self.core.borrow_mut();
        if slot.is_none() {
            *slot = self.handle.shared.handoff.reclaim();
            if let Some(core) = slot.as_ref() {
                self.handle.driver.switch_worker(Some(core.index));
            }
        }
    }

    pub(super) fn is_on(&self, handle: &Arc<MultiThreadHandle>) -> bool {
        Arc::ptr_eq(handle, &self.handle)
    }

    /// Rule 1 of [`super::handle`]: a schedule from this worker's thread.
    /// Returns the task back if it must go to the inject queue.
    pub(super) fn schedule_local(
        &self,
        handle: &Arc<MultiThreadHandle>,
        task: Task,
        how: Push,
    ) -> Option<Task> {
        if !Arc::ptr_eq(handle, &self.handle) {
            return Some(task);
        }
        // MultiThreadHandle rule 5: `handle` may live in the task's own cell, which a
        // thief may run and free as soon as the task is queued. This
        // worker's own `Arc` is the same runtime and outlives the call.
        let handle = &self.handle;
        {
            let mut slot = self.core.borrow_mut();
            let core = match slot.as_mut() {
                Some(core) => core,
                None => return Some(task),
            };
            let inject = &handle.shared.inject;
            // Inside the driver (parked, or polling it between batches): a
            // timer or I/O event woke the task. Queue it without notifying:
            // this worker is awake, and notifies once for the whole batch
            // when it leaves the driver (`notify_if_shared_work`). Notifying
            // here would cost a check per task and could pick this very
            // worker, still listed as a sleeper.
            let in_driver = core.park.is_none();
            // MultiThreadHandle rule 4: behind the backlog.
            if in_driver && !inject.is_empty() {
                return Some(task);
            }
            match how {
                Push::Lifo => {
                    if let Some(prev) = core.run_queue.push_lifo(task) {
                        core.run_queue.push_back_or_overflow(prev, inject);
                    }
                }
                Push::Back => {
                    core.run_queue.push_back_or_overflow(task, inject);
                    // MultiThreadHandle rule 2's second exception.
                    if core.run_queue.is_alone() {
                        return None;
                    }
                }
                Push::Deferred => {
                    // MultiThreadHandle rule 2's second exception.
                    core.deferred.push(task);
                    return None;
                }
            }
            if in_driver {
                return None;
            }
        }
        handle.notify_parked_local();
        None
    }

    /// After the driver ran on this worker: if its events queued more than
    /// the one task this worker runs next, let a sleeper help (the deferred
    /// notification of `schedule_local`).
    fn notify_if_shared_work(&self, core: &Core) {
        if core.run_queue.len() > 1 {
            self.handle.notify_parked();
        }
    }

    /// Rule 3.
    fn shutdown_core(&self, mut core: Core) {
        let shared = &self.handle.shared;
        shared.owned.close_and_shutdown_all();
        core.drain();
        let mut stopped = shared.stopped.lock();
        stopped.push(core);
        if stopped.len() < shared.remotes.len() {
            return;
        }
        let mut cores = std::mem::take(&mut *stopped);
        drop(stopped);
        // The last worker: every other one has stopped polling.
        shared.owned.close_and_shutdown_all();
        for core in &mut cores {
            core.drain();
        }
        for task in shared.inject.pop_n(usize::MAX) {
            drop(task);
        }
        if let Some(park) = cores[0].park.as_mut() {
            park.shutdown_driver(&self.handle.driver);
        }
    }
}

impl Core {
    /// Step 2.
    fn next_task(&mut self, handle: &MultiThreadHandle) -> Option<Task> {
        let shared = &handle.shared;
        if countdown_due(
            &mut self.global_countdown,
            shared.config.global_queue_interval,
        ) {
            if let Some(task) = shared.inject.pop() {
                return Some(task);
            }
        }
        if let Some(task) = self.run_queue.take_lifo() {
            return Some(task);
        }
        if let Some(task) = self.run_queue.pop() {
            return Some(task);
        }
        self.pop_inject_batch(handle)
    }

    /// Step 3b, after a driver poll: the tasks that yielded join the back
    /// of the ring.
    fn requeue_deferred(&mut self, handle: &MultiThreadHandle) {
        for task in self.deferred.drain(..) {
            self.run_queue
                .push_back_or_overflow(task, &handle.shared.inject);
        }
    }

    /// Moves a fair share of the inject queue into the local ring; returns
    /// one of its tasks to run now.
    fn pop_inject_batch(&mut self, handle: &MultiThreadHandle) -> Option<Task> {
        let inject = &handle.shared.inject;
        if inject.is_empty() {
            return None;
        }
        let room = self
            .run_queue
            .remaining_slots()
            .min(run_queue::CAPACITY / 2);
        let share = inject.len() / handle.num_workers() + 1;
        let mut batch = inject.pop_n(share.min(room + 1));
        let first = batch.next()?;
        self.run_queue.push_back(batch);
        Some(first)
    }

    /// Step 4.
    fn steal_work(&mut self, handle: &MultiThreadHandle) -> Option<Task> {
        let shared = &handle.shared;
        if !self.is_searching {
            if !shared.idle.transition_worker_to_searching() {
                return None;
            }
            self.is_searching = true;
        }
        let n = shared.remotes.len();
        for round in 0..SEARCH_ROUNDS {
            if round > 0 {
                // Step 4's spin: see `SEARCH_ROUNDS`.
                for _ in 0..SEARCH_SPIN {
                    std::hint::spin_loop();
                }
                if handle.is_shutdown() {
                    return None;
                }
            }
            let start = self.rand.below(n);
            for i in 0..n {
                let victim = (start + i) % n;
                if victim == self.index {
                    continue;
                }
                let seen = &mut self.lifo_seen[victim];
                let remote = &shared.remotes[victim];
                if let Some(task) = remote.steal.steal_into_patient(&mut self.run_queue, seen) {
                    return Some(task);
                }
            }
            if let Some(task) = shared.inject.pop() {
                return Some(task);
            }
        }
        None
    }

    fn drain(&mut self) {
        while let Some(task) = self.run_queue.take_lifo().or_else(|| self.run_queue.pop()) {
            drop(task);
        }
        self.deferred.clear();
    }
}

/// xorshift64*: picks steal victims; quality barely matters, speed does.
struct FastRand(u64);

impl FastRand {
    fn new(seed: u64) -> FastRand {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as u64);
        FastRand((seed.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ nanos) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize % n
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("index", &self.index)
            .field("tick", &self.tick)
            .field("run_queue", &self.run_queue)
            .field("is_searching", &self.is_searching)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for WorkerContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("multi_thread::WorkerContext")
            .finish_non_exhaustive()
    }
}
