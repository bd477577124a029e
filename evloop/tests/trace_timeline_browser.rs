//! Opens the timeline page in headless Chromium and checks what it
//! rendered. Skipped (with a note) when Chromium is not installed.

use std::path::Path;

use evloop::runtime::Builder;
use evloop::trace::{EventKind, TraceConfig};

mod support;

use support::chromium::{attr, chromium, run_chromium};

#[test]
fn timeline_page_renders_in_chromium() {
    let Some(bin) = chromium() else {
        println!("note: chromium not installed; skipping the browser test");
        return;
    };
    let rt = Builder::new_current_thread()
        .enable_all()
        .trace(TraceConfig::new())
        .build()
        .unwrap();
    let gate = support::Gate::new();
    let g = gate.clone();
    rt.block_on(async move {
        let waiter = evloop::task::Builder::new()
            .name("waiter")
            .spawn(async move { g.wait().await })
            .unwrap();
        let workers: Vec<_> = (0..8u64)
            .map(|i| {
                evloop::spawn(async move {
                    for _ in 0..i {
                        evloop::task::yield_now().await;
                    }
                    std::thread::sleep(std::time::Duration::from_micros(200 * i));
                    i
                })
            })
            .collect();
        for w in workers {
            w.await.unwrap();
        }
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(5));
            gate.open();
        });
        waiter.await.unwrap();
    });
    let trace = rt.trace_snapshot().unwrap();
    let polls = trace
        .events()
        .iter()
        .filter(|e| e.kind() == EventKind::PollStart && e.task().is_some())
        .count() as u64;
    let tasks = trace.tasks().len() as u64;
    let lanes = trace.lanes().len() as u64;
    assert_eq!(tasks, 9);
    assert_eq!(
        lanes, 2,
        "the loop thread and the thread that opened the gate"
    );

    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    std::fs::create_dir_all(&target).unwrap();
    let page = target.join("timeline-test.html");
    trace.write(&page).unwrap();
    let page = page.canonicalize().unwrap();

    let waiter = trace
        .tasks()
        .into_iter()
        .find(|t| t.name.as_deref() == Some("waiter"))
        .unwrap()
        .id;
    let hash = format!("#task={waiter}");
    let dom = run_chromium(&bin, &page, &hash, &["--dump-dom".to_string()]);
    assert_eq!(
        attr(&dom, "rendered").map(|_| ()),
        None,
        "boolean attribute"
    );
    assert!(
        dom.contains("data-rendered=\"true\""),
        "script did not finish: {}",
        &dom[..dom.len().min(2000)]
    );
    assert_eq!(attr(&dom, "polls"), Some(polls));
    assert_eq!(attr(&dom, "tasks"), Some(tasks));
    assert_eq!(attr(&dom, "lanes"), Some(lanes));
    assert_eq!(attr(&dom, "events"), Some(trace.events().len() as u64));
    assert_eq!(attr(&dom, "dropped"), Some(0));
    assert!(attr(&dom, "parks").unwrap() >= 1);
    // The task picked in the URL is described below the canvas.
    assert_eq!(attr(&dom, "selected"), Some(waiter));
    assert!(
        dom.contains(&format!("task {waiter} “waiter”")),
        "detail panel"
    );
    assert!(
        dom.contains("trace_timeline_browser.rs:"),
        "spawn site shown"
    );

    let shot = target.join("timeline.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &bin,
        &page,
        &hash,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,900".to_string(),
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}
