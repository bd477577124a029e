//! `EVLOOP_TRACE_RING=N` sets the records each thread keeps (its own test
//! binary: the variable is process-wide).

use evloop::runtime::Builder;
use evloop::trace::TraceConfig;

fn dropped_with_default_config() -> u64 {
    let rt = Builder::new_current_thread()
        .enable_all()
        .trace(TraceConfig::new())
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..2000 {
            evloop::spawn(async {}).await.unwrap();
        }
    });
    rt.trace_snapshot().unwrap().dropped()
}

#[test]
fn evloop_trace_ring_sets_the_default_ring_size() {
    // The only test in this binary, so no other runtime reads the variable.
    assert_eq!(
        dropped_with_default_config(),
        0,
        "the default ring holds it"
    );
    std::env::set_var("EVLOOP_TRACE_RING", "64");
    let small = dropped_with_default_config();
    std::env::set_var("EVLOOP_TRACE_RING", "not a number");
    let ignored = dropped_with_default_config();
    std::env::remove_var("EVLOOP_TRACE_RING");
    assert!(small > 0, "a 64-record ring drops most of 2000 spawns");
    assert_eq!(ignored, 0, "an unreadable value leaves the default");
    // An explicit capacity wins over the variable.
    std::env::set_var("EVLOOP_TRACE_RING", "64");
    let rt = Builder::new_current_thread()
        .trace(TraceConfig::new().ring_capacity(1 << 16))
        .build()
        .unwrap();
    std::env::remove_var("EVLOOP_TRACE_RING");
    rt.block_on(async {
        for _ in 0..2000 {
            evloop::spawn(async {}).await.unwrap();
        }
    });
    assert_eq!(rt.trace_snapshot().unwrap().dropped(), 0);
}
