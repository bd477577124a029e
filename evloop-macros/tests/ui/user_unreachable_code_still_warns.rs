// The expansion exempts only its own statement from `unreachable_code`:
// unreachable code the user writes in the body is still reported.
#![deny(unreachable_code)]

#[path = "support/fake_rt.rs"]
mod fake_rt;

#[evloop_macros::main(crate = "crate::fake_rt", flavor = "current_thread")]
async fn main() -> Result<(), String> {
    return Ok(());
    #[allow(unused_variables)]
    let x = 1;
    Ok(())
}
