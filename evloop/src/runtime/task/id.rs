use std::fmt;
use std::num::NonZeroU64;

use crate::loom::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// An opaque id that identifies a task among all tasks that currently exist
/// in the process. Ids are never reused while the process runs (a 64-bit
/// counter does not wrap).
///
/// ```
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let handle = evloop::spawn(async { evloop::task::id() });
/// let id = handle.id();
/// assert_eq!(handle.await.unwrap(), id);
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

impl Id {
    pub(crate) fn next() -> Id {
        #[cfg(not(loom))]
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        #[cfg(loom)]
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        #[cfg(loom)]
        let _ = AtomicU64::new; // keep the shim import used under loom

        let id = NEXT_ID.fetch_add(1, Relaxed);
        Id(NonZeroU64::new(id).expect("task id counter overflowed"))
    }

    /// The id as a number, for logs and traces.
    pub fn as_u64(&self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

/// The id of the task that is running this code.
///
/// # Panics
///
/// Panics if called from outside a task. Use [`try_id`] to get `None` instead.
#[track_caller]
pub fn id() -> Id {
    crate::thread_state::current_task_id().expect("`task::id()` called outside of a task")
}

/// The id of the task that is running this code, or `None` outside a task.
pub fn try_id() -> Option<Id> {
    crate::thread_state::current_task_id()
}
