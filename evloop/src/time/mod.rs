//! Utilities for tracking time: [`sleep`], [`timeout`], [`interval`].
//!
//! Every timer of a runtime lives in one hierarchical timing wheel with
//! millisecond resolution (see the `wheel` module): arming and cancelling a
//! timer are O(1) and allocate nothing, because the wheel links directly to
//! the timer entry stored inside the pinned [`Sleep`] future. When no task is
//! ready, the runtime parks until the next timer is due, so an idle runtime
//! waiting on a timer uses no CPU.
//!
//! Time can be paused on a current_thread runtime ([`pause`], [`advance`],
//! `Builder::start_paused`): timers then fire in virtual time, and an idle
//! runtime jumps straight to the next deadline.
//!
//! ```
//! use evloop::time::{sleep, timeout, Duration};
//!
//! # #[evloop::main(flavor = "current_thread")]
//! # async fn main() {
//! let res = timeout(Duration::from_millis(10), sleep(Duration::from_secs(60))).await;
//! assert!(res.is_err());
//! # }
//! ```
//!
//! A timer polled on a scheduler worker is armed lazily: it goes into the
//! worker's own queue without taking the driver lock, and moves to the wheel
//! only if it is still armed when the worker next visits the driver (so the
//! usual timeout, cancelled within a few polls, never touches the wheel).
//! Timers never fire early: deadlines are rounded up to the next
//! millisecond tick. They may fire late by the time the arming worker takes
//! to reach its next driver visit (at most `event_interval` polls while it
//! is busy; before it sleeps otherwise). A worker stuck in one long poll
//! makes no visit; on a multi-thread runtime the thread running the driver
//! meanwhile (a parked worker, or a busy one between batches) then takes
//! its timers over within a few milliseconds (`driver` rule 7). A deadline
//! that has already passed completes the first poll, without arming.
//!
//! For the same reason a `sleep(d)` created on a worker with the real clock
//! does not read the clock: `d` counts from the worker's next driver visit
//! (or from the take-over of its queue, if the worker stalls first), which
//! reads the clock anyway and comes after the call (so the timer is never
//! early), and a timeout dropped before that visit costs no clock read and
//! no wheel operation at all (see `queue`, epochs).
//! This is the loop-time model of libuv (Node.js timers count from the
//! loop's cached time): a task that computes for a long time between
//! `sleep(d)` and its first await delays that start too. Where the
//! deadline must be fixed at the call, use
//! `sleep_until(Instant::now() + d)`, which reads the clock.
//!
//! Shutdown: when the runtime shuts down, every timer (linked or queued)
//! fires with a shutdown flag, and polling it afterwards panics.
//!
//! Layout, from the bottom up (each file imports only those above it in
//! this list, so the layers point one way):
//!
//! - `deadline` (the `u64` encoding of deadlines and ticks), `epoch` (the
//!   shared start of timers that did not read the clock), `clock` (real or
//!   paused time);
//! - `anchor` (the one word by which an entry holds its driver or epoch)
//!   and `entry` (the per-timer state that the wheel links and the driver
//!   fires; its waker slot is `util::atomic_waker`);
//! - `wheel/` (the data structure) and `wake_list` (the batch of fired
//!   wakers, woken outside the lock);
//! - `queue` (the per-worker queues of lazily armed timers);
//! - `local` (this thread's current driver and owned queue: the time
//!   layer's one thread-local);
//! - `driver` (the wheel and the queues behind a lock, what the scheduler
//!   parks on);
//! - `timer` (the owner's handle on its entry: arm, reset, cancel), and the
//!   public futures `sleep`, `timeout`, `interval` above it.
//!
//! The one place where the types would point back up is the driver that an
//! epoch and an anchor keep alive: it is erased there (epoch rule 2, anchor
//! rule 3), and turned back into a handle by `driver` and `timer`.
//!
//! A timer finds its driver through a thread-local copy of the current
//! runtime's time driver (`timer_driver::set_current`, kept by `context`'s
//! `set_current`, stored in `local`), one plain load, not through the
//! context's `RefCell`.

mod anchor;
mod arm_queue;
mod clock;
mod deadline;
mod entry;
mod epoch;
pub mod error;
mod instant;
mod interval;
mod local;
mod sleep;
mod timeout;
mod timer;
mod timer_driver;
mod wake_list;
mod wheel;

#[cfg(any(all(test, not(loom)), feature = "fuzzing"))]
pub(crate) use wheel::fuzz as wheel_fuzz;

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, not(loom)))]
mod timer_driver_tests;

pub(crate) use clock::Clock;
pub(crate) use timer_driver::{set_current, CurrentGuard, Driver, TimeHandle, WorkerGuard};

pub use clock::{advance, pause, resume};
pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::Duration;
pub use timeout::{timeout, timeout_at, Timeout};

/// Callback that wakes the parked driver thread.
pub(crate) type Unpark = std::sync::Arc<dyn Fn() + Send + Sync>;
