//! `select!`: fairness, `biased;`, preconditions, pattern mismatch, `else`,
//! drop order, control flow in handlers, and use in a loop.

use std::cell::Cell;
use std::future::{pending, ready, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use evloop::task::yield_now;

/// Counts how many times it was dropped.
struct OnDrop(Arc<AtomicUsize>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Ready with `value` on the first poll; panics if polled again. Counts polls.
struct Once<T> {
    value: Option<T>,
    polls: Rc<Cell<u32>>,
}

fn once<T>(value: T, polls: &Rc<Cell<u32>>) -> Once<T> {
    Once {
        value: Some(value),
        polls: polls.clone(),
    }
}

impl<T: Unpin> Future for Once<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<T> {
        self.polls.set(self.polls.get() + 1);
        Poll::Ready(self.value.take().expect("polled after completion"))
    }
}

/// Panics when polled: for branches that must never be polled.
struct MustNotPoll;

impl Future for MustNotPoll {
    type Output = u32;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
        panic!("a disabled branch was polled")
    }
}

#[evloop::test]
async fn random_start_is_fair_between_always_ready_branches() {
    let (mut a, mut b) = (0u32, 0u32);
    for _ in 0..1_000 {
        evloop::select! {
            _ = ready(()) => a += 1,
            _ = ready(()) => b += 1,
        }
    }
    assert_eq!(a + b, 1_000);
    assert!(a > 300 && b > 300, "a = {a}, b = {b}");
}

#[evloop::test]
async fn every_one_of_ten_branches_gets_picked() {
    let mut counts = [0u32; 10];
    for _ in 0..2_000 {
        let i = evloop::select! {
            i = ready(0) => i, i = ready(1) => i, i = ready(2) => i, i = ready(3) => i,
            i = ready(4) => i, i = ready(5) => i, i = ready(6) => i, i = ready(7) => i,
            i = ready(8) => i, i = ready(9) => i,
        };
        counts[i] += 1;
    }
    // 200 expected each.
    assert!(counts.iter().all(|&c| c > 100), "{counts:?}");
}

#[evloop::test]
async fn biased_always_picks_the_first_ready_branch() {
    for _ in 0..1_000 {
        let picked = evloop::select! {
            biased;
            _ = pending::<()>() => 0,
            _ = ready(()) => 1,
            _ = ready(()) => 2,
        };
        assert_eq!(picked, 1);
    }
}

#[evloop::test]
async fn false_precondition_disables_the_branch() {
    let evaluated = Cell::new(false);
    for _ in 0..100 {
        let v = evloop::select! {
            v = async { evaluated.set(true); MustNotPoll.await }, if 1 + 1 == 3 => v,
            v = ready(2) => v,
        };
        assert_eq!(v, 2);
    }
    // An async block does nothing until polled: the disabled branch's
    // future was created but never run.
    assert!(!evaluated.get());
}

#[evloop::test]
async fn true_precondition_keeps_the_branch() {
    let limit = 3;
    let v = evloop::select! {
        biased;
        v = ready(1), if limit > 2 => v,
        v = ready(2) => v,
    };
    assert_eq!(v, 1);
}

#[evloop::test]
async fn pattern_mismatch_disables_the_branch_and_polling_continues() {
    let polls = Rc::new(Cell::new(0));
    let got = evloop::select! {
        biased;
        Some(x) = once(None::<u32>, &polls) => x,
        y = async {
            for _ in 0..3 {
                yield_now().await;
            }
            7
        } => y,
    };
    assert_eq!(got, 7);
    // `Once` panics if polled twice: the mismatched branch stayed disabled
    // through the three yields.
    assert_eq!(polls.get(), 1);
}

#[evloop::test]
async fn else_runs_when_every_branch_is_disabled() {
    let v = evloop::select! {
        v = ready(1), if false => v,
        v = ready(2), if false => v,
        else => 0,
    };
    assert_eq!(v, 0);

    // Disabled by mismatching values this time.
    let v = evloop::select! {
        Ok(v) = ready(Err::<u8, ()>(())) => v,
        Some(v) = async { yield_now().await; None::<u8> } => v,
        else => 99,
    };
    assert_eq!(v, 99);
}

#[test]
#[should_panic(expected = "all branches are disabled and there is no else branch")]
fn all_disabled_without_else_panics() {
    let rt = evloop::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        evloop::select! {
            Some(v) = ready(None::<u8>) => v,
            v = ready(1), if false => v,
        }
    });
}

#[evloop::test]
async fn patterns_with_mut_ref_and_or_bindings() {
    let v = evloop::select! {
        Some(mut v) = ready(Some(vec![1])) => {
            v.push(2);
            v
        }
    };
    assert_eq!(v, [1, 2]);

    let n = evloop::select! {
        Ok(n) | Err(n) = ready(Err::<u32, u32>(5)) => n,
    };
    assert_eq!(n, 5);

    let len = evloop::select! {
        (ref s, _) = ready((String::from("abc"), 1)) => s.len(),
    };
    assert_eq!(len, 3);
}

#[evloop::test]
async fn futures_are_dropped_before_the_handler_runs() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (g1, g2) = (OnDrop(drops.clone()), OnDrop(drops.clone()));
    let seen = evloop::select! {
        biased;
        _ = async move { let _g = g1; } => drops.load(Ordering::SeqCst),
        _ = async move { let _g = g2; pending::<()>().await } => usize::MAX,
    };
    // Both futures (and what they own) are gone when the handler runs.
    assert_eq!(seen, 2);
}

struct Channel {
    items: Vec<u32>,
}

impl Channel {
    async fn next(&mut self) -> Option<u32> {
        yield_now().await;
        self.items.pop()
    }
}

#[evloop::test]
async fn handler_may_use_what_the_future_borrowed() {
    let mut ch = Channel { items: vec![1, 2] };
    let v = evloop::select! {
        Some(v) = ch.next() => {
            // `ch.next()` borrowed `ch` mutably; its future is gone here.
            ch.items.push(v * 10);
            v
        }
    };
    assert_eq!((v, ch.items.as_slice()), (2, &[1, 20][..]));
}

#[evloop::test]
async fn handlers_can_break_continue_and_return() {
    async fn first_even(values: &[u32]) -> Option<u32> {
        for &v in values {
            evloop::select! {
                v = ready(v), if v % 2 == 0 => return Some(v),
                else => continue,
            }
        }
        None
    }
    assert_eq!(first_even(&[1, 3, 4, 5]).await, Some(4));
    assert_eq!(first_even(&[1, 3]).await, None);

    async fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
        let n = evloop::select! {
            r = ready(s.parse::<u32>()) => r?,
        };
        Ok(n + 1)
    }
    assert_eq!(parse("41").await, Ok(42));
    assert!(parse("x").await.is_err());

    let mut turns = 0;
    let out = loop {
        turns += 1;
        evloop::select! {
            _ = yield_now(), if turns < 5 => {}
            else => break turns,
        }
    };
    assert_eq!(out, 5);
}

#[evloop::test]
async fn loop_until_a_spawned_task_finishes() {
    use std::sync::atomic::AtomicBool;
    // The task finishes only after the loop's other branch ran five times.
    let go = Arc::new(AtomicBool::new(false));
    let mut handle = evloop::spawn({
        let go = go.clone();
        async move {
            while !go.load(Ordering::SeqCst) {
                yield_now().await;
            }
            "done"
        }
    });
    let mut ticks = 0u32;
    let result = loop {
        evloop::select! {
            r = &mut handle => break r.unwrap(),
            _ = yield_now() => {
                ticks += 1;
                if ticks == 5 {
                    go.store(true, Ordering::SeqCst);
                }
            }
        }
    };
    assert_eq!(result, "done");
    assert!(ticks >= 5, "{ticks}");
}

#[evloop::test]
async fn loop_with_a_woken_future() {
    // A one-shot signal made from a spawned task and a shared flag.
    let flag = Rc::new(Cell::new(false));
    let local = evloop::task::LocalSet::new();
    let seen = local
        .run_until(async {
            let setter = flag.clone();
            evloop::task::spawn_local(async move {
                for _ in 0..3 {
                    yield_now().await;
                }
                setter.set(true);
            });
            let mut rounds = 0;
            loop {
                rounds += 1;
                evloop::select! {
                    biased;
                    _ = ready(()), if flag.get() => break rounds,
                    _ = yield_now() => {}
                }
            }
        })
        .await;
    // The first round cannot see the flag: the task had not run yet.
    assert!(seen >= 2, "{seen}");
}

#[evloop::test]
async fn sixty_four_branches() {
    macro_rules! sixty_four {
        ($($i:literal)*) => {
            evloop::select! {
                biased;
                $(_ = pending::<()>(), if $i < 63 => { $i })*
                v = ready(64) => v,
            }
        };
    }
    let v = sixty_four!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62);
    assert_eq!(v, 64);
}

#[evloop::test]
async fn nested_select_and_join() {
    let v = evloop::select! {
        (a, b) = async { evloop::join!(ready(1), async {
            evloop::select! { x = ready(2) => x, _ = pending::<()>() => 0 }
        }) } => a + b,
        _ = pending::<()>() => 0,
    };
    assert_eq!(v, 3);
}

#[evloop::test]
async fn handlers_forwarded_from_another_macro() {
    macro_rules! pick {
        ($lit:literal, $e:expr) => {
            evloop::select! {
                biased;
                _ = ready(()), if false => $lit,
                v = ready($e) => $e + v,
            }
        };
    }
    assert_eq!(pick!(0, 4), 8);
}
