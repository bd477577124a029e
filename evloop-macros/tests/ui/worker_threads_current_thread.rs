#[path = "support/fake_rt.rs"]
mod fake_rt;

#[evloop_macros::main(crate = "crate::fake_rt", flavor = "current_thread", worker_threads = 2)]
async fn main() {}
