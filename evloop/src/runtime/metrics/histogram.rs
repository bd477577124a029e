//! Log2 histograms of durations: bucket `i` counts values in
//! `[2^i, 2^(i+1))` nanoseconds (bucket 0 also holds 0 and 1 ns; the last
//! bucket holds everything above).

use std::ops::Range;
use std::time::Duration;

use crate::loom::sync::atomic::{AtomicU64, Ordering};

/// Number of buckets: the last starts at 2^39 ns ≈ 9 minutes.
pub(crate) const BUCKETS: usize = 40;

/// Written by one thread at a time (the worker owning it), read by any.
pub(crate) struct AtomicHistogram {
    buckets: [AtomicU64; BUCKETS],
}

impl AtomicHistogram {
    pub(crate) fn new() -> AtomicHistogram {
        AtomicHistogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Single writer: a `Relaxed` load and store, no read-modify-write.
    pub(crate) fn record(&self, ns: u64) {
        let b = &self.buckets[bucket_of(ns)];
        b.store(b.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    pub(crate) fn add_to(&self, out: &mut [u64; BUCKETS]) {
        for (o, b) in out.iter_mut().zip(&self.buckets) {
            *o += b.load(Ordering::Relaxed);
        }
    }
}

fn bucket_of(ns: u64) -> usize {
    if ns < 2 {
        0
    } else {
        ((63 - ns.leading_zeros()) as usize).min(BUCKETS - 1)
    }
}

/// A copy of a duration histogram with power-of-two buckets, from
/// [`RuntimeMetrics`](crate::runtime::RuntimeMetrics).
///
/// ```
/// let rt = evloop::runtime::Builder::new_current_thread()
///     .enable_metrics_poll_time_histogram()
///     .build()
///     .unwrap();
/// rt.block_on(async { evloop::spawn(async {}).await.unwrap() });
/// let h = rt.handle().metrics().poll_time_histogram();
/// assert_eq!(h.total(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    pub(crate) buckets: [u64; BUCKETS],
}

impl Histogram {
    /// Counts per bucket; bucket `i` is [`bucket_range(i)`](Self::bucket_range).
    pub fn buckets(&self) -> &[u64] {
        &self.buckets
    }

    /// The durations bucket `i` counts (the last one is open-ended: its end
    /// is `Duration::MAX`).
    ///
    /// # Panics
    ///
    /// If `i` is not a bucket index.
    pub fn bucket_range(&self, i: usize) -> Range<Duration> {
        assert!(i < BUCKETS, "bucket index out of range");
        let start = if i == 0 { 0 } else { 1u64 << i };
        let end = if i == BUCKETS - 1 {
            Duration::MAX
        } else {
            Duration::from_nanos(1u64 << (i + 1))
        };
        Duration::from_nanos(start)..end
    }

    /// Number of values recorded.
    pub fn total(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// An upper bound of the `q`-quantile (`0.0..=1.0`): the end of the
    /// bucket holding it. `None` if empty.
    pub fn quantile_upper_bound(&self, q: f64) -> Option<Duration> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(self.bucket_range(i).end);
            }
        }
        None
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1), 0);
        assert_eq!(bucket_of(2), 1);
        assert_eq!(bucket_of(3), 1);
        assert_eq!(bucket_of(1024), 10);
        assert_eq!(bucket_of(2047), 10);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        let h = AtomicHistogram::new();
        h.record(1500);
        h.record(1_000_000);
        let mut out = [0; BUCKETS];
        h.add_to(&mut out);
        let snap = Histogram { buckets: out };
        assert_eq!(snap.total(), 2);
        assert_eq!(snap.buckets()[10], 1);
        assert!(snap.bucket_range(10).contains(&Duration::from_nanos(1500)));
        assert_eq!(
            snap.quantile_upper_bound(0.5),
            Some(Duration::from_nanos(2048))
        );
    }
}
