//! `#[evloop::main]` / `#[evloop::test]` on an `async fn` whose body never
//! returns (a server loop, a body that ends in `process::exit` or a panic)
//! expands without an "unreachable expression" warning. The lint is denied
//! for this whole target, so the warning coming back fails the build.
#![deny(unreachable_code, unused)]

use std::sync::atomic::{AtomicU32, Ordering};

static LOOPS: AtomicU32 = AtomicU32::new(0);

/// Never returns: the loop ends only by panicking.
#[evloop::main(flavor = "current_thread")]
async fn serve() -> Result<(), std::io::Error> {
    loop {
        evloop::task::yield_now().await;
        if LOOPS.fetch_add(1, Ordering::SeqCst) == 2 {
            panic!("served three rounds");
        }
    }
}

/// Ends in a diverging call, as a `main` that calls `process::exit` does.
#[evloop::main]
async fn exits() -> Result<(), Box<dyn std::error::Error>> {
    evloop::task::yield_now().await;
    diverge()
}

fn diverge() -> ! {
    panic!("diverged")
}

#[test]
fn diverging_main_bodies_run() {
    let err = std::panic::catch_unwind(serve).expect_err("serve never returns");
    assert_eq!(err.downcast_ref::<&str>(), Some(&"served three rounds"));
    assert_eq!(LOOPS.load(Ordering::SeqCst), 3);
    let err = std::panic::catch_unwind(exits).expect_err("exits never returns");
    assert_eq!(err.downcast_ref::<&str>(), Some(&"diverged"));
}
