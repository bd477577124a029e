//! Opens the timeline page's cause panels in headless Chromium (suspended
//! tasks, lints, summaries, search, the selected task's waits). Skipped
//! (with a note) when Chromium is not installed.

use std::path::Path;
use std::time::Duration;

use evloop::runtime::Builder;
use evloop::trace::TraceConfig;

mod support;

use support::chromium::{attr, chromium, run_chromium};

fn dump_dom(bin: &Path, page: &Path, hash: &str) -> String {
    run_chromium(bin, page, hash, &["--dump-dom".to_string()])
}

#[test]
fn cause_panels_render_in_chromium() {
    let Some(bin) = chromium() else {
        println!("note: chromium not installed; skipping the browser test");
        return;
    };
    let rt = Builder::new_current_thread()
        .enable_all()
        .trace(TraceConfig::new())
        .build()
        .unwrap();
    let (waiter, line, _tx) = rt.block_on(async {
        let (tx, mut rx) = evloop::sync::mpsc::channel::<u8>(1);
        let waiter = evloop::task::Builder::new()
            .name("mailbox")
            .spawn(async move {
                rx.recv().await;
            })
            .unwrap();
        let line = line!() - 3;
        evloop::task::Builder::new()
            .name("spinner")
            .spawn(async {
                for _ in 0..150 {
                    evloop::task::yield_now().await;
                }
            })
            .unwrap()
            .await
            .unwrap();
        evloop::spawn(async { std::thread::sleep(Duration::from_millis(15)) })
            .await
            .unwrap();
        (waiter.id().as_u64(), line, tx)
    });
    let trace = rt.trace_snapshot().unwrap();
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    std::fs::create_dir_all(&target).unwrap();
    let page = target.join("timeline-causes-test.html");
    trace.write(&page).unwrap();
    let page = page.canonicalize().unwrap();

    let dom = dump_dom(&bin, &page, &format!("#task={waiter}&q=spinner"));
    assert!(
        dom.contains("data-rendered=\"true\""),
        "timeline script did not finish"
    );
    assert!(
        dom.contains("data-ready=\"true\""),
        "cause panels did not finish: {}",
        &dom[dom.len().saturating_sub(3000)..]
    );
    // Suspended tasks: the sentence a person needs.
    let at = format!("tests/trace_causes_browser.rs:{line}");
    assert!(
        dom.contains(&format!(
            "task {waiter} “mailbox”</a> waiting on <b>mpsc::Receiver::recv</b> at <code>{at}"
        )),
        "suspended panel: {}",
        &dom[dom.find("cz-suspended").unwrap_or(0)..][..1500.min(dom.len())]
    );
    // Lints: the blocking poll and the spinner.
    assert!(dom.contains("cz-stall"), "stall lint");
    assert!(dom.contains("cz-self_wake_storm"), "self-wake lint");
    // Summaries.
    assert!(dom.contains("Slowest polls") && dom.contains("Longest queue waits"));
    assert!(dom.contains("Per spawn site") && dom.contains("cz-hist"));
    assert!(dom.contains("Busy share per lane"));
    // The selected task's waits, and the search from the URL.
    assert_eq!(attr(&dom, "cz-selected"), Some(waiter));
    assert!(dom.contains(&format!("Where task {waiter} “mailbox” waited")));
    assert_eq!(attr(&dom, "cz-matches"), Some(1));
}
