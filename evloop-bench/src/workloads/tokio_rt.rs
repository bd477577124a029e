//! The workloads on tokio.

use super::common::{self, Flavor, Outcome, Sizes, Workload, WORKERS};
use super::http;

fn build(flavor: Flavor) -> Option<tokio::runtime::Runtime> {
    let mut builder = match flavor {
        Flavor::MultiThread => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(WORKERS);
            b
        }
        Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
    };
    Some(builder.enable_all().build().expect("build tokio runtime"))
}

shape_core!(tokio);
shape_mpsc!(tokio);
shape_lock!(tokio);
shape_time!(tokio);
shape_net!(tokio);
shape_soak!(tokio);
dispatch_all!();
