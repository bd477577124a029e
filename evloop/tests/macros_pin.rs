//! `pin!` in both its forms.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

#[evloop::test]
async fn pins_existing_locals_for_polling_by_reference() {
    let a = async { 1 };
    let b = evloop::time::sleep(Duration::from_millis(1));
    evloop::pin!(a, b);
    fn is_pinned_ref<T>(_: &Pin<&mut T>) {}
    is_pinned_ref(&a);
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(a.as_mut().poll(&mut cx), Poll::Ready(1));
    (&mut b).await;
    assert!(b.is_elapsed());
}

#[evloop::test]
async fn declares_and_pins_in_one_step() {
    evloop::pin! {
        let first = async { "x" };
        let second = evloop::time::sleep(Duration::from_millis(1));
    }
    assert_eq!((&mut first).await, "x");
    second.as_mut().await;
    // A pinned sleep can be reset in place.
    second
        .as_mut()
        .reset(evloop::time::Instant::now() + Duration::from_millis(1));
    second.await;
}

#[evloop::test]
async fn a_pinned_future_survives_select_in_a_loop() {
    let deadline = evloop::time::sleep(Duration::from_millis(20));
    evloop::pin!(deadline);
    let mut turns = 0u32;
    loop {
        evloop::select! {
            _ = &mut deadline => break,
            _ = evloop::time::sleep(Duration::from_millis(1)) => turns += 1,
        }
    }
    assert!(turns >= 1);
}
