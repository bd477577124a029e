//! `CancellationToken`: a cancellation signal that tasks can wait for,
//! arranged in a tree.
//!
//! Cancelling a token cancels every token derived from it with
//! [`CancellationToken::child_token`] (its children, their children, ...),
//! never its parent. Clones are handles to the same token.
//!
//! `tree.rs` holds the shared state and its rules: one slab per tree behind
//! one lock, children unlinked when their last handle goes, and an
//! intrusive waiter list per token.

mod tree;

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::Arc;
use crate::sync::waiters::Waiter;
use tree::{NodeState, Tree, WaitNode};

/// A token that can be cancelled once, and waited for.
///
/// ```
/// # evloop::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use evloop::sync::CancellationToken;
///
/// let token = CancellationToken::new();
/// let child = token.child_token();
/// let worker = evloop::spawn(async move {
///     evloop::select! {
///         _ = child.cancelled() => "stopped",
///         _ = std::future::pending::<()>() => unreachable!(),
///     }
/// });
/// token.cancel();
/// assert_eq!(worker.await.unwrap(), "stopped");
/// # });
/// ```
pub struct CancellationToken {
    tree: Arc<Tree>,
    index: usize,
    state: Arc<NodeState>,
}

impl CancellationToken {
    /// Creates a token with no parent.
    pub fn new() -> CancellationToken {
        let (tree, index, state) = Tree::new_root();
        CancellationToken { tree, index, state }
    }

    /// Creates a token that is cancelled when this one is (or already is,
    /// if this one is). Cancelling the child does not affect this token.
    /// Dropping every handle to the child unlinks it from this token.
    pub fn child_token(&self) -> CancellationToken {
        let (index, state) = self.tree.new_child(self.index);
        CancellationToken {
            tree: self.tree.clone(),
            index,
            state,
        }
    }

    /// Cancels this token and all its descendants, and wakes every task
    /// waiting on any of them. Does nothing the second time.
    pub fn cancel(&self) {
        self.tree.cancel(self.index);
    }

    /// Whether this token is cancelled (by itself or an ancestor).
    pub fn is_cancelled(&self) -> bool {
        self.state.is_cancelled()
    }

    /// Completes when the token is cancelled.
    ///
    /// **Cancel safety:** cancel-safe: it consumes nothing, and a dropped
    /// future unlinks its waiter node.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        WaitForCancellationFuture {
            token: self,
            node: UnsafeCell::new(Waiter::new(())),
            linked: false,
            _pin: PhantomPinned,
        }
    }

    /// Like [`cancelled`](Self::cancelled), but the future owns a handle to
    /// the token (so it can be `'static`).
    ///
    /// **Cancel safety:** cancel-safe, as `cancelled`.
    pub fn cancelled_owned(self) -> WaitForCancellationFutureOwned {
        WaitForCancellationFutureOwned {
            token: self,
            node: UnsafeCell::new(Waiter::new(())),
            linked: false,
            _pin: PhantomPinned,
        }
    }

    /// Wraps the token in a guard that cancels it when dropped, unless
    /// [`DropGuard::disarm`]ed.
    ///
    /// ```
    /// let token = evloop::sync::CancellationToken::new();
    /// {
    ///     let _guard = token.clone().drop_guard();
    /// }
    /// assert!(token.is_cancelled());
    /// ```
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { inner: Some(self) }
    }
}

impl Default for CancellationToken {
    fn default() -> Self {
        CancellationToken::new()
    }
}

impl Clone for CancellationToken {
    fn clone(&self) -> Self {
        self.tree.add_handle(self.index);
        CancellationToken {
            tree: self.tree.clone(),
            index: self.index,
            state: self.state.clone(),
        }
    }
}

impl Drop for CancellationToken {
    fn drop(&mut self) {
        self.tree.drop_handle(self.index);
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("is_cancelled", &self.is_cancelled())
            .finish()
    }
}

/// Future returned by [`CancellationToken::cancelled`].
///
/// **Cancel safety:** cancel-safe.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WaitForCancellationFuture<'a> {
    token: &'a CancellationToken,
    /// Rule 4 of `tree`: only accessed under the token's waiter mutex.
    node: WaitNode,
    linked: bool,
    _pin: PhantomPinned,
}

/// Future returned by [`CancellationToken::cancelled_owned`].
///
/// **Cancel safety:** cancel-safe.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WaitForCancellationFutureOwned {
    token: CancellationToken,
    /// Rule 4 of `tree`.
    node: WaitNode,
    linked: bool,
    _pin: PhantomPinned,
}

// SAFETY: the node is only accessed under the token's waiter mutex (rule 4
// of `tree`); the token reference is `Send`.
unsafe impl Send for WaitForCancellationFuture<'_> {}
// SAFETY: `&WaitForCancellationFuture` gives access to nothing.
unsafe impl Sync for WaitForCancellationFuture<'_> {}
// SAFETY: as for `WaitForCancellationFuture`.
unsafe impl Send for WaitForCancellationFutureOwned {}
// SAFETY: as for `WaitForCancellationFuture`.
unsafe impl Sync for WaitForCancellationFutureOwned {}

impl Future for WaitForCancellationFuture<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: nothing is moved out of the pinned future.
        let this = unsafe { self.get_unchecked_mut() };
        this.token.state.poll_wait(&this.node, &mut this.linked, cx)
    }
}

impl Drop for WaitForCancellationFuture<'_> {
    fn drop(&mut self) {
        self.token.state.drop_wait(&self.node, self.linked);
    }
}

impl Future for WaitForCancellationFutureOwned {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: nothing is moved out of the pinned future.
        let this = unsafe { self.get_unchecked_mut() };
        this.token.state.poll_wait(&this.node, &mut this.linked, cx)
    }
}

impl Drop for WaitForCancellationFutureOwned {
    fn drop(&mut self) {
        self.token.state.drop_wait(&self.node, self.linked);
    }
}

impl fmt::Debug for WaitForCancellationFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFuture")
            .field("is_cancelled", &self.token.is_cancelled())
            .finish()
    }
}

impl fmt::Debug for WaitForCancellationFutureOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFutureOwned")
            .field("is_cancelled", &self.token.is_cancelled())
            .finish()
    }
}

/// Cancels its token when dropped; see [`CancellationToken::drop_guard`].
pub struct DropGuard {
    inner: Option<CancellationToken>,
}

impl DropGuard {
    /// Returns the token without cancelling it.
    pub fn disarm(mut self) -> CancellationToken {
        self.inner
            .take()
            .expect("a guard holds its token until disarmed")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(token) = self.inner.take() {
            token.cancel();
        }
    }
}

impl fmt::Debug for DropGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DropGuard")
            .field("token", &self.inner)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
