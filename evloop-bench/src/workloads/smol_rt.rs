//! The workloads on smol, through the tokio-shaped shim.

use super::common::{self, Flavor, Outcome, Sizes, Workload, WORKERS};
use super::http;
use super::smol_shim;

fn build(flavor: Flavor) -> Option<smol_shim::runtime::Runtime> {
    Some(match flavor {
        Flavor::MultiThread => smol_shim::runtime::Runtime::multi_thread(WORKERS),
        Flavor::CurrentThread => smol_shim::runtime::Runtime::current_thread(),
    })
}

shape_core!(smol_shim);
shape_mpsc!(smol_shim);
shape_lock!(smol_shim);
shape_time!(smol_shim);
shape_net!(smol_shim);
dispatch_all!();

/// Not measured on smol: its sockets have no borrowed read and write halves
/// (the harness leaves the cell out, `harness::Col::applies`).
fn soak(_: Flavor, _: &Sizes) -> Option<Outcome> {
    None
}
