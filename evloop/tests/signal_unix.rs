//! Signals reach every listener through the reactor.

mod support;

use evloop::signal::unix::{signal, SignalKind};

fn raise(sig: libc::c_int) {
    // SAFETY: sending a signal to our own process, whose handler is installed.
    assert_eq!(unsafe { libc::kill(libc::getpid(), sig) }, 0);
}

#[test]
fn every_listener_sees_each_delivery() {
    support::rt().block_on(async {
        let mut a = signal(SignalKind::user_defined1()).unwrap();
        let mut b = signal(SignalKind::user_defined1()).unwrap();
        let waiter = evloop::spawn(async move {
            b.recv().await.unwrap();
            b
        });
        evloop::task::yield_now().await;
        raise(libc::SIGUSR1);
        a.recv().await.unwrap();
        let mut b = waiter.await.unwrap();

        // Two deliveries before anyone listens coalesce into one.
        raise(libc::SIGUSR1);
        raise(libc::SIGUSR1);
        a.recv().await.unwrap();
        b.recv().await.unwrap();
    });
}

#[test]
fn ctrl_c_and_unhandleable_signals() {
    support::rt().block_on(async {
        let mut int = signal(SignalKind::interrupt()).unwrap();
        let ctrl_c = evloop::spawn(evloop::signal::ctrl_c());
        evloop::task::yield_now().await;
        raise(libc::SIGINT);
        int.recv().await.unwrap();
        ctrl_c.await.unwrap().unwrap();

        let err = signal(SignalKind::from_raw(libc::SIGKILL)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    });
}

#[test]
fn a_later_runtime_takes_over_the_signal_pipe() {
    for _ in 0..3 {
        support::rt().block_on(async {
            let mut s = signal(SignalKind::user_defined2()).unwrap();
            raise(libc::SIGUSR2);
            s.recv().await.unwrap();
        });
    }
}
