//! The six levels together: insert, cancel, next expiration, firing.

use std::fmt;
use std::ptr::NonNull;

use super::level::{Expiration, Level, SLOT_BITS};
use crate::time::entry::TimerShared;

const LEVELS: usize = 6;

/// Farthest a deadline may lie ahead of `elapsed`, in ticks (wheel rule 4).
pub(crate) const MAX_DURATION: u64 = (1 << (SLOT_BITS * LEVELS as u32)) - (1 << 30) - 1;

pub(crate) struct Wheel {
    /// The current tick: every timer due at or before it has fired.
    elapsed: u64,
    /// The level-0 slot of tick `elapsed` while `poll` is emptying it
    /// (rule 6): nothing can be linked into it meanwhile, so its remaining
    /// timers are popped without looking for the next expiration again.
    firing: Option<u8>,
    levels: [Level; LEVELS],
}

// SAFETY: the entry pointers are only dereferenced through `&mut Wheel`,
// i.e. with the driver lock held (entry rule 1), and the entries themselves
// are `Sync`.
unsafe impl Send for Wheel {}

impl Wheel {
    pub(crate) fn new() -> Wheel {
        Wheel {
            elapsed: 0,
            firing: None,
            levels: std::array::from_fn(|l| Level::new(l as u8)),
        }
    }

    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// The level a timer due at `when` belongs to, seen from `elapsed`.
    #[inline]
    fn level_for(elapsed: u64, when: u64) -> u8 {
        // `| 63` keeps the highest set bit at 5 or above, i.e. level >= 0.
        let masked = (elapsed ^ when) | ((1 << SLOT_BITS) - 1);
        let significant = 63 - masked.leading_zeros();
        ((significant / SLOT_BITS) as u8).min(LEVELS as u8 - 1)
    }

    /// Links `entry` to fire at tick `when` (clamped, rule 4). Returns
    /// `Err(())` without linking if `when` is not after `elapsed`: the timer
    /// is due now and the caller fires it.
    ///
    /// # Safety
    ///
    /// Driver lock held; `entry` is alive, pinned and not linked, and stays
    /// alive until it is removed or returned by `poll`/`pop_any`.
    pub(crate) unsafe fn insert(
        &mut self,
        entry: NonNull<TimerShared>,
        when: u64,
    ) -> Result<(), ()> {
        if when <= self.elapsed {
            return Err(());
        }
        let when = when.min(self.elapsed + MAX_DURATION);
        let level = Self::level_for(self.elapsed, when);
        let slot = Level::slot_for(level, when);
        // SAFETY: lock held, entry alive (caller).
        unsafe { self.levels[level as usize].push(slot, entry) };
        Ok(())
    }

    /// Unlinks `entry`.
    ///
    /// # Safety
    ///
    /// Driver lock held; `entry` is linked in this wheel.
    pub(crate) unsafe fn remove(&mut self, entry: NonNull<TimerShared>) {
        // SAFETY: lock held, linked entries are alive (caller).
        let (level, slot) = unsafe { entry.as_ref().position() };
        // SAFETY: the links name the slot the entry is in (entry rule 3).
        unsafe { self.levels[level as usize].remove(slot, entry) };
    }

    /// The earliest slot to expire (rule 1); on a tie the higher level, so
    /// that its timers cascade before the lower slot fires.
    pub(crate) fn next_expiration(&self) -> Option<Expiration> {
        let mut best: Option<Expiration> = None;
        for level in &self.levels {
            if let Some(exp) = level.next_expiration(self.elapsed) {
                if best.is_none_or(|b| exp.deadline <= b.deadline) {
                    best = Some(exp);
                }
            }
        }
        best
    }

    /// The tick the wheel must be polled at next, if any timer is linked.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.next_expiration().map(|e| e.deadline)
    }

    /// Unlinks and returns the next timer due at or before `now`, cascading
    /// higher-level slots on the way (rule 3). Returns `None` once nothing
    /// more is due, having moved `elapsed` to `now` (rule 2).
    ///
    /// # Safety
    ///
    /// Driver lock held.
    pub(crate) unsafe fn poll(&mut self, now: u64) -> Option<NonNull<TimerShared>> {
        loop {
            if let Some(slot) = self.firing {
                // Rule 6: the slot of `elapsed` (due, since `elapsed <= now`
                // is kept by rule 2) can only shrink while it fires.
                // SAFETY: lock held (caller).
                if let Some(entry) = unsafe { self.levels[0].pop(slot) } {
                    return Some(entry);
                }
                self.firing = None;
            }
            let exp = match self.next_expiration() {
                Some(exp) if exp.deadline <= now => exp,
                _ => {
                    self.elapsed = self.elapsed.max(now);
                    return None;
                }
            };
            debug_assert!(exp.deadline >= self.elapsed, "wheel went backwards");
            self.elapsed = exp.deadline;
            if exp.level == 0 {
                self.firing = Some(exp.slot);
                continue;
            }
            // Cascade the whole slot (rule 3) before looking for the next
            // expiration again.
            // SAFETY: lock held (caller).
            while let Some(entry) = unsafe { self.levels[exp.level as usize].pop(exp.slot) } {
                // SAFETY: lock held; the entry was linked, so it is alive
                // and its deadline resolved. Its tick, not the clamped one
                // it was inserted at (rule 4): clamped again if still far.
                let when = unsafe { entry.as_ref().tick() };
                // SAFETY: lock held; just unlinked; alive as above. A timer
                // due now is returned at once; the rest of the slot is
                // cascaded by the next call (the slot is still the earliest).
                if unsafe { self.insert(entry, when) }.is_err() {
                    return Some(entry);
                }
            }
        }
    }

    /// Unlinks and returns any linked timer (for shutdown).
    ///
    /// # Safety
    ///
    /// Driver lock held.
    pub(crate) unsafe fn pop_any(&mut self) -> Option<NonNull<TimerShared>> {
        self.levels
            .iter_mut()
            .find(|l| !l.is_empty())
            // SAFETY: lock held (caller).
            .and_then(|l| unsafe { l.pop_any() })
    }
}

impl fmt::Debug for Wheel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel")
            .field("elapsed", &self.elapsed)
            .field("levels", &self.levels)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashSet};
    use std::pin::Pin;

    use crate::time::anchor::Anchor;
    use crate::time::deadline::{tick_to_deadline, MAX_TICK};

    /// The wheel never reads an entry's anchor (its deadlines are resolved).
    fn anchor() -> Anchor {
        Anchor::nothing()
    }

    /// xorshift64*: small, deterministic, good enough for test inputs.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            x.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    struct Harness {
        wheel: Wheel,
        entries: Vec<Pin<Box<TimerShared>>>,
    }

    impl Harness {
        fn new(n: usize) -> Harness {
            Harness {
                wheel: Wheel::new(),
                entries: (0..n)
                    .map(|_| {
                        Box::pin(TimerShared::new(
                            0,
                            anchor(),
                            crate::time::entry::Site::caller(),
                        ))
                    })
                    .collect(),
            }
        }
        fn ptr(&self, i: usize) -> NonNull<TimerShared> {
            NonNull::from(&*self.entries[i])
        }
        fn index(&self, p: NonNull<TimerShared>) -> usize {
            self.entries
                .iter()
                .position(|e| NonNull::from(&**e) == p)
                .unwrap()
        }
        fn insert(&mut self, i: usize, when: u64) -> bool {
            let p = self.ptr(i);
            // SAFETY: the harness owns the entries; this one is not linked.
            unsafe { self.entries[i].set_deadline(tick_to_deadline(when)) };
            // SAFETY: the harness owns the entries for the whole test.
            unsafe { self.wheel.insert(p, when) }.is_ok()
        }
        fn remove(&mut self, i: usize) {
            let p = self.ptr(i);
            // SAFETY: the test only removes entries it knows to be linked.
            unsafe { self.wheel.remove(p) }
        }
        fn poll_all(&mut self, now: u64) -> Vec<(usize, u64)> {
            let mut out = Vec::new();
            // SAFETY: single-threaded test owns the wheel.
            while let Some(p) = unsafe { self.wheel.poll(now) } {
                // SAFETY: as above; the entry is alive (owned by the harness).
                let when = unsafe { p.as_ref().tick() };
                out.push((self.index(p), when));
            }
            out
        }
    }

    /// Rule 6: a slot being fired can lose timers (cancel) but gains none;
    /// timers linked meanwhile fire at their own tick.
    #[test]
    fn firing_slot_interleaved_with_cancel_and_insert() {
        let mut h = Harness::new(5);
        for i in 0..3 {
            assert!(h.insert(i, 5));
        }
        // SAFETY: single-threaded test owns the wheel.
        let popped = unsafe { h.wheel.poll(5) }.unwrap();
        let first = h.index(popped);
        let other = (0..3).find(|&i| i != first).unwrap();
        h.remove(other);
        assert!(!h.insert(3, 5), "due now: refused");
        assert!(h.insert(4, 6));
        let rest = h.poll_all(5);
        assert_eq!(rest.len(), 1);
        assert!(rest[0].0 != first && rest[0].0 != other);
        assert!(h.poll_all(5).is_empty());
        assert_eq!(h.poll_all(6), vec![(4, 6)]);
    }

    #[test]
    fn level_for_boundaries() {
        assert_eq!(Wheel::level_for(0, 1), 0);
        assert_eq!(Wheel::level_for(0, 63), 0);
        assert_eq!(Wheel::level_for(0, 64), 1);
        assert_eq!(Wheel::level_for(0, 4095), 1);
        assert_eq!(Wheel::level_for(0, 4096), 2);
        assert_eq!(Wheel::level_for(0, (1 << 18) - 1), 2);
        assert_eq!(Wheel::level_for(0, 1 << 18), 3);
        assert_eq!(Wheel::level_for(0, 1 << 24), 4);
        assert_eq!(Wheel::level_for(0, 1 << 30), 5);
        assert_eq!(Wheel::level_for(0, 1 << 40), 5);
        // Same 64 ms block, different ms: level 0 even across large values.
        assert_eq!(Wheel::level_for(4096 + 3, 4096 + 60), 0);
        assert_eq!(Wheel::level_for(63, 64), 1);
    }

    /// Each boundary deadline fires exactly at its tick, not one earlier.
    #[test]
    fn cascade_boundaries() {
        let deadlines = [
            1u64,
            63,
            64,
            65,
            127,
            128,
            4095,
            4096,
            4097,
            (1 << 18) - 1,
            1 << 18,
            (1 << 18) + 1,
            (1 << 24) - 1,
            1 << 24,
            (1 << 30) - 1,
            1 << 30,
            (1 << 30) + 1,
        ];
        for &d in &deadlines {
            for start in [0u64, 1, 62, 63, 64, 4095, 4096, 123_456] {
                let mut h = Harness::new(1);
                assert!(h.poll_all(start).is_empty());
                assert!(h.insert(0, start + d));
                let next = h.wheel.next_deadline().unwrap();
                assert!(next <= start + d && next > start, "d={d} start={start}");
                assert!(
                    h.poll_all(start + d - 1).is_empty(),
                    "fired early: d={d} start={start}"
                );
                assert_eq!(h.poll_all(start + d), vec![(0, start + d)], "d={d}");
                assert!(h.wheel.next_deadline().is_none());
            }
        }
    }

    #[test]
    fn expired_insert_is_rejected() {
        let mut h = Harness::new(2);
        h.poll_all(100);
        assert!(!h.insert(0, 100));
        assert!(!h.insert(0, 5));
        assert!(h.insert(1, 101));
    }

    /// Rule 4: a far timer is linked at the horizon, then re-linked from
    /// there until its own tick comes; it never fires early.
    #[test]
    fn far_future_is_clamped_but_fires_on_time() {
        let mut h = Harness::new(3);
        h.poll_all(1000);
        assert!(h.insert(0, u64::MAX));
        assert!(h.insert(1, 1000 + MAX_DURATION + 12345));
        assert!(h.insert(2, 1000 + MAX_DURATION));
        assert!(h.poll_all(1000 + MAX_DURATION - 1).is_empty());
        assert_eq!(
            h.poll_all(1000 + MAX_DURATION),
            vec![(2, 1000 + MAX_DURATION)]
        );
        assert!(h.poll_all(1000 + MAX_DURATION + 12344).is_empty());
        assert_eq!(
            h.poll_all(1000 + MAX_DURATION + 12345),
            vec![(1, 1000 + MAX_DURATION + 12345)]
        );
        assert!(h.poll_all(1000 + 3 * MAX_DURATION).is_empty());
        assert!(h.wheel.next_deadline().is_some(), "entry 0 still linked");
    }

    /// Timers crossing the 2^36 boundary wrap around level 5 correctly.
    #[test]
    fn top_level_wraps() {
        let mut h = Harness::new(2);
        let start = (1u64 << 36) - 5 * (1 << 30) + 777;
        h.poll_all(start);
        assert!(h.insert(0, start + MAX_DURATION));
        assert!(h.insert(1, (1 << 36) + 3));
        assert!(h.poll_all((1 << 36) + 2).is_empty());
        assert_eq!(h.poll_all((1 << 36) + 3), vec![(1, (1 << 36) + 3)]);
        assert!(h.poll_all(start + MAX_DURATION - 1).is_empty());
        assert_eq!(
            h.poll_all(start + MAX_DURATION),
            vec![(0, start + MAX_DURATION)]
        );
    }

    #[test]
    fn cancel_unlinks_from_any_position() {
        let mut h = Harness::new(4);
        for i in 0..4 {
            assert!(h.insert(i, 10));
        }
        h.remove(1); // middle
        h.remove(3); // head (pushed last)
        h.remove(0); // tail
        assert_eq!(h.poll_all(10), vec![(2, 10)]);
        assert!(h.wheel.next_deadline().is_none());
    }

    /// Random insert / cancel / advance against a map of live deadlines.
    #[test]
    fn random_against_reference_model() {
        const N: usize = 256;
        // Under Miri: fewer seeds and steps, the same mix of operations.
        let (seeds, steps) = if cfg!(miri) { (2, 1_000) } else { (8, 20_000) };
        for seed in 1..=seeds {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed);
            let mut h = Harness::new(N);
            // index -> deadline of live timers
            let mut live: BTreeMap<usize, u64> = BTreeMap::new();
            let mut now = 0u64;
            for _ in 0..steps {
                match rng.below(10) {
                    0..=4 => {
                        let i = rng.below(N as u64) as usize;
                        if live.contains_key(&i) {
                            continue;
                        }
                        let scale = [1u64, 64, 4096, 1 << 18, 1 << 24, 1 << 30, 1 << 40]
                            [rng.below(7) as usize];
                        // Ticks come from encoded deadlines (`MAX_TICK`).
                        let when = (now + rng.below(scale * 2)).min(MAX_TICK);
                        if h.insert(i, when) {
                            assert!(when > now);
                            live.insert(i, when);
                        } else {
                            assert!(when <= now);
                        }
                    }
                    5..=6 => {
                        if let Some(&i) = live.keys().nth(rng.below(live.len() as u64 + 1) as usize)
                        {
                            h.remove(i);
                            live.remove(&i);
                        }
                    }
                    _ => {
                        let step = match rng.below(4) {
                            0 => rng.below(4),
                            1 => rng.below(100),
                            2 => rng.below(10_000),
                            _ => rng.below(1 << 32),
                        };
                        now += step;
                        let fired = h.poll_all(now);
                        let mut seen = HashSet::new();
                        let mut last = 0;
                        for &(i, when) in &fired {
                            assert!(seen.insert(i), "fired twice");
                            assert_eq!(live.remove(&i), Some(when), "wrong deadline");
                            assert!(when <= now, "fired early");
                            assert!(when >= last, "fired out of order");
                            last = when;
                        }
                        assert!(
                            live.values().all(|&w| w > now),
                            "a due timer did not fire (seed {seed})"
                        );
                        assert_eq!(h.wheel.elapsed(), now);
                        if let Some(min) = live.values().min() {
                            let next = h.wheel.next_deadline().unwrap();
                            assert!(next > now && next <= *min);
                        } else {
                            assert!(h.wheel.next_deadline().is_none());
                        }
                    }
                }
            }
            // Drain everything left.
            for i in live.keys().copied().collect::<Vec<_>>() {
                h.remove(i);
            }
            assert!(h.wheel.next_deadline().is_none());
        }
    }
}
