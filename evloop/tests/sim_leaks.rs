//! Real nondeterminism reaching a simulation is reported.

use std::time::Duration;

use evloop::sim::Builder;

#[test]
fn a_real_socket_in_a_simulation_panics_naming_the_leak() {
    let err = std::panic::catch_unwind(|| {
        Builder::new().seed(9).block_on(async {
            let std = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            std.set_nonblocking(true).unwrap();
            let _ = evloop::net::UdpSocket::from_std(std);
        })
    })
    .expect_err("registering a real socket must be refused");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("leak of real I/O into a simulation (seed 9)"),
        "{msg}"
    );
}

#[test]
fn a_wake_from_another_thread_is_counted_as_a_leak() {
    let ((), report) = Builder::new().block_on_report(async {
        let (tx, rx) = evloop::sync::oneshot::channel();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            tx.send(5).unwrap();
        });
        // The task waiting on `rx` is woken from the real thread.
        let got = evloop::spawn(async move { rx.await.unwrap() })
            .await
            .unwrap();
        assert_eq!(got, 5);
        t.join().unwrap();
    });
    assert!(report.leaks >= 1, "{report}");
}

#[test]
fn a_clean_run_has_no_leaks() {
    let ((), report) = Builder::new().workers(3).block_on_report(async {
        let (tx, rx) = evloop::sync::oneshot::channel();
        evloop::spawn(async move { tx.send(()).unwrap() });
        rx.await.unwrap();
    });
    assert_eq!(report.leaks, 0);
}
