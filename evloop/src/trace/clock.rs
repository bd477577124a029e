//! One monotonic time base for traces, dumps and metrics.
//!
//! Nanoseconds since the first use of the clock in this process, plus one,
//! so that 0 can mean "never" in the task trailer's timestamp slots.

use std::sync::OnceLock;

/// The monotonic clock reading (ns) that `now_ns` counts from.
static EPOCH: OnceLock<u64> = OnceLock::new();

/// `CLOCK_MONOTONIC` in nanoseconds: one vDSO call, no `Duration`
/// arithmetic (which cost more than the read itself on the recorder's
/// per-event path when this went through `Instant::elapsed`).
#[inline]
fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec`; CLOCK_MONOTONIC always
    // exists, so the call cannot fail.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// Nanoseconds since the first use of this clock, never 0.
#[inline]
pub(crate) fn now_ns() -> u64 {
    let epoch = *EPOCH.get_or_init(monotonic_ns);
    monotonic_ns().saturating_sub(epoch) + 1
}

/// Resolution of a coarse stamp: 2^20 ns (about 1.05 ms).
const COARSE_SHIFT: u32 = 20;

/// A 32-bit stamp of `ns` (a [`now_ns`] value) with about millisecond
/// resolution, never 0 (0 means "never"). It wraps after about 52 days, so
/// [`since_coarse`] is right for gaps shorter than that.
#[inline]
pub(crate) fn coarse_stamp(ns: u64) -> u32 {
    ((ns >> COARSE_SHIFT) as u32).max(1)
}

/// Time from the coarse `stamp` to `now` (a [`now_ns`] value).
pub(crate) fn since_coarse(now: u64, stamp: u32) -> std::time::Duration {
    let ticks = coarse_stamp(now).wrapping_sub(stamp);
    std::time::Duration::from_nanos(u64::from(ticks) << COARSE_SHIFT)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn coarse_stamps_measure_gaps_to_a_millisecond() {
        let start = 5_000_000_000u64;
        let stamp = coarse_stamp(start);
        let gap = since_coarse(start + 250_000_000, stamp);
        let err = gap.as_nanos().abs_diff(250_000_000);
        assert!(err <= 1 << COARSE_SHIFT, "gap {gap:?}");
        assert_eq!(coarse_stamp(0), 1, "0 is reserved for never");
    }

    #[test]
    fn coarse_stamps_survive_wrapping() {
        let before = (u64::from(u32::MAX) << COARSE_SHIFT) - (3 << COARSE_SHIFT);
        let stamp = coarse_stamp(before);
        let gap = since_coarse(before + (10 << COARSE_SHIFT), stamp);
        assert_eq!(gap, std::time::Duration::from_nanos(10 << COARSE_SHIFT));
    }
}
