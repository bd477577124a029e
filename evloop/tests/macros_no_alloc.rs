//! `join!`, `try_join!` and `select!` allocate nothing: their futures are
//! pinned on the caller's stack. Checked with a counting global allocator,
//! polling by hand so that no runtime allocates in between.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::{pending, ready, Future};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; the counter is a const
// thread-local that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Noop;

impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

/// Polls `future` to completion (it must not need real wake-ups) and
/// returns its output with the number of allocations made meanwhile.
fn run_counting<F: Future>(future: F) -> (F::Output, usize) {
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    let before = ALLOCATIONS.with(Cell::get);
    let output = loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            break output;
        }
    };
    (output, ALLOCATIONS.with(Cell::get) - before)
}

/// Pending once (without needing a wake-up to be polled again), then ready.
async fn bounce(v: u32) -> u32 {
    let mut first = true;
    std::future::poll_fn(|_| {
        if std::mem::take(&mut first) {
            Poll::Pending
        } else {
            Poll::Ready(v)
        }
    })
    .await
}

#[test]
fn join_does_not_allocate() {
    let (out, allocations) =
        run_counting(async { evloop::join!(bounce(1), bounce(2), ready(3), bounce(4)) });
    assert_eq!(out, (1, 2, 3, 4));
    assert_eq!(allocations, 0);
}

#[test]
fn try_join_does_not_allocate() {
    let (out, allocations) = run_counting(async {
        evloop::try_join!(async { Ok::<_, ()>(bounce(1).await) }, async {
            Ok(bounce(2).await)
        })
    });
    assert_eq!(out, Ok((1, 2)));
    assert_eq!(allocations, 0);
}

#[test]
fn select_does_not_allocate() {
    // Seed this thread's generator first: looking up the current thread may
    // allocate its handle once, which is not the macro's doing.
    let _ = run_counting(async {
        evloop::select! { _ = ready(()) => {}, _ = ready(()) => {} }
    });
    let (out, allocations) = run_counting(async {
        let mut total = 0;
        for _ in 0..100 {
            total += evloop::select! {
                v = bounce(1) => v,
                _ = pending::<()>() => 0,
                Some(v) = ready(None::<u32>) => v,
                v = bounce(2) => v,
            };
        }
        total
    });
    assert!((100..=200).contains(&out), "{out}");
    assert_eq!(allocations, 0);
}

#[test]
fn the_counter_counts() {
    let (_, allocations) = run_counting(async { Box::new(1) });
    assert_eq!(allocations, 1);
}
