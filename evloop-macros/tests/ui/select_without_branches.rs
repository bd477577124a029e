// A `select!` with nothing in it is an error (one with only an `else`
// branch is not: it evaluates the `else` expression).
async fn run() -> u32 {
    evloop::select! {}
}

fn main() {
    let _ = run();
}
