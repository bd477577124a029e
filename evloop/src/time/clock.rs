//! The runtime's clock: the OS monotonic clock, or a paused one for tests.
//!
//! # State
//!
//! - `mode` (atomic): `REAL` (now = OS time), `SHIFTED` (now = OS time +
//!   `offset`; the clock was paused and resumed), or `PAUSED` (now = `base`).
//! - `offset_nanos` (atomic, signed): the shift of `SHIFTED` mode.
//! - `locked`: the paused base instant; a mutex guards pause/resume/advance.
//! - `inhibit` (atomic counter): while non-zero, paused time does not
//!   auto-advance (blocking work is running and may still schedule timers).
//!
//! # Rules
//!
//! 1. `mode`, `offset_nanos` and `base` change only with `locked` held.
//! 2. `now()` in `REAL` mode reads the OS clock and one atomic: no lock. In
//!    `SHIFTED` mode it also reads `offset_nanos`, which is written before
//!    `mode` is set to `SHIFTED` (`Release`/`Acquire`). Only `PAUSED` locks.
//! 3. The clock never goes backwards: `advance` only adds, `resume` picks the
//!    offset so that time continues from the paused value.

use std::fmt;
use std::time::{Duration, Instant as StdInstant};

use crate::loom::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use crate::loom::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize};
use crate::loom::sync::{Arc, Mutex};

const REAL: u8 = 0;
const SHIFTED: u8 = 1;
const PAUSED: u8 = 2;

/// The clock of one runtime; clones share it.
#[derive(Clone)]
pub(crate) struct Clock {
    inner: Arc<ClockShared>,
}

struct ClockShared {
    enable_pausing: bool,
    mode: AtomicU8,
    /// `i64` nanoseconds stored as bits (rule 2).
    offset_nanos: AtomicU64,
    inhibit: AtomicUsize,
    locked: Mutex<Locked>,
}

struct Locked {
    /// The frozen time while `PAUSED`.
    base: StdInstant,
}

impl Clock {
    /// A clock that may be paused if `enable_pausing`, and starts paused if
    /// `start_paused` (which requires `enable_pausing`).
    pub(crate) fn new(enable_pausing: bool, start_paused: bool) -> Clock {
        assert!(
            enable_pausing || !start_paused,
            "`start_paused` requires a current_thread runtime: time cannot be paused on the \
             multi-thread runtime"
        );
        Clock {
            inner: Arc::new(ClockShared {
                enable_pausing,
                mode: AtomicU8::new(if start_paused { PAUSED } else { REAL }),
                offset_nanos: AtomicU64::new(0),
                inhibit: AtomicUsize::new(0),
                locked: Mutex::new(Locked {
                    base: StdInstant::now(),
                }),
            }),
        }
    }

    /// The current time of this clock.
    #[inline]
    pub(crate) fn now(&self) -> StdInstant {
        match self.inner.mode.load(Acquire) {
            REAL => StdInstant::now(),
            SHIFTED => {
                let offset = self.inner.offset_nanos.load(Relaxed) as i64;
                shift(StdInstant::now(), offset)
            }
            _ => {
                let locked = self.inner.locked.lock();
                // Re-check under the lock (rule 1): resume may have raced.
                if self.inner.mode.load(Relaxed) == PAUSED {
                    locked.base
                } else {
                    drop(locked);
                    self.now()
                }
            }
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.inner.mode.load(Acquire) == PAUSED
    }

    /// Freezes the clock at its current time.
    #[track_caller]
    pub(crate) fn pause(&self) {
        assert!(
            self.inner.enable_pausing,
            "`time::pause()` requires a current_thread runtime: time cannot be paused on \
             the multi-thread runtime (build one with `Builder::new_current_thread()`)"
        );
        let mut locked = self.inner.locked.lock();
        let mode = self.inner.mode.load(Relaxed);
        assert!(mode != PAUSED, "time is already paused");
        let now = match mode {
            REAL => StdInstant::now(),
            _ => shift(
                StdInstant::now(),
                self.inner.offset_nanos.load(Relaxed) as i64,
            ),
        };
        locked.base = now;
        self.inner.mode.store(PAUSED, Release);
    }

    /// Lets the clock run again, continuing from the paused time (rule 3).
    #[track_caller]
    pub(crate) fn resume(&self) {
        let locked = self.inner.locked.lock();
        assert!(
            self.inner.mode.load(Relaxed) == PAUSED,
            "time is not paused: `time::resume()` needs a preceding `time::pause()`"
        );
        let real = StdInstant::now();
        let offset = signed_nanos(locked.base, real);
        if offset == 0 {
            self.inner.mode.store(REAL, Release);
        } else {
            self.inner.offset_nanos.store(offset as u64, Relaxed);
            self.inner.mode.store(SHIFTED, Release);
        }
    }

    /// Moves paused time forward by `d`.
    #[track_caller]
    pub(crate) fn advance(&self, d: Duration) {
        let mut locked = self.inner.locked.lock();
        assert!(
            self.inner.mode.load(Relaxed) == PAUSED,
            "time is not paused: call `time::pause()` first, or build the runtime with \
             `start_paused(true)`"
        );
        locked.base = locked
            .base
            .checked_add(d)
            .expect("overflow when advancing the paused clock");
    }

    /// Moves paused time forward to `target`, if it is later (auto-advance).
    pub(crate) fn advance_to(&self, target: StdInstant) {
        let mut locked = self.inner.locked.lock();
        if self.inner.mode.load(Relaxed) == PAUSED && target > locked.base {
            locked.base = target;
        }
    }

    /// Blocking work started: paused time must not jump ahead under it.
    pub(crate) fn inhibit_auto_advance(&self) {
        self.inner.inhibit.fetch_add(1, AcqRel);
    }

    /// Blocking work finished (pairs with [`Clock::inhibit_auto_advance`]).
    pub(crate) fn allow_auto_advance(&self) {
        let prev = self.inner.inhibit.fetch_sub(1, AcqRel);
        debug_assert!(prev > 0, "unbalanced allow_auto_advance");
    }

    /// Whether an idle driver may jump paused time to the next timer.
    pub(crate) fn can_auto_advance(&self) -> bool {
        self.is_paused() && self.inner.inhibit.load(Acquire) == 0
    }
}

/// The current runtime's clock. Returned rather than lent to a closure,
/// so that a panic of the caller's operation on it names the caller's line
/// (`#[track_caller]` stops at a closure).
#[track_caller]
fn current_clock() -> Clock {
    match crate::context::with_driver(|d| d.clock.clone()) {
        Some(clock) => clock,
        None => panic!(
            "there is no evloop runtime on this thread: time can only be paused, resumed or \
             advanced from inside a runtime"
        ),
    }
}

/// Pauses time on the current runtime: [`Instant::now`](crate::time::Instant::now)
/// stops moving, and when every task is idle the runtime jumps time straight
/// to the next timer instead of sleeping (auto-advance), so tests of
/// timeouts and intervals run instantly and deterministically.
///
/// Auto-advance jumps to the timer's millisecond tick. Ticks count from the
/// runtime's start, so with `start_paused(true)` whole-millisecond sleeps
/// land exactly on their deadline; after a `pause()` mid-run they may land
/// up to 1 ms past it (the timer resolution).
///
/// # Panics
///
/// Outside a runtime, on a multi-thread runtime (pausing needs the
/// current_thread runtime), or if time is already paused.
///
/// ```
/// use evloop::time::{self, Duration, Instant};
///
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// time::pause();
/// let start = Instant::now();
/// time::sleep(Duration::from_secs(3600)).await; // returns at once
/// assert!(start.elapsed() >= Duration::from_secs(3600));
/// # }
/// ```
#[track_caller]
pub fn pause() {
    current_clock().pause();
}

/// Lets paused time run again, continuing from the paused value.
///
/// # Panics
///
/// Outside a runtime, or if time is not paused.
#[track_caller]
pub fn resume() {
    current_clock().resume();
}

/// Moves paused time forward by `duration`, then yields so that every timer
/// that came due fires and its task gets to run.
///
/// Cancel-safe: the clock moves when the future is first polled.
///
/// # Panics
///
/// Outside a runtime, or if time is not paused.
///
/// ```
/// use evloop::time::{self, Duration, Instant};
///
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// time::pause();
/// let start = Instant::now();
/// time::advance(Duration::from_secs(5)).await;
/// assert_eq!(start.elapsed(), Duration::from_secs(5));
/// # }
/// ```
pub async fn advance(duration: Duration) {
    let timers = crate::context::with_driver(|d| {
        d.clock.advance(duration);
        d.time.clone()
    })
    .unwrap_or_else(|| {
        panic!(
            "there is no evloop runtime on this thread: time can only be advanced from \
             inside a runtime"
        )
    });
    if let Some(timers) = timers {
        timers.process();
    }
    // Yield once so the tasks woken above run before this returns.
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return std::task::Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await;
}

/// `t + nanos` for a signed offset.
fn shift(t: StdInstant, nanos: i64) -> StdInstant {
    if nanos >= 0 {
        t + Duration::from_nanos(nanos as u64)
    } else {
        t.checked_sub(Duration::from_nanos(nanos.unsigned_abs()))
            .unwrap_or(t)
    }
}

/// `a - b` in signed nanoseconds (saturating at the i64 range, ~292 years).
fn signed_nanos(a: StdInstant, b: StdInstant) -> i64 {
    if a >= b {
        i64::try_from((a - b).as_nanos()).unwrap_or(i64::MAX)
    } else {
        -i64::try_from((b - a).as_nanos()).unwrap_or(i64::MAX)
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.inner.mode.load(Relaxed) {
            REAL => "real",
            SHIFTED => "shifted",
            _ => "paused",
        };
        f.debug_struct("Clock")
            .field("mode", &mode)
            .field("enable_pausing", &self.inner.enable_pausing)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn paused_clock_only_moves_when_advanced() {
        let clock = Clock::new(true, true);
        let t0 = clock.now();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.now(), t0 + Duration::from_secs(5));
        clock.advance_to(t0);
        assert_eq!(clock.now(), t0 + Duration::from_secs(5), "went backwards");
    }

    #[test]
    fn resume_continues_from_paused_time() {
        let clock = Clock::new(true, false);
        clock.pause();
        let t0 = clock.now();
        clock.advance(Duration::from_secs(3600));
        clock.resume();
        let t1 = clock.now();
        assert!(t1 >= t0 + Duration::from_secs(3600));
        assert!(t1 < t0 + Duration::from_secs(3601));
        assert!(clock.now() >= t1);
    }

    #[test]
    fn inhibit_blocks_auto_advance() {
        let clock = Clock::new(true, true);
        assert!(clock.can_auto_advance());
        clock.inhibit_auto_advance();
        clock.inhibit_auto_advance();
        clock.allow_auto_advance();
        assert!(!clock.can_auto_advance());
        clock.allow_auto_advance();
        assert!(clock.can_auto_advance());
    }

    #[test]
    #[should_panic(expected = "requires a current_thread runtime")]
    fn pause_needs_pausing_enabled() {
        Clock::new(false, false).pause();
    }
}
