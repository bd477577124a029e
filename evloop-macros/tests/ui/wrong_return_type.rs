#[path = "support/fake_rt.rs"]
mod fake_rt;

#[evloop_macros::main(crate = "crate::fake_rt", flavor = "current_thread")]
async fn main() -> Result<(), String> {
    // The body keeps the declared return type: this is a type error.
    Ok(5)
}
