//! `EVLOOP_TRACE=path` turns recording on without code changes (its own
//! test binary: the variable is process-wide).

mod support;

#[test]
fn evloop_trace_env_writes_html_on_drop() {
    let dir = std::env::temp_dir().join(format!("evloop-trace-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("timeline.html");
    // The only test in this binary, so no other runtime reads the variable.
    std::env::set_var("EVLOOP_TRACE", &path);
    let rt = support::rt();
    std::env::remove_var("EVLOOP_TRACE");
    rt.block_on(async {
        evloop::task::Builder::new()
            .name("env-task")
            .spawn(async {})
            .unwrap()
            .await
            .unwrap();
    });
    assert!(!path.exists(), "written on drop, not before");
    drop(rt);
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.contains("<canvas"));
    assert!(html.contains("\"env-task\""));
    assert!(!html.contains("/*__TRACE_DATA__*/null"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network fetches"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
