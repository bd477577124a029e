//! Per-host wall clocks on the simulated network.

use std::time::{Duration, SystemTime};

use evloop::sim::net::{system_time, ClockOffset, Net};
use evloop::time::sleep;

#[evloop::test(start_paused = true)]
async fn skewed_hosts_disagree_by_their_offsets_and_follow_virtual_time() {
    let net = Net::new();
    let probe = || async {
        let first = system_time();
        sleep(Duration::from_secs(60)).await;
        (first, system_time())
    };
    let ahead = net.client("ahead", probe());
    let behind = net.client("behind", probe());
    let exact = net.client("exact", probe());
    net.skew_clock("ahead", ClockOffset::Ahead(Duration::from_millis(1500)));
    net.skew_clock("behind", ClockOffset::Behind(Duration::from_secs(2)));
    let (a0, a1) = ahead.await.unwrap();
    let (b0, b1) = behind.await.unwrap();
    let (e0, e1) = exact.await.unwrap();
    assert_eq!(a0.duration_since(e0).unwrap(), Duration::from_millis(1500));
    assert_eq!(e0.duration_since(b0).unwrap(), Duration::from_secs(2));
    for (t0, t1) in [(a0, a1), (b0, b1), (e0, e1)] {
        assert_eq!(t1.duration_since(t0).unwrap(), Duration::from_secs(60));
    }
    // Outside a host the wall clock is the real one.
    let real = system_time();
    let now = SystemTime::now();
    let gap = now.duration_since(real).unwrap_or_else(|e| e.duration());
    assert!(gap < Duration::from_secs(60), "off by {gap:?}");
}
