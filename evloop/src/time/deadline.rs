//! Deadlines as one `u64`: the encoding every timer layer shares.
//!
//! A deadline is stored as nanoseconds since `start - BIAS`, where `start`
//! is the driver's tick 0 (see [`encode`]). The top bit is free for
//! [`UNRESOLVED`]: a timer created by `sleep` on a worker stores
//! `UNRESOLVED | delay` and counts from the start of its epoch
//! (`time::epoch`). A *tick* is a millisecond since `start`; a deadline is
//! rounded *up* to a tick, so a timer never fires early.
//!
//! Pure functions only: the wheel, the entries, the queues and the driver
//! all read deadlines, and none of them owns the encoding.

use std::time::{Duration, Instant as StdInstant};

/// Flag of an unresolved deadline; the low bits hold the delay (entry
/// rule 7).
pub(crate) const UNRESOLVED: u64 = 1 << 63;

/// Where `start` sits in the encoding: instants up to ~146 years either
/// side of it round-trip.
const BIAS: u64 = 1 << 62;

/// Encodes `t` relative to tick 0 at `start`, saturating, so that it fits
/// in 63 bits.
#[inline]
pub(crate) fn encode(start: StdInstant, t: StdInstant) -> u64 {
    if t >= start {
        BIAS + nanos(t - start).min(BIAS - 1)
    } else {
        BIAS - nanos(start - t).min(BIAS)
    }
}

/// The instant of an encoded, resolved deadline (`far` if it does not fit
/// in an `Instant`).
pub(crate) fn decode(start: StdInstant, d: u64, far: impl FnOnce() -> StdInstant) -> StdInstant {
    if d >= BIAS {
        start
            .checked_add(Duration::from_nanos(d - BIAS))
            .unwrap_or_else(far)
    } else {
        start
            .checked_sub(Duration::from_nanos(BIAS - d))
            .unwrap_or(start)
    }
}

/// The tick of an encoded, resolved deadline. Rounds up: never fire early.
#[inline]
pub(crate) fn deadline_to_tick(deadline: u64) -> u64 {
    deadline.saturating_sub(BIAS).div_ceil(1_000_000)
}

/// The largest tick of an encoded deadline (~146 years).
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) const MAX_TICK: u64 = (UNRESOLVED - 1 - BIAS) / 1_000_000;

/// The encoded deadline of the start of `tick` (tests, the wheel's
/// property target), saturating.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn tick_to_deadline(tick: u64) -> u64 {
    BIAS + tick.min(MAX_TICK) * 1_000_000
}

/// `d` in nanoseconds, saturating.
#[inline]
pub(crate) fn nanos(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(d.subsec_nanos()))
}
