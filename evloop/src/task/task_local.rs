//! Task-local storage: `task_local!`, [`LocalKey`] and [`TaskLocalFuture`].
//!
//! A task-local value belongs to a future, not to a thread: it is set while
//! the future given to [`LocalKey::scope`] is polled (or while the closure
//! given to [`LocalKey::sync_scope`] runs) and unset again between polls, so
//! it follows the future from worker to worker.
//!
//! # Design
//!
//! Each key is a thread-local `RefCell<Option<T>>`. Entering a scope swaps
//! the scope's own slot into the thread-local; leaving swaps it back. A
//! poll is therefore two swaps, and no value is ever copied or shared
//! between threads: between polls the value sits in the future.
//!
//! # Rules
//!
//! 1. Every swap in is undone by a guard, also when the poll panics, so a
//!    thread never keeps a value of a scope it is no longer inside.
//! 2. Scopes nest: the value of an outer scope is saved in the inner
//!    scope's slot while the inner one runs, and comes back when it ends.
//! 3. Entering a scope while a `with` of the same key holds a borrow of
//!    the value is a bug in the caller (the borrow would see the value
//!    change under it): it panics rather than swapping.
//! 4. The inner future is dropped inside its scope, so its destructors can
//!    read the value. When that is impossible (the thread-local is being
//!    destroyed, or rule 3), it is dropped outside the scope; a drop never
//!    panics because of the scope.

use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: values that belong to one task (one future
/// given to [`LocalKey::scope`]) rather than to a thread.
///
/// Each `static NAME: TYPE;` declares a [`LocalKey<TYPE>`](LocalKey).
/// Attributes (doc comments) and visibility are kept.
///
/// ```
/// evloop::task_local! {
///     /// The id of the request being served.
///     pub static REQUEST_ID: u64;
///     static USER: String;
/// }
///
/// #[evloop::main(flavor = "current_thread")]
/// async fn main() {
///     let id = REQUEST_ID
///         .scope(7, async {
///             evloop::task::yield_now().await;
///             REQUEST_ID.get()
///         })
///         .await;
///     assert_eq!(id, 7);
///     // Outside the scope, nothing is set.
///     assert!(REQUEST_ID.try_get().is_err());
///     USER.sync_scope("ann".to_string(), || USER.with(|u| assert_eq!(u, "ann")));
/// }
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__task_local_key!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__task_local_key!($(#[$attr])* $vis $name, $t);
    };
}

/// One key of `task_local!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_key {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __EVLOOP_TASK_LOCAL: ::std::cell::RefCell<::core::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::core::option::Option::None) };
            }
            $crate::task::LocalKey {
                __slot: __EVLOOP_TASK_LOCAL,
            }
        };
    };
}

/// A key for task-local data, declared with [`task_local!`](crate::task_local).
///
/// A value is set for the duration of a [`scope`](Self::scope) (a future)
/// or a [`sync_scope`](Self::sync_scope) (a closure); [`with`](Self::with),
/// [`get`](Self::get) and their `try_` forms read it.
pub struct LocalKey<T: 'static> {
    /// The thread-local the value is swapped into while its scope runs.
    /// Public only for the macro.
    #[doc(hidden)]
    pub __slot: std::thread::LocalKey<RefCell<Option<T>>>,
}

impl<T: 'static> LocalKey<T> {
    /// Wraps `future` so that this key holds `value` while it is polled
    /// (and while it is dropped). Inside, [`with`](Self::with) and
    /// [`get`](Self::get) see `value`; a nested `scope` of the same key
    /// shadows it for its own duration.
    ///
    /// Spawned tasks do not inherit the value: a task has only the scopes
    /// its own future sets up.
    ///
    /// ```
    /// evloop::task_local! { static DEPTH: u32; }
    ///
    /// # #[evloop::main(flavor = "current_thread")]
    /// # async fn main() {
    /// DEPTH
    ///     .scope(1, async {
    ///         assert_eq!(DEPTH.get(), 1);
    ///         DEPTH.scope(2, async { assert_eq!(DEPTH.get(), 2) }).await;
    ///         assert_eq!(DEPTH.get(), 1);
    ///     })
    ///     .await;
    /// # }
    /// ```
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            slot: Some(value),
            future: Some(future),
            _pinned: PhantomPinned,
        }
    }

    /// Runs `f` with this key set to `value`, and returns what it returns.
    ///
    /// # Panics
    ///
    /// Inside a [`with`](Self::with) of the same key (the value borrowed
    /// there would change), or from a thread-local destructor after the
    /// key's storage is gone.
    #[track_caller]
    pub fn sync_scope<F, R>(&'static self, value: T, f: F) -> R
    where
        F: FnOnce() -> R,
    {
        let mut slot = Some(value);
        match self.enter(&mut slot, f) {
            Ok(out) => out,
            Err(e) => e.panic(),
        }
    }

    /// Swaps `slot` in, runs `f`, swaps back (rules 1 and 2).
    fn enter<F, R>(&'static self, slot: &mut Option<T>, f: F) -> Result<R, ScopeError>
    where
        F: FnOnce() -> R,
    {
        struct SwapBack<'a, T: 'static> {
            key: &'static LocalKey<T>,
            slot: &'a mut Option<T>,
        }
        impl<T: 'static> Drop for SwapBack<'_, T> {
            fn drop(&mut self) {
                // Rule 1: the borrow cannot fail (`with` borrows only for
                // the length of its closure, inside this scope), nor can the
                // access (it succeeded on the way in, on this thread).
                let _ = self.key.__slot.try_with(|cell| {
                    if let Ok(mut current) = cell.try_borrow_mut() {
                        std::mem::swap(self.slot, &mut *current);
                    }
                });
            }
        }

        self.__slot
            .try_with(|cell| {
                // Rule 3.
                let mut current = cell.try_borrow_mut().map_err(|_| ScopeError::Borrowed)?;
                std::mem::swap(slot, &mut *current);
                Ok(())
            })
            .map_err(|_| ScopeError::Destroyed)??;
        let _back = SwapBack { key: self, slot };
        Ok(f())
    }

    /// Runs `f` with a reference to the value.
    ///
    /// # Panics
    ///
    /// Outside a scope of this key; see [`try_with`](Self::try_with).
    #[track_caller]
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        match self.try_with(f) {
            Ok(out) => out,
            Err(_) => panic!(
                "task-local value read outside its scope: set it with `LocalKey::scope` or \
                 `LocalKey::sync_scope` around the code that reads it"
            ),
        }
    }

    /// Runs `f` with a reference to the value, or returns [`AccessError`]
    /// outside a scope of this key (also from a thread-local destructor
    /// after the key's storage is gone).
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        self.__slot
            .try_with(|cell| {
                // A borrow fails only while a scope swaps (never during a
                // user closure), so treat it as "not set".
                let value = cell
                    .try_borrow()
                    .map_err(|_| AccessError { _private: () })?;
                match value.as_ref() {
                    Some(v) => Ok(f(v)),
                    None => Err(AccessError { _private: () }),
                }
            })
            .unwrap_or(Err(AccessError { _private: () }))
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// A copy of the value.
    ///
    /// # Panics
    ///
    /// Outside a scope of this key; see [`try_get`](Self::try_get).
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(|v| v.clone())
    }

    /// A copy of the value, or [`AccessError`] outside a scope of this key.
    pub fn try_get(&'static self) -> Result<T, AccessError> {
        self.try_with(|v| v.clone())
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("LocalKey { .. }")
    }
}

pin_project_lite::pin_project! {
    /// A future that sets a task-local value while the future it wraps
    /// is polled; returned by [`LocalKey::scope`].
    ///
    /// **Cancel safety:** as cancel-safe as the future it wraps.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TaskLocalFuture<T: 'static, F> {
        key: &'static LocalKey<T>,
        // The value while the future is not being polled.
        slot: Option<T>,
        // `None` once it completed, or was dropped by `PinnedDrop`.
        #[pin]
        future: Option<F>,
        #[pin]
        _pinned: PhantomPinned,
    }

    impl<T: 'static, F> PinnedDrop for TaskLocalFuture<T, F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.future.is_some() {
                // Rule 4: inside the scope if possible.
                let mut future = this.future.as_mut();
                let dropped = this.key.enter(this.slot, || future.set(None));
                if dropped.is_err() {
                    this.future.set(None);
                }
            }
        }
    }
}

impl<T: 'static, F> TaskLocalFuture<T, F> {
    /// Takes the value out of the future, leaving `None`. The value is
    /// there before the first poll and after the future completed; during
    /// a poll it is in the key, so a call from inside the wrapped future
    /// returns `None`. Once taken, later polls run without the value set.
    pub fn take_value(self: Pin<&mut Self>) -> Option<T> {
        self.project().slot.take()
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut future = this.future;
        let polled = this
            .key
            .enter(this.slot, || match future.as_mut().as_pin_mut() {
                Some(fut) => {
                    let out = fut.poll(cx);
                    if out.is_ready() {
                        // Completed: dropped here, inside the scope (rule 4).
                        future.set(None);
                    }
                    Some(out)
                }
                None => None,
            });
        match polled {
            Ok(Some(out)) => out,
            Ok(None) => panic!("`TaskLocalFuture` polled after it completed"),
            Err(e) => e.panic(),
        }
    }
}

impl<T: 'static + fmt::Debug, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("value", &self.slot)
            .finish_non_exhaustive()
    }
}

/// The error of [`LocalKey::try_with`] and [`LocalKey::try_get`]: the
/// value is not set here.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccessError {
    _private: (),
}

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessError").finish()
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value is not set")
    }
}

impl Error for AccessError {}

/// Why a scope could not be entered.
enum ScopeError {
    /// Rule 3.
    Borrowed,
    /// The thread-local is being destroyed.
    Destroyed,
}

impl ScopeError {
    #[track_caller]
    fn panic(&self) -> ! {
        match self {
            ScopeError::Borrowed => panic!(
                "cannot enter a task-local scope while the same key's value is borrowed by \
                 `LocalKey::with`"
            ),
            ScopeError::Destroyed => panic!(
                "cannot enter a task-local scope during or after the destruction of its \
                 thread-local storage"
            ),
        }
    }
}
