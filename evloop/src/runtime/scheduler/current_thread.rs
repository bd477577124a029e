//! The single-threaded event loop: one thread, one queue, one loop.
//!
//! This is the loop of the classic explanation of async/await: the thread
//! that calls `block_on` polls one task at a time (the "call stack"), takes
//! the next one from the run queue (the "task queue"), and when the queue is
//! empty it parks in the driver — `epoll_wait` with a timeout equal to the
//! next timer deadline — until I/O, a timer or another thread wakes it. Wakes
//! put the task back in the queue (the "continuation").
//!
//! # Glossary
//!
//! - `CurrentThreadHandle` (`Arc`, shared): the inject queue for wakes and spawns from
//!   other threads, the owned-task list, the driver handle, the core slot.
//! - `Core` (owned by the thread running the loop): the local run queue and
//!   the driver. Exactly one thread holds it at a time.
//! - `CurrentThreadContext`: installed in the thread-local scheduler context while the loop
//!   runs; holds the core while a task is polled, so a wake from inside the
//!   loop pushes straight onto the local queue.
//!
//! # The loop (one `tick` per task)
//!
//! 1. If the `block_on` future was woken, poll it; return if it is ready.
//! 2. Run up to `event_interval` tasks: every `global_queue_interval` ticks
//!    take from the inject queue first (so remote wakes never starve),
//!    otherwise local queue first. Tasks run in FIFO order.
//! 3. No task: park in the driver until woken (no spinning, no CPU used) —
//!    unless the `block_on` future is ready again and the driver was visited
//!    fewer than `event_interval` ticks ago: then go straight back to 1.
//!    After `event_interval` tasks: poll the driver without blocking, so
//!    timers and I/O are served between batches; then go to 1. (Each task
//!    poll and each poll of the `block_on` future is one tick, so the driver
//!    is visited at least every `event_interval` ticks.)
//!
//! A task that yields (`yield_now`, a spent coop budget: `thread_state::defer`)
//! waits in the core's deferred list, which joins the back of the run queue
//! after the next visit to the driver; a visit is due as soon as the run
//! queue holds nothing else (step 3 then never blocks). The `block_on`
//! future that yields likewise gets a driver visit before its next poll.
//! So a yield always lets ready I/O and timers queue their tasks first.
//!
//! A wake of the `block_on` future from the loop's own thread does not
//! unpark the driver (a syscall): the loop is awake and checks the flag
//! before it parks.
//!
//! # Rules
//!
//! 1. The core is in exactly one place: the `CurrentThreadHandle`'s core slot, a
//!    `CoreGuard` on the stack of the thread running the loop, or the
//!    `CurrentThreadContext`'s `RefCell` while a task or the driver runs.
//! 2. A wake pushes to the local queue only when it happens on the thread
//!    running this scheduler's loop *and* the core is in the `CurrentThreadContext`;
//!    otherwise it goes to the inject queue and unparks the driver.
//! 3. Wakes are never lost: the unpark is sticky, so a wake that races with
//!    the decision to park makes the park return at once.
//! 4. Shutdown closes the owned list first (no new task can join), cancels
//!    every task on the shutting-down thread with this runtime current, then
//!    drains both queues and shuts the driver down.
//! 5. Shutdown needs the core. A thread that runs the loop holds it until
//!    its `block_on` returns, so shutdown started on that very thread (the
//!    runtime dropped inside one of its own tasks or its `block_on` future)
//!    could never get it: it panics instead, naming the mistake. Started on
//!    any other thread, it waits for the loop's thread to give the core
//!    back.
//!
//!    Rejected: shutting down from inside the loop (cancelling every task
//!    but the one running, shutting the driver down under the loop's feet).
//!    The loop would then go on parking in a dead driver on behalf of a
//!    `block_on` future whose runtime is gone, which turns a visible mistake
//!    into a hang or a stream of shutdown errors somewhere else.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::Duration;

use crate::context;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::sync::Mutex;
use crate::runtime::blocking;
use crate::runtime::drivers::{self, Driver};
use crate::runtime::metrics::{Batch, Hooks, Polling, Spawned, MODE_CLOCKED, MODE_OFF, MODE_TRACE};
use crate::runtime::scheduler;
use crate::runtime::task::list::OwnedTasks;
use crate::runtime::task::moved::Moved;
use crate::runtime::task::{Id, JoinHandle, Notified, RawTask, Schedule, SpawnMeta, Task};
use crate::thread_state;
use crate::util::park::{ParkThread, UnparkThread};

/// Tuning knobs set by the builder.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) event_interval: u32,
    pub(crate) global_queue_interval: u32,
    /// Metrics, trace and stall hooks (worker 0 is this loop).
    pub(crate) hooks: Arc<Hooks>,
}

/// Shared state of the scheduler.
pub(crate) struct CurrentThreadHandle {
    shared: Shared,
    pub(crate) driver: drivers::DriverHandle,
    /// The runtime's blocking pool (shut down by `Runtime`'s drop).
    pub(crate) blocking_spawner: blocking::Spawner,
    config: Config,
}

struct Shared {
    inject: Inject,
    owned: OwnedTasks<Arc<CurrentThreadHandle>>,
    /// Rule 1: the core when no thread is running the loop.
    core: Mutex<Option<Box<Core>>>,
    /// Threads in `block_on` waiting for the core to come back.
    core_waiters: Mutex<Vec<UnparkThread>>,
    /// The `block_on` future was woken and must be polled.
    woken: AtomicBool,
}

/// The queue for tasks scheduled from outside the loop.
struct Inject {
    queue: Mutex<InjectQueue>,
    len: AtomicUsize,
}

struct InjectQueue {
    tasks: VecDeque<Notified<Arc<CurrentThreadHandle>>>,
    closed: bool,
}

/// Owned by the thread running the loop (rule 1).
struct Core {
    tasks: VecDeque<Notified<Arc<CurrentThreadHandle>>>,
    /// Tasks that yielded since the last visit to the driver.
    deferred: Vec<Notified<Arc<CurrentThreadHandle>>>,
    /// Incremented for every task poll and every poll of the `block_on` future.
    tick: u32,
    /// Ticks left until the inject queue goes first (a countdown, not
    /// `tick % interval`: no division per task).
    global_countdown: u32,
    /// `tick` at the last visit to the driver.
    last_park: u32,
    driver: Option<Driver>,
}

/// The thread-local scheduler context while the loop runs.
pub(crate) struct CurrentThreadContext {
    handle: Arc<CurrentThreadHandle>,
    core: RefCell<Option<Box<Core>>>,
}

/// Initial capacity of the local run queue.
const INITIAL_CAPACITY: usize = 64;

impl CurrentThreadHandle {
    pub(crate) fn new(
        driver: Driver,
        driver_handle: drivers::DriverHandle,
        blocking_spawner: blocking::Spawner,
        config: Config,
    ) -> Arc<CurrentThreadHandle> {
        let core = Box::new(Core {
            tasks: VecDeque::with_capacity(INITIAL_CAPACITY),
            deferred: Vec::new(),
            tick: 0,
            global_countdown: 0,
            last_park: 0,
            driver: Some(driver),
        });
        Arc::new(CurrentThreadHandle {
            shared: Shared {
                inject: Inject {
                    queue: Mutex::new(InjectQueue {
                        tasks: VecDeque::new(),
                        closed: false,
                    }),
                    len: AtomicUsize::new(0),
                },
                owned: OwnedTasks::new(),
                core: Mutex::new(Some(core)),
                core_waiters: Mutex::new(Vec::new()),
                woken: AtomicBool::new(false),
            },
            driver: driver_handle,
            blocking_spawner,
            config,
        })
    }

    #[inline]
    pub(crate) fn spawn<F>(
        me: &Arc<CurrentThreadHandle>,
        future: Moved<'_, F>,
        id: Id,
        meta: SpawnMeta<'_>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let hooks = &me.config.hooks;
        let mut meta = meta;
        meta.track_wakes = hooks.tracks_wakes();
        let (join, notified) = me.shared.owned.bind(future, me.clone(), id, meta);
        match notified {
            Some(notified) => me.push_task(notified, false, |task, depth| {
                hooks.spawn(Spawned::Queued(task), depth);
            }),
            None => hooks.spawn(Spawned::<Arc<CurrentThreadHandle>>::Cancelled(id, meta), 0),
        }
        join
    }

    /// Number of tasks alive on this runtime.
    pub(crate) fn num_alive_tasks(&self) -> usize {
        self.shared.owned.len()
    }

    pub(crate) fn hooks(&self) -> &Hooks {
        &self.config.hooks
    }

    pub(crate) fn spawned_tasks_count(&self) -> u64 {
        self.shared.owned.spawned_count()
    }

    pub(crate) fn global_queue_depth(&self) -> usize {
        self.shared.inject.len.load(Ordering::Relaxed)
    }

    /// Calls `f` on every live task (under the owned list's lock).
    pub(crate) fn for_each_task(&self, f: &mut dyn FnMut(RawTask)) {
        self.shared.owned.for_each(|task| f(task.raw()));
    }

    fn take_core(&self) -> Option<Box<Core>> {
        self.shared.core.lock().take()
    }

    fn return_core(&self, core: Box<Core>) {
        *self.shared.core.lock() = Some(core);
        let waiters = std::mem::take(&mut *self.shared.core_waiters.lock());
        for waiter in waiters {
            waiter.unpark();
        }
    }

    #[must_use]
    fn reset_woken(&self) -> bool {
        self.shared.woken.swap(false, Ordering::AcqRel)
    }

    /// Runs `future` to completion on this thread, driving the loop.
    #[track_caller]
    pub(crate) fn block_on<F: Future>(
        me: &Arc<CurrentThreadHandle>,
        handle: &scheduler::SchedulerHandle,
        future: F,
    ) -> F::Output {
        let _rt = thread_state::enter_runtime(false);
        let _current = context::set_current(handle);
        let mut future = std::pin::pin!(future);

        // Wait for the core if another thread is running the loop; poll the
        // future meanwhile with a waker that unparks this thread.
        let mut park: Option<(ParkThread, Waker)> = None;
        loop {
            if let Some(core) = me.take_core() {
                return CoreGuard::new(me, core).block_on(future);
            }
            let (parker, waker) = park.get_or_insert_with(|| {
                let parker = ParkThread::new();
                let waker = Waker::from(Arc::new(ThreadWaker(parker.unpark())));
                (parker, waker)
            });
            me.shared.core_waiters.lock().push(parker.unpark());
            // Re-check after registering, so a core returned in between is
            // not missed (its return unparks us, making the park below
            // return at once).
            if let Some(core) = me.take_core() {
                return CoreGuard::new(me, core).block_on(future);
            }
            let mut cx = TaskContext::from_waker(waker);
            if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
                return v;
            }
            parker.park();
        }
    }

    /// Rule 4. Called by the runtime's drop, on the dropping thread.
    ///
    /// # Panics
    ///
    /// Rule 5: panics if this thread is running this scheduler's loop
    /// (unless it is already panicking: then it returns and the runtime
    /// stays as it is).
    pub(crate) fn shutdown(me: &Arc<CurrentThreadHandle>, handle: &scheduler::SchedulerHandle) {
        if me.is_loop_thread() {
            if std::thread::panicking() {
                return;
            }
            panic!(
                "cannot drop a current_thread runtime from inside its own loop (in one of its \
                 tasks, or in the future given to `block_on`): this thread runs the scheduler \
                 that the shutdown must stop, so it would wait for itself. Drop the runtime \
                 after `block_on` has returned, or on another thread"
            );
        }
        let core = match me.take_core() {
            Some(core) => core,
            // The core is lost only if a `block_on` panicked without
            // returning it, which `CoreGuard` prevents; or another thread is
            // inside `CurrentThreadHandle::block_on` right now: it shuts nothing down,
            // so wait for it.
            None => match wait_for_core(me) {
                Some(core) => core,
                None => return,
            },
        };
        let _current = context::set_current(handle);
        let guard = CoreGuard::new(me, core);
        guard.enter(|mut core, cx| {
            let handle = &cx.handle;
            if handle.config.hooks.trace.is_some() {
                handle
                    .shared
                    .owned
                    .for_each(|t| handle.config.hooks.shutdown_task(t.id()));
            }
            handle.shared.owned.close_and_shutdown_all();
            while let Some(task) = core.tasks.pop_front() {
                drop(task);
            }
            core.deferred.clear();
            for task in handle.shared.inject.close() {
                drop(task);
            }
            // Destructors of cancelled futures may have woken others.
            while let Some(task) = core.tasks.pop_front() {
                drop(task);
            }
            debug_assert!(handle.shared.owned.is_empty());
            if let Some(driver) = core.driver.as_mut() {
                driver.shutdown(&handle.driver);
            }
            (core, ())
        });
    }
}

impl CurrentThreadHandle {
    /// True on the thread running this scheduler's loop: inside its
    /// `block_on`, one of its tasks, or its driver.
    #[inline]
    fn is_loop_thread(self: &Arc<Self>) -> bool {
        context::with_scheduler(
            |cx| matches!(cx, Some(scheduler::SchedulerContext::CurrentThread(cx)) if Arc::ptr_eq(&cx.handle, self)),
        )
    }
}

fn wait_for_core(me: &Arc<CurrentThreadHandle>) -> Option<Box<Core>> {
    if std::thread::panicking() {
        return None;
    }
    let mut parker = ParkThread::new();
    loop {
        me.shared.core_waiters.lock().push(parker.unpark());
        if let Some(core) = me.take_core() {
            return Some(core);
        }
        parker.park();
    }
}

impl Schedule for Arc<CurrentThreadHandle> {
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.shared.owned.remove(task)
    }

    fn schedule(&self, task: Notified<Self>) {
        self.push_task(task, false, |task, depth| {
            self.config.hooks.wake(task, depth)
        });
    }

    fn defer(&self, task: Notified<Self>) {
        self.push_task(task, true, |task, depth| {
            self.config.hooks.wake(task, depth)
        });
    }
}

impl CurrentThreadHandle {
    /// Queues `task` (rule 2); `deferred`: a yield, which on the loop's
    /// thread waits for the next visit to the driver. `hook` is called
    /// right before the push with the queue's depth after it: the wake
    /// hook, or for a new task the spawn hook that records the wake too.
    #[inline(always)]
    fn push_task(
        self: &Arc<Self>,
        task: Notified<Arc<CurrentThreadHandle>>,
        deferred: bool,
        hook: impl FnOnce(&Notified<Arc<CurrentThreadHandle>>, usize),
    ) {
        context::with_scheduler(|cx| {
            // Rule 2.
            if let Some(scheduler::SchedulerContext::CurrentThread(cx)) = cx {
                if Arc::ptr_eq(self, &cx.handle) {
                    if let Some(core) = cx.core.borrow_mut().as_mut() {
                        hook(&task, core.tasks.len() + 1);
                        if deferred {
                            core.deferred.push(task);
                        } else {
                            core.tasks.push_back(task);
                        }
                        return;
                    }
                }
            }
            let depth = self.shared.inject.len.load(Ordering::Relaxed) + 1;
            hook(&task, depth);
            // `self` may be the scheduler field of the task's own cell: once
            // the task is queued, the loop may run it to completion and free
            // the cell. Unpark through a clone taken before the push (the
            // same hazard as multi_thread's handle rule 5).
            let handle = Arc::clone(self);
            if let Some(task) = handle.shared.inject.push(task) {
                // The runtime has shut down: the task is already cancelled
                // (rule 4); dropping the `Notified` releases its ref.
                drop(task);
                return;
            }
            handle.driver.unpark();
        })
    }
}

impl Inject {
    /// Returns the task back if the queue is closed.
    fn push(
        &self,
        task: Notified<Arc<CurrentThreadHandle>>,
    ) -> Option<Notified<Arc<CurrentThreadHandle>>> {
        let mut q = self.queue.lock();
        if q.closed {
            return Some(task);
        }
        q.tasks.push_back(task);
        self.len.store(q.tasks.len(), Ordering::Release);
        None
    }

    fn pop(&self) -> Option<Notified<Arc<CurrentThreadHandle>>> {
        if self.len.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut q = self.queue.lock();
        let task = q.tasks.pop_front();
        self.len.store(q.tasks.len(), Ordering::Release);
        task
    }

    fn is_empty(&self) -> bool {
        self.len.load(Ordering::Acquire) == 0
    }

    fn close(&self) -> VecDeque<Notified<Arc<CurrentThreadHandle>>> {
        let mut q = self.queue.lock();
        q.closed = true;
        self.len.store(0, Ordering::Release);
        std::mem::take(&mut q.tasks)
    }
}

impl Core {
    fn next_task(
        &mut self,
        handle: &CurrentThreadHandle,
    ) -> Option<Notified<Arc<CurrentThreadHandle>>> {
        if super::countdown_due(
            &mut self.global_countdown,
            handle.config.global_queue_interval,
        ) {
            handle
                .shared
                .inject
                .pop()
                .or_else(|| self.tasks.pop_front())
        } else {
            self.tasks
                .pop_front()
                .or_else(|| handle.shared.inject.pop())
        }
    }
}

impl CurrentThreadContext {
    /// Puts the core in the context while `f` runs (rule 1).
    fn enter<R>(&self, core: Box<Core>, f: impl FnOnce() -> R) -> (Box<Core>, R) {
        *self.core.borrow_mut() = Some(core);
        let ret = f();
        let core = self
            .core
            .borrow_mut()
            .take()
            .expect("scheduler core missing after running a task");
        (core, ret)
    }

    /// Loop step 2: a batch of up to `event_interval` polls, `task` first.
    /// Returns the core and whether the run queue ran dry (rather than the
    /// batch filling up). `MODE`: what `Hooks::batch_start` returned.
    #[inline(always)]
    fn run_batch<const MODE: u8>(
        &self,
        core: Box<Core>,
        task: Notified<Arc<CurrentThreadHandle>>,
        batch: &mut Batch,
    ) -> (Box<Core>, bool) {
        let handle = &self.handle;
        let hooks = &handle.config.hooks;
        let mut polling = Polling::default();
        let depth = core.tasks.len();
        hooks.poll_start::<MODE, _>(batch, &mut polling, &task, depth);
        let (mut core, outcome) = self.enter(core, || task.run());
        hooks.poll_end::<MODE>(&mut polling, outcome);
        let mut dry = false;
        for _ in 1..handle.config.event_interval {
            core.tick = core.tick.wrapping_add(1);
            let Some(task) = core.next_task(handle) else {
                dry = true;
                break;
            };
            let depth = core.tasks.len();
            hooks.poll_start::<MODE, _>(batch, &mut polling, &task, depth);
            let outcome;
            (core, outcome) = self.enter(core, || task.run());
            hooks.poll_end::<MODE>(&mut polling, outcome);
        }
        let depth = core.tasks.len();
        hooks.batch_end::<MODE>(Some(batch), &mut polling, depth);
        (core, dry)
    }

    /// Parks in the driver until woken; `limit` bounds the wait.
    fn park(&self, mut core: Box<Core>, limit: Option<Duration>) -> Box<Core> {
        let mut driver = core.driver.take().expect("driver missing");
        let handle = &self.handle;
        let should_block = limit != Some(Duration::ZERO)
            && core.tasks.is_empty()
            && core.deferred.is_empty()
            && handle.shared.inject.is_empty()
            && !handle.shared.woken.load(Ordering::Acquire);
        let limit = if should_block {
            limit
        } else {
            Some(Duration::ZERO)
        };
        core.last_park = core.tick;
        let hooks = &handle.config.hooks;
        if should_block {
            hooks.park(0, 0);
        }
        let (mut core, io_events) = self.enter(core, || driver.park(&handle.driver, limit));
        hooks.io_ready(io_events);
        if should_block {
            hooks.unpark(0);
        }
        core.driver = Some(driver);
        // The driver was visited: the tasks that yielded queue up again.
        let Core {
            tasks, deferred, ..
        } = &mut *core;
        tasks.extend(deferred.drain(..));
        core
    }
}

/// Holds the core for the thread running the loop; returns it to the
/// handle on drop, also when `block_on`'s future panics (rule 1).
struct CoreGuard<'a> {
    context: scheduler::SchedulerContext,
    handle: &'a Arc<CurrentThreadHandle>,
}

impl<'a> CoreGuard<'a> {
    fn new(handle: &'a Arc<CurrentThreadHandle>, core: Box<Core>) -> CoreGuard<'a> {
        CoreGuard {
            context: scheduler::SchedulerContext::CurrentThread(CurrentThreadContext {
                handle: handle.clone(),
                core: RefCell::new(Some(core)),
            }),
            handle,
        }
    }

    fn cx(&self) -> &CurrentThreadContext {
        match &self.context {
            scheduler::SchedulerContext::CurrentThread(cx) => cx,
            #[allow(unreachable_patterns)]
            _ => unreachable!(),
        }
    }

    /// Takes the core out of the context and runs `f` with this scheduler
    /// installed as the thread's scheduler context.
    fn enter<R>(&self, f: impl FnOnce(Box<Core>, &CurrentThreadContext) -> (Box<Core>, R)) -> R {
        let cx = self.cx();
        let core = cx.core.borrow_mut().take().expect("scheduler core missing");
        // This thread holds the core, so it is the loop's only runner: it
        // owns the time driver's queue of lazily armed timers meanwhile.
        let timers = self.handle.driver.enter_worker(Some(0));
        let (core, ret) = context::set_scheduler(&self.context, || f(core, cx));
        drop(timers);
        *cx.core.borrow_mut() = Some(core);
        ret
    }

    fn block_on<F: Future>(self, mut future: Pin<&mut F>) -> F::Output {
        let waker = Waker::from(Arc::new(BlockOnWaker {
            handle: self.handle.clone(),
        }));
        let mut task_cx = TaskContext::from_waker(&waker);
        self.handle.shared.woken.store(true, Ordering::Release);

        self.enter(|mut core, cx| {
            let handle = &cx.handle;
            // The `block_on` future yielded at its last poll: visit the
            // driver before the next one.
            let mut yielded = false;
            loop {
                // Loop step 1.
                if handle.reset_woken() {
                    core.tick = core.tick.wrapping_add(1);
                    handle.config.hooks.block_on_start();
                    let (c, (res, y)) = cx.enter(core, || {
                        thread_state::poll_yielded(|| {
                            crate::coop::budget(|| future.as_mut().poll(&mut task_cx))
                        })
                    });
                    handle.config.hooks.block_on_end(0, res.is_ready());
                    core = c;
                    if let Poll::Ready(v) = res {
                        return (core, v);
                    }
                    yielded = y;
                }

                // Loop step 2: a batch of up to `event_interval` polls.
                // Between two polls of the batch one record stands for the
                // end of one and the start of the next (the hooks keep the
                // end pending); the last poll's end is recorded when the
                // batch ends, and so are the batch's metrics (poll count,
                // queue depth). The batch
                // clock is read only for a batch that runs a task (a
                // `block_on` future that yields to an empty queue must not
                // pay a clock read per round).
                core.tick = core.tick.wrapping_add(1);
                // The run queue ran dry (rather than the batch filling up).
                let mut dry = true;
                if let Some(task) = core.next_task(handle) {
                    let mut batch = Batch::default();
                    // A copy of the batch loop per hooks mode: no per-poll
                    // branch on the mode, and with the hooks off none on
                    // them at all.
                    (core, dry) = match handle.config.hooks.batch_start(0, &mut batch) {
                        MODE_OFF => cx.run_batch::<MODE_OFF>(core, task, &mut batch),
                        MODE_TRACE => cx.run_batch::<MODE_TRACE>(core, task, &mut batch),
                        _ => cx.run_batch::<MODE_CLOCKED>(core, task, &mut batch),
                    };
                }
                if dry {
                    // Loop step 3: nothing to run. If the `block_on`
                    // future is ready again and the driver was visited
                    // recently, go straight back to the future.
                    let since_park = core.tick.wrapping_sub(core.last_park);
                    if since_park >= handle.config.event_interval
                        || !handle.shared.woken.load(Ordering::Acquire)
                        || yielded
                        || !core.deferred.is_empty()
                    {
                        core = cx.park(core, None);
                        yielded = false;
                    }
                } else {
                    // Loop step 3: serve timers and I/O between batches.
                    core = cx.park(core, Some(Duration::ZERO));
                    yielded = false;
                }
            }
        })
    }
}

impl Drop for CoreGuard<'_> {
    fn drop(&mut self) {
        if let Some(core) = self.cx().core.borrow_mut().take() {
            self.handle.return_core(core);
        }
    }
}

/// Waker of the `block_on` future: flags it and unparks the driver.
struct BlockOnWaker {
    handle: Arc<CurrentThreadHandle>,
}

impl Wake for BlockOnWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.handle.shared.woken.store(true, Ordering::Release);
        // A wake from the thread running this loop (a task completing, a
        // yield, a timer fired by the driver after its wait) comes while the
        // loop is awake: it sees `woken` before it parks again, so the
        // unpark — a syscall on the reactor — is only needed from elsewhere.
        if !self.handle.is_loop_thread() {
            self.handle.driver.unpark();
        }
    }
}

/// Waker for a thread parked outside the loop.
struct ThreadWaker(UnparkThread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl fmt::Debug for CurrentThreadHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("current_thread::CurrentThreadHandle")
            .field("alive_tasks", &self.shared.owned.len())
            .field("injected", &self.shared.inject.len.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
