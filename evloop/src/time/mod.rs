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
//! Layout: `clock` (real or paused time), `driver` (the wheel behind a lock,
//! what the scheduler parks on), `wheel/` (the data structure), `entry`
//! (the per-timer state shared with the driver), `atomic_waker`, and the
//! public futures `sleep`, `timeout`, `interval`.

mod atomic_waker;
mod clock;
mod driver;
mod entry;
pub mod error;
mod instant;
mod interval;
mod sleep;
mod timeout;
mod wheel;

#[cfg(all(test, not(loom)))]
mod driver_tests;
#[cfg(all(test, loom))]
mod loom_tests;

pub(crate) use clock::Clock;
pub(crate) use driver::{Driver, Handle};

pub use clock::{advance, pause, resume};
pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::Duration;
pub use timeout::{timeout, timeout_at, Timeout};

/// Callback that wakes the parked driver thread.
pub(crate) type Unpark = std::sync::Arc<dyn Fn() + Send + Sync>;
