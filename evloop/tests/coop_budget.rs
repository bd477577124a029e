//! The cooperative budget: on a current-thread runtime, a task that loops on
//! an operation that is always ready must still let the other tasks run.
//! Each test loops until a task spawned beside it has run; without the
//! budget the loop never ends, so a watchdog fails the test instead.

mod support;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use evloop::io::{AsyncRead, AsyncWriteExt, ReadBuf};
use evloop::sync::watch;
use evloop::task::JoinSet;

/// Runs `f` on its own thread; fails the test if it takes over 10 s.
fn watchdog(f: impl FnOnce() + Send + 'static) {
    support::watchdog(
        Duration::from_secs(10),
        "the looping task never yielded: the other task starved",
        f,
    )
}

/// On a current-thread runtime, runs `step` in a loop until a task spawned
/// beforehand has run.
fn must_yield<F, Fut>(mut step: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    watchdog(move || {
        let rt = evloop::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async move {
            let ran = Arc::new(AtomicBool::new(false));
            let flag = ran.clone();
            evloop::spawn(async move { flag.store(true, SeqCst) });
            while !ran.load(SeqCst) {
                step().await;
            }
        });
    });
}

/// A reader that is always ready and knows nothing of the budget.
struct Endless;

impl AsyncRead for Endless {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        buf.put_slice(&[7; 64][..buf.remaining().min(64)]);
        Poll::Ready(Ok(()))
    }
}

/// A writer that is always ready and knows nothing of the budget.
struct Hole;

impl evloop::io::AsyncWrite for Hole {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn copy_between_endless_endpoints_yields() {
    watchdog(|| {
        let rt = evloop::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let (stop_tx, mut stop_rx) = evloop::sync::oneshot::channel::<()>();
            evloop::spawn(async move { stop_tx.send(()).unwrap() });
            let mut reader = Endless;
            let mut hole = Hole;
            evloop::select! {
                biased;
                _ = &mut stop_rx => {}
                res = evloop::io::copy(&mut reader, &mut hole) => panic!("endless copy ended: {res:?}"),
            }
        });
    });
}

#[test]
fn copy_repeat_to_sink_in_a_loop_yields() {
    must_yield(|| async {
        use evloop::io::AsyncReadExt;
        let mut reader = evloop::io::repeat(1).take(16);
        let mut sink = evloop::io::sink();
        evloop::io::copy(&mut reader, &mut sink).await.unwrap();
    });
}

#[test]
fn sink_flush_and_shutdown_yield() {
    must_yield(|| async {
        evloop::io::sink().flush().await.unwrap();
    });
    must_yield(|| async {
        evloop::io::sink().shutdown().await.unwrap();
    });
}

#[test]
fn duplex_flush_yields() {
    let (a, _b) = evloop::io::duplex(8);
    let a = Arc::new(evloop::sync::Mutex::new(a));
    must_yield(move || {
        let a = a.clone();
        async move {
            let mut a = a.try_lock().unwrap();
            a.flush().await.unwrap();
        }
    });
}

#[test]
fn watch_changed_and_wait_for_yield() {
    let (tx, rx) = watch::channel(0u32);
    let tx = Arc::new(tx);
    let rx = Arc::new(std::sync::Mutex::new(rx));
    must_yield(move || {
        let (tx, rx) = (tx.clone(), rx.clone());
        async move {
            tx.send_modify(|v| *v += 1);
            let mut rx = rx.lock().unwrap().clone();
            rx.mark_changed();
            rx.changed().await.unwrap();
        }
    });
    let (_tx, rx) = watch::channel(5u32);
    let rx = Arc::new(std::sync::Mutex::new(rx));
    must_yield(move || {
        let rx = rx.clone();
        async move {
            let mut rx = rx.lock().unwrap().clone();
            assert_eq!(*rx.wait_for(|v| *v == 5).await.unwrap(), 5);
        }
    });
}

#[test]
fn watch_sender_closed_yields() {
    let (tx, rx) = watch::channel(0u32);
    drop(rx);
    let tx = Arc::new(tx);
    must_yield(move || {
        let tx = tx.clone();
        async move { tx.closed().await }
    });
}

#[test]
fn select_and_join_charge_the_budget() {
    must_yield(|| async {
        evloop::select! {
            _ = std::future::ready(()) => {}
        }
    });
    must_yield(|| async {
        evloop::join!(std::future::ready(()), std::future::ready(()));
    });
    must_yield(|| async {
        evloop::try_join!(std::future::ready(Ok::<_, ()>(()))).unwrap();
    });
}

#[test]
fn notified_with_stored_permit_yields() {
    let notify = Arc::new(evloop::sync::Notify::new());
    must_yield(move || {
        let notify = notify.clone();
        async move {
            notify.notify_one();
            notify.notified().await;
        }
    });
}

#[test]
fn join_set_try_join_next_ignores_the_budget() {
    watchdog(|| {
        let rt = evloop::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let finished = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let mut set = JoinSet::new();
            for i in 0..1000u32 {
                let finished = finished.clone();
                set.spawn(async move {
                    finished.fetch_add(1, SeqCst);
                    i
                });
            }
            while finished.load(SeqCst) < 1000 {
                evloop::task::yield_now().await;
            }
            let mut sum = 0u64;
            let mut n = 0;
            while let Some(res) = set.try_join_next() {
                sum += u64::from(res.unwrap());
                n += 1;
            }
            assert_eq!(n, 1000, "every finished task is returned at once");
            assert_eq!(sum, 999 * 1000 / 2);
        });
    });
}
