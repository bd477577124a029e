//! `evloop-bench http_axum`: an axum server on evloop (through the tokio
//! face) against the same server on tokio, under `wrk`.
//!
//! The server is `compat/src/bin/http_axum.rs`, one source built twice: in
//! `compat/` (tokio patched to `tokio-face`, so evloop) and in
//! `compat/on-tokio/` (the real tokio). Two endpoints are loaded: `GET /`
//! (a plain "Hello, World!") and `POST /echo` (a JSON body parsed by axum's
//! `Json` extractor and written back). For each flavour and endpoint the two
//! servers run interleaved (evloop, tokio, evloop, ...), each run a fresh
//! server process checked with one request before `wrk -t2 -c64 --latency`
//! loads it; the table gives the medians of requests/s and of the p99
//! latency and the ratios evloop ÷ tokio.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};

use crate::stats;
use crate::workloads::http::{parse_wrk, WrkReport};

/// The echo endpoint's request body; its keys are sorted, as serde_json
/// writes a parsed object back.
const ECHO_BODY: &str =
    r#"{"id":42,"name":"evloop","nested":{"n":3.5,"ok":true},"tags":["async","runtime"]}"#;

const USAGE: &str = "evloop-bench http_axum [--runs N] [--secs S] [--quick] [--no-build]
  --runs N     interleaved runs per cell (default 5)
  --secs S     wrk duration per run (default 5; --quick: 1 and one run)
  --no-build   use the server binaries already built in compat/target/release
               and compat/on-tokio/target/release";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Hello,
    Echo,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Endpoint::Hello => "hello",
            Endpoint::Echo => "json echo",
        }
    }
}

struct Opts {
    runs: usize,
    secs: u32,
    build: bool,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut opts = Opts {
        runs: 5,
        secs: 5,
        build: true,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .and_then(|v| v.parse::<u32>().ok())
                .filter(|&v| v > 0)
                .ok_or_else(|| format!("{name} needs a positive number"))
        };
        match arg.as_str() {
            "--runs" => opts.runs = value("--runs")? as usize,
            "--secs" => opts.secs = value("--secs")?,
            "--quick" => {
                opts.runs = 1;
                opts.secs = 1;
            }
            "--no-build" => opts.build = false,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(opts)
}

/// `evloop-bench http_axum ...`.
pub(crate) fn main(args: &[String]) -> ExitCode {
    let opts = match parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("evloop-bench http_axum: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("http_axum: skipped, `wrk` is not installed (Debian package wrk)");
        return ExitCode::SUCCESS;
    }
    let compat = Path::new(env!("CARGO_MANIFEST_DIR")).join("../compat");
    let servers = [
        ("evloop", compat.clone()),
        ("tokio", compat.join("on-tokio")),
    ];
    let mut bins = Vec::new();
    for (name, dir) in &servers {
        if opts.build {
            eprintln!("http_axum: building the {name} server in {}", dir.display());
            let status = Command::new(env!("CARGO"))
                .args(["build", "--release", "--locked", "--bin", "http_axum"])
                .arg("--manifest-path")
                .arg(dir.join("Cargo.toml"))
                .status()
                .expect("cannot run cargo");
            if !status.success() {
                eprintln!("http_axum: building the {name} server failed");
                return ExitCode::FAILURE;
            }
        }
        bins.push(dir.join("target/release/http_axum"));
    }
    let lua = std::env::temp_dir().join(format!("evloop-bench-echo-{}.lua", std::process::id()));
    std::fs::write(&lua, wrk_post_script()).expect("write the wrk script");

    println!(
        "http_axum: axum 0.8 on evloop (tokio-face) vs tokio; wrk -t2 -c64 -d{}s, median of {} interleaved runs\n",
        opts.secs, opts.runs
    );
    println!("| workload | evloop req/s | tokio req/s | evloop/tokio | evloop p99 | tokio p99 | evloop/tokio |");
    println!("|---|---|---|---|---|---|---|");
    for flavor in ["mt", "ct"] {
        for endpoint in [Endpoint::Hello, Endpoint::Echo] {
            let mut reports: [Vec<WrkReport>; 2] = [Vec::new(), Vec::new()];
            for _ in 0..opts.runs {
                for (i, bin) in bins.iter().enumerate() {
                    reports[i].push(measure(bin, flavor, endpoint, opts.secs, &lua));
                }
            }
            let rps = |r: &[WrkReport]| {
                stats::median(&r.iter().map(|w| w.requests_per_sec).collect::<Vec<_>>())
                    .unwrap_or(f64::NAN)
            };
            let p99 = |r: &[WrkReport]| {
                stats::median(&r.iter().map(|w| w.p99_ms).collect::<Vec<_>>()).unwrap_or(f64::NAN)
            };
            let (er, tr) = (rps(&reports[0]), rps(&reports[1]));
            let (ep, tp) = (p99(&reports[0]), p99(&reports[1]));
            println!(
                "| http_axum {} ({flavor}) | {:.1}k/s | {:.1}k/s | {} | {ep:.2} ms | {tp:.2} ms | {} |",
                endpoint.name(),
                er / 1e3,
                tr / 1e3,
                stats::format_ratio(er, tr),
                stats::format_ratio(ep, tp),
            );
        }
    }
    let _ = std::fs::remove_file(&lua);
    ExitCode::SUCCESS
}

fn wrk_post_script() -> String {
    format!(
        "wrk.method = \"POST\"\nwrk.body = '{ECHO_BODY}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
    )
}

/// One run: a fresh server, one checked request, then wrk.
fn measure(bin: &Path, flavor: &str, endpoint: Endpoint, secs: u32, lua: &Path) -> WrkReport {
    let mut server = Server::start(bin, flavor);
    check(server.port, endpoint);
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c64", &format!("-d{secs}s"), "--latency"]);
    let url = match endpoint {
        Endpoint::Hello => format!("http://127.0.0.1:{}/", server.port),
        Endpoint::Echo => {
            cmd.arg("-s").arg(lua);
            format!("http://127.0.0.1:{}/echo", server.port)
        }
    };
    let out = cmd.arg(url).output().expect("cannot run wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wrk failed: {}\n{text}", out.status);
    let report = parse_wrk(&text).unwrap_or_else(|e| panic!("http_axum: {e}\n{text}"));
    assert!(report.requests > 0, "no request completed");
    server.stop();
    report
}

/// Sends one request on a fresh connection and asserts the answer.
fn check(port: u16, endpoint: Endpoint) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the server");
    let request = match endpoint {
        Endpoint::Hello => {
            "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".to_owned()
        }
        Endpoint::Echo => format!(
            "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ECHO_BODY}",
            ECHO_BODY.len()
        ),
    };
    s.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    match endpoint {
        Endpoint::Hello => assert_eq!(body, "Hello, World!"),
        Endpoint::Echo => assert_eq!(body, ECHO_BODY),
    }
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(bin: &Path, flavor: &str) -> Server {
        let mut child = Command::new(bin)
            .arg(flavor)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the server: {line:?}"));
        Server { child, port }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
