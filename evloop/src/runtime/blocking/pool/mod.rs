//! The pool's queue and threads.
//!
//! # Glossary
//!
//! - `Spawner` (cheap clone, kept in the scheduler handle): pushes tasks,
//!   starts threads, shuts the pool down.
//! - `PoolShared` (behind an `Arc`): the configuration, the lock-protected
//!   `Shared` state and two condvars: `work` (idle threads wait on it for a
//!   task or shutdown) and `exited` (shutdown waits on it for the threads).
//! - A thread is *busy* (running a closure or about to look at the queue) or
//!   *waiting* (blocked on `work`).
//!
//! # Rules
//!
//! 1. The queue and every counter are read and written only under the
//!    `shared` lock.
//! 2. `num_threads` counts threads started and not yet exited. A thread
//!    decrements it as its last action under the lock, and notifies
//!    `exited` (on every exit: a shutdown run by a pool thread waits for the
//!    count to reach one, rule 7).
//! 3. Waiting threads = `num_idle + num_notified`. A pusher that finds
//!    `num_idle > 0` moves one unit to `num_notified` and signals `work`. A
//!    waiting thread that wakes consumes a unit of `num_notified` if there is
//!    one, whichever thread the condvar actually woke; otherwise the wake was
//!    spurious or a timeout. A thread that timed out but finds a unit takes
//!    the work instead of exiting, so a notification is never lost.
//! 4. Every queued task gets run: when a task is pushed, either a waiting
//!    thread is notified (rule 3), or a new thread is started, or all
//!    `num_threads` threads are busy — and a busy thread looks at the queue,
//!    under the same lock hold, before it may count itself idle.
//! 5. Once `shutdown` is set, nothing more is queued (a push cancels its
//!    task instead) and `shutdown` cancels what was queued. Threads exit when
//!    they find the queue empty and `shutdown` set; a closure already running
//!    runs to completion.
//! 6. A thread's `JoinHandle` is in `threads` from its start until it
//!    exits on keep-alive (it removes its own: nothing will join it) or
//!    shutdown takes them all. Threads are started under the lock, so a
//!    thread cannot look for its handle before it was inserted.
//! 7. Shutdown never waits for the thread it runs on. When a closure shuts
//!    its own pool down (a runtime dropped inside `spawn_blocking`), the
//!    caller is one of the `num_threads`, busy until shutdown returns: it
//!    finds its own handle in `threads` (by thread id, under the lock; rule
//!    6 says it is there), drops it, which detaches the thread, and waits
//!    for `num_threads` to reach one instead of zero. The other threads are
//!    waited for and joined as usual; the caller exits once its closure
//!    returns, finding `shutdown` set (rule 5).
//!
//! # Protocol: a push racing with a thread's keep-alive timeout
//!
//! Pusher: lock; push; see `num_idle == 1`; `num_idle = 0`,
//! `num_notified = 1`; signal; unlock.
//! Thread: its timed wait returns (timeout) with the lock; it sees
//! `num_notified == 1`, consumes it (rule 3) and runs the task instead of
//! exiting. Had it taken the lock first, it would have exited with
//! `num_idle = 0, num_threads - 1`, and the pusher would have found no waiting
//! thread and started a new one (rule 4).
//!
//! Rejected: one channel per thread (work handed to a specific thread) —
//! it needs a registry of idle threads and gains nothing at the pool's
//! rates; a lock-free queue — a blocking closure costs at least a thread
//! wake-up, next to which an uncontended lock is noise.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::panic::Location;
use std::sync::Arc as StdArc;
use std::time::{Duration, Instant};

use crate::context;
use crate::loom::sync::{Arc, Condvar, Mutex, MutexGuard};
use crate::loom::thread;
use crate::runtime::blocking::{BlockingSchedule, BlockingTask};
use crate::runtime::scheduler;
use crate::runtime::task::moved::moved;
use crate::runtime::task::{new_task, Id, JoinHandle, Notified, Task};

/// Names threads the pool starts.
pub(crate) type ThreadNameFn = StdArc<dyn Fn() -> String + Send + Sync + 'static>;

/// What the builder configures.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) thread_name: ThreadNameFn,
    pub(crate) stack_size: Option<usize>,
    /// At most this many threads at once (at least 1).
    pub(crate) thread_cap: usize,
    /// A thread with nothing to do for this long exits.
    pub(crate) keep_alive: Duration,
    /// `Builder::on_thread_start` / `on_thread_stop`: run first and last
    /// on each pool thread.
    pub(crate) on_thread_start: Option<StdArc<dyn Fn() + Send + Sync + 'static>>,
    pub(crate) on_thread_stop: Option<StdArc<dyn Fn() + Send + Sync + 'static>>,
}

/// What the pool queues and runs: the runtime's pool runs blocking tasks;
/// the loom model drives the same queue and threads with plain closures.
pub(crate) trait Job: Send + 'static {
    /// Runs the job on a pool thread.
    fn run(self);
    /// Drops a job that never started (rule 5).
    fn cancel(self);
}

impl Job for Notified<BlockingSchedule> {
    fn run(self) {
        let _ = Notified::run(self);
    }

    fn cancel(self) {
        cancel(self);
    }
}

/// Sends closures to the pool; shared by the scheduler handle and every
/// pool thread.
#[derive(Clone)]
pub(crate) struct Spawner {
    inner: Arc<PoolShared<Notified<BlockingSchedule>>>,
}

struct PoolShared<J> {
    shared: Mutex<Shared<J>>,
    /// Waiting threads block here (rule 3).
    work: Condvar,
    /// `shutdown` blocks here until `num_threads` is zero, or one when it
    /// runs on a pool thread (rules 2 and 7).
    exited: Condvar,
    config: Config,
}

struct Shared<J> {
    queue: VecDeque<J>,
    num_threads: usize,
    num_idle: usize,
    num_notified: usize,
    shutdown: bool,
    /// Rule 6.
    threads: HashMap<usize, thread::JoinHandle<()>>,
    next_thread_id: usize,
}

impl Spawner {
    pub(crate) fn new(config: Config) -> Spawner {
        Spawner {
            inner: Arc::new(PoolShared::new(config)),
        }
    }

    /// Runs `func` on a pool thread; `rt` is the runtime made current there.
    pub(crate) fn spawn_blocking<F, R>(
        &self,
        rt: &scheduler::SchedulerHandle,
        func: F,
        spawned_at: &'static Location<'static>,
    ) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let func = BlockingTask::new(func);
        moved!(func);
        let (task, notified, join) = new_task(
            func,
            BlockingSchedule::new(rt),
            Id::next(),
            spawned_at.into(),
        );
        // No owned list: the pool's queue holds the task (see
        // `BlockingSchedule`).
        drop(task);
        self.schedule(rt, notified);
        join
    }

    /// Queues a task and makes sure a thread will run it (rule 4), or
    /// cancels it if the pool is shut down (rule 5).
    pub(crate) fn schedule(
        &self,
        rt: &scheduler::SchedulerHandle,
        task: Notified<BlockingSchedule>,
    ) {
        PoolShared::push(&self.inner, task, || {
            // `Handle::current()`, `spawn` and resources work inside
            // closures.
            let rt = rt.clone();
            move || context::set_current(&rt)
        });
    }

    /// Stops the pool: cancels queued closures, then waits for running ones
    /// for at most `timeout` (`None`: until they finish). Idempotent: only
    /// the first call waits.
    ///
    /// A closure still running when the timeout expires is left to finish
    /// on its thread, which is detached and exits afterwards; the closure's
    /// result is stored in its task and dropped with it unless a
    /// `JoinHandle` still reads it.
    ///
    /// Called on one of this pool's own threads, it waits only for the
    /// others (rule 7).
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) {
        self.inner.shutdown(timeout);
    }
}

impl<J: Job> PoolShared<J> {
    fn new(config: Config) -> PoolShared<J> {
        assert!(config.thread_cap > 0, "the blocking pool needs a thread");
        PoolShared {
            shared: Mutex::new(Shared {
                queue: VecDeque::new(),
                num_threads: 0,
                num_idle: 0,
                num_notified: 0,
                shutdown: false,
                threads: HashMap::new(),
                next_thread_id: 0,
            }),
            work: Condvar::new(),
            exited: Condvar::new(),
            config,
        }
    }

    /// Queues `job` and makes sure a thread will run it (rule 4), or
    /// cancels it if the pool is shut down (rule 5). `enter` is called only
    /// if a thread must be started; what it returns runs first on that
    /// thread, and its result is held for the thread's life.
    fn push<E, G>(me: &Arc<Self>, job: J, enter: impl FnOnce() -> E)
    where
        E: FnOnce() -> G + Send + 'static,
    {
        let mut shared = me.shared.lock();
        if shared.shutdown {
            drop(shared);
            job.cancel();
            return;
        }
        shared.queue.push_back(job);

        if shared.num_idle > 0 {
            // Rule 3.
            shared.num_idle -= 1;
            shared.num_notified += 1;
            me.work.notify_one();
            return;
        }

        if shared.num_threads < me.config.thread_cap {
            let id = shared.next_thread_id;
            shared.next_thread_id += 1;
            match Self::start_thread(me, id, enter()) {
                Ok(handle) => {
                    // Rule 6: inserted before the thread can take the lock.
                    shared.num_threads += 1;
                    shared.threads.insert(id, handle);
                }
                Err(e) if shared.num_threads == 0 => {
                    // Nobody would ever run the job; it stays queued and is
                    // cancelled at shutdown.
                    drop(shared);
                    panic!("the blocking pool failed to start a thread: {e}");
                }
                // A busy thread will take the job (rule 4).
                Err(_) => {}
            }
        }
    }

    fn start_thread<G>(
        me: &Arc<Self>,
        id: usize,
        enter: impl FnOnce() -> G + Send + 'static,
    ) -> io::Result<thread::JoinHandle<()>> {
        let config = &me.config;
        let mut builder = thread::Builder::new().name((config.thread_name)());
        if let Some(size) = config.stack_size {
            builder = builder.stack_size(size);
        }
        let inner = me.clone();
        builder.spawn(move || {
            let _entered = enter();
            if let Some(f) = &inner.config.on_thread_start {
                f();
            }
            inner.run(id);
            if let Some(f) = &inner.config.on_thread_stop {
                f();
            }
        })
    }

    /// See [`Spawner::shutdown`].
    fn shutdown(&self, timeout: Option<Duration>) {
        let mut shared = self.shared.lock();
        if shared.shutdown {
            return;
        }
        shared.shutdown = true;
        let queued = std::mem::take(&mut shared.queue);
        // Rule 7: the calling thread, if it is one of ours, is not waited for.
        let me = thread::current().id();
        let own = shared
            .threads
            .iter()
            .find(|(_, handle)| handle.thread().id() == me)
            .map(|(&id, _)| id);
        let own = own.and_then(|id| shared.threads.remove(&id));
        let remaining = usize::from(own.is_some());
        self.work.notify_all();
        drop(shared);
        // Detached: the thread exits after its closure returns.
        drop(own);

        // Rule 5. Destructors of the closures run here, outside the lock.
        for job in queued {
            job.cancel();
        }

        // An overflowing deadline is as good as none.
        let deadline = timeout.and_then(|d| Instant::now().checked_add(d));
        let mut shared = self.shared.lock();
        while shared.num_threads > remaining {
            shared = match deadline {
                None => self.exited.wait(shared),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    self.exited.wait_timeout(shared, deadline - now)
                }
            };
        }
        let all_exited = shared.num_threads == remaining;
        let threads = std::mem::take(&mut shared.threads);
        drop(shared);

        if all_exited {
            // Every other thread is past its last use of the lock (rule 2);
            // join them so that what they hold (the runtime handle) is
            // released before shutdown returns.
            for (_, handle) in threads {
                let _ = handle.join();
            }
        }
        // Otherwise the handles drop here, detaching the threads.
    }

    /// A pool thread's life: take jobs while there are any, wait for more
    /// up to the keep-alive, exit on timeout or shutdown.
    fn run(&self, id: usize) {
        let mut shared = self.shared.lock();
        'work: loop {
            while let Some(job) = shared.queue.pop_front() {
                drop(shared);
                job.run();
                shared = self.shared.lock();
            }
            // Rule 4: the queue was empty under this lock hold.
            if shared.shutdown {
                break 'work;
            }

            shared.num_idle += 1;
            let deadline = Instant::now() + self.config.keep_alive;
            loop {
                shared = self.wait(shared, deadline);
                if shared.num_notified > 0 {
                    // Rule 3: consume a notification, even after a timeout.
                    shared.num_notified -= 1;
                    continue 'work;
                }
                if shared.shutdown {
                    shared.num_idle -= 1;
                    break 'work;
                }
                if Instant::now() >= deadline {
                    shared.num_idle -= 1;
                    // Rule 6: nobody joins a thread that retires on its own.
                    drop(shared.threads.remove(&id));
                    break 'work;
                }
                // Spurious wake-up: keep waiting.
            }
        }
        // Rule 2.
        shared.num_threads -= 1;
        self.exited.notify_all();
    }

    fn wait<'a>(
        &self,
        shared: MutexGuard<'a, Shared<J>>,
        deadline: Instant,
    ) -> MutexGuard<'a, Shared<J>> {
        let timeout = deadline.saturating_duration_since(Instant::now());
        if timeout.is_zero() {
            return shared;
        }
        self.work.wait_timeout(shared, timeout)
    }
}

/// Cancels a task that never started: its closure is dropped on this
/// thread and its `JoinHandle` resolves to a cancelled `JoinError`.
fn cancel(task: Notified<BlockingSchedule>) {
    // SAFETY: the `Notified`'s ref is handed over to the `Task`, which
    // `shutdown` consumes; the cell's scheduler type is `BlockingSchedule`.
    let task = unsafe { Task::<BlockingSchedule>::from_raw(task.into_raw()) };
    task.shutdown();
}

impl fmt::Debug for Spawner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("blocking::Spawner");
        // `try_lock`: formatting must not deadlock under the pool's lock.
        if let Some(shared) = self.inner.shared.try_lock() {
            d.field("queued", &shared.queue.len())
                .field("threads", &shared.num_threads)
                .field("idle", &shared.num_idle)
                .field("shutdown", &shared.shutdown);
        }
        d.field("thread_cap", &self.inner.config.thread_cap)
            .field("keep_alive", &self.inner.config.keep_alive)
            .finish()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Config")
            .field("thread_name", &(self.thread_name)())
            .field("stack_size", &self.stack_size)
            .field("thread_cap", &self.thread_cap)
            .field("keep_alive", &self.keep_alive)
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_tests;
