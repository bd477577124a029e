use std::fmt;

use crate::runtime::task::raw::RawTask;
use crate::runtime::task::Id;

/// Aborts a task without awaiting it; obtained from
/// [`JoinHandle::abort_handle`](crate::task::JoinHandle::abort_handle).
/// Cloning is cheap; dropping it does not abort the task.
pub struct AbortHandle {
    raw: RawTask,
}

impl AbortHandle {
    /// # Safety
    ///
    /// The caller passes one ref to the handle.
    pub(crate) unsafe fn new(raw: RawTask) -> AbortHandle {
        AbortHandle { raw }
    }

    /// Asks the task to stop; see [`JoinHandle::abort`](crate::task::JoinHandle::abort).
    pub fn abort(&self) {
        self.raw.remote_abort();
    }

    /// True once the task has completed, been cancelled or panicked.
    pub fn is_finished(&self) -> bool {
        self.raw.state().load().is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.raw.id()
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        self.raw.ref_inc();
        AbortHandle { raw: self.raw }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl std::panic::UnwindSafe for AbortHandle {}
impl std::panic::RefUnwindSafe for AbortHandle {}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .finish()
    }
}
