//! `LocalSet`: a set of `!Send` tasks that all run on the thread that
//! drives the set.
//!
//! The set is itself driven by polling: `run_until`, `block_on` or awaiting
//! the `LocalSet` polls up to [`MAX_TASKS_PER_TICK`] of its tasks each time it
//! is polled, then yields back to the runtime that polls it, so the runtime's
//! other tasks, timers and I/O keep being served.
//!
//! # Rules
//!
//! 1. Tasks of a set are polled only by the set's `tick`, which runs on the
//!    thread that owns the set (`LocalSet` is `!Send`): a `!Send` future
//!    never leaves its thread.
//! 2. Wakes may come from any thread: they push to `Shared::queue` (a mutex)
//!    and wake the waker of whoever polls the set.
//! 3. Dropping the set closes the queue and the owned list and cancels every
//!    task on the owning thread, with the set current, so `spawn_local` in a
//!    destructor is cancelled instead of leaking.
//! 4. The set may be dropped by a thread-local's destructor after `CURRENT`
//!    is gone. Every access to `CURRENT` tolerates that (`try_with`): the
//!    set is then dropped as in rule 3 but without being current, and a
//!    `spawn_local` there finds no set.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::Mutex;
use crate::runtime::task::list::OwnedTasks;
use crate::runtime::task::moved::moved;
use crate::runtime::task::{Id, JoinHandle, Notified, Schedule, SpawnMeta, Task};

/// Tasks polled per poll of the set before it yields to its runtime.
const MAX_TASKS_PER_TICK: usize = 61;

/// A set of tasks that run on the current thread; see [`spawn_local`].
///
/// ```
/// use std::rc::Rc;
///
/// let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let local = evloop::task::LocalSet::new();
/// let out = local.block_on(&rt, async {
///     let shared = Rc::new(5); // `Rc` is `!Send`
///     let s = shared.clone();
///     evloop::task::spawn_local(async move { *s * 2 }).await.unwrap()
/// });
/// assert_eq!(out, 10);
/// ```
pub struct LocalSet {
    shared: Arc<Shared>,
    id: crate::runtime::Id,
    _not_send: PhantomData<Rc<()>>,
}

struct Shared {
    /// Rule 2. `None` once the set is dropped.
    queue: Mutex<Option<VecDeque<Notified<Arc<Shared>>>>>,
    owned: OwnedTasks<Arc<Shared>>,
    waker: Mutex<Option<Waker>>,
}

thread_local! {
    /// The set whose `run_until`/`enter` is on this thread's stack.
    static CURRENT: RefCell<Option<Arc<Shared>>> = const { RefCell::new(None) };
}

/// Spawns a `!Send` future on the current [`LocalSet`].
///
/// # Panics
///
/// Panics if called outside a `LocalSet` (not inside its `run_until`,
/// `block_on` or a task of the set).
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let location = Location::caller();
    match try_spawn_local(future, location.into()) {
        Some(join) => join,
        None => panic!(
            "`spawn_local` called at {location} outside of a `LocalSet`: run the code inside \
             `LocalSet::run_until` or `LocalSet::block_on`"
        ),
    }
}

/// Spawns on the current `LocalSet`; `None` outside one.
pub(crate) fn try_spawn_local<F>(future: F, meta: SpawnMeta<'_>) -> Option<JoinHandle<F::Output>>
where
    F: Future + 'static,
    F::Output: 'static,
{
    // Rule 4.
    let shared = CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()?;
    Some(shared.spawn(future, meta))
}

impl LocalSet {
    /// An empty set.
    pub fn new() -> LocalSet {
        LocalSet {
            shared: Arc::new(Shared {
                queue: Mutex::new(Some(VecDeque::new())),
                owned: OwnedTasks::new(),
                waker: Mutex::new(None),
            }),
            id: crate::runtime::Id::next(),
            _not_send: PhantomData,
        }
    }

    /// Spawns a `!Send` task on this set. It runs when the set is driven.
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.shared.spawn(future, Location::caller().into())
    }

    /// Runs `future` on `rt`, driving this set's tasks while it runs.
    #[track_caller]
    pub fn block_on<F: Future>(&self, rt: &crate::runtime::Runtime, future: F) -> F::Output {
        rt.block_on(self.run_until(future))
    }

    /// Drives this set's tasks until `future` completes.
    pub async fn run_until<F: Future>(&self, future: F) -> F::Output {
        RunUntil {
            set: self,
            future: std::pin::pin!(future),
        }
        .await
    }

    /// This set's id, unique among the runtimes and sets of the process.
    pub fn id(&self) -> crate::runtime::Id {
        self.id
    }

    /// Makes the set current so `spawn_local` finds it, until the guard drops.
    pub fn enter(&self) -> LocalEnterGuard<'_> {
        // Rule 4: a no-op during thread-local destruction.
        let prev = CURRENT
            .try_with(|c| c.replace(Some(self.shared.clone())))
            .ok()
            .flatten();
        LocalEnterGuard {
            prev,
            _p: PhantomData,
        }
    }

    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.enter();
        f()
    }

    /// Polls up to `MAX_TASKS_PER_TICK` tasks; true if more are queued.
    fn tick(&self) -> bool {
        for _ in 0..MAX_TASKS_PER_TICK {
            let task = match self.shared.queue.lock().as_mut() {
                Some(q) => q.pop_front(),
                None => None,
            };
            match task {
                // Rule 1: polled here, on the owning thread.
                Some(task) => {
                    let _ = task.run();
                }
                None => return false,
            }
        }
        true
    }

    fn register_waker(&self, waker: &Waker) {
        let mut slot = self.shared.waker.lock();
        match &*slot {
            Some(w) if w.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

/// Awaiting a `LocalSet` runs it until all its tasks have completed.
impl Future for LocalSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.register_waker(cx.waker());
        if self.with(|| self.tick()) {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else if self.shared.owned.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

struct RunUntil<'a, F> {
    set: &'a LocalSet,
    future: Pin<&'a mut F>,
}

impl<F: Future> Future for RunUntil<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let set = self.set;
        set.register_waker(cx.waker());
        set.with(|| {
            if let Poll::Ready(out) = crate::coop::budget(|| self.future.as_mut().poll(cx)) {
                return Poll::Ready(out);
            }
            if set.tick() {
                cx.waker().wake_by_ref();
            }
            Poll::Pending
        })
    }
}

impl LocalSet {
    /// Rule 3: closes the set and cancels its tasks (idempotent; also how
    /// a `LocalRuntime` shuts its `!Send` tasks down).
    pub(crate) fn shutdown(&self) {
        self.with(|| {
            self.shared.owned.close_and_shutdown_all();
            let queued = self.shared.queue.lock().take();
            drop(queued);
        });
    }
}

impl Drop for LocalSet {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Shared {
    fn spawn<F>(self: &Arc<Self>, future: F, meta: SpawnMeta<'_>) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        moved!(future);
        let (join, notified) = self.owned.bind(future, self.clone(), Id::next(), meta);
        if let Some(notified) = notified {
            self.schedule(notified);
        }
        join
    }
}

impl Schedule for Arc<Shared> {
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.owned.remove(task)
    }

    fn schedule(&self, task: Notified<Self>) {
        // Rule 2.
        let rejected = match self.queue.lock().as_mut() {
            Some(q) => {
                q.push_back(task);
                None
            }
            None => Some(task),
        };
        // Outside the lock: dropping a task may run arbitrary code.
        drop(rejected);
        let waker = self.waker.lock().clone();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Keeps a [`LocalSet`] current; see [`LocalSet::enter`].
pub struct LocalEnterGuard<'a> {
    prev: Option<Arc<Shared>>,
    _p: PhantomData<&'a LocalSet>,
}

impl Drop for LocalEnterGuard<'_> {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _ = CURRENT.try_with(|c| c.replace(prev));
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("tasks", &self.shared.owned.len())
            .finish()
    }
}

impl fmt::Debug for LocalEnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalEnterGuard").finish()
    }
}
