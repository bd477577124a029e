//! `EVLOOP_TRACE=path,mode=flight` (its own test binary: the variable is
//! process-wide).

use std::time::Duration;

mod support;
#[path = "support/tempdir.rs"]
mod tempdir;

#[test]
fn evloop_trace_flight_mode_from_the_environment() {
    support::watchdog(Duration::from_secs(30), "env flight hung", || {
        let dir = tempdir::TempDir::new("flight-env");
        let path = dir.join("flight.html");
        // The only test in this binary, so no other runtime reads it.
        std::env::set_var("EVLOOP_TRACE", format!("{},mode=flight", path.display()));
        let rt = support::rt();
        std::env::remove_var("EVLOOP_TRACE");
        rt.block_on(async {
            evloop::spawn(async {}).await.unwrap();
        });
        drop(rt);
        assert!(!path.exists(), "flight mode: nothing written at drop");
        std::env::set_var("EVLOOP_TRACE", format!("{},mode=flight", path.display()));
        let rt = support::rt();
        std::env::remove_var("EVLOOP_TRACE");
        rt.block_on(async {
            let _ = evloop::spawn(async { panic!("boom") }).await;
        });
        assert!(path.exists(), "written on the panic");
    });
}
