//! The driver stack: what a scheduler parks on when no task is ready.
//!
//! ```text
//!   scheduler ──park(limit)──▶ time driver ──park_io(timeout)──▶ I/O stack
//!                              (timer wheel)                      ├─ reactor (epoll via mio), if enable_io
//!                                                                 └─ ParkThread (condvar),   otherwise
//! ```
//!
//! The time driver computes how long the thread may sleep (the next timer
//! deadline, capped by the scheduler's `limit`), asks the I/O stack to block for
//! that long, and afterwards fires every timer whose deadline has passed. The
//! time driver does not own the I/O stack: it is handed a closure that parks
//! it, so `time` and `io` stay independent of each other and of this module.
//!
//! Other threads wake a parked driver through [`DriverHandle::unpark`]: the reactor's
//! `mio::Waker` when I/O is enabled, the condvar otherwise.
//!
//! The stack keeps the driver contract (`runtime::contract`): [`Driver`] is
//! the schedulers' park source ([`Park`]), and each bottom of the I/O stack
//! is an [`IoPark`], chosen by an enum (`IoStack`), so a new one (io_uring,
//! a simulated network) is one more variant and one more impl, and the
//! schedulers do not change.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::runtime::contract::{Delivered, IoPark, Park};
use crate::time;
use crate::util::park::{ParkThread, UnparkThread};

/// Owned by the thread that parks (a `Core` of some scheduler).
#[derive(Debug)]
pub(crate) struct Driver {
    time: Option<time::Driver>,
    io: IoStack,
}

/// Shared by everything that registers with or wakes the driver.
#[derive(Debug)]
pub(crate) struct DriverHandle {
    /// `None` unless `enable_io()` was called.
    pub(crate) io: Option<crate::io::IoHandle>,
    /// `None` unless `enable_time()` was called.
    pub(crate) time: Option<time::TimeHandle>,
    /// The runtime's clock: real, or paused for tests.
    #[allow(dead_code)] // read by the time resources
    pub(crate) clock: time::Clock,
    unpark: IoUnpark,
}

#[derive(Debug)]
enum IoStack {
    Enabled(crate::io::Driver),
    Disabled(ParkThread),
}

#[derive(Debug, Clone)]
enum IoUnpark {
    Enabled(crate::io::IoHandle),
    Disabled(UnparkThread),
}

/// What the builder asked for.
#[derive(Debug, Clone)]
pub(crate) struct Cfg {
    pub(crate) enable_io: bool,
    pub(crate) enable_time: bool,
    pub(crate) enable_pause_time: bool,
    pub(crate) start_paused: bool,
    pub(crate) nevents: usize,
    /// Scheduler workers (each owns a queue of lazily armed timers).
    pub(crate) workers: usize,
    /// The I/O driver, resolved (`io::selection`): `Uring` or `Epoll`.
    pub(crate) io_driver: crate::runtime::IoDriver,
}

impl Driver {
    pub(crate) fn new(cfg: &Cfg) -> io::Result<(Driver, DriverHandle)> {
        let (io_stack, io_handle, unpark) = if cfg.enable_io {
            let (driver, handle) = crate::io::Driver::new(cfg.nevents, cfg.io_driver)?;
            let unpark = IoUnpark::Enabled(handle.clone());
            (IoStack::Enabled(driver), Some(handle), unpark)
        } else {
            let park = ParkThread::new();
            let unpark = IoUnpark::Disabled(park.unpark());
            (IoStack::Disabled(park), None, unpark)
        };

        let clock = time::Clock::new(cfg.enable_pause_time, cfg.start_paused);

        let (time_driver, time_handle) = if cfg.enable_time {
            let waker = unpark.clone();
            let (driver, handle) =
                time::Driver::new(clock.clone(), Arc::new(move || waker.unpark()), cfg.workers);
            (Some(driver), Some(handle))
        } else {
            (None, None)
        };

        Ok((
            Driver {
                time: time_driver,
                io: io_stack,
            },
            DriverHandle {
                io: io_handle,
                time: time_handle,
                clock,
                unpark,
            },
        ))
    }

    /// Blocks until woken, until I/O or a timer event, or until `limit`
    /// passes (`None`: no limit; `Some(ZERO)`: poll without blocking).
    /// Returns the number of I/O events delivered.
    pub(crate) fn park(&mut self, handle: &DriverHandle, limit: Option<Duration>) -> usize {
        let io = &mut self.io;
        match &mut self.time {
            Some(time) => {
                let th = handle.time.as_ref().expect("time driver without handle");
                let mut events = 0;
                time.park(th, limit, &mut |timeout| {
                    let delivered = io.park(handle, timeout);
                    events += delivered.events;
                    delivered.any
                });
                events
            }
            None => io.park(handle, limit).events,
        }
    }

    /// Fires every timer with a shutdown error and deregisters every I/O source.
    pub(crate) fn shutdown(&mut self, handle: &DriverHandle) {
        if let Some(time) = &mut self.time {
            time.shutdown(handle.time.as_ref().expect("time driver without handle"));
        }
        if let IoStack::Enabled(io) = &mut self.io {
            io.shutdown(handle.io.as_ref().expect("io driver without handle"));
        }
    }
}

impl Park for Driver {
    type Handle = DriverHandle;

    fn park(&mut self, handle: &DriverHandle, timeout: Option<Duration>) -> usize {
        Driver::park(self, handle, timeout)
    }

    fn unpark(handle: &DriverHandle) {
        handle.unpark()
    }

    fn shutdown(&mut self, handle: &DriverHandle) {
        Driver::shutdown(self, handle)
    }
}

impl IoStack {
    /// Parks; returns what the I/O stack delivered.
    #[inline]
    fn park(&mut self, handle: &DriverHandle, timeout: Option<Duration>) -> Delivered {
        match self {
            IoStack::Enabled(io) => IoPark::park(
                io,
                handle.io.as_ref().expect("io driver without handle"),
                timeout,
            ),
            IoStack::Disabled(park) => match &handle.unpark {
                IoUnpark::Disabled(unpark) => IoPark::park(park, unpark, timeout),
                IoUnpark::Enabled(_) => {
                    unreachable!("a condvar parker with the reactor's unparker")
                }
            },
        }
    }
}

impl IoPark for crate::io::Driver {
    type Handle = crate::io::IoHandle;

    #[inline]
    fn park(&mut self, handle: &crate::io::IoHandle, timeout: Option<Duration>) -> Delivered {
        crate::io::Driver::park(self, handle, timeout)
    }

    fn unpark(handle: &crate::io::IoHandle) {
        handle.unpark()
    }
}

/// Without I/O. It reports nothing delivered: only another thread's wake
/// can make a task runnable there, and that wake goes through the
/// scheduler's queues.
impl IoPark for ParkThread {
    type Handle = UnparkThread;

    #[inline]
    fn park(&mut self, _: &UnparkThread, timeout: Option<Duration>) -> Delivered {
        match timeout {
            Some(d) => self.park_timeout(d),
            None => ParkThread::park(self),
        }
        Delivered::default()
    }

    fn unpark(handle: &UnparkThread) {
        handle.unpark()
    }
}

impl DriverHandle {
    /// Makes this thread the runner of worker `index` (or of none yet) for
    /// the time driver (its timers are armed lazily, see `time::arm_queue`)
    /// until the guard drops. The caller must be the only thread running
    /// that worker; [`DriverHandle::switch_worker`] follows core changes.
    pub(crate) fn enter_worker(&self, index: Option<usize>) -> Option<time::WorkerGuard> {
        // SAFETY: the scheduler runs each worker on one thread at a time
        // (caller).
        self.time.as_ref().map(|t| unsafe { t.enter_worker(index) })
    }

    /// The worker core of this thread changed (`block_in_place` handed it
    /// away, or the thread took one back): `index` is the core it runs now.
    /// Call only inside an [`DriverHandle::enter_worker`] scope, as the only
    /// runner of that core.
    pub(crate) fn switch_worker(&self, index: Option<usize>) {
        if let Some(t) = &self.time {
            // SAFETY: the caller is the only runner of core `index`, inside
            // an `enter_worker` scope.
            unsafe { t.switch_worker(index) };
        }
    }

    /// Moves the timers this worker armed lazily into the timer wheel: all
    /// of them if `blocking` (call before sleeping outside the driver),
    /// otherwise only if one may be due (call on a busy tick). Returns true
    /// if that fired a timer, which woke a task: do not sleep then.
    pub(crate) fn flush_timers(&self, blocking: bool) -> bool {
        self.time
            .as_ref()
            .is_some_and(|t| t.flush_current(blocking))
    }

    /// Wakes the thread parked on this driver (or makes its next park return
    /// at once). Safe to call from any thread, at any time.
    pub(crate) fn unpark(&self) {
        self.unpark.unpark();
    }

    /// The I/O driver that runs (`Auto` without I/O).
    pub(crate) fn io_driver(&self) -> crate::runtime::IoDriver {
        self.io
            .as_ref()
            .map_or(crate::runtime::IoDriver::Auto, |io| io.kind())
    }
}

impl IoUnpark {
    fn unpark(&self) {
        match self {
            IoUnpark::Enabled(io) => <crate::io::Driver as IoPark>::unpark(io),
            IoUnpark::Disabled(park) => <ParkThread as IoPark>::unpark(park),
        }
    }
}
