//! `UnixStream::peer_cred`: the kernel's record of the peer process.

use std::time::Duration;

#[evloop::test]
async fn peer_cred_names_this_process_on_both_ends() {
    let (a, b) = evloop::net::UnixStream::pair().unwrap();
    let uid = std::fs::metadata("/proc/self").map(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid()
    });
    for s in [&a, &b] {
        let cred = s.peer_cred().unwrap();
        if let Ok(uid) = uid {
            assert_eq!(cred.uid(), uid);
        }
        #[cfg(target_os = "linux")]
        assert_eq!(cred.pid(), Some(std::process::id() as i32));
    }
}

#[evloop::test]
async fn peer_cred_through_a_listener() {
    let dir = std::env::temp_dir().join(format!("evloop-cred-{}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    let listener = evloop::net::UnixListener::bind(&dir).unwrap();
    let client = evloop::net::UnixStream::connect(&dir).await.unwrap();
    let (server, _) = evloop::time::timeout(Duration::from_secs(5), listener.accept())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        server.peer_cred().unwrap(),
        client.peer_cred().unwrap(),
        "both ends are this process"
    );
    let _ = std::fs::remove_file(&dir);
}
