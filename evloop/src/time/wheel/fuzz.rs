//! Property target: the wheel against a `BTreeMap` of live deadlines.
//!
//! Operations: link a timer at a deadline drawn from one of the wheel's
//! scales, cancel a linked one, advance the clock and fire everything due,
//! fire a single timer (so inserts and cancels land in the middle of a
//! firing, rule 6); at the end the wheel is shut down (`pop_any` until
//! empty). After each step
//! the wheel must agree with the model: a timer fires once, never early,
//! in deadline order, and `next_deadline` never lies past the earliest live
//! deadline nor at or before `elapsed`.

use std::collections::{BTreeMap, BTreeSet};
use std::pin::Pin;
use std::ptr::NonNull;

use arbitrary::{Arbitrary, Unstructured};

use super::hierarchy::MAX_DURATION;
use super::Wheel;
use crate::time::anchor::Anchor;
use crate::time::deadline::{tick_to_deadline, MAX_TICK};
use crate::time::entry::{Site, TimerShared};

const TIMERS: usize = 48;

#[derive(Arbitrary, Debug)]
enum Op {
    Insert { timer: u8, scale: u8, delta: u64 },
    Cancel { timer: u8 },
    Advance { scale: u8, step: u64 },
    FireOne { scale: u8, step: u64 },
}

/// Deadline offsets at each level's width, and a few past the horizon.
fn scaled(scale: u8, raw: u64) -> u64 {
    const SCALES: [u64; 9] = [
        4,
        64,
        4096,
        1 << 18,
        1 << 24,
        1 << 30,
        1 << 36,
        MAX_DURATION + 64,
        u64::MAX,
    ];
    let s = SCALES[scale as usize % SCALES.len()];
    if s == u64::MAX {
        raw
    } else {
        raw % (2 * s)
    }
}

struct Harness {
    wheel: Wheel,
    entries: Vec<Pin<Box<TimerShared>>>,
    /// timer -> tick of the live (linked) timers
    live: BTreeMap<usize, u64>,
    /// (tick, timer) of the live timers, for the earliest one
    order: BTreeSet<(u64, usize)>,
    /// the clock the wheel was last polled with
    now: u64,
    /// the tick of the last timer fired
    last_fired: u64,
}

impl Harness {
    fn index(&self, p: NonNull<TimerShared>) -> usize {
        self.entries
            .iter()
            .position(|e| NonNull::from(&**e) == p)
            .expect("the wheel returned an entry it was never given")
    }

    fn insert(&mut self, i: usize, when: u64) {
        if self.live.contains_key(&i) {
            return;
        }
        let p = NonNull::from(&*self.entries[i]);
        // SAFETY: the harness owns the entries; this one is not linked.
        unsafe { self.entries[i].set_deadline(tick_to_deadline(when)) };
        // SAFETY: the harness owns the entries until the end of `run`,
        // after every one was unlinked; this one is not linked.
        let linked = unsafe { self.wheel.insert(p, when) }.is_ok();
        let elapsed = self.wheel.elapsed();
        assert_eq!(
            linked,
            when > elapsed,
            "insert at {when}, elapsed {elapsed}"
        );
        if linked {
            self.live.insert(i, when);
            self.order.insert((when, i));
        }
    }

    fn cancel(&mut self, i: usize) {
        if let Some(when) = self.live.remove(&i) {
            self.order.remove(&(when, i));
            // SAFETY: the model says the entry is linked.
            unsafe { self.wheel.remove(NonNull::from(&*self.entries[i])) };
        }
    }

    /// Checks one fired entry against the model.
    fn fired(&mut self, p: NonNull<TimerShared>) {
        let i = self.index(p);
        // SAFETY: the entry is owned by the harness and was just unlinked.
        let tick = unsafe { p.as_ref().tick() };
        let when = self
            .live
            .remove(&i)
            .expect("fired a timer that is not live");
        assert_eq!(tick, when, "timer {i} fired with another tick");
        let earliest = self.order.iter().next().copied();
        assert_eq!(earliest.map(|e| e.0), Some(when), "fired out of order");
        self.order.remove(&(when, i));
        assert!(
            when <= self.now,
            "timer due at {when} fired at {}",
            self.now
        );
        assert!(
            when >= self.last_fired,
            "fired {when} after {}",
            self.last_fired
        );
        self.last_fired = when;
    }

    fn check_settled(&self) {
        assert_eq!(self.wheel.elapsed(), self.now, "elapsed after a full poll");
        match self.order.iter().next() {
            Some(&(min, _)) => {
                assert!(
                    min > self.now,
                    "timer due at {min} not fired by {}",
                    self.now
                );
                let next = self
                    .wheel
                    .next_deadline()
                    .expect("live timers, no deadline");
                assert!(
                    next > self.now && next <= min,
                    "next {next}, earliest {min}"
                );
            }
            None => assert_eq!(self.wheel.next_deadline(), None, "no timers, a deadline"),
        }
    }
}

/// Runs the operations in `data` against the wheel and the model.
pub(crate) fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let ops: Vec<Op> = crate::fuzz::support::ops(&mut u);
    let mut h = Harness {
        wheel: Wheel::new(),
        entries: (0..TIMERS)
            .map(|_| {
                Box::pin(TimerShared::new(
                    0,
                    // The wheel never reads it (its deadlines are resolved).
                    Anchor::nothing(),
                    Site::caller(),
                ))
            })
            .collect(),
        live: BTreeMap::new(),
        order: BTreeSet::new(),
        now: 0,
        last_fired: 0,
    };
    for op in ops {
        match op {
            Op::Insert {
                timer,
                scale,
                delta,
            } => {
                let when = h.now.saturating_add(scaled(scale, delta)).min(MAX_TICK);
                h.insert(timer as usize % TIMERS, when);
            }
            Op::Cancel { timer } => h.cancel(timer as usize % TIMERS),
            Op::Advance { scale, step } => {
                h.now = h.now.saturating_add(scaled(scale, step)).min(MAX_TICK);
                // SAFETY: single-threaded; the harness owns the wheel.
                while let Some(p) = unsafe { h.wheel.poll(h.now) } {
                    h.fired(p);
                }
                h.check_settled();
            }
            Op::FireOne { scale, step } => {
                h.now = h
                    .now
                    .saturating_add(scaled(scale, step) % 256)
                    .min(MAX_TICK);
                // SAFETY: as above.
                match unsafe { h.wheel.poll(h.now) } {
                    Some(p) => h.fired(p),
                    None => h.check_settled(),
                }
            }
        }
    }
    // Shutdown: `pop_any` hands back exactly the live timers.
    // SAFETY: as above.
    while let Some(p) = unsafe { h.wheel.pop_any() } {
        let i = h.index(p);
        let when = h
            .live
            .remove(&i)
            .expect("pop_any returned a timer not live");
        h.order.remove(&(when, i));
    }
    assert!(h.live.is_empty(), "pop_any left timers {:?}", h.live);
    assert_eq!(h.wheel.next_deadline(), None);
}
