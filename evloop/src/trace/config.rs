//! `TraceConfig`: how the recorder is set up.

use std::path::PathBuf;

/// Default number of records kept per thread (32 bytes each: 2 MiB; a
/// record holds one event, or two that follow each other directly).
pub const DEFAULT_RING_CAPACITY: usize = 1 << 16;

/// Turns the event recorder on; pass it to
/// [`Builder::trace`](crate::runtime::Builder::trace).
///
/// Each thread that runs the loop (or wakes its tasks) records into its own
/// ring of `ring_capacity` records; when a ring is full the oldest are
/// overwritten and their events counted in
/// [`TraceSnapshot::dropped`](crate::trace::TraceSnapshot::dropped). A
/// record holds one event, or two when the second directly follows the
/// first on that thread (a spawn and the wake that queues the new task, a
/// poll's end and the next poll's start), so a ring keeps between
/// `ring_capacity` and twice as many events.
///
/// ```
/// use evloop::trace::TraceConfig;
///
/// let rt = evloop::runtime::Builder::new_current_thread()
///     .trace(TraceConfig::new().ring_capacity(1024))
///     .build()
///     .unwrap();
/// rt.block_on(async { evloop::spawn(async {}).await.unwrap() });
/// let trace = rt.trace_snapshot().unwrap();
/// assert_eq!(trace.tasks().len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct TraceConfig {
    pub(crate) ring_capacity: usize,
    pub(crate) output: Option<PathBuf>,
    pub(crate) flight: bool,
    /// `stall=MS` in `EVLOOP_TRACE`: the stall threshold it asks for.
    pub(crate) stall: Option<std::time::Duration>,
}

impl TraceConfig {
    /// Recording on, no output file, and the default ring size: the
    /// `EVLOOP_TRACE_RING` environment variable's (records per thread) if
    /// it holds a positive number, [`DEFAULT_RING_CAPACITY`] otherwise.
    /// When the page says events were dropped, a bigger ring keeps more.
    pub fn new() -> TraceConfig {
        TraceConfig {
            ring_capacity: ring_from_env().unwrap_or(DEFAULT_RING_CAPACITY),
            output: None,
            flight: false,
            stall: None,
        }
    }

    /// Records kept per thread (rounded up to a power of two; one or two
    /// events each).
    pub fn ring_capacity(mut self, events: usize) -> TraceConfig {
        self.ring_capacity = events;
        self
    }

    /// Writes the trace to `path` when the runtime is dropped: a timeline
    /// page if it ends in `.html`, Chrome trace-event JSON (for Perfetto or
    /// `chrome://tracing`) otherwise.
    pub fn output(mut self, path: impl Into<PathBuf>) -> TraceConfig {
        self.output = Some(path.into());
        self
    }

    /// Flight recorder mode (`trace::flight`): the rings record as
    /// always, but the output file is written only when a task panics, a
    /// stall is detected, the process gets `SIGUSR2`, or on
    /// [`Handle::write_trace`](crate::runtime::Handle::write_trace) — not
    /// when the runtime is dropped.
    pub fn flight(mut self, on: bool) -> TraceConfig {
        self.flight = on;
        self
    }

    /// The configuration asked for by the `EVLOOP_TRACE=path` environment
    /// variable, if it is set and not empty. Options may follow the path,
    /// comma-separated: `mode=flight` (see [`flight`](Self::flight)) and
    /// `stall=MS` (stall detection with that threshold in milliseconds, as
    /// `Builder::stall_threshold`).
    pub fn from_env() -> Option<TraceConfig> {
        let value = std::env::var_os("EVLOOP_TRACE")?;
        if value.is_empty() {
            return None;
        }
        let value = value.to_string_lossy().into_owned();
        let mut parts = value.split(',');
        let mut config = TraceConfig::new().output(parts.next().unwrap_or_default());
        for option in parts {
            match option.trim().split_once('=') {
                Some(("mode", "flight")) => config.flight = true,
                Some(("stall", ms)) => {
                    config.stall = ms.parse().ok().map(std::time::Duration::from_millis);
                }
                _ => eprintln!("evloop: EVLOOP_TRACE: unknown option `{option}` ignored"),
            }
        }
        Some(config)
    }
}

/// `EVLOOP_TRACE_RING`, if set to a positive number.
fn ring_from_env() -> Option<usize> {
    let v = std::env::var("EVLOOP_TRACE_RING").ok()?;
    v.trim().parse().ok().filter(|&n: &usize| n > 0)
}

impl Default for TraceConfig {
    fn default() -> TraceConfig {
        TraceConfig::new()
    }
}
