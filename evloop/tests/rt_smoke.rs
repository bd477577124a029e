use evloop::runtime::Builder;

#[test]
fn spawn_and_join() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let out = rt.block_on(async {
        let hs: Vec<_> = (0..1000u64)
            .map(|i| evloop::spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for h in hs {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(out, 999 * 1000 / 2);
}
