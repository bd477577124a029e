//! The runtime: builder, handle, schedulers and drivers.
//!
//! - `builder.rs`: [`Builder`], the only way to configure a runtime;
//! - `runtime.rs`: [`Runtime`], which owns the scheduler and shuts it down on drop;
//! - `handle.rs`: [`Handle`], a cheap reference usable from any thread;
//! - `local_runtime.rs`: [`LocalRuntime`], current-thread with `spawn_local` built in;
//! - `scheduler/`: the current-thread loop (and the multi-thread scheduler);
//! - `blocking/`: the thread pool behind `spawn_blocking`;
//! - `driver.rs`: the stack of drivers a scheduler parks on;
//! - `park.rs`: parking a thread on a condvar;
//! - `metrics/`: [`RuntimeMetrics`] and the hooks schedulers call;
//! - `dump.rs`: [`Dump`], every live task as data and text.

pub(crate) mod blocking;
mod builder;
pub(crate) mod driver;
pub mod dump;
mod handle;
mod local_runtime;
pub(crate) mod metrics;
pub(crate) mod park;
#[allow(clippy::module_inception)]
mod runtime;
pub(crate) mod scheduler;

pub use crate::context::TryCurrentError;
pub use builder::Builder;
pub use dump::{Dump, TaskDump, TaskState};
pub use handle::{EnterGuard, Handle};
pub use local_runtime::LocalRuntime;
pub use metrics::{Histogram, RuntimeMetrics};
pub use runtime::Runtime;
