//! `interval`: a stream of evenly spaced ticks.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use crate::time::sleep::{sleep_until, Sleep};
use crate::time::Instant;

/// Lateness under which a tick counts as on time: timers have 1 ms
/// resolution and the scheduler adds jitter, so the missed-tick strategies
/// only apply past this.
const TOLERANCE: Duration = Duration::from_millis(5);

/// An [`Interval`] that ticks every `period`, the first tick completing
/// immediately.
///
/// # Panics
///
/// If `period` is zero, or outside a runtime with timers enabled.
///
/// ```
/// use evloop::time::{interval, Duration, Instant};
///
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let start = Instant::now();
/// let mut ticks = interval(Duration::from_millis(10));
/// ticks.tick().await; // immediately
/// ticks.tick().await; // 10 ms later
/// assert!(start.elapsed() >= Duration::from_millis(10));
/// # }
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "`period` must be non-zero");
    interval_at(Instant::now(), period)
}

/// An [`Interval`] whose first tick completes at `start`, then every
/// `period`.
///
/// # Panics
///
/// If `period` is zero, or outside a runtime with timers enabled.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "`period` must be non-zero");
    Interval {
        delay: Box::pin(sleep_until(start)),
        period,
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// What an [`Interval`] does when ticks were missed (the task called
/// [`Interval::tick`] too late). Only applies when a tick is more than 5 ms
/// late; smaller lateness is timer jitter.
///
/// Example: period 10 ms, ticks expected at 0, 10, 20, 30, …; the task
/// comes back at 35 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Catch up: the missed ticks (10, 20, 30) complete one after another at
    /// once, then the schedule continues at 40 ms as if nothing happened.
    /// The default.
    #[default]
    Burst,
    /// Start over: one tick now (the one due at 10 ms, returned at 35 ms),
    /// then every period from now: 45, 55, … ms.
    Delay,
    /// Drop the missed ticks: one tick now, then continue on the original
    /// grid at the next multiple of the period: 40, 50, … ms.
    Skip,
}

impl MissedTickBehavior {
    /// The deadline after a tick that was due at `due` and observed at
    /// `now`, more than the tolerance late.
    fn next_deadline(self, due: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => due + period,
            MissedTickBehavior::Delay => now + period,
            MissedTickBehavior::Skip => {
                let late = now.duration_since(due).as_nanos();
                let period_ns = period.as_nanos();
                let into_period = (late % period_ns) as u64;
                now + period - Duration::from_nanos(into_period)
            }
        }
    }
}

/// Ticks at a fixed period; created by [`interval`] and [`interval_at`].
///
/// The period is measured from the schedule, not from when `tick` was
/// called, so work done between ticks does not make the interval drift (see
/// [`MissedTickBehavior`] for what happens when the task falls behind).
pub struct Interval {
    delay: Pin<Box<Sleep>>,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Completes at the next tick, returning the instant it was due.
    ///
    /// Cancel-safe: if the returned future is dropped before completing, no
    /// tick is lost; the next call returns it.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; on `Ready` the following one is scheduled.
    /// On `Pending` the task is woken when the tick is due.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(self.delay.as_mut().poll(cx));
        let due = self.delay.deadline();
        let now = Instant::now();
        let next = if now.duration_since(due) > TOLERANCE {
            self.missed_tick_behavior
                .next_deadline(due, now, self.period)
        } else {
            due.checked_add(self.period)
                .unwrap_or_else(Instant::far_future)
        };
        self.delay.as_mut().reset(next);
        Poll::Ready(due)
    }

    /// Restarts the schedule: the next tick is one period from now.
    pub fn reset(&mut self) {
        self.delay.as_mut().reset(Instant::now() + self.period);
    }

    /// Restarts the schedule with a tick due now.
    pub fn reset_immediately(&mut self) {
        self.delay.as_mut().reset(Instant::now());
    }

    /// Restarts the schedule with the next tick after `after`.
    pub fn reset_after(&mut self, after: Duration) {
        self.delay.as_mut().reset(Instant::now() + after);
    }

    /// Restarts the schedule with the next tick at `deadline`.
    pub fn reset_at(&mut self, deadline: Instant) {
        self.delay.as_mut().reset(deadline);
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The current missed-tick strategy.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets the missed-tick strategy.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("delay", &self.delay)
            .field("period", &self.period)
            .field("missed_tick_behavior", &self.missed_tick_behavior)
            .finish()
    }
}
