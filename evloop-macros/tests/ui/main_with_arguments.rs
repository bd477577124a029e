// `main` itself takes no arguments (another function under
// `#[evloop::main]` may).
#[path = "support/fake_rt.rs"]
mod fake_rt;

#[evloop_macros::main(crate = "crate::fake_rt")]
async fn main(port: u16) {
    let _ = port;
}
