//! `task_local!`: scopes over futures and closures, nesting, values that
//! follow a task across workers, `take_value`, drop inside the scope, and
//! the errors and panics of reads outside a scope.

mod support;

use std::cell::Cell;
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll};

use evloop::task::{yield_now, LocalKey};

evloop::task_local! {
    /// A documented key.
    pub static NUMBER: u32;
    static NAME: String;
}

evloop::task_local!(static SINGLE: u8);

#[test]
fn scope_sets_the_value_across_polls_and_unsets_it_between() {
    let rt = support::rt();
    rt.block_on(async {
        assert!(NUMBER.try_get().is_err());
        let out = NUMBER
            .scope(5, async {
                assert_eq!(NUMBER.get(), 5);
                yield_now().await;
                // Another future of the same task polled between our polls
                // does not see the value.
                NUMBER.with(|n| *n * 2)
            })
            .await;
        assert_eq!(out, 10);
        let err: evloop::task::AccessError = NUMBER.try_with(|n| *n).unwrap_err();
        assert_eq!(NUMBER.try_get(), Err(err));
    });
}

#[test]
fn value_is_invisible_to_a_sibling_future_between_polls() {
    let rt = support::rt();
    rt.block_on(async {
        let seen_by_sibling = Rc::new(Cell::new(None));
        let s = seen_by_sibling.clone();
        let scoped = NUMBER.scope(1, async {
            yield_now().await;
            yield_now().await;
            NUMBER.get()
        });
        let sibling = async move {
            yield_now().await;
            s.set(Some(NUMBER.try_get().is_ok()));
        };
        let (v, ()) = evloop::join!(biased; scoped, sibling);
        assert_eq!(v, 1);
        assert_eq!(seen_by_sibling.get(), Some(false));
    });
}

#[test]
fn scopes_nest_and_restore_the_outer_value() {
    let rt = support::rt();
    rt.block_on(async {
        NAME.scope("outer".to_string(), async {
            NAME.scope("inner".to_string(), async {
                assert_eq!(NAME.get(), "inner");
                yield_now().await;
                NAME.sync_scope("sync".into(), || assert_eq!(NAME.get(), "sync"));
                assert_eq!(NAME.get(), "inner");
            })
            .await;
            assert_eq!(NAME.get(), "outer");
            // Two keys are independent.
            SINGLE
                .scope(3, async {
                    assert_eq!((SINGLE.get(), NAME.get().len()), (3, 5))
                })
                .await;
        })
        .await;
    });
}

#[test]
fn sync_scope_returns_and_restores_after_a_panic() {
    assert_eq!(NUMBER.sync_scope(4, || NUMBER.get() + 1), 5);
    let caught = std::panic::catch_unwind(|| NUMBER.sync_scope(9, || panic!("inside")));
    assert!(caught.is_err());
    // The guard swapped the value back out.
    assert!(NUMBER.try_get().is_err());
    NUMBER.sync_scope(1, || {
        let caught = std::panic::catch_unwind(|| NUMBER.sync_scope(2, || panic!("nested")));
        assert!(caught.is_err());
        assert_eq!(NUMBER.get(), 1);
    });
}

#[test]
fn value_follows_a_task_across_workers() {
    let rt = support::mt();
    let handles: Vec<_> = (0..16u32)
        .map(|i| {
            rt.spawn(NUMBER.scope(i, async move {
                for _ in 0..50 {
                    yield_now().await;
                    assert_eq!(NUMBER.get(), i);
                }
                // A task spawned from inside does not inherit it.
                let inherited = evloop::spawn(async { NUMBER.try_get().is_ok() });
                (NUMBER.get(), inherited.await.unwrap())
            }))
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(rt.block_on(h).unwrap(), (i as u32, false));
    }
}

#[test]
fn take_value_before_the_first_poll_and_after_completion() {
    let rt = support::rt();
    rt.block_on(async {
        let mut fut = pin!(NUMBER.scope(8, async { NUMBER.get() }));
        assert_eq!(fut.as_mut().take_value(), Some(8));
        // Taken: the future now runs without the value.
        let mut fut2 = pin!(NUMBER.scope(8, async { NUMBER.try_get().is_err() }));
        fut2.as_mut().take_value();
        assert!(fut2.as_mut().await);

        let mut done = pin!(NAME.scope("kept".to_string(), async { 1 }));
        assert_eq!(done.as_mut().await, 1);
        assert_eq!(done.as_mut().take_value().as_deref(), Some("kept"));
        assert_eq!(done.as_mut().take_value(), None);
    });
}

/// Reads the key in its destructor.
struct ReadOnDrop(&'static LocalKey<u32>, Rc<Cell<Option<u32>>>);

impl Drop for ReadOnDrop {
    fn drop(&mut self) {
        self.1.set(self.0.try_get().ok());
    }
}

#[test]
fn the_wrapped_future_is_dropped_inside_the_scope() {
    // Dropped before completion (cancelled).
    let seen = Rc::new(Cell::new(None));
    let guard = ReadOnDrop(&NUMBER, seen.clone());
    let fut = NUMBER.scope(42, async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    let mut fut = Box::pin(fut);
    let waker = std::task::Waker::noop();
    assert!(fut
        .as_mut()
        .poll(&mut Context::from_waker(waker))
        .is_pending());
    drop(fut);
    assert_eq!(seen.get(), Some(42));

    // Dropped at completion.
    let seen = Rc::new(Cell::new(None));
    let guard = ReadOnDrop(&NUMBER, seen.clone());
    let mut fut = Box::pin(NUMBER.scope(43, async move {
        let _guard = guard;
    }));
    assert_eq!(
        fut.as_mut().poll(&mut Context::from_waker(waker)),
        Poll::Ready(())
    );
    assert_eq!(seen.get(), Some(43));
    // Never polled: still dropped inside.
    let seen = Rc::new(Cell::new(None));
    let guard = ReadOnDrop(&NUMBER, seen.clone());
    drop(NUMBER.scope(44, async move {
        let _guard = guard;
    }));
    assert_eq!(seen.get(), Some(44));
}

#[test]
#[should_panic(expected = "task-local value read outside its scope")]
fn with_outside_a_scope_panics() {
    NUMBER.with(|_| ());
}

#[test]
#[should_panic(expected = "while the same key's value is borrowed")]
fn entering_a_scope_inside_with_panics() {
    NUMBER.sync_scope(1, || NUMBER.with(|_| NUMBER.sync_scope(2, || ())));
}

#[test]
#[should_panic(expected = "polled after it completed")]
fn polling_after_completion_panics() {
    let mut fut = Box::pin(NUMBER.scope(1, async {}));
    let waker = std::task::Waker::noop();
    let mut cx = Context::from_waker(waker);
    assert!(fut.as_mut().poll(&mut cx).is_ready());
    let _ = fut.as_mut().poll(&mut cx);
}

#[test]
fn access_error_displays_and_is_an_error() {
    let e = NUMBER.try_with(|_| ()).unwrap_err();
    assert_eq!(e.to_string(), "task-local value is not set");
    let _: &dyn std::error::Error = &e;
    assert_eq!(format!("{e:?}"), "AccessError");
    assert_eq!(format!("{:?}", NUMBER), "LocalKey { .. }");
    let fut = NUMBER.scope(3, async {});
    assert!(format!("{fut:?}").contains("value: Some(3)"));
    // `TaskLocalFuture` is nameable under `task::futures`.
    let _typed: Pin<Box<evloop::task::futures::TaskLocalFuture<u32, _>>> = Box::pin(fut);
}

fn _send_and_sync_when_the_value_is() {
    fn assert_send<T: Send>(_: T) {}
    assert_send(NUMBER.scope(1, async {}));
    let _: &'static dyn Sync = &NUMBER;
}

/// `Future` impl just to use the trait import.
fn _uses(_: &dyn Future<Output = ()>) {}
