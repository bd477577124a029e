//! The `hyper` feature: hyper 1.x servers and clients on evloop with no
//! glue, over real loopback TCP.

mod support;

use std::convert::Infallible;
use std::time::Duration;

use evloop::hyper::{Executor, Io, Timer};
use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::{TcpListener, TcpStream};
use evloop::time::timeout;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};

const LIMIT: Duration = Duration::from_secs(20);

/// Answers `METHOD PATH BODY`, or 404 for `/missing`.
async fn echo(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    if parts.uri.path() == "/missing" {
        let mut res = Response::new(Full::new(Bytes::from_static(b"no")));
        *res.status_mut() = StatusCode::NOT_FOUND;
        return Ok(res);
    }
    let body = body.collect().await.unwrap().to_bytes();
    let text = format!(
        "{} {} {}",
        parts.method,
        parts.uri.path(),
        String::from_utf8_lossy(&body)
    );
    Ok(Response::new(Full::new(Bytes::from(text))))
}

fn request(path: &str, body: &'static str) -> Request<Full<Bytes>> {
    Request::post(path)
        .header("host", "localhost")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

async fn body_text(res: Response<Incoming>) -> String {
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Serves every connection of `listener` with HTTP/1.
fn serve_http1(listener: TcpListener) {
    evloop::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            evloop::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(Timer::new())
                    .serve_connection(Io::new(stream), hyper::service::service_fn(echo))
                    .await;
            });
        }
    });
}

#[test]
fn http1_server_and_client_keep_alive() {
    support::rt().block_on(async {
        timeout(LIMIT, async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            serve_http1(listener);

            let stream = TcpStream::connect(addr).await.unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(Io::new(stream))
                .await
                .unwrap();
            let conn = evloop::spawn(conn);
            for i in 0..20 {
                let body: &'static str = if i % 2 == 0 { "even" } else { "odd" };
                sender.ready().await.unwrap();
                let res = sender.send_request(request("/echo", body)).await.unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                assert_eq!(body_text(res).await, format!("POST /echo {body}"));
            }
            let res = sender.send_request(request("/missing", "")).await.unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND);
            assert_eq!(body_text(res).await, "no");
            drop(sender);
            conn.await.unwrap().unwrap();
        })
        .await
        .expect("the HTTP/1 exchange took too long");
    });
}

/// HTTP/2 needs the executor on both sides (hyper spawns the streams and
/// the connection's background work); many requests run at once.
fn http2_exchange(runtime: evloop::runtime::Runtime) {
    runtime.block_on(async {
        timeout(LIMIT, async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            evloop::spawn(async move {
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    evloop::spawn(async move {
                        let _ = hyper::server::conn::http2::Builder::new(Executor::new())
                            .timer(Timer::new())
                            .serve_connection(Io::new(stream), hyper::service::service_fn(echo))
                            .await;
                    });
                }
            });

            let stream = TcpStream::connect(addr).await.unwrap();
            let (sender, conn) = hyper::client::conn::http2::Builder::new(Executor::new())
                .timer(Timer::new())
                .handshake(Io::new(stream))
                .await
                .unwrap();
            evloop::spawn(conn);
            let mut tasks = Vec::new();
            for i in 0..32 {
                let mut sender = sender.clone();
                tasks.push(evloop::spawn(async move {
                    sender.ready().await.unwrap();
                    let path = format!("/stream/{i}");
                    let req = Request::post(path.as_str())
                        .body(Full::new(Bytes::from(format!("n{i}"))))
                        .unwrap();
                    let res = sender.send_request(req).await.unwrap();
                    assert_eq!(res.version(), hyper::Version::HTTP_2);
                    assert_eq!(body_text(res).await, format!("POST {path} n{i}"));
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
        })
        .await
        .expect("the HTTP/2 exchange took too long");
    });
}

#[test]
fn http2_server_and_client_current_thread() {
    http2_exchange(support::rt());
}

#[test]
fn http2_server_and_client_multi_thread() {
    http2_exchange(support::mt());
}

/// The timer drives hyper's timeouts: a client that sends nothing has its
/// connection closed once the header read timeout passes.
#[test]
fn http1_header_read_timeout_uses_the_timer() {
    support::rt().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = evloop::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            hyper::server::conn::http1::Builder::new()
                .timer(Timer::new())
                .header_read_timeout(Duration::from_millis(50))
                .serve_connection(Io::new(stream), hyper::service::service_fn(echo))
                .await
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let mut buf = Vec::new();
        timeout(LIMIT, client.read_to_end(&mut buf))
            .await
            .expect("the server did not time out")
            .unwrap();
        let res = timeout(LIMIT, server).await.unwrap().unwrap();
        assert!(res.is_err(), "the connection should end with a timeout");
    });
}

#[test]
fn timer_sleep_reset_and_now() {
    use hyper::rt::Timer as _;
    support::rt().block_on(async {
        let timer = Timer::new();
        let start = timer.now();
        let mut sleep = timer.sleep(Duration::from_secs(3600));
        timer.reset(&mut sleep, start + Duration::from_millis(10));
        timeout(LIMIT, sleep)
            .await
            .expect("reset did not move the deadline");
        assert!(timer.now() >= start + Duration::from_millis(10));
        let at = timer.sleep_until(timer.now() + Duration::from_millis(5));
        timeout(LIMIT, at).await.unwrap();
    });
}

/// `Io` works the other way too: an upgraded hyper connection used with
/// evloop's `AsyncRead`/`AsyncWrite` helpers.
#[test]
fn upgraded_connection_through_evloop_traits() {
    support::rt().block_on(async {
        timeout(LIMIT, async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            evloop::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let service = hyper::service::service_fn(|mut req: Request<Incoming>| async move {
                    evloop::spawn(async move {
                        let upgraded = hyper::upgrade::on(&mut req).await.unwrap();
                        let mut io = Io::new(upgraded);
                        let mut buf = [0u8; 4];
                        io.read_exact(&mut buf).await.unwrap();
                        io.write_all(&buf).await.unwrap();
                        io.write_all(b"!").await.unwrap();
                        io.flush().await.unwrap();
                    });
                    let mut res = Response::new(Full::<Bytes>::default());
                    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
                    res.headers_mut().insert("upgrade", "echo".parse().unwrap());
                    res.headers_mut()
                        .insert("connection", "upgrade".parse().unwrap());
                    Ok::<_, Infallible>(res)
                });
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(Io::new(stream), service)
                    .with_upgrades()
                    .await
                    .unwrap();
            });

            let stream = TcpStream::connect(addr).await.unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(Io::new(stream))
                .await
                .unwrap();
            evloop::spawn(conn.with_upgrades());
            let req = Request::get("/")
                .header("host", "localhost")
                .header("upgrade", "echo")
                .header("connection", "upgrade")
                .body(Full::<Bytes>::default())
                .unwrap();
            let res = sender.send_request(req).await.unwrap();
            assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
            let mut io = Io::new(hyper::upgrade::on(res).await.unwrap());
            io.write_all(b"ping").await.unwrap();
            let mut back = [0u8; 5];
            io.read_exact(&mut back).await.unwrap();
            assert_eq!(&back, b"ping!");
        })
        .await
        .expect("the upgrade took too long");
    });
}
