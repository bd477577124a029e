//! Headless Chromium for the timeline page's browser tests: finding the
//! binary, running it on a page, and reading `data-*` attributes back.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The installed Chromium, if any (the tests skip without it).
pub fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let out = Command::new("which").arg(name).output().ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        })
}

/// The number in attribute `data-NAME` of the dumped DOM.
pub fn attr(dom: &str, name: &str) -> Option<u64> {
    let key = format!("data-{name}=\"");
    let start = dom.find(&key)? + key.len();
    let end = start + dom[start..].find('"')?;
    dom[start..end].parse().ok()
}

/// Runs Chromium headless on `page` (with `hash`) and returns its output.
pub fn run_chromium(bin: &Path, page: &Path, hash: &str, extra: &[String]) -> String {
    let profile = std::env::temp_dir().join(format!("evloop-chromium-{}", std::process::id()));
    let out = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}{hash}", page.display()))
        .output()
        .expect("run chromium");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
