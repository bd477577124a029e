//! The simulation's random generator: xoshiro256** seeded by splitmix64.
//!
//! Every choice the simulated scheduler makes (which worker runs, which
//! task, LIFO slot use, what a steal takes, the order of a batch of wakes)
//! and every `buggify!` draw comes from one [`SimRng`] owned by the
//! simulation, so a seed fixes the whole run. The generator is fast (a few
//! shifts and one multiply per draw), has a 2^256 - 1 period, and is not
//! cryptographic.
//!
//! # Rules
//!
//! 1. The state is derived from the seed alone (splitmix64 expands the
//!    64-bit seed into the four words), so equal seeds give equal streams in
//!    every process and on every platform.
//! 2. A number below `n` uses Lemire's multiply-shift (no division); the
//!    bias (at most n / 2^64) is far below anything a schedule can show.

/// One step of splitmix64: returns the next output and advances `state`.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded xoshiro256** generator (rule 1).
#[derive(Debug, Clone)]
pub(crate) struct SimRng {
    s: [u64; 4],
}

impl SimRng {
    /// The generator for `seed` (rule 1).
    pub(crate) fn new(seed: u64) -> SimRng {
        let mut sm = seed;
        let mut s = [0; 4];
        for word in &mut s {
            *word = splitmix64(&mut sm);
        }
        // splitmix64 never yields four zero words in a row, but be exact.
        if s == [0; 4] {
            s[0] = 1;
        }
        SimRng { s }
    }

    /// The next 64 random bits.
    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A number in `0..n` (rule 2); `n` must not be zero.
    #[inline]
    pub(crate) fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0, "SimRng::below(0)");
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// True with probability `p` (clamped to `0.0..=1.0`).
    #[inline]
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        // 53 random bits as a float in [0, 1).
        ((self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)) < p
    }

    /// True with probability `1 / n`.
    #[inline]
    pub(crate) fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_different_seed_different_stream() {
        let a: Vec<u64> = {
            let mut r = SimRng::new(7);
            (0..16).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = SimRng::new(7);
            (0..16).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = SimRng::new(8);
            (0..16).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn known_first_output_for_seed_zero() {
        // splitmix64's first output for state 0 is a published constant.
        let mut st = 0;
        assert_eq!(splitmix64(&mut st), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn below_and_chance_spread() {
        let mut r = SimRng::new(1);
        let mut counts = [0u32; 4];
        for _ in 0..40_000 {
            counts[r.below(4)] += 1;
        }
        for c in counts {
            assert!((9_400..=10_600).contains(&c), "{counts:?}");
        }
        let hits = (0..10_000).filter(|_| r.chance(0.25)).count();
        assert!((2_200..=2_800).contains(&hits), "{hits}");
        assert!(!(0..1000).any(|_| r.chance(0.0)));
    }
}
