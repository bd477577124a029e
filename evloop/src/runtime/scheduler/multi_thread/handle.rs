//! The multi-thread scheduler's shared state and its `MultiThreadHandle`: spawning,
//! scheduling woken tasks, `block_on`, shutdown.
//!
//! # Rules
//!
//! 1. A task woken on a worker thread of this runtime, while that worker
//!    holds its core (it is polling a task or parked in the driver), goes to
//!    that worker's local queue: a wake to the LIFO slot (the displaced task
//!    to the ring), a spawn or a wake during the task's own poll to the back
//!    of the ring, a yield (`yield_now`, a spent budget) to the worker's
//!    deferred list, which joins the ring after the worker's next driver
//!    poll. Any other schedule goes to the inject queue.
//! 2. Every push is followed by `notify_parked`, which wakes a sleeper only
//!    when nobody is searching ([`super::idle`] rule 3). This includes LIFO
//!    pushes: the LIFO slot is stealable, and a searcher must exist to steal
//!    it if the owner's current poll runs long. Two exceptions, both pushes
//!    to the pusher's own queue, where the task is never stranded (its owner
//!    is awake): the check skips the fence ([`super::idle`] rule 7), and a
//!    spawn or yield into a ring that holds nothing else notifies nobody
//!    (the owner runs it next; there is nothing to share yet), nor does a
//!    push to the deferred list (the worker shares the tasks once they
//!    are in its ring, after the driver poll). Wakes made
//!    by the driver while a worker runs it (timers, I/O) notify once, when
//!    the worker leaves the driver with more than one task queued.
//! 3. Shutdown closes the inject queue, so a schedule that comes later (from
//!    any thread) is refused and the task reference dropped at once. Then
//!    every worker is unparked; each one cancels tasks from the owned list,
//!    and the last one to stop drains every queue and shuts the driver down.
//!    Tasks are therefore dropped on worker threads.
//! 4. A task woken by the driver (I/O or a timer) while the inject queue
//!    holds tasks goes to the back of the inject queue, not to the local
//!    queue: the inject queue holds the backlog (ring overflow, remote
//!    wakes), and a local push would run the new wake ahead of tasks woken
//!    long before it. Under overload that was starvation: the tasks in the
//!    rings (woken by each driver poll, and each poll refilling the rings)
//!    ran over and over while the inject queue was served one task every
//!    `global_queue_interval` ticks; with 1000 echo connections on two
//!    workers the slowest round trips took 4-8 s against a median of
//!    0.3 s. Going to the back of the queue keeps wakes first come, first
//!    served, as on the current-thread runtime. Wakes from a running task
//!    (a channel send, a join) keep the LIFO slot: they are the latency
//!    path of message passing, and come one at a time, not in a batch.
//! 5. A wake reaches the scheduler through the `Arc<MultiThreadHandle>` stored in the
//!    woken task's own cell, and the wake hands its task reference over to
//!    the queue. From the moment the task is queued, another worker may run
//!    it to completion and free the cell, that `Arc` with it. So nothing
//!    after the push may read the handle it was called on: a worker's own
//!    push goes on with the worker's `Arc` (the same runtime, rule 1), and
//!    a push to the inject queue holds a clone taken before the push, which
//!    also keeps the runtime's state alive if it shuts down and drops its
//!    last task meanwhile.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crate::context;
use crate::loom::sync::{Condvar, Mutex};
use crate::runtime::blocking;
use crate::runtime::drivers;
use crate::runtime::metrics::{Hooks, Spawned};
use crate::runtime::scheduler;
use crate::runtime::task::list::OwnedTasks;
use crate::runtime::task::moved::Moved;
use crate::runtime::task::{Id, JoinHandle, Notified, RawTask, Schedule, SpawnMeta, Task};
use crate::thread_state;
use crate::util::park::{ParkThread, UnparkThread};

use super::handoff::Handoff;
use super::idle::Idle;
use super::inject::Inject;
use super::park::Unparker;
use super::run_queue;
use super::worker::{self, Core};

/// Tuning knobs and thread hooks set by the builder.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) event_interval: u32,
    pub(crate) global_queue_interval: u32,
    pub(crate) thread_name: Arc<dyn Fn() -> String + Send + Sync>,
    pub(crate) thread_stack_size: Option<usize>,
    pub(crate) on_thread_start: Option<Arc<dyn Fn() + Send + Sync>>,
    pub(crate) on_thread_stop: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Metrics, trace and stall hooks (one slot per worker).
    pub(crate) hooks: Arc<Hooks>,
}

pub(crate) struct MultiThreadHandle {
    pub(crate) shared: Shared,
    pub(crate) driver: drivers::DriverHandle,
    /// The runtime's blocking pool (shut down by `Runtime`'s drop).
    pub(crate) blocking_spawner: blocking::Spawner,
}

/// State shared by all workers and by every thread that spawns or wakes.
pub(crate) struct Shared {
    /// One per worker: how to steal from it and how to wake it.
    pub(super) remotes: Box<[Remote]>,
    pub(super) inject: Inject<Notified<Arc<MultiThreadHandle>>>,
    pub(super) idle: Idle,
    pub(super) owned: OwnedTasks<Arc<MultiThreadHandle>>,
    pub(super) config: Config,
    /// Cores given away by `block_in_place`, and the spare threads.
    pub(super) handoff: Handoff,
    /// Cores of the workers that stopped (rule 3); the last one finishes.
    pub(super) stopped: Mutex<Vec<Core>>,
    /// Workers whose thread has not finished yet, for `shutdown_timeout`.
    running: Mutex<usize>,
    all_stopped: Condvar,
}

pub(super) struct Remote {
    pub(super) steal: run_queue::Steal<Notified<Arc<MultiThreadHandle>>>,
    pub(super) unpark: Unparker,
}

impl MultiThreadHandle {
    /// Builds the scheduler and starts its worker threads.
    pub(crate) fn new(
        num_workers: usize,
        driver: drivers::Driver,
        driver_handle: drivers::DriverHandle,
        blocking_spawner: blocking::Spawner,
        config: Config,
    ) -> std::io::Result<Arc<MultiThreadHandle>> {
        let (cores, remotes) = worker::create(num_workers, driver);
        let handle = Arc::new(MultiThreadHandle {
            shared: Shared {
                remotes: remotes.into_boxed_slice(),
                inject: Inject::new(),
                idle: Idle::new(num_workers),
                owned: OwnedTasks::with_shards(4 * num_workers),
                config,
                handoff: Handoff::new(),
                stopped: Mutex::new(Vec::with_capacity(num_workers)),
                running: Mutex::new(0),
                all_stopped: Condvar::new(),
            },
            driver: driver_handle,
            blocking_spawner,
        });
        for core in cores {
            if let Err(e) = worker::launch(&handle, Some(Box::new(core))) {
                let _ = handle.shutdown();
                return Err(e);
            }
        }
        Ok(handle)
    }

    #[inline]
    pub(crate) fn spawn<F>(
        me: &Arc<MultiThreadHandle>,
        future: Moved<'_, F>,
        id: Id,
        meta: SpawnMeta<'_>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let hooks = &me.shared.config.hooks;
        let mut meta = meta;
        meta.track_wakes = hooks.tracks_wakes();
        let (join, notified) = me.shared.owned.bind(future, me.clone(), id, meta);
        match notified {
            Some(notified) => {
                // One hook for the spawn and the wake that queues the task.
                let depth = me.shared.inject.len();
                hooks.spawn(Spawned::Queued(&notified), depth);
                me.push_task(notified, Push::Back);
            }
            None => hooks.spawn(Spawned::<Arc<MultiThreadHandle>>::Cancelled(id, meta), 0),
        }
        join
    }

    pub(crate) fn num_alive_tasks(&self) -> usize {
        self.shared.owned.len()
    }

    pub(crate) fn num_workers(&self) -> usize {
        self.shared.remotes.len()
    }

    pub(crate) fn hooks(&self) -> &Hooks {
        &self.shared.config.hooks
    }

    pub(crate) fn spawned_tasks_count(&self) -> u64 {
        self.shared.owned.spawned_count()
    }

    pub(crate) fn global_queue_depth(&self) -> usize {
        self.shared.inject.len()
    }

    /// Calls `f` on every live task (under the owned list's lock).
    pub(crate) fn for_each_task(&self, f: &mut dyn FnMut(RawTask)) {
        self.shared.owned.for_each(|task| f(task.raw()));
    }

    /// Rule 1 and 2.
    fn schedule_task(self: &Arc<Self>, task: Notified<Arc<MultiThreadHandle>>, how: Push) {
        self.shared
            .config
            .hooks
            .wake(&task, self.shared.inject.len());
        self.push_task(task, how);
    }

    /// Rule 1 and 2 without the wake hook (the caller calls it, or the
    /// spawn hook that stands for it).
    #[inline]
    fn push_task(self: &Arc<Self>, task: Notified<Arc<MultiThreadHandle>>, how: Push) {
        let task = context::with_scheduler(|cx| match cx {
            Some(scheduler::SchedulerContext::MultiThread(cx)) => {
                cx.schedule_local(self, task, how)
            }
            _ => Some(task),
        });
        if let Some(task) = task {
            // Rule 5: once the task is queued, `self` (which may be the
            // scheduler field of that task's cell) can be freed under us.
            let handle = Arc::clone(self);
            if let Err(task) = handle.shared.inject.push(task) {
                // Rule 3: shut down; the task was (or is being) cancelled.
                drop(task);
                return;
            }
            handle.notify_parked();
        }
    }

    /// Wakes a parked worker if nobody is searching (rule 2).
    pub(super) fn notify_parked(&self) {
        if let Some(index) = self.shared.idle.worker_to_notify() {
            self.unpark_worker(index);
        }
    }

    /// Rule 2 after a push to the calling worker's own queue
    /// ([`super::idle`] rule 7: no fence).
    pub(super) fn notify_parked_local(&self) {
        if let Some(index) = self.shared.idle.worker_to_notify_local() {
            self.unpark_worker(index);
        }
    }

    fn unpark_worker(&self, index: usize) {
        self.shared.remotes[index]
            .unpark
            .unpark::<drivers::Driver>(&self.driver);
    }

    /// Runs `future` on the calling thread, which sleeps between polls; the
    /// tasks run on the workers.
    #[track_caller]
    pub(crate) fn block_on<F: Future>(handle: &scheduler::SchedulerHandle, future: F) -> F::Output {
        // `block_in_place` is allowed here (it runs its closure directly).
        let _rt = thread_state::enter_runtime(true);
        let _current = context::set_current(handle);
        let mut parker = ParkThread::new();
        let waker = Waker::from(Arc::new(ThreadWaker(parker.unpark())));
        let mut cx = TaskContext::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(v) = crate::coop::budget(|| future.as_mut().poll(&mut cx)) {
                return v;
            }
            parker.park();
        }
    }

    /// Rule 3, first half: called by the runtime's drop (or
    /// `shutdown_timeout`); the workers do the rest. Returns false if the
    /// runtime was already shutting down.
    pub(crate) fn shutdown(&self) -> bool {
        if !self.shared.inject.close() {
            return false;
        }
        for remote in self.shared.remotes.iter() {
            remote.unpark.unpark::<drivers::Driver>(&self.driver);
        }
        self.shared.handoff.shutdown();
        true
    }

    pub(super) fn is_shutdown(&self) -> bool {
        self.shared.inject.is_closed()
    }

    /// Waits until every worker thread has stopped, at most `timeout`.
    /// Returns false on timeout.
    pub(crate) fn wait_for_workers(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut running = self.shared.running.lock();
        while *running > 0 {
            match deadline {
                None => running = self.shared.all_stopped.wait(running),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return false;
                    }
                    running = self
                        .shared
                        .all_stopped
                        .wait_timeout(running, deadline - now);
                }
            }
        }
        true
    }

    /// True on a worker thread of this runtime.
    pub(crate) fn is_current_worker(self: &Arc<Self>) -> bool {
        context::with_scheduler(|cx| match cx {
            Some(scheduler::SchedulerContext::MultiThread(cx)) => cx.is_on(self),
            _ => false,
        })
    }

    /// Counts a worker thread about to start.
    pub(super) fn worker_started(&self) {
        *self.shared.running.lock() += 1;
    }

    /// Called by each worker thread as its last act.
    pub(super) fn worker_stopped(&self) {
        let mut running = self.shared.running.lock();
        *running -= 1;
        if *running == 0 {
            self.shared.all_stopped.notify_all();
        }
    }
}

/// Where a local schedule puts the task (rule 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Push {
    Lifo,
    Back,
    /// The worker's list of yielded tasks, which join the back of the ring
    /// after the worker's next driver poll ([`super::worker`] step 3b).
    Deferred,
}

impl Schedule for Arc<MultiThreadHandle> {
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.shared.owned.remove(task)
    }

    fn schedule(&self, task: Notified<Self>) {
        self.schedule_task(task, Push::Lifo);
    }

    fn yield_now(&self, task: Notified<Self>) {
        self.schedule_task(task, Push::Back);
    }

    fn defer(&self, task: Notified<Self>) {
        self.schedule_task(task, Push::Deferred);
    }
}

// SAFETY: `Notified::into_raw` gives up the reference without dropping it
// and `Notified::from_raw` takes it back; the pointer is the task header,
// never null, and the `Notified` ref is the only one it carries.
unsafe impl run_queue::Pointer for Notified<Arc<MultiThreadHandle>> {
    fn into_raw(self) -> std::ptr::NonNull<()> {
        Notified::into_raw(self).cast()
    }

    unsafe fn from_raw(ptr: std::ptr::NonNull<()>) -> Self {
        // SAFETY: the caller passes a pointer from `into_raw` above, once.
        unsafe { Notified::from_raw(ptr.cast()) }
    }
}

/// Waker of a `block_on` future: unparks the blocked thread.
struct ThreadWaker(UnparkThread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl fmt::Debug for MultiThreadHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("multi_thread::MultiThreadHandle")
            .field("workers", &self.shared.remotes.len())
            .field("alive_tasks", &self.shared.owned.len())
            .field("injected", &self.shared.inject.len())
            .field("idle", &self.shared.idle)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("event_interval", &self.event_interval)
            .field("global_queue_interval", &self.global_queue_interval)
            .finish_non_exhaustive()
    }
}
