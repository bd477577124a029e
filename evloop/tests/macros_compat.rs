//! Macro forms tokio users write: `pin!` with several bindings and with
//! `let`, empty `join!`/`try_join!` (also `biased;`), `select!` with only an
//! `else` branch, `mut` bindings in branch patterns, and `&mut` futures as
//! branches.

use std::future::{pending, ready, Future};
use std::pin::Pin;
use std::time::Duration;

use evloop::task::yield_now;

#[evloop::test]
async fn pin_shadows_several_bindings_with_pinned_references() {
    let a = async { 1u32 };
    let b = async {
        yield_now().await;
        2u32
    };
    evloop::pin!(a, b);
    // Each name is now a `Pin<&mut _>`: pollable through `&mut`, twice.
    let a_ref: &mut Pin<&mut _> = &mut a;
    assert_eq!(a_ref.await, 1);
    assert_eq!((&mut b).await, 2);
}

#[evloop::test]
async fn pin_accepts_let_statements() {
    evloop::pin! {
        let first = async { "x" };
        let second = evloop::time::sleep(Duration::from_millis(1));
    }
    (&mut second).await;
    assert!(second.is_elapsed());
    assert_eq!(first.as_mut().await, "x");
}

#[evloop::test]
async fn empty_join_and_try_join_evaluate_to_unit() {
    let () = evloop::join!();
    let () = evloop::join!(biased;);
    let ok: Result<(), std::convert::Infallible> = evloop::try_join!();
    assert!(ok.is_ok());
    let ok: Result<(), std::convert::Infallible> = evloop::try_join!(biased;);
    assert!(ok.is_ok());
}

#[evloop::test]
async fn select_with_only_else_evaluates_it() {
    let v = evloop::select! {
        else => 7,
    };
    assert_eq!(v, 7);
    let v = evloop::select! {
        biased;
        else => "b"
    };
    assert_eq!(v, "b");
}

#[evloop::test]
async fn select_binds_mut_in_branch_patterns() {
    let got = evloop::select! {
        Some(mut x) = ready(Some(vec![1u8])) => {
            x.push(2);
            x
        }
        _ = pending::<()>() => unreachable!(),
    };
    assert_eq!(got, vec![1, 2]);

    let (mut a, b) = evloop::select! {
        (mut a, b) = ready((1u32, 2u32)) => { a += b; (a, b) }
    };
    a += 1;
    assert_eq!((a, b), (4, 2));
}

#[evloop::test]
async fn select_polls_a_pinned_future_through_mut_reference() {
    let sleep = evloop::time::sleep(Duration::from_millis(20));
    evloop::pin!(sleep);
    let mut ticks = 0u32;
    loop {
        evloop::select! {
            () = &mut sleep => break,
            () = yield_now() => ticks += 1,
        }
    }
    assert!(ticks > 0);
    assert!(sleep.is_elapsed());

    // A `&mut` to a temporary that is `Unpin`.
    let v = evloop::select! {
        v = &mut Box::pin(async { 5u8 }) => v,
        _ = &mut std::pin::pin!(pending::<()>()) => 0,
    };
    assert_eq!(v, 5);

    // A `Pin<&mut dyn Future>` reborrowed in a loop.
    let mut fut: Pin<Box<dyn Future<Output = u8>>> = Box::pin(async {
        yield_now().await;
        9
    });
    let got = loop {
        evloop::select! {
            biased;
            v = &mut fut => break v,
            _ = ready(()) => {}
        }
    };
    assert_eq!(got, 9);
}

#[evloop::test]
async fn join_accepts_mut_references_to_temporaries() {
    let (a, b) = evloop::join!(&mut Box::pin(async { 1u8 }), async { 2u8 });
    assert_eq!((a, b), (1, 2));
    let r: Result<(u8,), ()> = evloop::try_join!(&mut Box::pin(async { Ok(3u8) }));
    assert_eq!(r, Ok((3,)));
}

/// Not `main`: `#[evloop::main]` on a function with arguments, which the
/// body uses (moved and borrowed).
#[evloop::main(flavor = "current_thread")]
async fn run_with(name: String, times: &u32) -> String {
    evloop::task::yield_now().await;
    let owned = evloop::spawn(async move { name }).await.unwrap();
    owned.repeat(*times as usize)
}

#[test]
fn main_attribute_on_a_function_with_arguments() {
    assert_eq!(run_with("ab".to_string(), &2), "abab");
}
