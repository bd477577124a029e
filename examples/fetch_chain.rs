//! The classic async/await program: fetch a user, then their posts, then the
//! comments — each step an `async fn` that waits.
fn main() {}
