//! Flight recorder: an always-on bounded trace written on a panic, a
//! stall, `SIGUSR2` or on request, and not at the runtime's drop.

use std::path::Path;
use std::time::{Duration, Instant};

use evloop::runtime::{Builder, Runtime};
use evloop::trace::TraceConfig;

mod support;
#[path = "support/tempdir.rs"]
mod tempdir;

fn flight(path: &Path) -> Runtime {
    Builder::new_current_thread()
        .enable_all()
        .trace(TraceConfig::new().output(path).flight(true))
        .build()
        .unwrap()
}

fn wait_for(path: &Path, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    path.exists()
}

#[test]
fn a_panic_writes_the_page_and_the_drop_does_not() {
    support::watchdog(Duration::from_secs(30), "panic trigger hung", || {
        let dir = tempdir::TempDir::new("flight-panic");
        let path = dir.join("flight.html");
        let rt = flight(&path);
        rt.block_on(async {
            evloop::spawn(async { evloop::task::yield_now().await })
                .await
                .unwrap();
        });
        assert!(!path.exists(), "nothing went wrong yet");
        rt.block_on(async {
            let err = evloop::spawn(async { panic!("boom") }).await.unwrap_err();
            assert!(err.is_panic());
        });
        let page = std::fs::read_to_string(&path).expect("written on the panic");
        assert!(page.contains("EVLOOP_CAUSES"));
        std::fs::remove_file(&path).unwrap();
        drop(rt);
        assert!(!path.exists(), "a flight recording is not written at drop");
    });
}

#[test]
fn write_trace_writes_on_request() {
    support::watchdog(Duration::from_secs(30), "write_trace hung", || {
        let dir = tempdir::TempDir::new("flight-request");
        let path = dir.join("flight.json");
        let rt = flight(&path);
        rt.block_on(async { evloop::spawn(async {}).await.unwrap() });
        assert!(!path.exists());
        rt.handle()
            .write_trace()
            .expect("recording with a file")
            .unwrap();
        let json = std::fs::read_to_string(&path).unwrap();
        assert!(json.contains("traceEvents"));
        // Without recording there is nothing to write.
        assert!(support::rt().handle().write_trace().is_none());
    });
}

#[test]
fn a_stall_writes_the_page() {
    support::watchdog(Duration::from_secs(30), "stall trigger hung", || {
        let dir = tempdir::TempDir::new("flight-stall");
        let path = dir.join("flight.html");
        let rt = Builder::new_current_thread()
            .enable_all()
            .stall_threshold(Duration::from_millis(20))
            .trace(TraceConfig::new().output(&path).flight(true))
            .build()
            .unwrap();
        rt.block_on(async {
            evloop::spawn(async { std::thread::sleep(Duration::from_millis(120)) })
                .await
                .unwrap();
        });
        assert!(
            wait_for(&path, Duration::from_secs(5)),
            "no page after a stall"
        );
        let page = std::fs::read_to_string(&path).unwrap();
        assert!(page.contains("EVLOOP_CAUSES"));
    });
}

#[cfg(unix)]
#[test]
fn sigusr2_writes_the_page() {
    support::watchdog(Duration::from_secs(30), "SIGUSR2 trigger hung", || {
        let dir = tempdir::TempDir::new("flight-signal");
        let path = dir.join("flight.html");
        let rt = flight(&path);
        rt.block_on(async { evloop::spawn(async {}).await.unwrap() });
        assert!(!path.exists());
        // SAFETY: the flight recorder installed a handler for SIGUSR2 (it
        // only bumps a counter), so the signal does not end the process.
        unsafe { libc::kill(libc::getpid(), libc::SIGUSR2) };
        assert!(
            wait_for(&path, Duration::from_secs(5)),
            "no page after SIGUSR2"
        );
        drop(rt);
    });
}
