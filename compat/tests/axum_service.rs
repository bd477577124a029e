//! An axum service (JSON routes, extractors, tower's `TimeoutLayer` and
//! `ConcurrencyLimitLayer`) served with `axum::serve`, called by reqwest over
//! HTTP/1 and HTTP/2 and by hyper's clients.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{BoxError, Json, Router};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::limit::ConcurrencyLimitLayer;
use tower::timeout::TimeoutLayer;
use tower::ServiceBuilder;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct User {
    id: u64,
    name: String,
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
}

#[derive(Deserialize)]
struct Greeting {
    name: Option<String>,
}

#[derive(Default)]
struct Counters {
    next_id: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

const HOLD_LIMIT: usize = 2;

fn app() -> Router {
    let held = Router::new()
        .route("/hold", get(hold))
        .route_layer(ConcurrencyLimitLayer::new(HOLD_LIMIT));
    Router::new()
        .route("/hello", get(hello))
        .route("/users", post(create_user))
        .route("/users/{id}", get(get_user))
        .route("/echo", post(echo))
        .route("/slow", get(slow))
        .route("/stats", get(stats))
        .merge(held)
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|err: BoxError| async move {
                    if err.is::<tower::timeout::error::Elapsed>() {
                        (StatusCode::REQUEST_TIMEOUT, "timed out".to_string())
                    } else {
                        (StatusCode::INTERNAL_SERVER_ERROR, err.to_string())
                    }
                }))
                .layer(TimeoutLayer::new(Duration::from_secs(1))),
        )
        .with_state(Arc::new(Counters::default()))
}

async fn hello(Query(q): Query<Greeting>) -> String {
    format!("Hello, {}!", q.name.as_deref().unwrap_or("World"))
}

async fn create_user(
    State(counters): State<Arc<Counters>>,
    Json(new): Json<NewUser>,
) -> (StatusCode, Json<User>) {
    let id = counters.next_id.fetch_add(1, Ordering::SeqCst) as u64 + 1;
    (StatusCode::CREATED, Json(User { id, name: new.name }))
}

async fn get_user(Path(id): Path<u64>) -> Result<Json<User>, StatusCode> {
    if id == 0 {
        return Err(StatusCode::NOT_FOUND);
    }
    Ok(Json(User {
        id,
        name: format!("user{id}"),
    }))
}

async fn echo(Json(value): Json<serde_json::Value>) -> Json<serde_json::Value> {
    Json(value)
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(30)).await;
    "too late"
}

async fn hold(State(counters): State<Arc<Counters>>) -> &'static str {
    let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    counters.max_in_flight.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(40)).await;
    counters.in_flight.fetch_sub(1, Ordering::SeqCst);
    "held"
}

async fn stats(State(counters): State<Arc<Counters>>) -> String {
    counters.max_in_flight.load(Ordering::SeqCst).to_string()
}

/// Serves `app()` on a loopback port until the returned sender is dropped
/// or fired; the join handle reports how the server ended.
async fn serve() -> (
    SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app())
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    (addr, stop, server)
}

async fn exercise_with_reqwest(client: reqwest::Client, base: &str, version: reqwest::Version) {
    let resp = client.get(format!("{base}/hello")).send().await.unwrap();
    assert_eq!(resp.version(), version);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "Hello, World!");

    let resp = client
        .get(format!("{base}/hello?name=evloop"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "Hello, evloop!");

    let resp = client
        .post(format!("{base}/users"))
        .json(&serde_json::json!({ "name": "ada" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let user: User = resp.json().await.unwrap();
    assert_eq!(user.name, "ada");
    assert!(user.id >= 1);

    let user: User = client
        .get(format!("{base}/users/7"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        user,
        User {
            id: 7,
            name: "user7".into()
        }
    );
    let resp = client.get(format!("{base}/users/0")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let resp = client
        .get(format!("{base}/users/not-a-number"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    // A large JSON body both ways.
    let items: Vec<u32> = (0..20_000).collect();
    let body = serde_json::json!({ "items": items, "nested": { "ok": true } });
    let back: serde_json::Value = client
        .post(format!("{base}/echo"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(back, body);

    // Many requests at once through one client.
    let mut joins = Vec::new();
    for i in 0..32 {
        let client = client.clone();
        let url = format!("{base}/users/{}", i + 1);
        joins.push(tokio::spawn(async move {
            let user: User = client.get(url).send().await.unwrap().json().await.unwrap();
            user.id
        }));
    }
    for (i, join) in joins.into_iter().enumerate() {
        assert_eq!(join.await.unwrap(), i as u64 + 1);
    }
}

async fn timeout_and_limit(client: reqwest::Client, base: &str) {
    let started = tokio::time::Instant::now();
    let resp = client.get(format!("{base}/slow")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::REQUEST_TIMEOUT.as_u16());
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(10),
        "{took:?}"
    );

    let mut joins = Vec::new();
    for _ in 0..8 {
        let client = client.clone();
        let url = format!("{base}/hold");
        joins.push(tokio::spawn(async move {
            client.get(url).send().await.unwrap().text().await.unwrap()
        }));
    }
    for join in joins {
        assert_eq!(join.await.unwrap(), "held");
    }
    let max: usize = client
        .get(format!("{base}/stats"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=HOLD_LIMIT).contains(&max), "max in flight {max}");
}

async fn run_reqwest() {
    support::assert_runtime();
    let (addr, stop, server) = serve().await;
    let base = format!("http://{addr}");

    let http1 = reqwest::Client::builder().http1_only().build().unwrap();
    exercise_with_reqwest(http1.clone(), &base, reqwest::Version::HTTP_11).await;
    let http2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    exercise_with_reqwest(http2.clone(), &base, reqwest::Version::HTTP_2).await;
    timeout_and_limit(http1, &base).await;
    timeout_and_limit(http2, &base).await;

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("graceful shutdown finished")
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_http1_and_http2_multi_thread() {
    let _dog = support::watchdog("reqwest_multi_thread", Duration::from_secs(60));
    run_reqwest().await;
}

#[tokio::test]
async fn reqwest_http1_and_http2_current_thread() {
    let _dog = support::watchdog("reqwest_current_thread", Duration::from_secs(60));
    run_reqwest().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_clients() {
    let _dog = support::watchdog("hyper_clients", Duration::from_secs(60));
    support::assert_runtime();
    let (addr, stop, server) = serve().await;

    // hyper-util's pooled client, HTTP/1 and HTTP/2.
    for http2 in [false, true] {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .http2_only(http2)
                .build_http::<Full<Bytes>>();
        for i in 0..5 {
            let uri: hyper::Uri = format!("http://{addr}/users/{}", i + 1).parse().unwrap();
            let resp = client.get(uri).await.unwrap();
            assert_eq!(resp.status(), 200);
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            let user: User = serde_json::from_slice(&body).unwrap();
            assert_eq!(user.id, i + 1);
        }
        let req = hyper::Request::post(format!("http://{addr}/echo"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(br#"{"a":[1,2,3]}"#)))
            .unwrap();
        let resp = client.request(req).await.unwrap();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], br#"{"a":[1,2,3]}"#);
    }

    // hyper's connection API over a stream from `tokio::net`.
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    let conn = tokio::spawn(conn);
    for _ in 0..3 {
        sender.ready().await.unwrap();
        let req = hyper::Request::get("/hello?name=hyper")
            .header("host", "localhost")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"Hello, hyper!");
    }
    drop(sender);
    conn.await.unwrap().unwrap();

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
