use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::runtime::blocking;
use crate::runtime::drivers::{self, Driver};
use crate::runtime::info::Info;
use crate::runtime::metrics::Hooks;
use crate::runtime::scheduler::{self, current_thread, multi_thread};
use crate::runtime::{Handle, IoDriver, LocalOptions, LocalRuntime, Runtime};
use crate::trace::recorder::Recorder;
use crate::trace::stall::StallDetector;
use crate::trace::TraceConfig;

/// Configures and builds a [`Runtime`].
///
/// ```
/// use evloop::runtime::Builder;
///
/// let rt = Builder::new_current_thread().enable_all().build().unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
pub struct Builder {
    kind: Kind,
    enable_io: bool,
    enable_time: bool,
    start_paused: bool,
    thread_name: ThreadNameFn,
    thread_stack_size: Option<usize>,
    event_interval: u32,
    global_queue_interval: Option<u32>,
    nevents: usize,
    /// `None`: not set (the environment decides, `io::selection`).
    io_driver: Option<IoDriver>,
    max_blocking_threads: usize,
    keep_alive: Option<Duration>,
    worker_threads: Option<usize>,
    on_thread_start: Option<Callback>,
    on_thread_stop: Option<Callback>,
    on_thread_park: Option<Callback>,
    on_thread_unpark: Option<Callback>,
    name: Option<String>,
    observe: Observe,
}

/// Observability settings (trace, stall detection, histograms).
#[derive(Debug, Clone, Default)]
struct Observe {
    trace: Option<TraceConfig>,
    stall_threshold: Option<Duration>,
    histograms: bool,
}

type Callback = Arc<dyn Fn() + Send + Sync + 'static>;

type ThreadNameFn = Arc<dyn Fn() -> String + Send + Sync + 'static>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    CurrentThread,
    MultiThread,
}

impl Builder {
    /// A builder for the single-threaded runtime: every task runs on the
    /// thread that calls `block_on`.
    pub fn new_current_thread() -> Builder {
        Builder::new(Kind::CurrentThread, 61)
    }

    /// A builder for the work-stealing runtime: tasks run on a pool of
    /// worker threads (one per CPU core by default), each with its own run
    /// queue; idle workers steal from busy ones.
    ///
    /// ```
    /// use evloop::runtime::Builder;
    ///
    /// let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
    /// let sum = rt.block_on(async {
    ///     let tasks: Vec<_> = (0..10u64).map(|i| evloop::spawn(async move { i })).collect();
    ///     let mut sum = 0;
    ///     for t in tasks {
    ///         sum += t.await.unwrap();
    ///     }
    ///     sum
    /// });
    /// assert_eq!(sum, 45);
    /// ```
    pub fn new_multi_thread() -> Builder {
        Builder::new(Kind::MultiThread, 61)
    }

    fn new(kind: Kind, event_interval: u32) -> Builder {
        Builder {
            kind,
            enable_io: false,
            enable_time: false,
            start_paused: false,
            thread_name: Arc::new(|| "evloop-runtime-worker".into()),
            thread_stack_size: None,
            event_interval,
            global_queue_interval: None,
            nevents: 1024,
            io_driver: None,
            max_blocking_threads: 512,
            keep_alive: None,
            worker_threads: None,
            on_thread_start: None,
            on_thread_stop: None,
            on_thread_park: None,
            on_thread_unpark: None,
            name: None,
            observe: Observe::default(),
        }
    }

    /// Number of worker threads of the multi-thread runtime (default: the
    /// number of CPU cores). Ignored by the current-thread runtime.
    ///
    /// # Panics
    ///
    /// Panics if `n` is 0.
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "worker_threads must be greater than 0");
        self.worker_threads = Some(n);
        self
    }

    /// Runs `f` on each thread the runtime starts (workers and
    /// blocking-pool threads), before it does anything else.
    pub fn on_thread_start<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on each thread the runtime starts (workers and
    /// blocking-pool threads), just before it exits.
    pub fn on_thread_stop<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_stop = Some(Arc::new(f));
        self
    }

    /// Runs `f` on a worker thread each time it is about to block in the
    /// driver because it has nothing to run (on the current-thread runtime,
    /// the thread inside `block_on`). Keep it short: it runs on the loop.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let parks = Arc::new(AtomicUsize::new(0));
    /// let p = parks.clone();
    /// let rt = evloop::runtime::Builder::new_current_thread()
    ///     .enable_all()
    ///     .on_thread_park(move || {
    ///         p.fetch_add(1, Ordering::Relaxed);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async { evloop::time::sleep(std::time::Duration::from_millis(5)).await });
    /// assert!(parks.load(Ordering::Relaxed) >= 1);
    /// ```
    pub fn on_thread_park<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_park = Some(Arc::new(f));
        self
    }

    /// Runs `f` on a worker thread each time it comes back from blocking
    /// in the driver (see [`on_thread_park`](Self::on_thread_park)).
    pub fn on_thread_unpark<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_unpark = Some(Arc::new(f));
        self
    }

    /// Names the runtime: [`Handle::name`] returns it. It does not name
    /// threads (see [`thread_name`](Self::thread_name)).
    ///
    /// # Panics
    ///
    /// If `name` is empty or only whitespace.
    ///
    /// ```
    /// let rt = evloop::runtime::Builder::new_current_thread().name("api").build().unwrap();
    /// assert_eq!(rt.handle().name(), Some("api"));
    /// ```
    #[track_caller]
    pub fn name(&mut self, name: impl Into<String>) -> &mut Self {
        let name = name.into();
        assert!(!name.trim().is_empty(), "a runtime name must not be empty");
        self.name = Some(name);
        self
    }

    /// The most I/O events the driver takes from the OS in one poll
    /// (default 1024); more wait for the next poll.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0.
    #[track_caller]
    pub fn max_io_events_per_tick(&mut self, capacity: usize) -> &mut Self {
        assert!(
            capacity > 0,
            "max_io_events_per_tick must be greater than 0"
        );
        self.nevents = capacity;
        self
    }

    /// Records the loop's events (spawns, polls, wakes, parks) for a
    /// timeline; see [`crate::trace`]. Without this call, setting the
    /// environment variable `EVLOOP_TRACE=path` turns recording on too.
    ///
    /// ```
    /// use evloop::trace::TraceConfig;
    ///
    /// let rt = evloop::runtime::Builder::new_current_thread()
    ///     .trace(TraceConfig::new())
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async { evloop::spawn(async {}).await.unwrap() });
    /// let trace = rt.trace_snapshot().unwrap();
    /// assert!(trace.count(evloop::trace::EventKind::PollStart) >= 1);
    /// ```
    pub fn trace(&mut self, config: TraceConfig) -> &mut Self {
        self.observe.trace = Some(config);
        self
    }

    /// Reports polls that take longer than `threshold` through the
    /// `tracing` crate (target `evloop::stall`, level WARN): once while the
    /// poll is still running — a watchdog thread samples every worker every
    /// `threshold / 2` — and once when it returns. Each report names the
    /// task's id, name and spawn site.
    pub fn stall_threshold(&mut self, threshold: Duration) -> &mut Self {
        self.observe.stall_threshold = Some(threshold);
        self
    }

    /// Fills the poll-time and schedule-latency histograms of
    /// [`RuntimeMetrics`](crate::runtime::RuntimeMetrics) (two clock reads
    /// per poll, so off by default).
    pub fn enable_metrics_poll_time_histogram(&mut self) -> &mut Self {
        self.observe.histograms = true;
        self
    }

    fn hooks(&self, workers: usize) -> Arc<Hooks> {
        let config = self.observe.trace.clone().or_else(TraceConfig::from_env);
        let env_stall = config.as_ref().and_then(|c| c.stall);
        let trace = config.map(|config| Arc::new(Recorder::new(&config)));
        let stall = self
            .observe
            .stall_threshold
            .or(env_stall)
            .map(|d| StallDetector::new(d, workers));
        let mut hooks = Hooks::new(workers, trace, stall, self.observe.histograms);
        hooks.info = Info {
            name: self.name.clone(),
            on_park: self.on_thread_park.clone(),
            on_unpark: self.on_thread_unpark.clone(),
            ..Info::default()
        };
        Arc::new(hooks)
    }

    /// Enables both the I/O and the time drivers.
    pub fn enable_all(&mut self) -> &mut Self {
        self.enable_io().enable_time()
    }

    /// Enables the I/O driver (the reactor the runtime parks on).
    pub fn enable_io(&mut self) -> &mut Self {
        self.enable_io = true;
        self
    }

    /// Enables the time driver (`sleep`, `timeout`, `interval`).
    pub fn enable_time(&mut self) -> &mut Self {
        self.enable_time = true;
        self
    }

    /// Starts the runtime with its clock paused (see `time::pause`); only
    /// for the current-thread runtime. Implies nothing else: the time driver
    /// must be enabled too.
    pub fn start_paused(&mut self, start_paused: bool) -> &mut Self {
        self.start_paused = start_paused;
        self
    }

    /// Name of threads the runtime starts (workers and blocking threads).
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        let name = name.into();
        self.thread_name = Arc::new(move || name.clone());
        self
    }

    /// A function that names each thread the runtime starts.
    pub fn thread_name_fn<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() -> String + Send + Sync + 'static,
    {
        self.thread_name = Arc::new(f);
        self
    }

    /// Stack size of threads the runtime starts.
    pub fn thread_stack_size(&mut self, size: usize) -> &mut Self {
        self.thread_stack_size = Some(size);
        self
    }

    /// How many tasks run between two polls of the driver for I/O and timer
    /// events (default 61).
    ///
    /// # Panics
    ///
    /// Panics if `interval` is 0.
    #[track_caller]
    pub fn event_interval(&mut self, interval: u32) -> &mut Self {
        assert!(interval > 0, "event_interval must be greater than 0");
        self.event_interval = interval;
        self
    }

    /// How many tasks run between two checks of the queue of tasks woken
    /// from other threads (default 31).
    ///
    /// # Panics
    ///
    /// Panics if `interval` is 0.
    #[track_caller]
    pub fn global_queue_interval(&mut self, interval: u32) -> &mut Self {
        assert!(interval > 0, "global_queue_interval must be greater than 0");
        self.global_queue_interval = Some(interval);
        self
    }

    /// The most threads the blocking pool runs at once (default 512).
    ///
    /// `spawn_blocking` closures beyond this many wait in a queue for a
    /// thread to become free. Threads start only when there is work for
    /// them, so a high limit costs nothing until it is used.
    ///
    /// # Panics
    ///
    /// Panics if `val` is 0.
    ///
    /// ```
    /// let rt = evloop::runtime::Builder::new_current_thread()
    ///     .max_blocking_threads(2)
    ///     .build()
    ///     .unwrap();
    /// let out = rt.block_on(rt.spawn_blocking(|| 6 * 7)).unwrap();
    /// assert_eq!(out, 42);
    /// ```
    #[track_caller]
    pub fn max_blocking_threads(&mut self, val: usize) -> &mut Self {
        assert!(val > 0, "max_blocking_threads must be greater than 0");
        self.max_blocking_threads = val;
        self
    }

    /// How long a blocking-pool thread with nothing to do waits for more
    /// work before it exits (default 10 s).
    pub fn thread_keep_alive(&mut self, duration: Duration) -> &mut Self {
        self.keep_alive = Some(duration);
        self
    }

    /// Builds the runtime.
    ///
    /// # Errors
    ///
    /// Fails if the reactor cannot be created (for example the process is
    /// out of file descriptors).
    pub fn build(&mut self) -> io::Result<Runtime> {
        match self.kind {
            Kind::CurrentThread => self.build_current_thread(),
            Kind::MultiThread => self.build_multi_thread(),
        }
    }

    /// Builds a [`LocalRuntime`]: a current-thread runtime that also runs
    /// `!Send` tasks ([`task::spawn_local`](crate::task::spawn_local)) and
    /// stays on the thread that built it.
    ///
    /// # Panics
    ///
    /// On a builder from [`new_multi_thread`](Self::new_multi_thread).
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    ///
    /// ```
    /// use evloop::runtime::{Builder, LocalOptions};
    ///
    /// let rt = Builder::new_current_thread()
    ///     .enable_all()
    ///     .build_local(LocalOptions::default())
    ///     .unwrap();
    /// let shared = std::rc::Rc::new(3);
    /// let s = shared.clone();
    /// assert_eq!(rt.block_on(rt.spawn_local(async move { *s + 1 })).unwrap(), 4);
    /// ```
    #[track_caller]
    pub fn build_local(&mut self, options: LocalOptions) -> io::Result<LocalRuntime> {
        assert!(
            self.kind == Kind::CurrentThread,
            "a LocalRuntime needs `Builder::new_current_thread`, not `new_multi_thread`"
        );
        Ok(LocalRuntime::from_runtime(
            self.build_current_thread()?,
            options,
        ))
    }

    /// Which I/O driver the runtime parks on (with
    /// [`enable_io`](Self::enable_io)): [`IoDriver::Epoll`] (kqueue on macOS
    /// and FreeBSD), [`IoDriver::Uring`] (Linux 5.13 or later; `build`
    /// fails where the kernel or a seccomp profile refuses io_uring), or
    /// [`IoDriver::Auto`]. This call wins over the `EVLOOP_IO_DRIVER`
    /// environment variable (`uring`, `epoll`, `auto`), which applies only
    /// when the builder names no driver and falls back to epoll where
    /// io_uring is not available. `Auto` chooses epoll.
    /// [`Handle::io_driver`](super::Handle::io_driver) says which one runs.
    ///
    /// ```
    /// use evloop::runtime::{Builder, IoDriver};
    ///
    /// let rt = Builder::new_current_thread()
    ///     .enable_all()
    ///     .io_driver(IoDriver::Auto)
    ///     .build()
    ///     .unwrap();
    /// assert_ne!(rt.handle().io_driver(), IoDriver::Auto);
    /// ```
    pub fn io_driver(&mut self, driver: IoDriver) -> &mut Self {
        self.io_driver = Some(driver);
        self
    }

    /// Resolves the I/O driver (`io::selection` rules 1-4).
    fn resolve_io_driver(&self) -> io::Result<IoDriver> {
        if !self.enable_io {
            return Ok(IoDriver::Auto);
        }
        let env = std::env::var(crate::io::selection::ENV).ok();
        crate::io::selection::resolve(self.io_driver, env.as_deref(), crate::io::selection::probe)
    }

    fn driver_cfg(&self, workers: usize) -> io::Result<drivers::Cfg> {
        Ok(drivers::Cfg {
            io_driver: self.resolve_io_driver()?,
            workers,
            enable_io: self.enable_io,
            enable_time: self.enable_time,
            enable_pause_time: self.kind == Kind::CurrentThread,
            start_paused: self.start_paused,
            nevents: self.nevents,
        })
    }

    fn build_current_thread(&mut self) -> io::Result<Runtime> {
        let (driver, driver_handle) = Driver::new(&self.driver_cfg(1)?)?;
        let config = current_thread::Config {
            event_interval: self.event_interval,
            global_queue_interval: self.global_queue_interval.unwrap_or(31),
            hooks: self.hooks(1),
        };
        let stall = config.hooks.stall.clone();
        let handle = current_thread::CurrentThreadHandle::new(
            driver,
            driver_handle,
            self.blocking_spawner(),
            config,
        );
        if let Some(stall) = stall {
            stall.start_watchdog(describe_task(Arc::downgrade(&handle)))?;
        }
        let handle = Handle {
            inner: scheduler::SchedulerHandle::CurrentThread(handle),
        };
        Ok(Runtime::from_parts(handle))
    }
}

impl Builder {
    fn build_multi_thread(&mut self) -> io::Result<Runtime> {
        let num_workers = self
            .worker_threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let (driver, driver_handle) = Driver::new(&self.driver_cfg(num_workers)?)?;
        let config = multi_thread::Config {
            event_interval: self.event_interval,
            global_queue_interval: self.global_queue_interval.unwrap_or(31),
            thread_name: self.thread_name.clone(),
            thread_stack_size: self.thread_stack_size,
            on_thread_start: self.on_thread_start.clone(),
            on_thread_stop: self.on_thread_stop.clone(),
            hooks: self.hooks(num_workers),
        };
        let stall = config.hooks.stall.clone();
        let handle = multi_thread::MultiThreadHandle::new(
            num_workers,
            driver,
            driver_handle,
            self.blocking_spawner(),
            config,
        )?;
        if let Some(stall) = stall {
            stall.start_watchdog(describe_task(Arc::downgrade(&handle)))?;
        }
        let handle = Handle {
            inner: scheduler::SchedulerHandle::MultiThread(handle),
        };
        Ok(Runtime::from_parts(handle))
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("kind", &self.kind)
            .field("enable_io", &self.enable_io)
            .field("enable_time", &self.enable_time)
            .field("start_paused", &self.start_paused)
            .field("thread_name", &(self.thread_name)())
            .field("thread_stack_size", &self.thread_stack_size)
            .field("event_interval", &self.event_interval)
            .field("global_queue_interval", &self.global_queue_interval)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("thread_keep_alive", &self.keep_alive)
            .field("worker_threads", &self.worker_threads)
            .field("name", &self.name)
            .field("max_io_events_per_tick", &self.nevents)
            .field("observe", &self.observe)
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// The blocking pool this builder configures.
    fn blocking_spawner(&self) -> blocking::Spawner {
        blocking::Spawner::new(blocking::Config {
            thread_name: self.thread_name_fn_ref(),
            stack_size: self.stack_size(),
            thread_cap: self.max_blocking_threads,
            keep_alive: self.keep_alive.unwrap_or_else(Builder::keep_alive_default),
            on_thread_start: self.on_thread_start.clone(),
            on_thread_stop: self.on_thread_stop.clone(),
        })
    }

    #[allow(dead_code)]
    pub(crate) fn thread_name_fn_ref(&self) -> ThreadNameFn {
        self.thread_name.clone()
    }

    #[allow(dead_code)]
    pub(crate) fn stack_size(&self) -> Option<usize> {
        self.thread_stack_size
    }

    #[allow(dead_code)]
    pub(crate) fn keep_alive_default() -> Duration {
        Duration::from_secs(10)
    }
}

/// For the stall watchdog: a live task's name and spawn site, by id.
fn describe_task<H: WalkTasks>(handle: std::sync::Weak<H>) -> crate::trace::stall::Describe {
    Box::new(move |id| {
        let handle = handle.upgrade()?;
        let mut found = None;
        handle.walk_tasks(&mut |raw| {
            if raw.id().as_u64() == id {
                found = Some((raw.name().map(str::to_owned), raw.spawned_at()));
            }
        });
        found
    })
}

/// The two schedulers' handles, as the stall watchdog walks them.
trait WalkTasks: Send + Sync + 'static {
    fn walk_tasks(&self, f: &mut dyn FnMut(crate::runtime::task::RawTask));
}

impl WalkTasks for current_thread::CurrentThreadHandle {
    fn walk_tasks(&self, f: &mut dyn FnMut(crate::runtime::task::RawTask)) {
        self.for_each_task(f)
    }
}

impl WalkTasks for multi_thread::MultiThreadHandle {
    fn walk_tasks(&self, f: &mut dyn FnMut(crate::runtime::task::RawTask)) {
        self.for_each_task(f)
    }
}
