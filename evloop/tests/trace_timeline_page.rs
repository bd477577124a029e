//! Drives the timeline page in headless Chromium: a script injected before
//! the page's own wraps the canvas calls it makes, and a script after it
//! zooms, hovers and clicks, then leaves what it saw in the DOM. Skipped
//! (with a note) when Chromium is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use evloop::runtime::Builder;
use evloop::trace::{TraceConfig, TraceSnapshot};

#[path = "timeline_page/../timeline_page/spawner.rs"]
mod spawner;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let out = Command::new("which").arg(name).output().ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        })
}

/// Logs the canvas calls the page makes (since the last `clearRect`, which
/// starts every redraw) in `window.__log`.
const PRE: &str = r#"<script>
(function () {
  const P = CanvasRenderingContext2D.prototype;
  const log = window.__log = { texts: [], fills: 0, fillRects: 0, strokes: 0, draws: 0 };
  const clear = P.clearRect;
  P.clearRect = function () { log.texts = []; log.fills = 0; log.fillRects = 0; log.strokes = 0; log.draws++; return clear.apply(this, arguments); };
  const text = P.fillText;
  P.fillText = function (s, x, y) { log.texts.push({ s: String(s), x, y, w: this.measureText(String(s)).width }); return text.apply(this, arguments); };
  const fill = P.fill;
  P.fill = function () { log.fills++; return fill.apply(this, arguments); };
  const fr = P.fillRect;
  P.fillRect = function () { log.fillRects++; return fr.apply(this, arguments); };
  const st = P.stroke;
  P.stroke = function () { log.strokes++; return st.apply(this, arguments); };
})();
</script>"#;

/// Helpers for the probe scripts: synthetic input on the canvas and a way
/// to hand results back.
const HELPERS: &str = r#"
const cv = document.getElementById("cv"), tip = document.getElementById("tip");
function at(type, x, y, more) {
  const r = cv.getBoundingClientRect();
  const init = Object.assign({ clientX: r.left + x, clientY: r.top + y, bubbles: true, cancelable: true }, more || {});
  const e = type === "wheel" ? new WheelEvent(type, init) : new MouseEvent(type, init);
  (type === "mouseup" ? window : cv).dispatchEvent(e);
}
function click(x, y) { at("mousedown", x, y); at("mouseup", x, y); }
function axisLabels() { return __log.texts.filter(t => t.y < 24); }
const out = {};
function done() {
  const s = document.createElement("script"); s.type = "text/plain"; s.id = "probe";
  s.textContent = JSON.stringify(out); document.body.appendChild(s);
}
"#;

static RUNS: AtomicUsize = AtomicUsize::new(0);

/// Opens `html` (with `post` run after the page's script) and returns
/// the JSON the probe left, or `None` without Chromium.
fn probe(name: &str, html: &str, hash: &str, post: &str) -> Option<String> {
    let Some(bin) = chromium() else {
        println!("note: chromium not installed; skipping the browser test");
        return None;
    };
    let html = html
        .replacen("<head>", &format!("<head>{PRE}"), 1)
        .replacen(
            "</body>",
            &format!("<script>(function () {{ {HELPERS}\n{post}\n}})();</script></body>"),
            1,
        );
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/timeline-page-tests");
    std::fs::create_dir_all(&target).unwrap();
    let page = target.join(format!("{name}.html"));
    std::fs::write(&page, html).unwrap();
    let page = page.canonicalize().unwrap();
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let profile =
        std::env::temp_dir().join(format!("evloop-chromium-{}-{run}", std::process::id()));
    let out = Command::new("timeout")
        .arg("120")
        .arg(&bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1400,900",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}{hash}", page.display()))
        .output()
        .expect("run chromium");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    let key = "<script type=\"text/plain\" id=\"probe\">";
    let start = dom
        .find(key)
        .unwrap_or_else(|| panic!("probe did not finish: {}", tail(&dom)))
        + key.len();
    let end = start + dom[start..].find("</script>").unwrap();
    Some(dom[start..end].to_string())
}

fn tail(s: &str) -> &str {
    let mut i = s.len().saturating_sub(3000);
    while !s.is_char_boundary(i) {
        i += 1;
    }
    &s[i..]
}

/// The value of `"key":` in a flat JSON object (number, bool or string).
fn field<'a>(json: &'a str, key: &str) -> &'a str {
    let k = format!("\"{key}\":");
    let start = json
        .find(&k)
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        + k.len();
    let rest = &json[start..];
    if let Some(r) = rest.strip_prefix('"') {
        let end = r.find('"').unwrap();
        &r[..end]
    } else {
        let end = rest.find([',', '}']).unwrap();
        &rest[..end]
    }
}

fn num(json: &str, key: &str) -> f64 {
    field(json, key)
        .parse()
        .unwrap_or_else(|_| panic!("{key} not a number in {json}"))
}

/// A few tasks that yield, sleep and wait on another thread: spans of
/// many sizes on one loop lane.
fn small_trace() -> TraceSnapshot {
    let rt = Builder::new_current_thread()
        .enable_all()
        .trace(TraceConfig::new())
        .build()
        .unwrap();
    rt.block_on(async {
        let tasks: Vec<_> = (0..8u64)
            .map(|i| {
                evloop::spawn(async move {
                    for _ in 0..i {
                        evloop::task::yield_now().await;
                    }
                    std::thread::sleep(Duration::from_micros(100 * i));
                    evloop::time::sleep(Duration::from_millis(1)).await;
                    i
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    rt.trace_snapshot().unwrap()
}

fn multi_thread_trace() -> TraceSnapshot {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .trace(TraceConfig::new())
        .build()
        .unwrap();
    rt.block_on(async {
        // A burst that fills the queues, then a quiet tail of one task at a time.
        let burst: Vec<_> = (0..400)
            .map(|_| {
                evloop::spawn(async {
                    let inner: Vec<_> = (0..4).map(|_| evloop::spawn(async {})).collect();
                    for t in inner {
                        t.await.unwrap();
                    }
                })
            })
            .collect();
        for t in burst {
            t.await.unwrap();
        }
        for _ in 0..200 {
            evloop::spawn(async {}).await.unwrap();
            evloop::time::sleep(Duration::from_micros(50)).await;
        }
    });
    rt.trace_snapshot().unwrap()
}

#[test]
fn axis_labels_stay_distinct_at_every_zoom() {
    let trace = small_trace();
    let Some(json) = probe(
        "axis-distinct",
        &trace.to_html(),
        "",
        r##"
        out.worst = "";
        let dupes = 0, steps = 0;
        for (let i = 0; i < 26; i++) {
          at("wheel", 700, 200, { deltaY: -400 });
          const labels = axisLabels().map(t => t.s);
          steps++;
          if (new Set(labels).size !== labels.length) { dupes++; out.worst = labels.join(" | "); }
        }
        out.dupes = dupes; out.steps = steps; done();
        "##,
    ) else {
        return;
    };
    assert_eq!(num(&json, "steps"), 26.0);
    assert_eq!(num(&json, "dupes"), 0.0, "repeated axis labels: {json}");
}

#[test]
fn rightmost_axis_label_fits_the_canvas() {
    let trace = small_trace();
    let Some(json) = probe(
        "axis-clip",
        &trace.to_html(),
        "",
        r##"
        let over = 0, seen = 0;
        const W = cv.clientWidth;
        for (let i = 0; i < 40; i++) {
          at("wheel", 200 + i * 29, 200, { deltaY: i % 3 === 2 ? 300 : -200 });
          for (const t of axisLabels()) { seen++; if (t.x + t.w > W + 0.5 || t.x < 0) over++; }
        }
        out.over = over; out.seen = seen; done();
        "##,
    ) else {
        return;
    };
    assert!(num(&json, "seen") > 40.0, "{json}");
    assert_eq!(num(&json, "over"), 0.0, "labels cut at the edge: {json}");
}

#[test]
fn tooltip_follows_wheel_zoom() {
    let trace = small_trace();
    let Some(json) = probe(
        "tooltip-wheel",
        &trace.to_html(),
        "",
        r##"
        const state = () => tip.style.display === "block" ? tip.textContent : "";
        let stale = 0, shown = 0;
        for (let i = 0; i < 300; i++) {
          const x = 160 + (i * 397) % 1200, y = 146 + (i % 2) * 4;
          at("mousemove", x, y);
          if (state()) shown++;
          at("wheel", x, y, { deltaY: [700, -900, 1200, -300][i % 4] });
          const after = state();
          at("mousemove", x, y);
          if (after !== state()) stale++;
        }
        out.stale = stale; out.shown = shown; done();
        "##,
    ) else {
        return;
    };
    assert!(
        num(&json, "shown") > 0.0,
        "the pointer never hit a poll: {json}"
    );
    assert_eq!(
        num(&json, "stale"),
        0.0,
        "tooltip kept from before the zoom: {json}"
    );
}

#[test]
fn clicking_empty_canvas_clears_the_panel() {
    let trace = small_trace();
    let task = trace.tasks()[0].id;
    let Some(json) = probe(
        "click-empty",
        &trace.to_html(),
        &format!("#task={task}"),
        r##"
        const d = document.getElementById("detail");
        out.before = d.querySelector("h2") ? d.querySelector("h2").textContent : "";
        click(700, 5);
        out.after = d.querySelector("h2") ? d.querySelector("h2").textContent : "";
        out.selected = document.documentElement.dataset.selected || "";
        done();
        "##,
    ) else {
        return;
    };
    assert!(
        field(&json, "before").contains(&format!("task {task}")),
        "{json}"
    );
    assert_eq!(field(&json, "after"), "", "panel kept: {json}");
    assert_eq!(field(&json, "selected"), "", "{json}");
}

#[test]
fn spawn_sites_and_block_on_parent_read_plainly() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .trace(TraceConfig::new())
        .build()
        .unwrap();
    rt.block_on(async {
        spawner::spawn_here().await.unwrap();
    });
    let trace = rt.trace_snapshot().unwrap();
    let task = trace.tasks()[0].id;
    let Some(json) = probe(
        "site-parent",
        &trace.to_html(),
        &format!("#task={task}"),
        r##"
        out.meta = document.querySelector("#detail .meta").textContent.replace(/"/g, "'");
        done();
        "##,
    ) else {
        return;
    };
    let meta = field(&json, "meta");
    assert!(meta.contains("spawner.rs:"), "{meta}");
    assert!(!meta.contains("/../"), "site not normalised: {meta}");
    assert!(meta.contains("spawned by the block_on future"), "{meta}");
}

#[test]
fn worker_lanes_are_numbered() {
    let trace = multi_thread_trace();
    let names: Vec<_> = trace.lanes().iter().map(|l| l.name().to_string()).collect();
    assert!(names.iter().any(|n| n == "worker-0"), "{names:?}");
    assert!(names.iter().any(|n| n == "worker-1"), "{names:?}");
    let json = trace.to_chrome_json();
    assert!(json.contains(r#""args":{"name":"worker-0"}"#));
    assert!(json.contains(r#""args":{"name":"worker-1"}"#));
    let Some(out) = probe(
        "worker-lanes",
        &trace.to_html(),
        "",
        r##"
        const names = __log.texts.filter(t => t.x < 150).map(t => t.s);
        out.w0 = names.includes("worker-0"); out.w1 = names.includes("worker-1"); done();
        "##,
    ) else {
        return;
    };
    assert_eq!(field(&out, "w0"), "true", "{out}");
    assert_eq!(field(&out, "w1"), "true", "{out}");
}

#[test]
fn one_queue_series_per_queue_fit_to_the_view() {
    let trace = multi_thread_trace();
    // Chrome JSON: a counter track per queue, each with an id.
    let json = trace.to_chrome_json();
    let mut tracks = std::collections::BTreeSet::new();
    for line in json.lines().filter(|l| l.contains(r#""ph":"C""#)) {
        assert!(line.contains(r#""id":"#), "counter without id: {line}");
        let name = line.split(r#""name":""#).nth(1).unwrap();
        tracks.insert(name[..name.find('"').unwrap()].to_string());
    }
    assert!(tracks.len() >= 3, "inject + one per worker: {tracks:?}");
    let Some(out) = probe(
        "queue-series",
        &trace.to_html(),
        "",
        r##"
        const inChart = () => __log.texts.filter(t => t.y > 26 && t.y < 112 && t.x < 150).map(t => t.s);
        out.full = inChart().join("|");
        const maxOf = () => Math.max(...inChart().filter(s => /^max /.test(s)).map(s => Number(s.slice(4))));
        out.fullMax = maxOf();
        for (let i = 0; i < 14; i++) at("wheel", cv.clientWidth - 14, 200, { deltaY: -500 });
        out.zoomMax = maxOf();
        done();
        "##,
    ) else {
        return;
    };
    let full = field(&out, "full");
    assert!(full.contains("inject"), "{out}");
    assert!(full.contains("worker-0"), "{out}");
    assert!(full.contains("worker-1"), "{out}");
    assert!(
        num(&out, "zoomMax") < num(&out, "fullMax"),
        "y-scale not fit to the view: {out}"
    );
}

#[test]
fn markers_batch_into_one_path_per_kind() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .trace(TraceConfig::new())
        .build()
        .unwrap();
    rt.block_on(async {
        let tasks: Vec<_> = (0..3000u64)
            .map(|i| {
                evloop::spawn(async move {
                    evloop::time::sleep(Duration::from_micros(i % 700)).await;
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let trace = rt.trace_snapshot().unwrap();
    let Some(out) = probe(
        "markers",
        &trace.to_html(),
        "",
        r##"
        out.fills = __log.fills; done();
        "##,
    ) else {
        return;
    };
    assert!(num(&out, "fills") < 50.0, "a path per marker: {out}");
}

#[test]
fn long_task_table_is_paged() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .trace(TraceConfig::new().ring_capacity(1 << 15))
        .build()
        .unwrap();
    let id = rt.block_on(async {
        let t = evloop::spawn(async {
            for _ in 0..5000 {
                evloop::task::yield_now().await;
            }
            evloop::task::id()
        });
        t.await.unwrap()
    });
    let trace = rt.trace_snapshot().unwrap();
    let Some(out) = probe(
        "paged",
        &trace.to_html(),
        &format!("#task={id}"),
        r##"
        const d = document.getElementById("detail");
        out.rows = d.querySelectorAll("tr").length;
        const next = [...d.querySelectorAll("button")].find(b => /next/i.test(b.textContent));
        out.pager = !!next;
        if (next) { next.click(); }
        out.first = d.querySelector("tr:nth-child(2) td") ? d.querySelector("tr:nth-child(2) td").textContent : "";
        done();
        "##,
    ) else {
        return;
    };
    assert!(num(&out, "rows") <= 201.0, "every row printed: {out}");
    assert_eq!(field(&out, "pager"), "true", "{out}");
    assert!(num(&out, "first") > 1.0, "next page starts later: {out}");
}

#[test]
fn dropped_events_say_how_to_keep_more() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .trace(TraceConfig::new().ring_capacity(64))
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..500 {
            evloop::spawn(async {}).await.unwrap();
        }
    });
    let trace = rt.trace_snapshot().unwrap();
    assert!(trace.dropped() > 0);
    let json = trace.to_chrome_json();
    assert!(
        json.contains(&format!("\"dropped_events\":{}", trace.dropped())),
        "no dropped count in the JSON"
    );
    let Some(out) = probe(
        "dropped",
        &trace.to_html(),
        "",
        r##"
        out.stats = document.getElementById("stats").textContent; done();
        "##,
    ) else {
        return;
    };
    assert!(field(&out, "stats").contains("EVLOOP_TRACE_RING"), "{out}");
}

#[test]
fn page_encoding_is_compact() {
    // Nothing here times the page (see the `page_load_figures` example of
    // the report below); this checks the bytes per event it must read.
    let rt = Builder::new_current_thread()
        .enable_all()
        .trace(TraceConfig::new().ring_capacity(1 << 18))
        .build()
        .unwrap();
    rt.block_on(async {
        let tasks: Vec<_> = (0..20_000u64)
            .map(|i| {
                evloop::spawn(async move {
                    evloop::time::sleep(Duration::from_micros(i % 500)).await;
                    evloop::task::yield_now().await;
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let trace = rt.trace_snapshot().unwrap();
    assert_eq!(trace.dropped(), 0);
    let events = trace.events().len();
    let page = trace.to_html();
    let per_event = page.len() as f64 / events as f64;
    println!(
        "{events} events, {} bytes, {per_event:.1} bytes/event",
        page.len()
    );
    assert!(per_event < 11.0, "{per_event:.1} bytes per event");
    let Some(out) = probe(
        "compact",
        &page,
        "",
        r##"
        out.events = Number(document.documentElement.dataset.events); if (window.__T) out.phases = JSON.stringify(window.__T).replace(/"/g, "");
        out.polls = Number(document.documentElement.dataset.polls); done();
        "##,
    ) else {
        return;
    };
    assert_eq!(num(&out, "events") as usize, events);
}

/// Figures for a big page, not a check: how long the page at
/// `EVLOOP_TIMELINE_PAGE` takes to open and to redraw at several zooms.
/// `cargo test -p evloop --test trace_timeline_page page_load_figures -- --ignored --nocapture`
#[test]
#[ignore = "prints figures for a page given in EVLOOP_TIMELINE_PAGE"]
fn page_load_figures() {
    let Ok(path) = std::env::var("EVLOOP_TIMELINE_PAGE") else {
        println!("note: set EVLOOP_TIMELINE_PAGE to a timeline page");
        return;
    };
    let html = std::fs::read_to_string(&path).unwrap();
    println!("page: {} bytes", html.len());
    let Some(out) = probe(
        "figures",
        &html,
        "",
        r##"
        const tl = window.evloopTimeline;
        out.opened_ms = performance.now();
        const time = f => { const a = performance.now(); f(); return performance.now() - a; };
        const worst = (f, k) => { let w = 0; for (let i = 0; i < k; i++) w = Math.max(w, time(f)); return w; };
        out.full_redraw_ms = worst(tl.draw, 5);
        const span = tl.tMax - tl.tMin, mid = tl.tMin + span * 0.37;
        let zoomed = 0;
        for (let k = 1; k <= 7; k++) {
          const s = span / Math.pow(10, k);
          tl.setView(mid - s / 2, mid + s / 2);
          zoomed = Math.max(zoomed, worst(tl.draw, 3));
        }
        out.zoomed_redraw_ms = zoomed;
        tl.setView(tl.tMin, tl.tMax);
        const count = new Map(); let most = 0;
        for (const l of tl.lanes) for (const id of l.pt) if (id) { const c = (count.get(id) || 0) + 1; count.set(id, c); if (c > (count.get(most) || 0)) most = id; }
        out.select_polls = count.get(most) || 0;
        out.select_ms = most ? time(() => tl.select(most)) : 0;
        out.events = Number(document.documentElement.dataset.events); if (window.__T) out.phases = JSON.stringify(window.__T).replace(/"/g, "");
        done();
        "##,
    ) else {
        return;
    };
    println!("figures: {out}");
}

/// Pins the calling thread to `cpu`.
#[cfg(target_os = "linux")]
fn pin(cpu: usize) {
    // SAFETY: a zeroed `cpu_set_t` is a valid empty set; the call reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        assert_eq!(
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set),
            0
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn descheduled_polls_are_marked() {
    use evloop::trace::EventKind;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    use std::time::Instant;

    if !Path::new("/proc/thread-self/schedstat").exists() {
        println!("note: no schedstat on this kernel; skipping");
        return;
    }
    // SAFETY: no arguments; returns this thread's CPU or -1.
    let cpu = unsafe { libc::sched_getcpu() }.max(0) as usize;
    let loop_thread = std::thread::spawn(move || {
        pin(cpu);
        let rt = Builder::new_current_thread()
            .enable_all()
            .trace(TraceConfig::new())
            .build()
            .unwrap();
        let (spun, slept) = rt.block_on(async move {
            // Spins 30 ms of wall time while two threads share its CPU:
            // most of that time the OS runs them instead.
            let stop = Arc::new(AtomicBool::new(false));
            let hogs: Vec<_> = (0..2)
                .map(|_| {
                    let stop = stop.clone();
                    std::thread::spawn(move || {
                        pin(cpu);
                        while !stop.load(Ordering::Relaxed) {
                            std::hint::spin_loop();
                        }
                    })
                })
                .collect();
            std::thread::sleep(Duration::from_millis(5));
            let spun = evloop::spawn(async {
                let start = Instant::now();
                while start.elapsed() < Duration::from_millis(30) {
                    std::hint::spin_loop();
                }
                evloop::task::id()
            });
            // Queued behind it: the spinning poll's end and this one's
            // start share a record.
            let next = evloop::spawn(async {});
            let spun = spun.await.unwrap();
            next.await.unwrap();
            stop.store(true, Ordering::Relaxed);
            for h in hogs {
                h.join().unwrap();
            }
            // Blocks 30 ms with the CPU free: slow, but the task's own doing.
            let slept = evloop::spawn(async {
                std::thread::sleep(Duration::from_millis(30));
                evloop::task::id()
            })
            .await
            .unwrap();
            (spun.as_u64(), slept.as_u64())
        });
        (rt.trace_snapshot().unwrap(), spun, slept)
    });
    let (trace, spun, slept) = loop_thread.join().unwrap();
    let waited = |task: u64| {
        trace
            .events()
            .iter()
            .filter(|e| e.kind() == EventKind::Descheduled && e.task() == Some(task))
            .filter_map(|e| e.descheduled())
            .sum::<Duration>()
    };
    assert!(
        waited(spun) >= Duration::from_millis(8),
        "the spinning poll waited {:?} for a CPU",
        waited(spun)
    );
    // Its sleep is not waiting for a CPU (on a busy machine the wake-up
    // may wait a little).
    assert!(
        waited(slept) < Duration::from_millis(15),
        "the sleeping poll counted as descheduled: {:?}",
        waited(slept)
    );
    let slept_marked = waited(slept) >= Duration::from_millis(30) / 4;
    let json = trace.to_chrome_json();
    assert!(json.contains(r#""cat":"descheduled""#));
    let Some(out) = probe(
        "descheduled",
        &trace.to_html(),
        &format!("#task={spun}"),
        &format!(
            r##"
        out.marked = Number(document.documentElement.dataset.descheduled);
        const cells = () => document.querySelectorAll("#detail td .off").length;
        out.spun = cells();
        window.evloopTimeline.select({slept});
        out.slept = cells();
        done();
        "##
        ),
    ) else {
        return;
    };
    assert!(num(&out, "marked") >= 1.0, "{out}");
    assert_eq!(
        num(&out, "spun"),
        1.0,
        "its row shows the time off CPU: {out}"
    );
    let expect = if slept_marked { 1.0 } else { 0.0 };
    assert_eq!(
        num(&out, "slept"),
        expect,
        "a blocking poll is its own: {out}"
    );
}
