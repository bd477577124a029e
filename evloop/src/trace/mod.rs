//! See the loop: an event recorder, a timeline page, Chrome trace export,
//! and stall detection.
//!
//! Turn recording on with [`Builder::trace`](crate::runtime::Builder::trace)
//! or, without recompiling, with the environment variable
//! `EVLOOP_TRACE=path`: the file is written when the runtime is dropped —
//! a timeline page if `path` ends in `.html` (open it in a browser: a lane
//! per worker showing which task it polls when, the run-queue depth, timers,
//! I/O, parked spans; click a poll for its task's whole life), Chrome
//! trace-event JSON otherwise (open it in Perfetto). Each thread keeps its
//! last [`DEFAULT_RING_CAPACITY`] records unless `EVLOOP_TRACE_RING=N` (or
//! [`TraceConfig::ring_capacity`]) asks for more; the page says when events
//! were dropped.
//! [`Runtime::trace_snapshot`](crate::runtime::Runtime::trace_snapshot)
//! returns the events to a program.
//!
//! # Cost
//!
//! Off (the default), each hook is one predictable branch on the hooks'
//! mode byte; a poll pays only an increment of its batch's poll count and
//! the store of the task's coarse last-poll stamp, no clock read and no
//! branch (the current-thread loop is compiled once per mode; the worker
//! counters are published once per batch). On, an event is at most
//! one read of the CPU's time-stamp counter (`rdtsc`, converted to
//! nanoseconds when the trace is read) and one 32-byte record in the
//! recording thread's own ring (four stores and a release store of the
//! head: no lock, no read-modify-write, no allocation). A spawn and the
//! wake that queues it share one record and one stamp, and so do a poll's
//! end and the next poll's start in a batch: a spawned task that runs once
//! costs two stamps and two records. A poll's end also compares its stamp
//! with its start's; only a poll over about 100 µs reads the thread's
//! scheduler statistics, to tell the OS's delay from the task's (`desched.rs`). Spawn sites are interned through a
//! per-thread cache; only a named task takes a lock (for its name).
//! `evloop-bench overhead` measures all this against a build with the
//! hooks compiled out (`--cfg evloop_no_observe`).
//!
//! # Hook points
//!
//! A scheduler calls `runtime::metrics::Hooks` (which forwards here) at
//! these moments, each in exactly one place per flavour; the
//! current-thread scheduler is the reference, a new scheduler adds the same
//! one-line calls:
//!
//! | moment | call | where (current_thread) |
//! |---|---|---|
//! | spawn | `hooks.spawn(Spawned::Queued(&notified), queue_depth)` | `Handle::spawn`, right before the new task's push (local or inject): one call, one record for the spawn and its queueing wake; `Spawned::Cancelled(id, meta)` if the runtime was shutting down and the task was not queued. Before creating the task, `meta.track_wakes = hooks.tracks_wakes()` (a setting, nothing recorded) |
//! | wake | `hooks.wake(&notified, queue_depth)` | `Schedule::schedule`, right before the push (local or inject) |
//! | poll start | `hooks.poll_start::<MODE, _>(&mut batch, &mut polling, &notified, queue_depth)` | `run_batch`, before every `Notified::run`; if the previous poll's end is pending in `polling`, one record stands for both |
//! | poll end | `hooks.poll_end::<MODE>(&mut polling, outcome)` | `run_batch`, after every `Notified::run`: the end stays pending in `polling` |
//! | park / unpark | `hooks.park(worker, depth)` / `hooks.unpark(worker)` | `Context::park`, only when it may block |
//! | I/O ready | `hooks.io_ready(events)` | `Context::park`, after the driver's park, with the count it returned (before `unpark`) |
//! | timers fired | `hooks.timers_firing(n)` … `hooks.timers_done()` | time driver, around firing expired entries |
//! | `block_on` poll | `hooks.block_on_start()` / `block_on_end(worker, ready)` | loop step 1 |
//! | cancel at shutdown | `hooks.shutdown_task(id)` | `Handle::shutdown`, for every task still owned |
//!
//! Around the polls, the worker's `Batch` is opened by
//! `mode = hooks.batch_start(worker, &mut batch)` (loop step 2, once per
//! batch that runs a task; refreshes the coarse stamp; `run_batch::<MODE>`
//! is the batch loop, compiled per mode) and closed by
//! `hooks.batch_end::<MODE>(Some(&mut batch), &mut polling, queue_depth)` (records
//! the last poll's pending end, publishes the poll count and queue depth).
//!
//! Wakes are attributed on the waking thread: between `timers_firing` and
//! `timers_done` to a timer (also when a busy loop visits the driver
//! without blocking), during a task's poll to that task, during the
//! `block_on` poll to `block_on`, while parked to I/O, and anywhere else to
//! an outside thread. The wakes of one timer batch share its `TimerFired`
//! timestamp; an `IoReady` follows the I/O wakes it stands for (the
//! scheduler reports it with the count the driver's park returned).
//!
//! # Files
//!
//! - `event.rs`: the 32-byte event and its kinds, the ring record;
//! - `ring.rs`: the single-producer ring each thread records into;
//! - `recorder.rs`: rings per thread, spawn sites, names, the hook bodies;
//! - `fast.rs`: a thread's recording state (the thread-local the hooks read);
//! - `snapshot.rs`: [`TraceSnapshot`], what a program gets back;
//! - `html.rs` + `timeline.html`: the timeline page; `chrome.rs`: Chrome JSON;
//! - `stall.rs`: the stall watchdog; `clock.rs`: the shared time base;
//! - `config.rs`: [`TraceConfig`];
//! - `desched.rs`: telling a slow poll from a descheduled thread;
//! - `suspend.rs`: suspension points ([`Resource`], `note`), what the
//!   resource futures call when their poll returns `Pending`;
//! - `causes.rs`: [`Causes`], what a snapshot says about why a program is
//!   slow (suspended tasks, summaries, lints), the wake edges of the Chrome
//!   JSON, and the page's cause panels (`causes.js`, `causes.css`);
//! - `flight.rs`: flight recorder mode, its triggers and `SIGUSR2`.

mod causes;
mod chrome;
pub(crate) mod clock;
mod config;
mod desched;
mod event;
mod export;
mod fast;
pub(crate) mod flight;
mod html;
pub(crate) mod recorder;
mod ring;
mod snapshot;
pub(crate) mod stall;
pub(crate) mod suspend;

pub use causes::{Causes, Lint, LintKind, LintThresholds, PollRef, SiteStats, Suspension};
pub use config::{TraceConfig, DEFAULT_RING_CAPACITY};
pub use event::{Event, EventKind, PollResult, WakerKind};
pub use snapshot::{Lane, TaskTrace, TraceSnapshot};
pub use suspend::Resource;
