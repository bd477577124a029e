//! Stall detection: a poll that takes longer than a threshold.
//!
//! Two reports, both through the `tracing` crate (target `evloop::stall`,
//! level WARN), so they reach whatever subscriber the program installed:
//!
//! - **still running**: a watchdog thread samples each worker's slot every
//!   `threshold / 2`; a poll that started more than `threshold` ago is
//!   reported once, *while* the worker is stuck in it;
//! - **finished**: when a poll returns after more than `threshold`, the
//!   worker reports how long it took.
//!
//! Both name the task id, its name and spawn site, and the duration.
//!
//! # The slot protocol (a seqlock keyed by the start time)
//!
//! Worker, poll start: 1. `since = 0`; 2. release fence; 3. `task = id`;
//! 4. `since = now` (Release). Poll end: `since = 0` (Release).
//!
//! Watchdog: 1. `s1 = since` (Acquire); 2. `id = task`; 3. acquire fence;
//! 4. `s2 = since`. The pair `(id, s1)` is consistent iff `s1 == s2 != 0`:
//! if step 2 read a later task id, step 4 sees the worker's step 1 or later,
//! so `s2 != s1` (start times are distinct nanosecond stamps).
//!
//! Rejected: a mutex per slot (a lock per poll); reading the task cell
//! from the watchdog (the task may be freed meanwhile — the watchdog asks
//! the owned list, which keeps live tasks alive, for name and site).

use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use crate::loom::sync::atomic::{fence, AtomicU64, Ordering};
use crate::loom::sync::{Condvar, Mutex};
use crate::trace::clock;

/// Finds a live task's name and spawn site by id (walks the owned list).
pub(crate) type Describe =
    Box<dyn Fn(u64) -> Option<(Option<String>, &'static Location<'static>)> + Send + Sync>;

/// What runs on each stall reported, with a description.
pub(crate) type OnStall = Box<dyn Fn(&str) + Send + Sync>;

pub(crate) struct StallDetector {
    threshold: Duration,
    slots: Box<[Slot]>,
    stopped: Mutex<bool>,
    wakeup: Condvar,
    /// Called with a description whenever a stall is reported (the flight
    /// recorder's trigger).
    on_stall: std::sync::OnceLock<OnStall>,
}

struct Slot {
    task: AtomicU64,
    since: AtomicU64,
}

impl StallDetector {
    pub(crate) fn new(threshold: Duration, workers: usize) -> Arc<StallDetector> {
        Arc::new(StallDetector {
            threshold,
            slots: (0..workers)
                .map(|_| Slot {
                    task: AtomicU64::new(0),
                    since: AtomicU64::new(0),
                })
                .collect(),
            stopped: Mutex::new(false),
            wakeup: Condvar::new(),
            on_stall: std::sync::OnceLock::new(),
        })
    }

    /// Sets what runs on each stall reported (once; later calls are
    /// ignored).
    pub(crate) fn on_stall(&self, f: OnStall) {
        let _ = self.on_stall.set(f);
    }

    fn stalled(&self, what: &str) {
        if let Some(f) = self.on_stall.get() {
            f(what);
        }
    }

    /// Starts the watchdog thread; it runs until [`stop`](Self::stop).
    pub(crate) fn start_watchdog(self: &Arc<Self>, describe: Describe) -> std::io::Result<()> {
        let me = self.clone();
        std::thread::Builder::new()
            .name("evloop-stall-watchdog".into())
            .spawn(move || me.watch(describe))
            .map(|_| ())
    }

    pub(crate) fn stop(&self) {
        *self.stopped.lock() = true;
        self.wakeup.notify_all();
    }

    /// Worker: poll start (protocol steps 1–4). Returns the start stamp.
    pub(crate) fn begin(&self, worker: usize, task: u64) -> u64 {
        let slot = &self.slots[worker];
        let now = clock::now_ns();
        slot.since.store(0, Ordering::Relaxed);
        fence(Ordering::Release);
        slot.task.store(task, Ordering::Relaxed);
        slot.since.store(now, Ordering::Release);
        now
    }

    /// Worker: poll end. Reports the poll if it took longer than the threshold.
    pub(crate) fn end(
        &self,
        worker: usize,
        task: u64,
        started: u64,
        name: Option<&str>,
        site: &'static Location<'static>,
    ) {
        self.slots[worker].since.store(0, Ordering::Release);
        let took = Duration::from_nanos(clock::now_ns().saturating_sub(started));
        if took > self.threshold {
            tracing::warn!(
                target: "evloop::stall",
                task_id = task,
                task_name = name.unwrap_or(""),
                spawned_at = %site,
                poll_ms = took.as_secs_f64() * 1e3,
                threshold_ms = self.threshold.as_secs_f64() * 1e3,
                still_running = false,
                "task {task} blocked its worker for {took:?} in one poll (spawned at {site})",
            );
            self.stalled(&format!("task {task} blocked its worker for {took:?}"));
        }
    }

    fn watch(&self, describe: Describe) {
        let period = (self.threshold / 2).max(Duration::from_millis(1));
        let threshold_ns = self.threshold.as_nanos() as u64;
        // Per slot: the start stamp of the poll already reported.
        let mut reported = vec![0u64; self.slots.len()];
        let mut stopped = self.stopped.lock();
        loop {
            if *stopped {
                return;
            }
            stopped = self.wakeup.wait_timeout(stopped, period);
            if *stopped {
                return;
            }
            for (i, slot) in self.slots.iter().enumerate() {
                let s1 = slot.since.load(Ordering::Acquire);
                let task = slot.task.load(Ordering::Relaxed);
                fence(Ordering::Acquire);
                let s2 = slot.since.load(Ordering::Relaxed);
                if s1 == 0 || s1 != s2 || reported[i] == s1 {
                    continue;
                }
                let running = clock::now_ns().saturating_sub(s1);
                if running <= threshold_ns {
                    continue;
                }
                reported[i] = s1;
                let running = Duration::from_nanos(running);
                let (name, site) = match describe(task) {
                    Some((name, site)) => (name, site.to_string()),
                    None => (None, "?".to_string()),
                };
                tracing::warn!(
                    target: "evloop::stall",
                    task_id = task,
                    task_name = name.as_deref().unwrap_or(""),
                    spawned_at = %site,
                    poll_ms = running.as_secs_f64() * 1e3,
                    threshold_ms = self.threshold.as_secs_f64() * 1e3,
                    still_running = true,
                    worker = i,
                    "task {task} has been running for {running:?} without yielding (worker {i} is blocked; spawned at {site})",
                );
                self.stalled(&format!("task {task} has been running for {running:?}"));
            }
        }
    }
}

impl std::fmt::Debug for StallDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StallDetector")
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}
