//! `sim::Builder`: configure and run one simulation, or check that a seed
//! replays exactly.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::time::{Duration, Instant};

use crate::runtime::scheduler::sim::events::Event;
use crate::runtime::scheduler::sim::{self, Config, Faults, Outcome};
use crate::runtime::{blocking, scheduler};

pub use crate::runtime::scheduler::sim::Policy;

/// Builds and runs a deterministic simulation.
///
/// Everything a task can observe — which task runs when, on which
/// simulated worker, what a steal takes, the order of simultaneous wakes,
/// `select!`'s branch order, `Instant::now()` and every timer — follows
/// from the seed. Running the same program with the same seed and
/// settings gives the same [`Report::hash`].
///
/// ```
/// use std::time::Duration;
/// use evloop::sim::{Builder, Policy};
///
/// let (sum, report) = Builder::new()
///     .seed(7)
///     .workers(4)
///     .policy(Policy::Random)
///     .run(|| async {
///         let mut set = evloop::task::JoinSet::new();
///         for i in 0..10u64 {
///             set.spawn(async move {
///                 evloop::time::sleep(Duration::from_secs(i)).await;
///                 i
///             });
///         }
///         let mut sum = 0;
///         while let Some(r) = set.join_next().await {
///             sum += r.unwrap();
///         }
///         sum
///     });
/// assert_eq!(sum, 45);
/// assert_eq!(report.elapsed, Duration::from_secs(9)); // virtual, not real
/// assert_eq!(report.seed, 7);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    seed: u64,
    workers: usize,
    policy: Policy,
    pct_steps: u64,
    check: Option<bool>,
    log_cap: usize,
    idle_timeout: Duration,
    max_steps: Option<u64>,
    faults: Faults,
}

/// What a run did, for logs and for replay checks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The seed the run used.
    pub seed: u64,
    /// The rolling hash of every scheduling decision and event: equal for
    /// two runs of one seed (and settings), almost surely different when
    /// anything differs.
    pub hash: u64,
    /// Events recorded (spawns, polls, wakes, steals, time jumps, faults).
    pub events: u64,
    /// Task polls, the main future's included.
    pub polls: u64,
    /// Tasks spawned.
    pub spawned: u64,
    /// Virtual time from the start to the end of the run.
    pub elapsed: Duration,
    /// Real time the run took.
    pub real: Duration,
    /// Wakes that came from another OS thread (each a leak of real
    /// nondeterminism into the run; 0 in a clean simulation).
    pub leaks: u64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {} hash {:016x}: {} polls, {} tasks, {} events, {:?} virtual in {:?} real",
            self.seed, self.hash, self.polls, self.spawned, self.events, self.elapsed, self.real
        )?;
        if self.leaks > 0 {
            write!(f, ", {} wakes leaked in from other threads", self.leaks)?;
        }
        Ok(())
    }
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// Seed 0, one worker, the random policy, faults off except
    /// `buggify!` (enabled sites fire 1 time in 4).
    pub fn new() -> Builder {
        Builder {
            seed: 0,
            workers: 1,
            policy: Policy::Random,
            pct_steps: 1000,
            check: None,
            log_cap: 1 << 20,
            idle_timeout: Duration::from_secs(2),
            max_steps: None,
            faults: Faults {
                buggify: 0.25,
                buggify_sites: 0.25,
                ..Faults::default()
            },
        }
    }

    /// The seed every choice of the run comes from.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How many multi_thread workers to simulate (each with a local queue
    /// and a LIFO slot), all on the calling thread. Default 1.
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    pub fn workers(mut self, n: usize) -> Self {
        assert!(n > 0, "a simulation needs at least one worker");
        self.workers = n;
        self
    }

    /// How the next task is chosen; see [`Policy`].
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// For [`Policy::Pct`]: how many steps the change points are spread
    /// over (an estimate of the run's length). Default 1000.
    pub fn pct_steps(mut self, steps: u64) -> Self {
        self.pct_steps = steps.max(1);
        self
    }

    /// Runs each seed twice and panics, naming the first event that
    /// differs, if the two runs' hashes differ. Default: on when the
    /// environment has `EVLOOP_SIM_CHECK=1`.
    pub fn check_determinism(mut self, on: bool) -> Self {
        self.check = Some(on);
        self
    }

    /// How many events a determinism check keeps per run to name the first
    /// difference. Default 2^20.
    pub fn event_log_cap(mut self, events: usize) -> Self {
        self.log_cap = events;
        self
    }

    /// How long (real time) a run with nothing runnable and no timer armed
    /// waits for a wake from another thread before it reports a deadlock.
    /// Default 2 s.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Panics after this many steps (a task spinning on `yield_now` while
    /// it waits for time, which never passes while something is runnable).
    pub fn max_steps(mut self, steps: u64) -> Self {
        self.max_steps = Some(steps);
        self
    }

    /// The probability that an enabled `buggify!` site fires (0 turns
    /// `buggify!` off). Default 0.25.
    pub fn buggify(mut self, p: f64) -> Self {
        self.faults.buggify = p.clamp(0.0, 1.0);
        self
    }

    /// The probability that a `buggify!` site is enabled for a run.
    /// Default 0.25.
    pub fn buggify_sites(mut self, p: f64) -> Self {
        self.faults.buggify_sites = p.clamp(0.0, 1.0);
        self
    }

    /// Seeded `evloop::fs` faults: each operation fails with `EIO` with
    /// probability `eio`; each write fails with `ENOSPC` with probability
    /// `enospc`; each `File` write takes only part of its buffer with
    /// probability `short_write`. Default: all 0.
    ///
    /// ```
    /// let failures = (0..20)
    ///     .filter(|&seed| {
    ///         evloop::sim::Builder::new()
    ///             .seed(seed)
    ///             .fs_faults(0.5, 0.0, 0.0)
    ///             .block_on(async { evloop::fs::metadata(".").await.is_err() })
    ///     })
    ///     .count();
    /// assert!(failures > 0 && failures < 20);
    /// ```
    pub fn fs_faults(mut self, eio: f64, enospc: f64, short_write: f64) -> Self {
        self.faults.fs_eio = eio.clamp(0.0, 1.0);
        self.faults.fs_enospc = enospc.clamp(0.0, 1.0);
        self.faults.fs_short_write = short_write.clamp(0.0, 1.0);
        self
    }

    fn checking(&self) -> bool {
        self.check
            .unwrap_or_else(|| std::env::var("EVLOOP_SIM_CHECK").is_ok_and(|v| v == "1"))
    }

    fn config(&self, log: bool) -> Config {
        Config {
            seed: self.seed,
            workers: self.workers,
            policy: self.policy,
            pct_steps: self.pct_steps,
            log_cap: log.then_some(self.log_cap),
            idle_timeout: self.idle_timeout,
            max_steps: self.max_steps,
            faults: self.faults,
        }
    }

    fn run_once<F: Future>(
        &self,
        future: F,
        log: bool,
        site: &'static Location<'static>,
    ) -> (F::Output, Outcome, Duration) {
        let started = Instant::now();
        // Never used: `spawn_blocking` runs inline in a simulation. Threads
        // start lazily, so an unused pool costs no thread.
        let spawner = blocking::Spawner::new(blocking::Config {
            thread_name: std::sync::Arc::new(|| "evloop-sim-blocking".into()),
            stack_size: None,
            thread_cap: 1,
            keep_alive: Duration::from_secs(1),
            on_thread_start: None,
            on_thread_stop: None,
        });
        let handle = sim::SimHandle::new(self.config(log), spawner);
        let sched = scheduler::SchedulerHandle::Sim(handle.clone());
        let (out, outcome) = sim::SimHandle::run(&handle, &sched, future, site);
        (out, outcome, started.elapsed())
    }

    fn report(&self, o: &Outcome, real: Duration) -> Report {
        Report {
            seed: self.seed,
            hash: o.hash,
            events: o.events,
            polls: o.polls,
            spawned: o.spawned,
            elapsed: o.elapsed,
            real,
            leaks: o.leaks,
        }
    }

    /// Runs the future `make()` returns to completion in a simulation on
    /// this thread; returns its output and the run's [`Report`]. With the
    /// determinism check on, runs it twice (see
    /// [`check_determinism`](Self::check_determinism)).
    ///
    /// # Panics
    ///
    /// If the future or the check panics, if the run deadlocks (nothing
    /// runnable, no timer armed, no wake from another thread within
    /// [`idle_timeout`](Self::idle_timeout)), or when called from inside a
    /// runtime.
    #[track_caller]
    pub fn run<M, F>(&self, make: M) -> (F::Output, Report)
    where
        M: Fn() -> F,
        F: Future,
    {
        let site = Location::caller();
        if !self.checking() {
            let (out, o, real) = self.run_once(make(), false, site);
            return (out, self.report(&o, real));
        }
        let (_, first, _) = self.run_once(make(), true, site);
        let (out, second, real) = self.run_once(make(), true, site);
        if first.hash != second.hash {
            panic!("{}", divergence(self.seed, &first, &second));
        }
        (out, self.report(&second, real))
    }

    /// Runs `future` in a simulation on this thread and returns its output
    /// (one run: the determinism check needs [`run`](Self::run), which can
    /// build the future twice).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.run_once(future, false, Location::caller()).0
    }

    /// Like [`block_on`](Self::block_on), with the run's [`Report`].
    #[track_caller]
    pub fn block_on_report<F: Future>(&self, future: F) -> (F::Output, Report) {
        let (out, o, real) = self.run_once(future, false, Location::caller());
        (out, self.report(&o, real))
    }
}

/// Names the first event where two runs of one seed differ.
fn divergence(seed: u64, a: &Outcome, b: &Outcome) -> String {
    let (la, lb) = (
        a.log.as_deref().unwrap_or(&[]),
        b.log.as_deref().unwrap_or(&[]),
    );
    let describe = |e: Option<&Event>, sites: &[&'static Location<'static>]| match e {
        None => "(the run had ended)".to_string(),
        Some(e) => match sites.get(e.task as usize) {
            Some(site) if e.task == 0 => format!("{e} (task #0: the main future, run at {site})"),
            Some(site) => format!("{e} (task #{} spawned at {site})", e.task),
            None => e.to_string(),
        },
    };
    let first = (0..la.len().max(lb.len())).find(|&i| la.get(i) != lb.get(i));
    match first {
        Some(i) => format!(
            "evloop::sim: seed {seed} is not deterministic: the runs differ first at event #{i}\n  \
             run 1: {}\n  run 2: {}\nhashes {:016x} and {:016x}. Something outside the \
             simulation's control (a real thread, real time, an unseeded random source or a \
             HashMap's iteration order) reached the program.",
            describe(la.get(i), &a.sites),
            describe(lb.get(i), &b.sites),
            a.hash,
            b.hash,
        ),
        None => format!(
            "evloop::sim: seed {seed} is not deterministic (hashes {:016x} and {:016x}), after \
             the {} events each run kept (raise `event_log_cap` to see where)",
            a.hash,
            b.hash,
            la.len()
        ),
    }
}
