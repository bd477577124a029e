//! One monotonic time base for traces, dumps and metrics.
//!
//! Nanoseconds since the first use of the clock in this process, plus one,
//! so that 0 can mean "never" in the task trailer's timestamp slots.
//!
//! Three ways to read it, by cost:
//!
//! - [`now_ns`]: `CLOCK_MONOTONIC` (a vDSO call, ~20 ns): histograms,
//!   stall detection, busy time at park/unpark;
//! - [`coarse_ns`]: `CLOCK_MONOTONIC_COARSE` on Linux and Android,
//!   `CLOCK_MONOTONIC_FAST` on FreeBSD (the kernel's last tick, no counter
//!   read, a few ns, lags by up to one tick), plain `CLOCK_MONOTONIC` on
//!   other systems (macOS has no coarse clock on the same time base): the
//!   per-batch refresh of the coarse stamp written into each polled task;
//! - [`ticks`]: the recorder's event stamps — the CPU's time-stamp counter
//!   on x86_64 (one instruction), [`now_ns`] elsewhere — converted to
//!   nanoseconds when a trace is read, by a [`TickScale`] fitted between
//!   the start of the recording and the snapshot.

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

/// The coarse variant of `CLOCK_MONOTONIC`: same time base, read from the
/// kernel's last tick.
#[cfg(any(target_os = "linux", target_os = "android"))]
const COARSE_CLOCK: libc::clockid_t = libc::CLOCK_MONOTONIC_COARSE;
/// The coarse variant of `CLOCK_MONOTONIC`: same time base, read from the
/// kernel's last tick.
#[cfg(target_os = "freebsd")]
const COARSE_CLOCK: libc::clockid_t = libc::CLOCK_MONOTONIC_FAST;
/// No coarse clock shares `CLOCK_MONOTONIC`'s time base here (macOS's
/// `*_APPROX` clocks count from another origin), so the coarse stamp is
/// the precise one.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
const COARSE_CLOCK: libc::clockid_t = libc::CLOCK_MONOTONIC;

/// [`now_ns`] as of the kernel's last timer tick: no counter read, so it
/// costs a few loads; it lags [`now_ns`] by up to one tick (1–10 ms).
#[inline]
pub(crate) fn coarse_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec`; `COARSE_CLOCK` exists
    // on every supported system (CLOCK_MONOTONIC_COARSE since Linux 2.6.32,
    // CLOCK_MONOTONIC_FAST since FreeBSD 7), so the call cannot fail.
    unsafe { libc::clock_gettime(COARSE_CLOCK, &mut ts) };
    let ns = (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64);
    let epoch = *EPOCH.get_or_init(monotonic_ns);
    ns.saturating_sub(epoch) + 1
}

/// A cheap monotonic stamp for trace events: the time-stamp counter on
/// x86_64 (invariant and synchronized across cores on every x86-64 CPU
/// Linux uses as a clock source), [`now_ns`] elsewhere. Convert with
/// [`TickScale`].
#[inline]
pub(crate) fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // Inline `asm!` rather than `_rdtsc()`: its outputs tell the
        // register allocator that only `eax` and `edx` change, so the
        // recorder's hooks keep their values in caller-saved registers
        // (with the intrinsic, LLVM saves and restores five callee-saved
        // ones around it).
        let (lo, hi): (u32, u32);
        // SAFETY: `rdtsc` exists on every x86_64 CPU and has no
        // preconditions; it only reads the time-stamp counter into
        // `edx:eax`, touching no memory, stack or flags.
        unsafe {
            std::arch::asm!(
                "rdtsc",
                out("eax") lo,
                out("edx") hi,
                options(nomem, nostack, preserves_flags)
            );
        }
        u64::from(hi) << 32 | u64::from(lo)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        now_ns()
    }
}

/// A `(ticks, now_ns)` pair read back to back (the tick read halfway
/// between the two around the clock read).
pub(crate) fn tick_pair() -> (u64, u64) {
    let t0 = ticks();
    let ns = now_ns();
    let t1 = ticks();
    (t0 + (t1.wrapping_sub(t0)) / 2, ns)
}

/// Maps [`ticks`] to [`now_ns`] nanoseconds along the line through two
/// [`tick_pair`]s, the first taken when recording started, the second
/// when the trace is read: ordering is kept exactly, durations to the
/// precision of the fit (a few tens of ns over the whole span).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TickScale {
    t0: u64,
    n0: u64,
    /// Nanoseconds per tick.
    rate: f64,
}

impl TickScale {
    pub(crate) fn new(start: (u64, u64), end: (u64, u64)) -> TickScale {
        let dt = end.0.saturating_sub(start.0);
        let dn = end.1.saturating_sub(start.1);
        let rate = if cfg!(target_arch = "x86_64") && dt > 0 && dn > 0 {
            dn as f64 / dt as f64
        } else {
            // Ticks are nanoseconds already (or nothing to fit yet).
            1.0
        };
        TickScale {
            t0: start.0,
            n0: start.1,
            rate,
        }
    }

    /// The fewest ticks that span at least `ns` nanoseconds (at least one).
    pub(crate) fn ticks_spanning(self, ns: u64) -> u64 {
        ((ns as f64 / self.rate).ceil() as u64).max(1)
    }

    /// `now_ns` at tick `t`.
    pub(crate) fn to_ns(self, t: u64) -> u64 {
        let delta = t as i128 - self.t0 as i128;
        let ns = self.n0 as i128 + (delta as f64 * self.rate).round() as i128;
        ns.clamp(0, u64::MAX as i128) as u64
    }
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
    fn ticks_map_onto_the_clock() {
        let start = tick_pair();
        let mid_ns = now_ns();
        let mid = ticks();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let end = tick_pair();
        let scale = TickScale::new(start, end);
        assert_eq!(scale.to_ns(start.0), start.1);
        let err = scale.to_ns(mid).abs_diff(mid_ns);
        assert!(err < 200_000, "{err} ns off");
        let err = scale.to_ns(end.0).abs_diff(end.1);
        assert!(err < 1_000, "{err} ns off at the end");
        assert!(ticks() >= mid);
        let coarse = coarse_ns();
        assert!(coarse <= now_ns());
        assert!(now_ns() - coarse < 100_000_000);
    }

    #[test]
    fn coarse_stamps_survive_wrapping() {
        let before = (u64::from(u32::MAX) << COARSE_SHIFT) - (3 << COARSE_SHIFT);
        let stamp = coarse_stamp(before);
        let gap = since_coarse(before + (10 << COARSE_SHIFT), stamp);
        assert_eq!(gap, std::time::Duration::from_nanos(10 << COARSE_SHIFT));
    }
}
