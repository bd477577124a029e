//! `task::Builder`: spawn a task with a name.
//!
//! The name is stored in the task cell and shows up in task dumps
//! (`Handle::dump`), stall reports and traces.

use std::fmt;
use std::future::Future;
use std::io;
use std::panic::Location;

use crate::runtime::task::moved::moved;
use crate::runtime::task::JoinHandle;
use crate::runtime::Handle;
use crate::task::{local, spawn};

/// Configures a task before spawning it.
///
/// ```
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let handle = evloop::task::Builder::new()
///     .name("answer")
///     .spawn(async { 42 })
///     .unwrap();
/// assert_eq!(handle.await.unwrap(), 42);
/// # }
/// ```
#[derive(Default, Clone, Copy)]
pub struct Builder<'a> {
    name: Option<&'a str>,
}

impl<'a> Builder<'a> {
    /// A builder for an unnamed task.
    pub fn new() -> Builder<'a> {
        Builder { name: None }
    }

    /// Names the task. The name is copied into the task.
    pub fn name(self, name: &'a str) -> Builder<'a> {
        Builder { name: Some(name) }
    }

    fn meta(&self, location: &'static Location<'static>) -> crate::runtime::task::SpawnMeta<'a> {
        crate::runtime::task::SpawnMeta {
            spawned_at: location,
            name: self.name,
            track_wakes: false,
        }
    }

    /// Spawns the task on the current runtime.
    ///
    /// # Errors
    ///
    /// Fails with [`io::ErrorKind::Other`] if no runtime is current on this
    /// thread (where [`task::spawn`](crate::task::spawn) would panic).
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn::try_spawn(future, self.meta(Location::caller())).map_err(io::Error::other)
    }

    /// Spawns the task on the runtime of `handle`.
    ///
    /// # Errors
    ///
    /// None today; the `Result` keeps the signature of [`spawn`](Self::spawn).
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = self.meta(Location::caller());
        moved!(future);
        Ok(handle
            .inner
            .spawn(future, crate::runtime::task::Id::next(), meta))
    }

    /// Spawns a `!Send` task on the current [`LocalSet`](crate::task::LocalSet).
    ///
    /// # Errors
    ///
    /// Fails with [`io::ErrorKind::Other`] outside a `LocalSet`.
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        local::try_spawn_local(future, self.meta(Location::caller()))
            .ok_or_else(|| io::Error::other("`spawn_local` called outside of a `LocalSet`"))
    }
}

impl fmt::Debug for Builder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder").field("name", &self.name).finish()
    }
}
