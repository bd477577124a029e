//! The server of evloop-bench's `http_axum` workload: axum serving a plain
//! hello (`GET /`) and a JSON echo (`POST /echo`) on a loopback port.
//!
//! Built twice from this one source: in `compat/` (tokio patched to evloop)
//! and in `compat/on-tokio/` (the real tokio). Usage:
//! `http_axum mt|ct` (multi_thread with 2 workers, or current_thread); it
//! prints `listening PORT` and serves until killed.

use std::io::Write;

use axum::routing::{get, post};
use axum::{Json, Router};

async fn hello() -> &'static str {
    "Hello, World!"
}

async fn echo(Json(value): Json<serde_json::Value>) -> Json<serde_json::Value> {
    Json(value)
}

fn main() {
    let flavor = std::env::args().nth(1).unwrap_or_else(|| "mt".into());
    let runtime = match flavor.as_str() {
        "mt" => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
        "ct" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        other => panic!("unknown flavour {other:?}: expected mt or ct"),
    }
    .expect("runtime");
    runtime.block_on(async {
        let app = Router::new()
            .route("/", get(hello))
            .route("/echo", post(echo));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut out = std::io::stdout();
        writeln!(out, "listening {port}").unwrap();
        out.flush().unwrap();
        axum::serve(listener, app).await.unwrap();
    });
}
