//! Which simulated host the running code belongs to.
//!
//! # Rules
//!
//! 1. A task belongs to the host whose code spawned it. The spawn path
//!    (`task::spawn::try_spawn`) asks [`current`]; when it answers, the new
//!    future is wrapped in a [`Scoped`] holding that host's [`HostCtx`] and
//!    the task's `AbortHandle` is handed to the host ([`HostCtx::track`]),
//!    so a crash can abort it.
//! 2. `CURRENT` is set only by [`enter`], which returns a guard restoring
//!    the previous value; [`Scoped::poll`] enters its host around every
//!    poll of the inner future. Outside a poll of a host's task the thread
//!    belongs to no host, and every socket type takes its real path.
//! 3. `ACTIVE` mirrors whether `CURRENT` holds a host. It is a
//!    destructor-free `const` cell, so the question "is this code in a
//!    simulated host?" costs the real path one thread-local load and a
//!    predictable branch, on spawn and on socket construction only.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::runtime::task::AbortHandle;
use crate::sim::net::world::{HostId, Shared};
use std::sync::Arc;

/// A host's identity as seen by its tasks and sockets: the network, the
/// host, and the incarnation (bumped by every crash, so what a crashed
/// incarnation left behind is recognised as stale).
#[derive(Debug)]
pub(crate) struct HostCtx {
    pub(crate) net: Arc<Shared>,
    pub(crate) id: HostId,
    pub(crate) incarnation: u64,
}

impl HostCtx {
    /// Rule 1: hands a new task of this host to the host, for `crash`.
    pub(crate) fn track(&self, task: AbortHandle) {
        self.net.track_task(self, task);
    }
}

thread_local! {
    /// Rule 3.
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    /// Rule 2.
    static CURRENT: RefCell<Option<Arc<HostCtx>>> = const { RefCell::new(None) };
}

/// The host the running code belongs to, if any (rule 3: one load and a
/// branch when the answer is no).
#[inline]
pub(crate) fn current() -> Option<Arc<HostCtx>> {
    if !ACTIVE.with(Cell::get) {
        return None;
    }
    current_slow()
}

#[cold]
fn current_slow() -> Option<Arc<HostCtx>> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// Restores the previous host on drop (rule 2).
pub(crate) struct Enter {
    prev: Option<Arc<HostCtx>>,
}

/// Makes `ctx` (or no host, for `None`) the current host until the guard
/// drops.
pub(crate) fn enter(ctx: Option<Arc<HostCtx>>) -> Enter {
    ACTIVE.with(|a| a.set(ctx.is_some()));
    let prev = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), ctx));
    Enter { prev }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let prev = self.prev.take();
        ACTIVE.with(|a| a.set(prev.is_some()));
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
    }
}

pin_project_lite::pin_project! {
    /// A host's task: polls `fut` with the host current (rule 2).
    pub(crate) struct Scoped<F> {
        ctx: Arc<HostCtx>,
        #[pin]
        fut: F,
    }
}

impl<F> Scoped<F> {
    pub(crate) fn new(ctx: Arc<HostCtx>, fut: F) -> Scoped<F> {
        Scoped { ctx, fut }
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _enter = enter(Some(this.ctx.clone()));
        this.fut.poll(cx)
    }
}
