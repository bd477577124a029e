//! `join!` and `try_join!`: outputs, concurrency, polling order, early error.

use std::cell::RefCell;
use std::future::{pending, ready, Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use evloop::task::yield_now;

/// Pending `n` times (waking itself), then ready with `value`; logs each poll.
struct Steps<T> {
    name: &'static str,
    left: u32,
    value: Option<T>,
    log: Rc<RefCell<Vec<String>>>,
}

fn steps<T>(name: &'static str, left: u32, value: T, log: &Rc<RefCell<Vec<String>>>) -> Steps<T> {
    Steps {
        name,
        left,
        value: Some(value),
        log: log.clone(),
    }
}

impl<T: Unpin> Future for Steps<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.log.borrow_mut().push(self.name.to_string());
        if self.left == 0 {
            Poll::Ready(self.value.take().expect("polled after completion"))
        } else {
            self.left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Counts how many times it was dropped.
struct OnDrop(Arc<AtomicUsize>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[evloop::test]
async fn outputs_come_back_in_argument_order() {
    let log = Rc::new(RefCell::new(Vec::new()));
    // The last future finishes first; the tuple still follows the arguments.
    let (a, b, c) = evloop::join!(
        steps("a", 3, 1u8, &log),
        steps("b", 1, "two", &log),
        steps("c", 0, 3.0f32, &log),
    );
    assert_eq!((a, b, c), (1, "two", 3.0));
}

#[evloop::test]
async fn futures_make_progress_concurrently() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let worker = |name: &'static str| {
        let log = log.clone();
        async move {
            for i in 0..3 {
                log.borrow_mut().push(format!("{name}{i}"));
                yield_now().await;
            }
            name
        }
    };
    let (x, y) = evloop::join!(biased; worker("x"), worker("y"));
    assert_eq!((x, y), ("x", "y"));
    assert_eq!(*log.borrow(), ["x0", "y0", "x1", "y1", "x2", "y2"]);
}

#[evloop::test]
async fn biased_polls_in_written_order() {
    let log = Rc::new(RefCell::new(Vec::new()));
    evloop::join!(
        biased;
        steps("a", 2, (), &log),
        steps("b", 2, (), &log),
        steps("c", 2, (), &log),
    );
    assert_eq!(*log.borrow(), ["a", "b", "c", "a", "b", "c", "a", "b", "c"]);
}

#[evloop::test]
async fn unbiased_rotates_the_first_future_polled() {
    let log = Rc::new(RefCell::new(Vec::new()));
    evloop::join!(
        steps("a", 2, (), &log),
        steps("b", 2, (), &log),
        steps("c", 2, (), &log),
    );
    assert_eq!(*log.borrow(), ["a", "b", "c", "b", "c", "a", "c", "a", "b"]);
}

#[evloop::test]
async fn finished_futures_are_not_polled_again() {
    let log = Rc::new(RefCell::new(Vec::new()));
    evloop::join!(biased; steps("quick", 0, (), &log), steps("slow", 3, (), &log));
    let quick = log.borrow().iter().filter(|s| *s == "quick").count();
    assert_eq!(quick, 1, "{:?}", log.borrow());
    // Polling `Steps` after completion would panic, so reaching here also
    // shows the cell kept the output instead of re-polling.
}

#[evloop::test]
async fn twelve_futures() {
    let out = evloop::join!(
        ready(0),
        ready(1),
        ready(2),
        ready(3),
        ready(4),
        ready(5),
        async { 6 },
        async { 7 },
        async { 8 },
        async { 9 },
        async {
            yield_now().await;
            10
        },
        async {
            yield_now().await;
            11
        },
    );
    assert_eq!(out, (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
}

#[evloop::test]
async fn one_and_zero_futures() {
    let one: (u8,) = evloop::join!(ready(5));
    assert_eq!(one, (5,));
    // Zero futures: the unit value, as `().await`-like code expects.
    let zero = evloop::join!();
    assert_eq!(format!("{zero:?}"), "()");
}

struct Answer;

impl IntoFuture for Answer {
    type Output = u32;
    type IntoFuture = std::future::Ready<u32>;
    fn into_future(self) -> Self::IntoFuture {
        ready(42)
    }
}

#[evloop::test]
async fn accepts_into_future_and_spawned_tasks() {
    let handle = evloop::spawn(async { 7 });
    let (a, b) = evloop::join!(Answer, handle);
    assert_eq!(a, 42);
    assert_eq!(b.unwrap(), 7);
}

#[evloop::test]
async fn try_join_all_ok() {
    let r: Result<_, String> = evloop::try_join!(
        async { Ok(1) },
        async {
            yield_now().await;
            Ok("b")
        },
        ready(Ok(3u64)),
    );
    assert_eq!(r, Ok((1, "b", 3)));
}

#[evloop::test]
async fn try_join_returns_the_first_error_and_drops_the_rest() {
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = OnDrop(drops.clone());
    let never = async move {
        let _guard = guard;
        pending::<Result<u8, &str>>().await
    };
    // Would hang if try_join! waited for `never`.
    let r = evloop::try_join!(never, async {
        yield_now().await;
        Err::<u8, _>("failed")
    });
    assert_eq!(r, Err("failed"));
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the pending future is dropped"
    );
}

#[evloop::test]
async fn try_join_error_wins_over_later_success_and_later_error() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let r = evloop::try_join!(
        biased;
        steps("ok", 5, Ok::<_, &str>(1), &log),
        steps("first", 1, Err::<u8, _>("first"), &log),
        steps("second", 2, Err::<u8, _>("second"), &log),
    );
    assert_eq!(r, Err("first"));
    // Nothing is polled once the error is seen.
    assert_eq!(*log.borrow(), ["ok", "first", "second", "ok", "first"]);
}

#[evloop::test]
async fn try_join_empty() {
    let r = evloop::try_join!();
    assert_eq!(r, Ok(()));
}
