//! Multi-thread runtime shutdown with timers and I/O registered: every task
//! is dropped on a thread of the runtime, wakes racing the shutdown from
//! another thread are harmless, and every socket is closed.

mod support;

use std::future::Future;
use std::io::Read;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use evloop::net::TcpStream;
use evloop::runtime::Builder;
use evloop::time::Sleep;
use support::DropCounter;

const WORKER_NAME: &str = "mt-shutdown-worker";

/// Counts its drop, and whether it happened off the runtime's threads.
struct OnWorker {
    _t: support::Tracked,
    off_worker: Arc<AtomicUsize>,
}

impl Drop for OnWorker {
    fn drop(&mut self) {
        if thread::current().name() != Some(WORKER_NAME) {
            self.off_worker.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Never completes: waits on a one-hour timer and on a socket that never
/// gets data, and hands its waker out so another thread can wake it.
struct Held {
    sleep: Pin<Box<Sleep>>,
    stream: TcpStream,
    wakers: Arc<Mutex<Vec<Waker>>>,
    registered: bool,
    _on: OnWorker,
}

impl Future for Held {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if !self.registered {
            self.registered = true;
            self.wakers.lock().unwrap().push(cx.waker().clone());
        }
        assert!(self.sleep.as_mut().poll(cx).is_pending());
        loop {
            match self.stream.poll_read_ready(cx) {
                Poll::Pending => return Poll::Pending,
                // Spurious readiness: no data, so reading clears it.
                Poll::Ready(r) => {
                    r.unwrap();
                    let err = self.stream.try_read(&mut [0; 8]).unwrap_err();
                    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
                }
            }
        }
    }
}

#[test]
fn tasks_holding_timers_and_sockets_drop_on_workers_during_remote_wakes() {
    const TASKS: usize = 200;
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(WORKER_NAME)
        .enable_all()
        .build()
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let drops = DropCounter::new();
    let off_worker = Arc::new(AtomicUsize::new(0));
    let wakers = Arc::new(Mutex::new(Vec::new()));

    let mut accepted = Vec::new();
    for _ in 0..TASKS {
        let (wakers, on) = (
            wakers.clone(),
            OnWorker {
                _t: drops.track(),
                off_worker: off_worker.clone(),
            },
        );
        drop(rt.spawn(async move {
            let stream = TcpStream::connect(addr).await.unwrap();
            Held {
                sleep: Box::pin(evloop::time::sleep(Duration::from_secs(3600))),
                stream,
                wakers,
                registered: false,
                _on: on,
            }
            .await
        }));
        accepted.push(listener.accept().unwrap().0);
    }
    while wakers.lock().unwrap().len() < TASKS {
        thread::sleep(Duration::from_millis(1));
    }

    let all: Vec<Waker> = wakers.lock().unwrap().clone();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let waker_thread = thread::spawn(move || {
        let mut rounds = 0u64;
        while !s.load(Ordering::SeqCst) || rounds == 0 {
            for w in &all {
                w.wake_by_ref();
            }
            rounds += 1;
        }
        // After shutdown: no-ops, and these drop the last references.
        for w in &all {
            w.wake_by_ref();
        }
        drop(all);
        rounds
    });
    thread::sleep(Duration::from_millis(5));
    drop(rt);
    assert_eq!(drops.dropped(), TASKS);
    assert_eq!(off_worker.load(Ordering::SeqCst), 0);
    stop.store(true, Ordering::SeqCst);
    assert!(waker_thread.join().unwrap() > 0);
    wakers.lock().unwrap().clear();

    // Every client socket was closed: each peer reads end-of-file.
    for mut peer in accepted {
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(peer.read(&mut [0; 8]).unwrap(), 0);
    }
}
