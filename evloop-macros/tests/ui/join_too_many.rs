async fn run() {
    let _ = evloop::join!(async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {}, async {});
}

fn main() {
    let _ = run();
}
