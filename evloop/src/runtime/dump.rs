//! Task dumps: every live task of a runtime, as data and as text.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::runtime::task::{Id, Snapshot};
use crate::trace::clock;

/// Every task alive on a runtime at one moment, from
/// [`Handle::dump`](crate::runtime::Handle::dump).
///
/// ```
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let _h = evloop::task::Builder::new()
///     .name("waiter")
///     .spawn(std::future::pending::<()>())
///     .unwrap();
/// evloop::task::yield_now().await;
/// let dump = evloop::runtime::Handle::current().dump();
/// let waiter = dump.tasks().iter().find(|t| t.name() == Some("waiter")).unwrap();
/// assert_eq!(waiter.state(), evloop::runtime::TaskState::Idle);
/// println!("{dump}");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Dump {
    tasks: Vec<TaskDump>,
}

/// One task in a [`Dump`].
#[derive(Debug, Clone)]
pub struct TaskDump {
    id: Id,
    name: Option<String>,
    spawned_at: &'static Location<'static>,
    state: TaskState,
    since_last_poll: Option<Duration>,
}

/// Where a task is in its life, read from its state word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskState {
    /// Waiting for a wake (its last poll returned `Pending`).
    Idle,
    /// Woken (or new) and waiting in a run queue.
    Queued,
    /// Being polled (or cancelled) by a worker right now.
    Running,
    /// Finished; its output waits for the `JoinHandle`.
    Complete,
}

impl TaskState {
    pub(crate) fn from_snapshot(s: Snapshot) -> TaskState {
        if s.is_complete() {
            TaskState::Complete
        } else if s.is_running() {
            TaskState::Running
        } else if s.is_notified() {
            TaskState::Queued
        } else {
            TaskState::Idle
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            TaskState::Idle => "idle",
            TaskState::Queued => "queued",
            TaskState::Running => "running",
            TaskState::Complete => "complete",
        }
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Dump {
    pub(crate) fn collect(
        walk: impl FnOnce(&mut dyn FnMut(crate::runtime::task::RawTask)),
    ) -> Dump {
        let now = clock::now_ns();
        let mut tasks = Vec::new();
        walk(&mut |raw| {
            let last = raw.last_poll();
            tasks.push(TaskDump {
                id: raw.id(),
                name: raw.name().map(str::to_owned),
                spawned_at: raw.spawned_at(),
                state: TaskState::from_snapshot(raw.snapshot()),
                since_last_poll: (last != 0).then(|| clock::since_coarse(now, last)),
            });
        });
        tasks.sort_by_key(|t| t.id);
        Dump { tasks }
    }

    /// The tasks, ordered by id (spawn order).
    pub fn tasks(&self) -> &[TaskDump] {
        &self.tasks
    }
}

impl TaskDump {
    /// The task's id.
    pub fn id(&self) -> Id {
        self.id
    }

    /// The name given with `task::Builder::name`.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where `spawn` was called.
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// Idle, queued, running or complete.
    pub fn state(&self) -> TaskState {
        self.state
    }

    /// Time since the task's last poll started; `None` if never polled.
    /// About a millisecond of resolution (each task keeps a 32-bit stamp).
    /// The stamp is the coarse clock read once at the start of the
    /// worker's batch of polls, so the poll may have started up to one
    /// batch of polls later. Gaps over about 52 days wrap.
    pub fn since_last_poll(&self) -> Option<Duration> {
        self.since_last_poll
    }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} live task(s)", self.tasks.len())?;
        for t in &self.tasks {
            writeln!(f, "  {t}")?;
        }
        Ok(())
    }
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        write!(f, " [{}] spawned at {}", self.state, self.spawned_at)?;
        match self.since_last_poll {
            Some(d) => write!(f, ", last polled {d:.1?} ago"),
            None => write!(f, ", never polled"),
        }
    }
}
