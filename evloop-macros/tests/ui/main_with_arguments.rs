#[path = "support/fake_rt.rs"]
mod fake_rt;

#[evloop_macros::main(crate = "crate::fake_rt")]
async fn run(port: u16) {
    let _ = port;
}

fn main() {
    let _ = run(1);
}
