//! `accept` failing with EMFILE (too many open files) is returned to the
//! caller, and accepting works again once fds are available. Alone in its
//! binary: it lowers this process's RLIMIT_NOFILE for a moment.

mod support;

use evloop::net::TcpListener;

/// The fd number the next `open`/`accept` would get.
fn lowest_free_fd() -> libc::rlim_t {
    use std::os::fd::AsRawFd;
    let probe = std::fs::File::open("/dev/null").unwrap();
    probe.as_raw_fd() as libc::rlim_t
}

fn set_soft_limit(limit: libc::rlim_t) -> libc::rlim_t {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit`/`setrlimit` only read/write the struct we pass.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl), 0);
    }
    let old = rl.rlim_cur;
    rl.rlim_cur = limit;
    // SAFETY: as above.
    unsafe {
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &rl), 0);
    }
    old
}

#[test]
fn accept_emfile_is_returned_and_recovers() {
    support::rt().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let clients: Vec<_> = (0..3)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();

        // RLIMIT_NOFILE bounds fd numbers: at the lowest free one, no new
        // fd can be allocated.
        let old = set_soft_limit(lowest_free_fd());
        let res = listener.accept().await;
        set_soft_limit(old);
        let err = res.expect_err("accept must fail at the fd limit");
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");

        // The pending connections were not lost.
        for c in &clients {
            let (sock, peer) = listener.accept().await.unwrap();
            assert!(clients.iter().any(|c| c.local_addr().unwrap() == peer));
            drop((sock, c));
        }
    });
}
