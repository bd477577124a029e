//! The tree of cancellation tokens: who is whose child, how many handles
//! each node has, and the cancelled flag plus waiter list of each node.
//!
//! # Design
//!
//! All the nodes of one tree (a root token and everything derived from it
//! with `child_token`) live in one slab behind one mutex. A node is an index
//! into the slab; its entry holds its parent's index, its children's indices
//! and its position in its parent's child list (so unlinking is a
//! `swap_remove`, O(1)). Freed entries are reused, so creating and dropping
//! children in a loop keeps the slab at a constant size.
//!
//! Rejected: one lock per node, as a linked tree of `Arc`s. Removing a node
//! then needs its lock and its parent's, taken child-first to find the parent
//! and parent-first to avoid deadlock, with retries when the parent changed
//! in between. One lock per tree is simpler to get right, and cancel walks
//! the subtree under it anyway; the cost is that unrelated operations on the
//! same tree contend. Separate trees (separate `CancellationToken::new()`
//! calls) share nothing.
//!
//! # Rules
//!
//! 1. Links (`parent`, `children`, `pos_in_parent`), handle counts, and the
//!    `cancelled` flags are written only under the tree lock. `cancelled` is
//!    also read without it (`is_cancelled`, waiters); it never goes back to
//!    false.
//! 2. A cancelled node is never linked: `cancel` sets the flag on every node
//!    of the subtree and cuts every link in it, and `child_token` of a
//!    cancelled node makes an unlinked, cancelled child. So a node's
//!    ancestors are exactly the tokens whose cancellation must reach it.
//! 3. When a node's last handle goes, it is unlinked from its parent and its
//!    children are moved to that parent (or become roots): cancelling the
//!    grandparent still reaches them (rule 2), and the slab entry is freed.
//! 4. Each node's `Wait` nodes are in its `waiters` list and accessed only
//!    under that list's mutex. `cancel` sets the flags first (under the tree
//!    lock), then, with the tree lock released, empties each list and wakes
//!    the waiters. A waiter checks the flag under the list's mutex before
//!    linking itself, so either it sees the flag or `cancel` finds it.
//! 5. `cancel` sets the flags of a subtree descendants first and the
//!    cancelled token's last, so a token reads as cancelled only once
//!    every descendant does: a task that sees its parent cancelled never
//!    finds a child of it still live (readers take no lock).

use std::ptr::NonNull;
use std::task::{Context, Poll};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use crate::sync::waiters::{Waiter, WaiterList, WakeList};

/// One tree: the slab of its nodes (rule 1).
#[derive(Debug)]
pub(crate) struct Tree {
    nodes: Mutex<Slab>,
}

#[derive(Debug)]
struct Slab {
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
}

#[derive(Debug)]
struct Entry {
    parent: Option<usize>,
    /// Index of this node in its parent's `children`.
    pos_in_parent: usize,
    children: Vec<usize>,
    /// Live `CancellationToken`s for this node.
    handles: usize,
    state: Arc<NodeState>,
}

/// What waiters of one node need: readable without the tree lock.
#[derive(Debug)]
pub(crate) struct NodeState {
    cancelled: AtomicBool,
    /// Rule 4.
    waiters: Mutex<WaiterList<()>>,
}

pub(crate) type WaitNode = UnsafeCell<Waiter<()>>;

impl NodeState {
    fn new(cancelled: bool) -> Arc<NodeState> {
        Arc::new(NodeState {
            cancelled: AtomicBool::new(cancelled),
            waiters: Mutex::new(WaiterList::new()),
        })
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(SeqCst)
    }

    /// Polls a waiter embedded in a pinned future (rule 4). `linked` records
    /// whether the node may be in the list, for [`NodeState::drop_wait`].
    pub(crate) fn poll_wait(
        &self,
        node: &WaitNode,
        linked: &mut bool,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        if self.is_cancelled() {
            return Poll::Ready(());
        }
        let mut list = self.waiters.lock();
        if self.is_cancelled() {
            return Poll::Ready(());
        }
        // SAFETY: `UnsafeCell` never yields a null pointer.
        let node = node.with_mut(|p| unsafe { NonNull::new_unchecked(p) });
        // SAFETY: rule 4 — node fields are accessed under the list's mutex,
        // held here. The node is pinned inside its future, whose `Drop`
        // calls `drop_wait` to unlink it (rule 2 of `waiters`).
        let replaced = unsafe {
            let w = &mut *node.as_ptr();
            let replaced = w.set_waker(cx.waker());
            if !w.is_queued() {
                list.push_back(node);
            }
            replaced
        };
        // Rule 4 of `waiters`: the old waker goes after the lock.
        drop(list);
        drop(replaced);
        *linked = true;
        Poll::Pending
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn has_waiters(&self) -> bool {
        !self.waiters.lock().is_empty()
    }

    /// Unlinks a waiter's node when its future is dropped.
    pub(crate) fn drop_wait(&self, node: &WaitNode, linked: bool) {
        if !linked {
            return;
        }
        let mut list = self.waiters.lock();
        // SAFETY: `UnsafeCell` never yields a null pointer.
        let node = node.with_mut(|p| unsafe { NonNull::new_unchecked(p) });
        // SAFETY: rule 4 — mutex held; if queued, the node is in this list.
        unsafe { list.remove(node) };
    }

    /// Wakes every waiter; the flag is already set (rule 4).
    fn wake_waiters(&self) {
        loop {
            let mut list = self.waiters.lock();
            let mut wakers = WakeList::new();
            while wakers.can_push() {
                let Some(node) = list.pop_front() else { break };
                // SAFETY: rule 4 — mutex held; a linked node's future is
                // alive (rule 2 of `waiters`).
                wakers.push(unsafe { (*node.as_ptr()).waker.take() });
            }
            let more = !list.is_empty();
            drop(list);
            wakers.wake_all();
            if !more {
                return;
            }
        }
    }
}

impl Tree {
    /// A new tree with one root node and one handle to it.
    pub(crate) fn new_root() -> (Arc<Tree>, usize, Arc<NodeState>) {
        let state = NodeState::new(false);
        let tree = Arc::new(Tree {
            nodes: Mutex::new(Slab {
                entries: vec![Some(Entry {
                    parent: None,
                    pos_in_parent: 0,
                    children: Vec::new(),
                    handles: 1,
                    state: state.clone(),
                })],
                free: Vec::new(),
            }),
        });
        (tree, 0, state)
    }

    /// Creates a child of `parent` with one handle (rule 2).
    pub(crate) fn new_child(&self, parent: usize) -> (usize, Arc<NodeState>) {
        let mut slab = self.nodes.lock();
        let cancelled = slab.get(parent).state.is_cancelled();
        let state = NodeState::new(cancelled);
        let entry = Entry {
            parent: None,
            pos_in_parent: 0,
            children: Vec::new(),
            handles: 1,
            state: state.clone(),
        };
        let index = slab.insert(entry);
        if !cancelled {
            slab.link(parent, index);
        }
        (index, state)
    }

    /// Adds a handle to `index`.
    pub(crate) fn add_handle(&self, index: usize) {
        self.nodes.lock().get_mut(index).handles += 1;
    }

    /// Drops a handle to `index`; the last one unlinks and frees the node
    /// (rule 3).
    pub(crate) fn drop_handle(&self, index: usize) {
        let mut slab = self.nodes.lock();
        let entry = slab.get_mut(index);
        entry.handles -= 1;
        if entry.handles > 0 {
            return;
        }
        let parent = entry.parent;
        let children = std::mem::take(&mut entry.children);
        slab.unlink(index);
        for child in children {
            slab.get_mut(child).parent = None;
            if let Some(parent) = parent {
                slab.link(parent, child);
            }
        }
        let freed = slab.entries[index].take();
        slab.free.push(index);
        // The node's state may be shared with nothing else now; drop it
        // after the lock anyway (it holds no user code, but keep the
        // critical section short).
        drop(slab);
        drop(freed);
    }

    /// Cancels `index` and its whole subtree, then wakes their waiters
    /// (rules 2 and 4). Returns without doing anything if already cancelled.
    pub(crate) fn cancel(&self, index: usize) {
        let mut to_wake = Vec::new();
        {
            let mut slab = self.nodes.lock();
            if slab.get(index).state.is_cancelled() {
                return;
            }
            slab.unlink(index);
            // Collect the subtree, parents before their children.
            let mut stack = vec![index];
            while let Some(i) = stack.pop() {
                let entry = slab.get_mut(i);
                to_wake.push(entry.state.clone());
                let children = std::mem::take(&mut entry.children);
                for &child in &children {
                    slab.get_mut(child).parent = None;
                }
                stack.extend(children);
            }
            // Rule 5: set the flags children first, so no reader sees a
            // cancelled token with a live descendant.
            for state in to_wake.iter().rev() {
                state.cancelled.store(true, SeqCst);
            }
        }
        for state in to_wake {
            state.wake_waiters();
        }
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn slab_len(&self) -> usize {
        let slab = self.nodes.lock();
        slab.entries.len() - slab.free.len()
    }

    /// Slots allocated, free or not.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn slab_capacity(&self) -> usize {
        self.nodes.lock().entries.len()
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn children_of(&self, index: usize) -> usize {
        self.nodes.lock().get(index).children.len()
    }
}

impl Slab {
    fn get(&self, index: usize) -> &Entry {
        self.entries[index].as_ref().expect("live token node")
    }

    fn get_mut(&mut self, index: usize) -> &mut Entry {
        self.entries[index].as_mut().expect("live token node")
    }

    fn insert(&mut self, entry: Entry) -> usize {
        match self.free.pop() {
            Some(i) => {
                self.entries[i] = Some(entry);
                i
            }
            None => {
                self.entries.push(Some(entry));
                self.entries.len() - 1
            }
        }
    }

    /// Makes `child` (currently unlinked) the last child of `parent`.
    fn link(&mut self, parent: usize, child: usize) {
        let p = self.get_mut(parent);
        let pos = p.children.len();
        p.children.push(child);
        let c = self.get_mut(child);
        c.parent = Some(parent);
        c.pos_in_parent = pos;
    }

    /// Removes `index` from its parent's children, if it has a parent.
    fn unlink(&mut self, index: usize) {
        let entry = self.get_mut(index);
        let Some(parent) = entry.parent.take() else {
            return;
        };
        let pos = entry.pos_in_parent;
        let siblings = &mut self.get_mut(parent).children;
        siblings.swap_remove(pos);
        if let Some(&moved) = siblings.get(pos) {
            self.get_mut(moved).pos_in_parent = pos;
        }
    }
}
