//! A waker whose `wake()` panics, woken by the time driver or the reactor,
//! costs only itself: every other wake of the batch happens, no worker
//! thread dies, the driver and the core survive, and the runtime shuts down.
//! Every test runs under a watchdog, so a regression fails instead of
//! hanging.

mod support;

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Barrier, Once};
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use evloop::io::AsyncReadExt;
use evloop::runtime::Runtime;
use evloop::time::{sleep, sleep_until, timeout, Instant, Sleep};
use support::{mt, rt};

const MESSAGE: &str = "this waker panics on purpose";

struct Panicky;

impl Wake for Panicky {
    fn wake(self: Arc<Self>) {
        panic!("{MESSAGE}");
    }
}

/// Keeps the expected panics out of the test output.
fn quiet_expected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let expected = info
                .payload()
                .downcast_ref::<String>()
                .is_some_and(|m| m == MESSAGE);
            if !expected {
                prev(info);
            }
        }));
    });
}

/// Runs `f` on its own thread; fails if it does not finish in time.
fn watchdog(f: impl FnOnce() + Send + 'static) {
    quiet_expected_panics();
    support::watchdog(Duration::from_secs(30), "the runtime hung", f)
}

/// A sleep until `deadline`, polled once with a waker that panics.
fn armed_with_panicky_waker(deadline: Instant) -> Pin<Box<Sleep>> {
    let mut s = Box::pin(sleep_until(deadline));
    let waker = Waker::from(Arc::new(Panicky));
    assert!(s
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    s
}

/// Many timers due at one tick, a few of them with panicking wakers (armed
/// first, so they sit among the others in the firing order): every other
/// timer fires.
async fn batch_with_panicking_wakers(held: &mut Vec<Pin<Box<Sleep>>>) {
    let deadline = Instant::now() + Duration::from_millis(30);
    for _ in 0..3 {
        held.push(armed_with_panicky_waker(deadline));
    }
    let mut handles = Vec::new();
    for i in 0..100 {
        if i % 30 == 0 {
            held.push(armed_with_panicky_waker(deadline));
        }
        handles.push(evloop::spawn(sleep_until(deadline)));
    }
    for h in handles {
        timeout(Duration::from_secs(10), h)
            .await
            .expect("a timer of the batch never fired")
            .unwrap();
    }
}

#[test]
fn multi_thread_keeps_its_workers_and_the_batch() {
    watchdog(|| {
        let rt: Runtime = mt();
        rt.block_on(async {
            let mut held = Vec::new();
            batch_with_panicky_waker_rounds(&mut held).await;
            // Both workers are still alive: two tasks that need each other.
            let barrier = Arc::new(Barrier::new(2));
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let b = barrier.clone();
                    evloop::spawn(async move {
                        b.wait();
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            sleep(Duration::from_millis(1)).await;
        });
        drop(rt);
    });
}

async fn batch_with_panicky_waker_rounds(held: &mut Vec<Pin<Box<Sleep>>>) {
    // Twice: the driver that fired the first batch fires the second.
    batch_with_panicking_wakers(held).await;
    batch_with_panicking_wakers(held).await;
}

#[test]
fn current_thread_keeps_its_driver() {
    watchdog(|| {
        let rt = rt();
        let mut held = Vec::new();
        rt.block_on(batch_with_panicky_waker_rounds(&mut held));
        // The driver is still there for the next `block_on`.
        rt.block_on(async {
            sleep(Duration::from_millis(1)).await;
            evloop::spawn(sleep(Duration::from_millis(1)))
                .await
                .unwrap();
        });
        drop(held);
        drop(rt);
    });
}

/// The reactor: a read waiter with a panicking waker, and a normal reader
/// on another socket made ready by the same write burst.
fn io_round(rt: &Runtime) {
    rt.block_on(async {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut peers = Vec::new();
        let mut streams = Vec::new();
        for _ in 0..2 {
            let s = evloop::net::TcpStream::connect(addr).await.unwrap();
            let (peer, _) = listener.accept().unwrap();
            peers.push(peer);
            streams.push(s);
        }
        let mut good = streams.pop().unwrap();
        let mut bad = streams.pop().unwrap();
        // Register the panicking waker as the read waiter of `bad`.
        {
            let mut buf = [0u8; 1];
            let mut read = Box::pin(bad.read(&mut buf));
            let waker = Waker::from(Arc::new(Panicky));
            assert!(read
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending());
        }
        let reader = evloop::spawn(async move {
            let mut buf = [0u8; 5];
            good.read_exact(&mut buf).await.unwrap();
            buf
        });
        // Let the reader register, then make both readable at once.
        sleep(Duration::from_millis(10)).await;
        for p in &mut peers {
            p.write_all(b"hello").unwrap();
        }
        let got = timeout(Duration::from_secs(10), reader)
            .await
            .expect("the reader was never woken")
            .unwrap();
        assert_eq!(&got, b"hello");
        drop(bad);
    });
}

#[test]
fn reactor_survives_a_panicking_waker() {
    watchdog(|| {
        let rt = rt();
        io_round(&rt);
        io_round(&rt);
        drop(rt);
        let rt = mt();
        io_round(&rt);
        io_round(&rt);
        drop(rt);
    });
}
