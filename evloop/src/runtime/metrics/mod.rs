//! Runtime metrics: counters per worker, histograms, and the hooks a
//! scheduler calls to keep them (and the trace recorder, and the stall
//! detector) up to date.
//!
//! - `worker.rs`: per-worker counters, one writer each (rules there);
//! - `histogram.rs`: log2 duration histograms;
//! - `hooks.rs`: `Hooks`, what schedulers call (table in `crate::trace`);
//! - `runtime.rs`: [`RuntimeMetrics`], the public read side.

mod histogram;
mod hooks;
#[allow(clippy::module_inception)]
mod runtime;
mod worker;

pub use histogram::Histogram;
pub(crate) use hooks::{
    Batch, Hooks, Polling, Spawned, MODE_ANY, MODE_CLOCKED, MODE_OFF, MODE_TRACE,
};
pub use runtime::RuntimeMetrics;
