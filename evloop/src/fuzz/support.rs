//! Pieces the targets share: drop-counted values, a waker that records
//! its wakes, the op reader, and the panic filter.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::task::{Context, Poll, Wake, Waker};

use arbitrary::{Arbitrary, Unstructured};

use crate::runtime::{Builder, Runtime};

/// Reads up to [`super::MAX_OPS`] operations from `data`; stops early when
/// the bytes run out or stop making sense.
pub(crate) fn ops<'a, T: Arbitrary<'a>>(u: &mut Unstructured<'a>) -> Vec<T> {
    let mut out = Vec::new();
    while out.len() < super::MAX_OPS && !u.is_empty() {
        match T::arbitrary(u) {
            Ok(op) => out.push(op),
            Err(_) => break,
        }
    }
    out
}

/// The index an op's `i` names in `v`: `i` wraps around; `None` when `v`
/// is empty.
pub(crate) fn pick<T>(v: &[T], i: u8) -> Option<usize> {
    (!v.is_empty()).then(|| i as usize % v.len())
}

/// Clones the handle `i` picks and keeps the clone, unless `v` already
/// holds `max` handles.
pub(crate) fn clone_one<T: Clone>(v: &mut Vec<T>, i: u8, max: usize) {
    if let Some(i) = pick(v, i) {
        if v.len() < max {
            let h = v[i].clone();
            v.push(h);
        }
    }
}

/// Drops the handle `i` picks, if any.
pub(crate) fn drop_one<T>(v: &mut Vec<T>, i: u8) {
    if let Some(i) = pick(v, i) {
        v.swap_remove(i);
    }
}

/// A runtime with every driver on: multi-thread with two workers if
/// `multi`, else current-thread.
pub(crate) fn runtime(multi: bool) -> Runtime {
    if multi {
        Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        Builder::new_current_thread().enable_all().build()
    }
    .expect("runtime")
}

/// Counts, per value, how often it was dropped.
#[derive(Clone, Default)]
pub(crate) struct Tracker {
    inner: Arc<TrackerInner>,
}

#[derive(Default)]
struct TrackerInner {
    next: AtomicU64,
    drops: Mutex<HashMap<u64, u32>>,
}

impl Tracker {
    pub(crate) fn new() -> Tracker {
        Tracker::default()
    }

    /// A new value with a fresh id.
    pub(crate) fn make(&self) -> Tracked {
        let id = self.inner.next.fetch_add(1, Ordering::Relaxed);
        Tracked {
            id,
            tracker: self.clone(),
        }
    }

    /// How many values were made.
    pub(crate) fn made(&self) -> u64 {
        self.inner.next.load(Ordering::Relaxed)
    }

    /// How often value `id` was dropped so far.
    pub(crate) fn drops(&self, id: u64) -> u32 {
        *self.inner.drops.lock().unwrap().get(&id).unwrap_or(&0)
    }

    /// Panics unless every value made was dropped exactly once.
    pub(crate) fn assert_all_dropped_once(&self) {
        let drops = self.inner.drops.lock().unwrap();
        for id in 0..self.made() {
            let n = drops.get(&id).copied().unwrap_or(0);
            assert_eq!(n, 1, "value {id} dropped {n} times, expected once");
        }
    }
}

/// A value whose drop is counted by its [`Tracker`].
pub(crate) struct Tracked {
    pub(crate) id: u64,
    tracker: Tracker,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        *self
            .tracker
            .inner
            .drops
            .lock()
            .unwrap()
            .entry(self.id)
            .or_insert(0) += 1;
    }
}

impl fmt::Debug for Tracked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tracked({})", self.id)
    }
}

/// A waker that remembers whether it was woken since the last `take`.
#[derive(Default)]
pub(crate) struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Flag {
    pub(crate) fn new() -> Arc<Flag> {
        Arc::new(Flag::default())
    }

    /// Whether a wake came since the last call; clears it.
    pub(crate) fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }

    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Polls `fut` once with a waker that sets `flag`.
pub(crate) fn poll_with<F: Future + ?Sized>(fut: Pin<&mut F>, flag: &Arc<Flag>) -> Poll<F::Output> {
    let waker = Waker::from(flag.clone());
    fut.poll(&mut Context::from_waker(&waker))
}

/// A future parked by a target, with the flag its waker sets.
pub(crate) struct Parked<O> {
    pub(crate) fut: Pin<Box<dyn Future<Output = O>>>,
    pub(crate) flag: Arc<Flag>,
}

impl<O> Parked<O> {
    /// Polls the future once; `Ready` if it completed (then it must not be
    /// polled again), `Pending` if it is still parked.
    pub(crate) fn start(fut: impl Future<Output = O> + 'static) -> (Parked<O>, Poll<O>) {
        let mut parked = Parked {
            fut: Box::pin(fut),
            flag: Flag::new(),
        };
        let poll = parked.poll();
        (parked, poll)
    }

    /// A parked future that never completes: a placeholder while a value
    /// moves into the real one.
    pub(crate) fn pending() -> Parked<O>
    where
        O: 'static,
    {
        Parked {
            fut: Box::pin(std::future::pending()),
            flag: Flag::new(),
        }
    }

    pub(crate) fn poll(&mut self) -> Poll<O> {
        self.flag.take();
        poll_with(self.fut.as_mut(), &self.flag)
    }
}

/// A handle a target either holds idle or has moved into a parked future
/// (a receiver waiting in `recv` / `changed`, which hands it back).
pub(crate) enum Held<H, O> {
    Idle(H),
    Waiting(Parked<O>),
}

impl<H, O: 'static> Held<H, O> {
    /// Moves the idle handle into the future `f` makes of it, parks that
    /// future and polls it once. Panics if the handle is already waiting.
    pub(crate) fn park<F>(&mut self, f: impl FnOnce(H) -> F) -> Poll<O>
    where
        F: Future<Output = O> + 'static,
    {
        let Held::Idle(h) = std::mem::replace(self, Held::Waiting(Parked::pending())) else {
            panic!("park: the handle is already waiting")
        };
        let (parked, poll) = Parked::start(f(h));
        *self = Held::Waiting(parked);
        poll
    }

    pub(crate) fn is_waiting(&self) -> bool {
        matches!(self, Held::Waiting(_))
    }
}

/// Polls the waiting futures of `items` whose waker fired, first to last,
/// until one completes: its index and output, or `None` once no waiting
/// future is woken. The completed one is left `Waiting`: the caller puts
/// the handle back.
pub(crate) fn next_woken<M, H, O: 'static>(
    items: &mut [M],
    held: impl Fn(&mut M) -> &mut Held<H, O>,
) -> Option<(usize, O)> {
    loop {
        let r = items
            .iter_mut()
            .position(|m| matches!(held(m), Held::Waiting(p) if p.flag.is_set()))?;
        let Held::Waiting(p) = held(&mut items[r]) else {
            unreachable!()
        };
        if let Poll::Ready(out) = p.poll() {
            return Some((r, out));
        }
    }
}

/// The payload of every panic a target causes on purpose.
#[derive(Debug)]
pub(crate) struct ExpectedPanic;

/// Keeps the panics a target causes on purpose ([`ExpectedPanic`]) quiet
/// and, under libFuzzer (whose hook aborts on any panic), from counting as
/// crashes; every other panic goes to the hook installed before. Call once
/// before running a target that panics on purpose; later calls do nothing.
pub fn install_panic_filter() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<ExpectedPanic>().is_none() {
                previous(info);
            }
        }));
    });
}

/// Prints `op` when `EVLOOP_FUZZ_TRACE` is set, to follow a replayed input.
pub(crate) fn trace(op: &dyn fmt::Debug) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("EVLOOP_FUZZ_TRACE").is_some()) {
        eprintln!("  {op:?}");
    }
}
