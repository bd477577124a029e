//! multi_thread: a task that the driver wakes while the inject queue holds a
//! backlog runs behind that backlog, not ahead of it (first come, first
//! served, as on the current-thread runtime). Before, I/O wakes went to the
//! worker's own queue and ran ahead of tasks queued long before, which
//! starved the backlog under load (tail latency of an echo soak).

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use evloop::io::AsyncReadExt;
use evloop::net::UnixStream;
use evloop::runtime::Builder;

/// Tasks queued from outside while the only worker is busy: more than one
/// driver visit's worth of ticks (`event_interval`, 61).
const BACKLOG: usize = 300;

/// Marks the I/O task in the run order.
const IO_TASK: usize = usize::MAX;

#[test]
fn io_wake_runs_behind_the_inject_backlog() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let (ours, mut theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();

    // The I/O task: registered and waiting for a byte before anything else.
    let log = order.clone();
    let io_task = rt.spawn(async move {
        let mut stream = UnixStream::from_std(ours).unwrap();
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.unwrap();
        log.lock().unwrap().push(IO_TASK);
    });
    // Then a task that holds the only worker until released.
    let (spinning, release) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (s, r) = (spinning.clone(), release.clone());
    let busy = rt.spawn(async move {
        s.store(true, Ordering::Release);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !r.load(Ordering::Acquire) {
            assert!(Instant::now() < deadline, "never released");
            std::hint::spin_loop();
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !spinning.load(Ordering::Acquire) {
        assert!(Instant::now() < deadline, "the busy task never ran");
        std::thread::yield_now();
    }
    // The worker is busy (so the I/O task has polled and waits): queue the
    // backlog, then make the I/O task ready, then let the worker go.
    let backlog: Vec<_> = (0..BACKLOG)
        .map(|i| {
            let log = order.clone();
            rt.spawn(async move { log.lock().unwrap().push(i) })
        })
        .collect();
    theirs.write_all(b"x").unwrap();
    release.store(true, Ordering::Release);

    rt.block_on(async move {
        let all = async {
            busy.await.unwrap();
            for task in backlog {
                task.await.unwrap();
            }
            io_task.await.unwrap();
        };
        evloop::time::timeout(Duration::from_secs(30), all)
            .await
            .expect("tasks never finished");
    });
    let order = order.lock().unwrap();
    let at = order.iter().position(|&i| i == IO_TASK).unwrap();
    assert_eq!(
        at, BACKLOG,
        "the I/O task ran at position {at}, ahead of tasks queued before its wake"
    );
}
