//! `JoinSet`: a collection of spawned tasks, joined in completion order.
//!
//! # Design
//!
//! The set owns one `JoinHandle` per task, keyed by a never-reused `u64`, and
//! a *ready list* of keys whose handle may have become ready. Each task's
//! handle is polled with a small waker of its own (`EntryWaker`: one
//! allocation per spawned task) instead of the set's caller's waker; when the
//! task completes, that waker fires and pushes the key onto the ready list
//! and wakes whoever waits in `join_next`. So `join_next` polls only handles
//! that were woken — never every handle — and the handles not in the ready
//! list are the idle set.
//!
//! # Rules
//!
//! 1. `EntryWaker::queued` is true while the key is in the ready list (or
//!    about to be pushed). A wake pushes the key only if it flips `queued`
//!    from false to true, so a key is in the list at most once per wake.
//! 2. `join_next` clears `queued` *before* polling the handle: a completion
//!    that races with the poll either is seen by the poll or pushes the key
//!    again. A key left in the list for an entry already removed is skipped
//!    (keys are never reused).
//! 3. A new entry starts queued, so it is polled once and its waker is
//!    registered with the task.
//! 4. The caller's waker is stored under the ready list's lock when the
//!    list is found empty; a wake takes it under that lock after pushing, so
//!    no completion is missed.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use crate::loom::sync::Mutex;
use crate::runtime::task::{AbortHandle, Id, JoinError, JoinHandle};
use crate::runtime::Handle;

/// A set of tasks spawned on the runtime, awaited in the order they
/// complete. Dropping the set aborts every task in it.
///
/// ```
/// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use evloop::task::JoinSet;
///
/// let mut set = JoinSet::new();
/// for i in 0..10u64 {
///     set.spawn(async move { i * i });
/// }
/// let mut sum = 0;
/// while let Some(res) = set.join_next().await {
///     sum += res.unwrap();
/// }
/// assert_eq!(sum, 285);
/// # });
/// ```
pub struct JoinSet<T> {
    entries: HashMap<u64, Entry<T>>,
    // `Waker::from` needs std's `Arc`; the state inside uses the loom shim.
    shared: std::sync::Arc<Shared>,
    next_key: u64,
}

struct Entry<T> {
    handle: JoinHandle<T>,
    /// Waker made from `notifier`.
    waker: Waker,
    notifier: std::sync::Arc<EntryWaker>,
}

struct Shared {
    ready: Mutex<Ready>,
}

struct Ready {
    keys: VecDeque<u64>,
    /// Rule 4.
    waker: Option<Waker>,
}

struct EntryWaker {
    key: u64,
    /// Rule 1.
    queued: AtomicBool,
    shared: std::sync::Arc<Shared>,
}

impl Wake for EntryWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        if self.queued.swap(true, SeqCst) {
            return;
        }
        let waker = {
            let mut ready = self.shared.ready.lock();
            ready.keys.push_back(self.key);
            ready.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> JoinSet<T> {
    /// Creates an empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            entries: HashMap::new(),
            shared: std::sync::Arc::new(Shared {
                ready: Mutex::new(Ready {
                    keys: VecDeque::new(),
                    waker: None,
                }),
            }),
            next_key: 0,
        }
    }

    /// The number of tasks in the set (running or finished but not joined).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let key = self.next_key;
        self.next_key += 1;
        // Rule 3.
        let notifier = std::sync::Arc::new(EntryWaker {
            key,
            queued: AtomicBool::new(true),
            shared: self.shared.clone(),
        });
        self.shared.ready.lock().keys.push_back(key);
        self.entries.insert(
            key,
            Entry {
                handle,
                waker: Waker::from(notifier.clone()),
                notifier,
            },
        );
        abort
    }

    /// Spawns `task` on the current runtime and adds it to the set.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    #[track_caller]
    pub fn spawn<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::task::spawn(task))
    }

    /// Spawns `task` on the runtime of `handle` and adds it to the set.
    #[track_caller]
    pub fn spawn_on<F>(&mut self, task: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn(task))
    }

    /// Spawns a `!Send` task on the current `LocalSet` and adds it to the set.
    ///
    /// # Panics
    ///
    /// Outside a `LocalSet`.
    #[track_caller]
    pub fn spawn_local<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        self.insert(crate::task::spawn_local(task))
    }

    /// Spawns a `!Send` task on `local_set` and adds it to the set. It runs
    /// when that `LocalSet` is driven.
    ///
    /// ```
    /// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let local = evloop::task::LocalSet::new();
    /// let mut set = evloop::task::JoinSet::new();
    /// let not_send = std::rc::Rc::new(4);
    /// set.spawn_local_on(async move { *not_send * 2 }, &local);
    /// let out = local.run_until(set.join_next()).await;
    /// assert_eq!(out.unwrap().unwrap(), 8);
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn_local_on<F>(&mut self, task: F, local_set: &crate::task::LocalSet) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        self.insert(local_set.spawn_local(task))
    }

    /// Runs `f` on the blocking pool of `handle`'s runtime and adds it to
    /// the set; see [`spawn_blocking`](Self::spawn_blocking).
    #[track_caller]
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn_blocking(f))
    }

    /// Runs `f` on the blocking pool and adds it to the set. Aborting it has
    /// no effect once it started running.
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::task::spawn_blocking(f))
    }

    /// Waits for the next task to complete and returns its output; `None`
    /// if the set is empty.
    ///
    /// **Cancel safety:** cancel-safe. A task's output is taken out of the
    /// set only in the poll that returns it.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.join_next_with_id()
            .await
            .map(|res| res.map(|(_, out)| out))
    }

    /// Like [`join_next`](Self::join_next), with the task's id.
    ///
    /// **Cancel safety:** cancel-safe.
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// Polls for the next completed task, registering `cx`'s waker when none
    /// is ready. `Ready(None)` when the set is empty.
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx)
            .map(|r| r.map(|res| res.map(|(_, out)| out)))
    }

    /// [`poll_join_next`](Self::poll_join_next) with the task's id.
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        if self.entries.is_empty() {
            return Poll::Ready(None);
        }
        // Bound the work per poll: a handle out of coop budget wakes itself
        // and goes back in the list.
        for _ in 0..=self.entries.len() {
            let key = {
                let mut ready = self.shared.ready.lock();
                match ready.keys.pop_front() {
                    Some(key) => key,
                    None => {
                        // Rule 4. The waker replaced is dropped after the
                        // lock: its drop may use this set's tasks.
                        let replaced = ready.waker.replace(cx.waker().clone());
                        drop(ready);
                        drop(replaced);
                        return Poll::Pending;
                    }
                }
            };
            if let Some(out) = self.poll_entry(key) {
                return Poll::Ready(Some(out));
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Polls the handle of `key` with its own waker; removes the entry if
    /// it completed.
    fn poll_entry(&mut self, key: u64) -> Option<Result<(Id, T), JoinError>> {
        // Rule 2: a stale key for a removed entry is skipped.
        let entry = self.entries.get_mut(&key)?;
        // Rule 2: clear before polling.
        entry.notifier.queued.store(false, SeqCst);
        let mut cx = Context::from_waker(&entry.waker);
        match Pin::new(&mut entry.handle).poll(&mut cx) {
            Poll::Ready(res) => {
                let entry = self.entries.remove(&key).expect("entry just polled");
                let id = entry.handle.id();
                Some(res.map(|out| (id, out)))
            }
            Poll::Pending => None,
        }
    }

    /// Returns the output of a task that has completed, if any, without
    /// waiting.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id()
            .map(|res| res.map(|(_, out)| out))
    }

    /// Like [`try_join_next`](Self::try_join_next), with the task's id.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        // Not a wait: it spends no coop budget. With the budget spent, a
        // handle would not report its output and finished tasks would look
        // unfinished.
        crate::coop::with_unconstrained(|| {
            for _ in 0..=self.entries.len() {
                let key = self.shared.ready.lock().keys.pop_front()?;
                if let Some(out) = self.poll_entry(key) {
                    return Some(out);
                }
            }
            None
        })
    }

    /// Aborts every task in the set. They stay in the set: `join_next`
    /// returns their cancellation errors (or outputs, if they had finished).
    pub fn abort_all(&mut self) {
        for entry in self.entries.values() {
            entry.handle.abort();
        }
    }

    /// Removes every task from the set without aborting it: they keep
    /// running, detached.
    pub fn detach_all(&mut self) {
        self.entries.clear();
        self.shared.ready.lock().keys.clear();
    }

    /// Aborts every task and waits until they have all stopped.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Waits for every task and returns their outputs in completion order.
    ///
    /// # Panics
    ///
    /// If a task panicked (the panic is resumed here) or was cancelled; the
    /// remaining tasks are aborted when the set is dropped.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len());
        while let Some(res) = self.join_next().await {
            match res {
                Ok(v) => out.push(v),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => panic!("a task of the JoinSet failed: {e}"),
            }
        }
        out
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

/// Spawns every future on the current runtime into a new set.
///
/// ```
/// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use evloop::task::JoinSet;
///
/// let set: JoinSet<u32> = (1..=4u32).map(|i| async move { i * 10 }).collect();
/// let mut out = set.join_all().await;
/// out.sort();
/// assert_eq!(out, [10, 20, 30, 40]);
/// # });
/// ```
///
/// # Panics
///
/// Outside a runtime, like [`JoinSet::spawn`].
impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        let mut set = JoinSet::new();
        set.extend(iter);
        set
    }
}

/// Spawns every future on the current runtime into the set.
///
/// # Panics
///
/// Outside a runtime, like [`JoinSet::spawn`].
impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        for task in iter {
            self.spawn(task);
        }
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}
