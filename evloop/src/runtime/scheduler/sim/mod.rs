//! The deterministic scheduler: every task of a simulation on one OS
//! thread, every choice from a seed, time virtual.
//!
//! This is the third flavour behind `scheduler::SchedulerHandle`. It reuses the
//! task cell (`runtime/task/`), the owned list and the time driver on a
//! paused clock; what is new is the loop below and the seeded choices in
//! `core.rs`. The public face is `evloop::sim`.
//!
//! # Glossary
//!
//! - `SimHandle` (`Arc`, shared): the owned list, the driver handle, the
//!   queue of wakes from other OS threads, the main future's wake flag.
//! - `Core` (`core.rs`, owned by the simulation's thread): the logical
//!   workers' queues, the generator, the recorder.
//! - `SimContext`: installed as the thread's scheduler context while the
//!   simulation runs; holds the core in a `RefCell`, never borrowed across
//!   a poll.
//!
//! # The loop (one *step* per poll)
//!
//! 1. Queue what arrived outside a step: wakes from other OS threads
//!    (each counted as a leak) and wakes that came while the core was
//!    borrowed (a task freed inside the core's own code).
//! 2. Pick (`Core::pick`): the main future, a task on a worker, or idle.
//! 3. Poll it, with the worker and task recorded as running, so its wakes
//!    and spawns are placed by `core.rs` rule 3.
//! 4. Idle: flush this thread's lazily armed timers; if a timer is armed,
//!    park the time driver with no limit, which on the paused clock jumps
//!    straight to the next timer and fires it (time driver rule 3). With no
//!    timer and nothing runnable, wait up to `idle_timeout` of real time
//!    for a wake from another thread; then report a deadlock.
//!
//! # Rules
//!
//! 1. Only the simulation's thread touches the core. A wake on that thread
//!    while the core is borrowed goes to the context's spill list (step 1);
//!    a wake on any other thread goes to `foreign` and unparks the driver.
//! 2. Shutdown runs on the simulation's thread with the runtime current,
//!    also when the main future panics: cancel every task, drop the queues,
//!    shut the driver down.

use std::cell::RefCell;
use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::{Duration, Instant as StdInstant};

use crate::context;
use crate::runtime::blocking;
use crate::runtime::drivers::{self, Driver};
use crate::runtime::metrics::Hooks;
use crate::runtime::scheduler;
use crate::runtime::task::list::OwnedTasks;
use crate::runtime::task::moved::Moved;
use crate::runtime::task::{Id, JoinHandle, PollOutcome, RawTask, Schedule, SpawnMeta, Task};
use crate::thread_state;

pub(crate) mod core;
pub(crate) mod events;
pub(crate) mod rng;

pub use self::core::Policy;
use self::core::{Core, Entry, Pick, Push, NONE_TASK};
use self::events::{Event, EventKind};

/// Seeded fault probabilities (each in `0.0..=1.0`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Faults {
    pub(crate) buggify: f64,
    pub(crate) buggify_sites: f64,
    pub(crate) fs_eio: f64,
    pub(crate) fs_enospc: f64,
    pub(crate) fs_short_write: f64,
}

/// What a simulation is built with.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) seed: u64,
    pub(crate) workers: usize,
    pub(crate) policy: Policy,
    pub(crate) pct_steps: u64,
    pub(crate) log_cap: Option<usize>,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_steps: Option<u64>,
    pub(crate) faults: Faults,
}

/// What one run came to.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) hash: u64,
    pub(crate) events: u64,
    pub(crate) polls: u64,
    pub(crate) elapsed: Duration,
    pub(crate) leaks: u64,
    pub(crate) spawned: u64,
    pub(crate) log: Option<Vec<Event>>,
    pub(crate) sites: Vec<&'static Location<'static>>,
}

/// Shared state of a simulation.
pub(crate) struct SimHandle {
    pub(crate) driver: drivers::DriverHandle,
    /// Never used to run anything: `spawn_blocking` runs inline here.
    pub(crate) blocking_spawner: blocking::Spawner,
    hooks: Arc<Hooks>,
    owned: OwnedTasks<Arc<SimHandle>>,
    /// Rule 1: wakes from other OS threads.
    foreign: Mutex<Vec<Entry>>,
    foreign_len: AtomicUsize,
    main_woken: AtomicBool,
    leaks: AtomicU64,
    pub(crate) config: Config,
    /// The driver, until a run takes it.
    parked_driver: Mutex<Option<Driver>>,
    /// Per-simulation state of code built on top (`sim::shared`), by type;
    /// dropped at shutdown, after the tasks (it may hold their wakers).
    pub(crate) shared: Mutex<Vec<(std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>)>>,
}

/// The thread-local scheduler context while the simulation runs.
pub(crate) struct SimContext {
    handle: Arc<SimHandle>,
    core: RefCell<Core>,
    /// Rule 1: wakes that came while the core was borrowed.
    spill: RefCell<Vec<(Entry, Push)>>,
    driver: RefCell<Driver>,
    /// Virtual time zero.
    start: StdInstant,
}

impl SimHandle {
    /// A simulation with a paused-clock time driver and no I/O driver.
    pub(crate) fn new(config: Config, blocking_spawner: blocking::Spawner) -> Arc<SimHandle> {
        let cfg = drivers::Cfg {
            enable_io: false,
            enable_time: true,
            enable_pause_time: true,
            start_paused: true,
            nevents: 1024,
            workers: 1,
            // No I/O driver is built (a simulation has none).
            io_driver: crate::runtime::IoDriver::Epoll,
        };
        let (driver, driver_handle) =
            Driver::new(&cfg).expect("a driver without I/O cannot fail to build");
        Arc::new(SimHandle {
            driver: driver_handle,
            blocking_spawner,
            hooks: Arc::new(Hooks::new(config.workers.max(1), None, None, false)),
            owned: OwnedTasks::new(),
            foreign: Mutex::new(Vec::new()),
            foreign_len: AtomicUsize::new(0),
            main_woken: AtomicBool::new(false),
            leaks: AtomicU64::new(0),
            config,
            parked_driver: Mutex::new(Some(driver)),
            shared: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    pub(crate) fn num_alive_tasks(&self) -> usize {
        self.owned.len()
    }

    pub(crate) fn spawned_tasks_count(&self) -> u64 {
        self.owned.spawned_count()
    }

    pub(crate) fn global_queue_depth(&self) -> usize {
        0
    }

    pub(crate) fn for_each_task(&self, f: &mut dyn FnMut(RawTask)) {
        self.owned.for_each(|task| f(task.raw()));
    }

    /// Aborts the live tasks whose ids are in `ids` (sorted), in that order.
    pub(crate) fn abort_ids(&self, ids: &[u64]) {
        let mut found: Vec<RawTask> = Vec::new();
        self.owned.for_each(|task| {
            if ids.binary_search(&task.id().as_u64()).is_ok() {
                task.raw().ref_inc();
                found.push(task.raw());
            }
        });
        found.sort_by_key(|t| ids.binary_search(&t.id().as_u64()).unwrap_or(usize::MAX));
        for task in found {
            task.remote_abort();
            task.drop_reference();
        }
    }

    pub(crate) fn spawn<F>(
        me: &Arc<SimHandle>,
        future: Moved<'_, F>,
        id: Id,
        meta: SpawnMeta<'_>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let mut meta = meta;
        meta.track_wakes = me.hooks.tracks_wakes();
        let (join, notified) = me.owned.bind(future, me.clone(), id, meta);
        if let Some(notified) = notified {
            me.push(notified, Push::Spawn);
        }
        join
    }

    /// Runs `f` with this thread's simulation context if it is this one's.
    fn with_context<R>(self: &Arc<Self>, f: impl FnOnce(Option<&SimContext>) -> R) -> R {
        context::with_scheduler(|cx| match cx {
            Some(scheduler::SchedulerContext::Sim(cx)) if Arc::ptr_eq(&cx.handle, self) => {
                f(Some(cx))
            }
            _ => f(None),
        })
    }

    /// Rule 1.
    fn push(self: &Arc<Self>, task: Entry, how: Push) {
        self.with_context(|cx| match cx {
            Some(cx) => match cx.core.try_borrow_mut() {
                Ok(mut core) => core.push(task, how),
                Err(_) => cx.spill.borrow_mut().push((task, how)),
            },
            None => {
                // A leak: another OS thread woke a simulated task.
                self.leaks.fetch_add(1, Ordering::Relaxed);
                let handle = Arc::clone(self);
                handle.foreign.lock().unwrap().push(task);
                handle.foreign_len.fetch_add(1, Ordering::Release);
                handle.driver.unpark();
            }
        })
    }

    /// Whether this thread runs this simulation.
    pub(crate) fn is_sim_thread(self: &Arc<Self>) -> bool {
        self.with_context(|cx| cx.is_some())
    }

    /// Runs `future` as the main future (task 0) to completion on this
    /// thread, driving the simulation; then shuts it down (rule 2).
    pub(crate) fn run<F: Future>(
        me: &Arc<SimHandle>,
        handle: &scheduler::SchedulerHandle,
        future: F,
        site: &'static Location<'static>,
    ) -> (F::Output, Outcome) {
        let driver = me
            .parked_driver
            .lock()
            .unwrap()
            .take()
            .expect("a simulation runs once");
        let config = &me.config;
        let start = me.driver.clock.now();
        let cx = scheduler::SchedulerContext::Sim(Box::new(SimContext {
            start,
            handle: me.clone(),
            core: RefCell::new(Core::new(
                config.seed,
                config.workers,
                config.policy,
                config.pct_steps,
                config.log_cap,
                site,
            )),
            spill: RefCell::new(Vec::new()),
            driver: RefCell::new(driver),
        }));
        let scheduler::SchedulerContext::Sim(sim_cx) = &cx else {
            unreachable!()
        };
        let _rt = thread_state::enter_runtime(false);
        let _current = context::set_current(handle);
        let _timers = me.driver.enter_worker(Some(0));
        let _select = crate::util::rand::seed_thread(rng::splitmix64(&mut config.seed.clone()));
        context::set_scheduler(&cx, || {
            let guard = ShutdownGuard(sim_cx);
            let out = sim_cx.run(future, start);
            drop(guard);
            let mut core = sim_cx.core.borrow_mut();
            let outcome = Outcome {
                hash: core.rec.hash(),
                events: core.rec.count(),
                polls: core.polls,
                elapsed: Duration::from_nanos(core.now_ns),
                leaks: me.leaks.load(Ordering::Relaxed),
                spawned: core.sites.len() as u64 - 1,
                log: core.rec.take_log(),
                sites: std::mem::take(&mut core.sites),
            };
            (out, outcome)
        })
    }
}

/// Rule 2, also on a panic.
struct ShutdownGuard<'a>(&'a SimContext);

impl Drop for ShutdownGuard<'_> {
    fn drop(&mut self) {
        let cx = self.0;
        cx.handle.owned.close_and_shutdown_all();
        loop {
            let mut queued = cx.core.borrow_mut().drain();
            queued.extend(cx.spill.borrow_mut().drain(..).map(|(t, _)| t));
            queued.extend(cx.handle.foreign.lock().unwrap().drain(..));
            if queued.is_empty() {
                break;
            }
            drop(queued);
        }
        let mut driver = cx.driver.borrow_mut();
        driver.shutdown(&cx.handle.driver);
        drop(driver);
        let shared = std::mem::take(&mut *cx.handle.shared.lock().unwrap());
        drop(shared);
    }
}

impl SimContext {
    fn virtual_now(&self, start: StdInstant) -> u64 {
        let now = self.handle.driver.clock.now();
        now.saturating_duration_since(start).as_nanos() as u64
    }

    /// Loop step 1.
    fn gather(&self) {
        let handle = &self.handle;
        let spilled: Vec<(Entry, Push)> = self.spill.borrow_mut().drain(..).collect();
        let mut core = self.core.borrow_mut();
        for (task, how) in spilled {
            core.push(task, how);
        }
        if handle.foreign_len.load(Ordering::Acquire) > 0 {
            let tasks: Vec<Entry> = std::mem::take(&mut *handle.foreign.lock().unwrap());
            handle.foreign_len.fetch_sub(tasks.len(), Ordering::AcqRel);
            for task in tasks {
                core.push_foreign(task);
            }
        }
    }

    fn run<F: Future>(&self, future: F, start: StdInstant) -> F::Output {
        let handle = &self.handle;
        let mut future = pin!(future);
        let waker = Waker::from(Arc::new(MainWaker {
            handle: handle.clone(),
        }));
        let mut task_cx = TaskContext::from_waker(&waker);
        handle.main_woken.store(true, Ordering::Release);
        loop {
            self.gather();
            let main_woken = handle.main_woken.load(Ordering::Acquire);
            let pick = self.core.borrow_mut().pick(main_woken);
            if let Some(max) = handle.config.max_steps {
                let core = self.core.borrow();
                if core.steps >= max {
                    panic!(
                        "evloop::sim: no end after {max} steps (seed {}, virtual time {:?}): \
                         a task may be spinning without awaiting anything that takes time",
                        handle.config.seed,
                        Duration::from_nanos(core.now_ns)
                    );
                }
            }
            match pick {
                Pick::Main => {
                    handle.main_woken.store(false, Ordering::Release);
                    self.core
                        .borrow_mut()
                        .record(EventKind::Poll, core::NONE_WORKER, 0, 0);
                    let res = crate::coop::budget(|| future.as_mut().poll(&mut task_cx));
                    let mut core = self.core.borrow_mut();
                    core.polls += 1;
                    core.record(
                        EventKind::PollEnd,
                        core::NONE_WORKER,
                        0,
                        res.is_ready() as u64 * 2,
                    );
                    core.step_done(None);
                    if let Poll::Ready(v) = res {
                        return v;
                    }
                }
                Pick::Task(w, task) => {
                    let id = task.id().as_u64();
                    {
                        let mut core = self.core.borrow_mut();
                        let seq = core.seq(&task);
                        core.running = Some((w, seq));
                        core.record(EventKind::Poll, w as u16, seq, 0);
                    }
                    let outcome = task.run();
                    let mut core = self.core.borrow_mut();
                    let (_, seq) = core.running.take().expect("set above");
                    core.polls += 1;
                    core.record(EventKind::PollEnd, w as u16, seq, outcome as u64);
                    if matches!(
                        outcome,
                        PollOutcome::Complete | PollOutcome::Panicked | PollOutcome::Cancelled
                    ) {
                        core.forget(id);
                    }
                    core.step_done(Some(id));
                }
                Pick::Idle => self.idle(start),
            }
        }
    }

    /// Loop step 4.
    fn idle(&self, start: StdInstant) {
        let handle = &self.handle;
        let time = handle
            .driver
            .time
            .as_ref()
            .expect("simulations have a time driver");
        if time.flush_current(true) {
            return;
        }
        let mut driver = self.driver.borrow_mut();
        if time.next_deadline().is_some() && handle.driver.clock.can_auto_advance() {
            driver.park(&handle.driver, None);
            drop(driver);
            let now = self.virtual_now(start);
            let mut core = self.core.borrow_mut();
            if now != core.now_ns {
                core.now_ns = now;
                core.record(EventKind::Time, core::NONE_WORKER, NONE_TASK, now);
            }
            return;
        }
        // Nothing runnable and no timer: only another thread can help.
        let limit = if time.next_deadline().is_some() {
            None
        } else {
            Some(handle.config.idle_timeout)
        };
        driver.park(&handle.driver, limit);
        drop(driver);
        self.core.borrow_mut().now_ns = self.virtual_now(start);
        let stuck = handle.foreign_len.load(Ordering::Acquire) == 0
            && self.spill.borrow().is_empty()
            && !handle.main_woken.load(Ordering::Acquire)
            && time.next_deadline().is_none();
        if stuck {
            let core = self.core.borrow();
            panic!(
                "evloop::sim: deadlock (seed {}, virtual time {:?}): the main future and {} \
                 task(s) all wait, and no timer is armed that could wake them",
                handle.config.seed,
                Duration::from_nanos(core.now_ns),
                core.alive()
            );
        }
    }

    pub(crate) fn with_core<R>(&self, f: impl FnOnce(&mut Core) -> R) -> Option<R> {
        self.core.try_borrow_mut().ok().map(|mut c| f(&mut c))
    }

    pub(crate) fn handle(&self) -> &Arc<SimHandle> {
        &self.handle
    }

    /// Virtual time since the start (read from the clock: `time::advance`
    /// may have moved it since the last jump).
    pub(crate) fn elapsed(&self) -> Duration {
        self.handle
            .driver
            .clock
            .now()
            .saturating_duration_since(self.start)
    }
}

impl Schedule for Arc<SimHandle> {
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.owned.remove(task)
    }

    fn schedule(&self, task: Entry) {
        self.push(task, Push::Wake);
    }

    fn yield_now(&self, task: Entry) {
        self.push(task, Push::Yield);
    }
}

/// Waker of the main future.
struct MainWaker {
    handle: Arc<SimHandle>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.handle.main_woken.store(true, Ordering::Release);
        if !self.handle.is_sim_thread() {
            self.handle.leaks.fetch_add(1, Ordering::Relaxed);
            self.handle.driver.unpark();
        }
    }
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("sim::SimHandle")
            .field("seed", &self.config.seed)
            .field("alive_tasks", &self.owned.len())
            .finish_non_exhaustive()
    }
}

/// `spawn_blocking` inside a simulation: the closure runs inline, as one
/// poll of an ordinary simulated task, so where it runs in the schedule
/// comes from the seed like everything else. No real thread is used.
pub(crate) fn spawn_blocking<F, R>(
    me: &Arc<SimHandle>,
    func: F,
    spawned_at: &'static Location<'static>,
) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let mut func = Some(func);
    let fut = std::future::poll_fn(move |_| {
        let func = func.take().expect("a blocking closure runs once");
        Poll::Ready(crate::coop::with_unconstrained(func))
    });
    crate::runtime::task::moved::moved!(fut);
    SimHandle::spawn(me, fut, Id::next(), spawned_at.into())
}
