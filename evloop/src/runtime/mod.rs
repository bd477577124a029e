//! The runtime: builder, handle, schedulers and drivers.
//!
//! - `builder.rs`: [`Builder`], the only way to configure a runtime;
//! - `runtime.rs`: [`Runtime`], which owns the scheduler and shuts it down on drop;
//! - `handle.rs`: [`Handle`], a cheap reference usable from any thread;
//! - `local_runtime.rs`: [`LocalRuntime`], a current-thread runtime for
//!   `!Send` tasks;
//! - `info.rs`: [`Id`], [`RuntimeFlavor`], [`is_rt_shutdown_err`];
//! - `scheduler/`: the current-thread loop (and the multi-thread scheduler);
//! - `blocking/`: the thread pool behind `spawn_blocking`;
//! - `drivers.rs`: the stack of drivers a scheduler parks on;
//! - `contract.rs`: the traits that stack implements (the driver contract);
//! - `metrics/`: [`RuntimeMetrics`] and the hooks schedulers call;
//! - `dump.rs`: [`Dump`], every live task as data and text.

pub(crate) mod blocking;
mod builder;
pub(crate) mod contract;
pub(crate) mod drivers;
pub mod dump;
mod handle;
pub(crate) mod info;
mod local_runtime;
pub(crate) mod metrics;
#[allow(clippy::module_inception)]
mod runtime;
pub(crate) mod scheduler;
pub(crate) mod task;

pub use crate::context::TryCurrentError;
pub use crate::io::selection::IoDriver;
pub use builder::Builder;
pub use dump::{Dump, TaskDump, TaskState};
pub use handle::{EnterGuard, Handle};
pub use info::{is_rt_shutdown_err, worker_index, Id, RuntimeFlavor};
pub use local_runtime::{LocalOptions, LocalRuntime};
pub use metrics::{Histogram, RuntimeMetrics};
pub use runtime::Runtime;
