use super::*;
use crate::sync::test_util::spawn;

#[test]
fn cancel_reaches_descendants_not_ancestors() {
    let root = CancellationToken::new();
    let child = root.child_token();
    let grandchild = child.child_token();
    let sibling = root.child_token();
    child.cancel();
    assert!(child.is_cancelled());
    assert!(grandchild.is_cancelled());
    assert!(!root.is_cancelled());
    assert!(!sibling.is_cancelled());
    root.cancel();
    assert!(sibling.is_cancelled());
    // A child of a cancelled token starts cancelled.
    assert!(root.child_token().is_cancelled());
    // Cancelling twice is fine.
    root.cancel();
}

#[test]
fn clones_share_the_token() {
    let a = CancellationToken::new();
    let b = a.clone();
    let c = b.child_token();
    drop(a);
    b.cancel();
    assert!(c.is_cancelled());
}

#[test]
fn dropped_children_are_unlinked() {
    let parent = CancellationToken::new();
    let rounds = if cfg!(miri) { 200 } else { 100_000 };
    for _ in 0..rounds {
        let child = parent.child_token();
        let grandchild = child.child_token();
        drop(child);
        drop(grandchild);
    }
    assert_eq!(parent.tree.children_of(parent.index), 0);
    assert_eq!(parent.tree.slab_len(), 1);
    // The slab reused its entries instead of growing.
    assert!(parent.tree.slab_capacity() <= 3);
}

#[test]
fn grandchild_outliving_its_parent_is_reparented() {
    let root = CancellationToken::new();
    let child = root.child_token();
    let grandchild = child.child_token();
    drop(child);
    assert_eq!(root.tree.children_of(root.index), 1);
    root.cancel();
    assert!(grandchild.is_cancelled());
}

#[test]
fn cancelled_subtree_is_cut_loose() {
    let root = CancellationToken::new();
    let kids: Vec<_> = (0..10).map(|_| root.child_token()).collect();
    kids[3].cancel();
    assert_eq!(root.tree.children_of(root.index), 9);
    root.cancel();
    assert_eq!(root.tree.children_of(root.index), 0);
    drop(kids);
    assert_eq!(root.tree.slab_len(), 1);
}

#[test]
fn cancelled_future_wakes_on_cancel() {
    let token = CancellationToken::new();
    let child = token.child_token();
    let mut a = spawn(child.cancelled_owned());
    let mut b = spawn(async {
        token.cancelled().await;
    });
    a.expect_pending();
    b.expect_pending();
    token.cancel();
    assert!(a.is_woken());
    assert!(b.is_woken());
    a.expect_ready();
    b.expect_ready();
}

#[test]
fn cancelled_future_dropped_at_await_unlinks() {
    let token = CancellationToken::new();
    {
        let mut fut = spawn(token.cancelled());
        fut.expect_pending();
    }
    assert!(!token.state.has_waiters());
    // A later waiter still sees the cancellation.
    let mut fut = spawn(token.cancelled());
    fut.expect_pending();
    token.cancel();
    fut.expect_ready();
    // Ready at once when already cancelled.
    spawn(token.cancelled()).expect_ready();
}

#[test]
fn drop_guard_cancels_unless_disarmed() {
    let token = CancellationToken::new();
    let guard = token.clone().drop_guard();
    let back = guard.disarm();
    assert!(!token.is_cancelled());
    drop(back);
    assert!(!token.is_cancelled());
    drop(token.clone().drop_guard());
    assert!(token.is_cancelled());
}
