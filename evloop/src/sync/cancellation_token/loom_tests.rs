use super::*;
use crate::loom::thread;
use loom::future::block_on;

#[test]
fn loom_cancel_vs_child_creation() {
    // Whichever runs first, the new child ends up cancelled and its waiter
    // is woken.
    loom::model(|| {
        let parent = CancellationToken::new();
        let p2 = parent.clone();
        let th = thread::spawn(move || p2.cancel());
        let child = parent.child_token();
        block_on(child.cancelled());
        assert!(child.is_cancelled());
        th.join().unwrap();
    });
}

#[test]
fn loom_cancel_vs_child_drop() {
    // A grandchild whose parent is dropped concurrently with the root's
    // cancel is still cancelled.
    loom::model(|| {
        let root = CancellationToken::new();
        let child = root.child_token();
        let grandchild = child.child_token();
        let r2 = root.clone();
        let th = thread::spawn(move || r2.cancel());
        drop(child);
        block_on(grandchild.cancelled_owned());
        th.join().unwrap();
    });
}

#[test]
fn loom_cancelled_parent_implies_cancelled_children() {
    // A token reads as cancelled only once all its descendants do: a task
    // that sees its parent cancelled never finds a child of it live.
    loom::model(|| {
        let root = CancellationToken::new();
        let child = root.child_token();
        let grandchild = child.child_token();
        let r2 = root.clone();
        let th = thread::spawn(move || r2.cancel());
        if root.is_cancelled() {
            assert!(child.is_cancelled());
            assert!(grandchild.is_cancelled());
        }
        if child.is_cancelled() {
            assert!(grandchild.is_cancelled());
        }
        th.join().unwrap();
        assert!(grandchild.is_cancelled());
    });
}
