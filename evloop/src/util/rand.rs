//! A fast per-thread pseudo-random generator for scheduling decisions.
//!
//! `select!` starts polling at a random branch so that no branch is favoured
//! when several are ready at once (fairness). That needs a number in `0..n`
//! on every poll, cheaply: no lock, no system call, no allocation. This
//! module provides it.
//!
//! # Generator
//!
//! xorshift64* (Marsaglia's xorshift with shifts 12/25/27, followed by a
//! multiplication by an odd constant that scrambles the low bits). Its state
//! is one non-zero `u64`; its period is 2^64 - 1; it passes the statistical
//! tests that matter for load spreading, and it is *not* cryptographic: never
//! use it for anything an adversary could exploit.
//!
//! A number below `n` is taken from the high 32 bits with a multiply and a
//! shift (Lemire's reduction) rather than `%`: no division, and the bias is at
//! most n / 2^32, far below what a fairness test can see.
//!
//! # Seeding
//!
//! Each thread has its own generator in a thread-local, seeded lazily on the
//! first draw from a hash of the thread's id and the current time (nanoseconds
//! since the Unix epoch), through a `RandomState` hasher, which adds a
//! per-process random key. Two threads therefore start from unrelated states,
//! and so do two runs of a program. The state `0` means "not seeded yet"; a
//! seed that hashes to `0` is replaced by a fixed non-zero constant, because
//! xorshift never leaves `0`.
//!
//! # Rules
//!
//! 1. The state lives in a thread-local `Cell`: it is only ever touched by its
//!    own thread, so no synchronisation is needed.
//! 2. After the thread-local is destroyed (a draw from a destructor that runs
//!    during thread exit) a draw still succeeds, from a freshly seeded
//!    generator that is then thrown away.

use std::cell::Cell;
use std::hash::{BuildHasher, Hash, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// Replacement for a seed of zero (the golden ratio in 64-bit fixed point).
const NON_ZERO: u64 = 0x9E37_79B9_7F4A_7C15;

/// The xorshift64* generator.
#[derive(Debug, Clone)]
pub(crate) struct FastRand {
    /// Never zero.
    state: u64,
}

impl FastRand {
    /// A generator starting from `seed` (any value; zero is remapped).
    pub(crate) fn from_seed(seed: u64) -> FastRand {
        FastRand {
            state: if seed == 0 { NON_ZERO } else { seed },
        }
    }

    /// A generator seeded from this thread's id and the current time.
    pub(crate) fn from_thread_and_time() -> FastRand {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        std::thread::current().id().hash(&mut hasher);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        now.hash(&mut hasher);
        FastRand::from_seed(hasher.finish())
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`; `n` must not be zero.
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        debug_assert!(n > 0, "FastRand::below(0)");
        let high = self.next_u64() >> 32;
        ((high * u64::from(n)) >> 32) as u32
    }
}

thread_local! {
    /// Rule 1: this thread's generator state; `0` until the first draw.
    static STATE: Cell<u64> = const { Cell::new(0) };
}

/// A number in `0..n` from this thread's generator; `n` must not be zero.
///
/// Used by `select!` to pick the branch it polls first.
pub fn thread_rng_n(n: u32) -> u32 {
    let drawn = STATE.try_with(|state| {
        let mut rng = match state.get() {
            0 => FastRand::from_thread_and_time(),
            seeded => FastRand::from_seed(seeded),
        };
        let value = rng.below(n);
        state.set(rng.state);
        value
    });
    // Rule 2.
    drawn.unwrap_or_else(|_| FastRand::from_thread_and_time().below(n))
}

/// Seeds this thread's generator with `seed` until the guard drops (a
/// simulation: `select!`'s first branch then comes from the run's seed).
pub(crate) fn seed_thread(seed: u64) -> SeedGuard {
    let seed = if seed == 0 { NON_ZERO } else { seed };
    let prev = STATE.try_with(|state| state.replace(seed)).unwrap_or(0);
    SeedGuard { prev }
}

/// Restores the generator's state from before [`seed_thread`].
pub(crate) struct SeedGuard {
    prev: u64,
}

impl Drop for SeedGuard {
    fn drop(&mut self) {
        let _ = STATE.try_with(|state| state.set(self.prev));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = FastRand::from_seed(42);
        let mut b = FastRand::from_seed(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut c = FastRand::from_seed(43);
        assert_ne!(FastRand::from_seed(42).next_u64(), c.next_u64());
    }

    #[test]
    fn zero_seed_does_not_get_stuck() {
        let mut rng = FastRand::from_seed(0);
        let first = rng.next_u64();
        assert_ne!(first, 0);
        assert_ne!(first, rng.next_u64());
    }

    #[test]
    fn below_stays_in_range_and_spreads_evenly() {
        let mut rng = FastRand::from_seed(7);
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[rng.below(6) as usize] += 1;
        }
        // Expected 10,000 each; a healthy generator stays within a few %.
        for (i, c) in counts.iter().enumerate() {
            assert!((9_400..=10_600).contains(c), "bucket {i}: {c} ({counts:?})");
        }
        assert_eq!(rng.below(1), 0);
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "the seed reads the realtime clock, which Miri's isolation refuses"
    )]
    fn thread_generators_are_seeded_differently() {
        let draw = || (0..32).map(|_| thread_rng_n(1 << 30)).collect::<Vec<_>>();
        let here = draw();
        let there = std::thread::spawn(draw).join().unwrap();
        assert_ne!(here, there);
        assert!(here.iter().all(|&v| v < 1 << 30));
    }
}
