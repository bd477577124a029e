#[path = "support/fake_rt.rs"]
mod fake_rt;

#[evloop_macros::test(crate = "crate::fake_rt", worker_threads = 2)]
async fn defaults_to_current_thread() {}

fn main() {}
