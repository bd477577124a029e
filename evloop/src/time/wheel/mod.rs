//! The hierarchical timing wheel.
//!
//! Time is counted in *ticks* of 1 ms since the driver started. The wheel
//! has 6 levels of 64 slots; each level is a clock hand 64 times slower than
//! the one below:
//!
//! | level | slot width          | level range (64 slots)   |
//! |-------|---------------------|--------------------------|
//! | 0     | 1 ms                | 64 ms                    |
//! | 1     | 64 ms               | ~4.1 s (2^12 ms)         |
//! | 2     | ~4.1 s (2^12 ms)    | ~4.4 min (2^18 ms)       |
//! | 3     | ~4.4 min (2^18 ms)  | ~4.7 h (2^24 ms)         |
//! | 4     | ~4.7 h (2^24 ms)    | ~12.4 days (2^30 ms)     |
//! | 5     | ~12.4 days (2^30 ms)| ~2.2 years (2^36 ms)     |
//!
//! Read a tick as a number with six base-64 digits. A timer due at `when` is
//! placed at the level of the *highest digit in which `when` differs from
//! `elapsed`* (the wheel's current tick), in the slot named by `when`'s digit
//! at that level. So a level-0 slot holds timers of one exact millisecond,
//! and a level-`L` slot holds timers that share every digit above `L - 1`.
//!
//! # Rules
//!
//! 1. Every timer at level `L` lies in the same level-`(L+1)` block as
//!    `elapsed`, in a slot strictly after `elapsed`'s own slot at that level
//!    (level 5 wraps around; see rule 4). So the next expiration is found per
//!    level with one `rotate_right` + `trailing_zeros` on a 64-bit occupancy
//!    bitmap, and the earliest of the six is the wheel's next expiration.
//! 2. `elapsed` only moves forward: to the start of the next expiring slot
//!    (while firing), or to `now` once nothing expires before `now`.
//! 3. When a slot of level `L > 0` is reached, its timers are re-inserted
//!    relative to the new `elapsed` (they *cascade* to a lower level, never
//!    back into the same slot) or fire if their tick has come; a level-0 slot
//!    fires all its timers.
//! 4. Deadlines more than [`MAX_DURATION`] ticks (2^36 - 2^30 - 1 ms, ~2.1
//!    years) ahead are linked as if due at that horizon; when their slot is
//!    reached they cascade with their own tick (the entry's deadline) and are
//!    clamped again, so they never fire early. The margin of one top-level
//!    slot keeps a wrapped level-5 timer from ever landing in `elapsed`'s
//!    own slot, which rule 1 relies on.
//! 5. Every timer sits in an intrusive doubly-linked list (the links live in
//!    the timer entry, see `time::entry`), so insert and cancel are O(1) and
//!    allocate nothing. The wheel is only touched with the driver lock held.
//! 6. While `poll` empties the level-0 slot of `elapsed`, no timer can be
//!    linked into that slot (a timer due at `elapsed` or before is refused
//!    by `insert`, a later one lands in another slot), so the slot's timers
//!    are popped one after another without scanning the levels again.
//!    A cascaded slot is likewise re-inserted as a whole.
//!
//! Rejected: a binary heap (O(log n) insert, and cancel needs a handle into
//! the heap); a sorted list (O(n) insert); a single-level wheel (rescans
//! far-future timers on every rotation).
//!
//! Measured and not taken: slots as arrays of entry pointers (the entry
//! keeping its index, cancel a swap-remove), so that firing and cascading
//! could prefetch entries several places ahead instead of following the
//! list's links from one cold entry to the next. With a million sleeps
//! coming due (`seed_chain`), the firing functions' share of the profile
//! halved, but the misses moved to the tasks' first polls: wall time stayed
//! within noise (current-thread 867 vs 850 ms, multi-thread 854 vs 833 ms,
//! medians of 7) while peak RSS grew by 10 MB, the arrays' 8 bytes per timer
//! and their growth slack. Firing at most 256 or 1024 timers per driver
//! visit, so that woken tasks run while their cells are still cached, made
//! no difference either (and 32 was slower).

#[cfg(any(all(test, not(loom)), feature = "fuzzing"))]
pub(crate) mod fuzz;
mod hierarchy;
mod level;

pub(crate) use hierarchy::Wheel;
