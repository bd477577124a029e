#[path = "support/fake_rt.rs"]
mod fake_rt;

#[evloop_macros::test(crate = "crate::fake_rt")]
#[test]
async fn twice() {}

fn main() {}
