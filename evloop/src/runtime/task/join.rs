use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{ready, Context, Poll};

use crate::coop;
use crate::runtime::task::core::Header;
use crate::runtime::task::raw::RawTask;
use crate::runtime::task::{AbortHandle, Id, JoinError};

/// An owned permission to wait for a task's output: a future of
/// `Result<T, JoinError>`.
///
/// Dropping a `JoinHandle` *detaches* the task: it keeps running, and its
/// output is dropped when it completes. Use [`abort`](Self::abort) to stop it.
///
/// Cancel-safe: dropping the `.await` loses nothing; the output stays in the
/// task until a later poll of the same handle reads it.
///
/// ```
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let handle = evloop::spawn(async { "hello" });
/// assert_eq!(handle.await.unwrap(), "hello");
/// # }
/// ```
pub struct JoinHandle<T> {
    /// The task's header, with `OUTPUT_TAKEN` in its low bit once `poll`
    /// returned `Ready` (state rule 6). Headers are word aligned, so the
    /// bit is free, and the handle stays one pointer.
    ptr: NonNull<Header>,
    _p: PhantomData<T>,
}

/// The low bit of [`JoinHandle::ptr`].
const OUTPUT_TAKEN: usize = 1;

// SAFETY: the handle only moves `T` out of the task (needs `T: Send`); the
// task's shared state is synchronized by its state word.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` gives no access to `T`.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> std::panic::UnwindSafe for JoinHandle<T> {}
impl<T> std::panic::RefUnwindSafe for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// # Safety
    ///
    /// `raw`'s output type is `T`, and the caller passes the JoinHandle's ref.
    pub(crate) unsafe fn new(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            ptr: raw.header_ptr(),
            _p: PhantomData,
        }
    }

    #[inline]
    fn raw(&self) -> RawTask {
        let ptr = self.ptr.map_addr(|a| {
            NonZeroUsize::new(a.get() & !OUTPUT_TAKEN).expect("a header pointer is not null")
        });
        // SAFETY: the handle owns a ref of this live task (`new`).
        unsafe { RawTask::from_raw(ptr) }
    }

    #[inline]
    fn output_taken(&self) -> bool {
        self.ptr.addr().get() & OUTPUT_TAKEN != 0
    }

    /// Asks the task to stop. It is cancelled the next time its runtime
    /// would poll it (at once if it is idle); awaiting the handle then gives
    /// a [`JoinError`] for which `is_cancelled()` is true — unless the task
    /// had already completed, in which case its output is kept.
    ///
    /// ```
    /// # #[evloop::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let handle = evloop::spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(handle.await.unwrap_err().is_cancelled());
    /// # }
    /// ```
    pub fn abort(&self) {
        self.raw().remote_abort();
    }

    /// True once the task has completed, been cancelled or panicked.
    pub fn is_finished(&self) -> bool {
        self.raw().state().load().is_complete()
    }

    /// A handle that can abort the task without owning its output.
    pub fn abort_handle(&self) -> AbortHandle {
        let raw = self.raw();
        raw.ref_inc();
        // SAFETY: we just took the ref the AbortHandle owns.
        unsafe { AbortHandle::new(raw) }
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.raw().id()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Rule 6: the output is read once; it is not in the task any more.
        assert!(!self.output_taken(), "JoinHandle polled after completion");
        let coop = ready!(coop::poll_proceed(cx));
        let mut ret: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: `ret` has the type the task's vtable writes (`new`'s contract).
        unsafe {
            self.raw()
                .try_read_output(&mut ret as *mut _ as *mut (), cx.waker())
        };
        if ret.is_ready() {
            self.ptr = self.ptr.map_addr(|a| a | OUTPUT_TAKEN);
            coop.made_progress();
        } else {
            let at = std::panic::Location::caller();
            crate::trace::suspend::note(crate::trace::Resource::JoinHandle, at);
        }
        ret
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let raw = self.raw();
        if raw.state().drop_join_handle_fast().is_ok() {
            return;
        }
        raw.drop_join_handle_slow(self.output_taken());
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}
