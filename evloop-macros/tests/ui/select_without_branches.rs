async fn run() -> u32 {
    evloop::select! {
        biased;
        else => 0,
    }
}

fn main() {
    let _ = run();
}
