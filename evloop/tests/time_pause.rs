//! Paused time: auto-advance, `advance`, `pause`/`resume`, inhibition.

mod support;

use std::time::Duration;

use evloop::runtime::Builder;
use evloop::time::{self, sleep, Instant};
use support::rt;

fn paused() -> evloop::runtime::Runtime {
    Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

#[test]
fn one_hour_sleep_completes_instantly_in_wall_time() {
    let wall = std::time::Instant::now();
    paused().block_on(async {
        let start = Instant::now();
        sleep(Duration::from_secs(3600)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3600));
        // Far future (a level-5 timer) too.
        sleep(Duration::from_secs(86_400 * 365)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3600 + 86_400 * 365));
    });
    assert!(wall.elapsed() < Duration::from_secs(2));
}

#[test]
fn auto_advance_goes_to_the_earliest_timer_first() {
    paused().block_on(async {
        let start = Instant::now();
        let a = evloop::spawn(async move {
            sleep(Duration::from_secs(50)).await;
            start.elapsed()
        });
        let b = evloop::spawn(async move {
            sleep(Duration::from_millis(1500)).await;
            start.elapsed()
        });
        assert_eq!(b.await.unwrap(), Duration::from_millis(1500));
        assert_eq!(a.await.unwrap(), Duration::from_secs(50));
    });
}

#[test]
fn advance_fires_due_timers_before_returning() {
    paused().block_on(async {
        let done = evloop::spawn(sleep(Duration::from_millis(100)));
        evloop::task::yield_now().await; // let it arm its timer
        time::advance(Duration::from_millis(99)).await;
        assert!(!done.is_finished());
        time::advance(Duration::from_millis(1)).await;
        assert!(done.is_finished());
    });
}

#[test]
fn pause_then_resume_continues_from_paused_time() {
    rt().block_on(async {
        time::pause();
        let t0 = Instant::now();
        time::advance(Duration::from_secs(10)).await;
        time::resume();
        let t1 = Instant::now();
        assert!(t1 - t0 >= Duration::from_secs(10));
        assert!(t1 - t0 < Duration::from_secs(11));
        // Real time again: a short sleep takes real time.
        let wall = std::time::Instant::now();
        sleep(Duration::from_millis(20)).await;
        assert!(wall.elapsed() >= Duration::from_millis(20));
    });
}

#[test]
#[should_panic(expected = "time is not paused")]
fn advance_without_pause_panics() {
    rt().block_on(time::advance(Duration::from_secs(1)));
}

#[test]
#[should_panic(expected = "already paused")]
fn double_pause_panics() {
    paused().block_on(async { time::pause() });
}

#[test]
fn paused_runtime_with_nothing_to_do_still_completes_io_free_work() {
    // Auto-advance must not skip over ready tasks: a task woken by another
    // task runs before time jumps.
    paused().block_on(async {
        let start = Instant::now();
        let (tx, rx) = std::sync::mpsc::channel();
        let h = evloop::spawn(async move {
            for i in 0..10 {
                evloop::task::yield_now().await;
                tx.send(i).unwrap();
            }
        });
        sleep(Duration::from_secs(5)).await;
        h.await.unwrap();
        assert_eq!(rx.try_iter().count(), 10);
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    });
}

/// Paused time does not jump while blocking work runs: a long timeout
/// around a short blocking closure does not elapse.
#[test]
fn blocking_work_holds_auto_advance() {
    let rt = evloop::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let out = rt.block_on(async {
        let work = evloop::task::spawn_blocking(|| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            7
        });
        evloop::time::timeout(std::time::Duration::from_secs(3600), work).await
    });
    assert_eq!(
        out.expect("paused time jumped while blocking work ran")
            .unwrap(),
        7
    );
}

/// Ready I/O keeps paused time still: with a 10 s sleep pending in another
/// task, a loopback connect, write and read (each of which makes the loop
/// park once with I/O ready) leave the clock where it was.
#[test]
fn ready_io_does_not_advance_paused_time() {
    use evloop::io::{AsyncReadExt, AsyncWriteExt};
    use evloop::net::{TcpListener, TcpStream};

    paused().block_on(async {
        let sleeper = evloop::spawn(sleep(Duration::from_secs(10)));
        // Let the sleeper arm its timer.
        evloop::task::yield_now().await;
        let start = Instant::now();

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = evloop::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        assert_eq!(Instant::now(), start, "connect moved the clock");
        c.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        server.await.unwrap();
        assert_eq!(Instant::now(), start, "a round trip moved the clock");

        // With nothing else to do, the clock jumps to the sleeper's deadline.
        sleeper.await.unwrap();
        assert!(Instant::now() >= start + Duration::from_secs(10));
    });
}
