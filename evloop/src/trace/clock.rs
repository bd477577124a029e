//! One monotonic time base for traces, dumps and metrics.
//!
//! Nanoseconds since the first use of the clock in this process, plus one,
//! so that 0 can mean "never" in the task trailer's timestamp slots.

use std::sync::OnceLock;
use std::time::Instant;

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// The instant that `now_ns` counts from.
pub(crate) fn epoch() -> Instant {
    *EPOCH.get_or_init(Instant::now)
}

/// Nanoseconds since [`epoch`], never 0.
pub(crate) fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64 + 1
}
