#[path = "support/fake_rt.rs"]
mod fake_rt;

#[evloop_macros::test(crate = "crate::fake_rt")]
async fn takes_input(n: u32) {
    let _ = n;
}

fn main() {}
