//! A tonic gRPC service and client: unary and server-streaming calls. The
//! messages are prost structs written by hand and the service and client sit
//! directly on `tonic::server::Grpc` / `tonic::client::Grpc`, which is what
//! tonic's code generator emits, so no protoc is needed.

mod support;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tokio_stream::{Stream, StreamExt};
use tonic::codegen::http;
use tonic::{Request, Response, Status};

#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(uint32, tag = "2")]
    pub count: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    #[prost(string, tag = "1")]
    pub message: String,
    #[prost(uint32, tag = "2")]
    pub seq: u32,
}

const SAY_HELLO: &str = "/hello.Greeter/SayHello";
const SAY_HELLO_STREAM: &str = "/hello.Greeter/SayHelloStream";

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
type ReplyStream = Pin<Box<dyn Stream<Item = Result<HelloReply, Status>> + Send + 'static>>;

struct SayHello;

impl tonic::server::UnaryService<HelloRequest> for SayHello {
    type Response = HelloReply;
    type Future = BoxFuture<Result<Response<HelloReply>, Status>>;

    fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
        Box::pin(async move {
            let name = request.into_inner().name;
            if name.is_empty() {
                return Err(Status::invalid_argument("name is empty"));
            }
            // The handler itself awaits the runtime's timers.
            tokio::time::sleep(Duration::from_millis(1)).await;
            Ok(Response::new(HelloReply {
                message: format!("Hello, {name}!"),
                seq: 0,
            }))
        })
    }
}

struct SayHelloStream;

impl tonic::server::ServerStreamingService<HelloRequest> for SayHelloStream {
    type Response = HelloReply;
    type ResponseStream = ReplyStream;
    type Future = BoxFuture<Result<Response<ReplyStream>, Status>>;

    fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
        Box::pin(async move {
            let HelloRequest { name, count } = request.into_inner();
            let (tx, rx) = tokio::sync::mpsc::channel(4);
            tokio::spawn(async move {
                for seq in 0..count {
                    let reply = HelloReply {
                        message: format!("Hello #{seq}, {name}!"),
                        seq,
                    };
                    if tx.send(Ok(reply)).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            });
            Ok(Response::new(
                Box::pin(ReceiverStream::new(rx)) as ReplyStream
            ))
        })
    }
}

/// The service, as tonic's generated `GreeterServer` would route it.
#[derive(Clone)]
struct GreeterServer;

impl tonic::server::NamedService for GreeterServer {
    const NAME: &'static str = "hello.Greeter";
}

impl tower::Service<http::Request<tonic::body::Body>> for GreeterServer {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        match req.uri().path() {
            SAY_HELLO => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.unary(SayHello, req).await)
            }),
            SAY_HELLO_STREAM => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.server_streaming(SayHelloStream, req).await)
            }),
            _ => Box::pin(async move { Ok(Status::unimplemented("no such method").into_http()) }),
        }
    }
}

async fn say_hello(
    client: &mut tonic::client::Grpc<tonic::transport::Channel>,
    name: &str,
) -> Result<HelloReply, Status> {
    client
        .ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let response = client
        .unary(
            Request::new(HelloRequest {
                name: name.into(),
                count: 0,
            }),
            http::uri::PathAndQuery::from_static(SAY_HELLO),
            tonic_prost::ProstCodec::default(),
        )
        .await?;
    Ok(response.into_inner())
}

async fn run() {
    support::assert_runtime();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .timeout(Duration::from_secs(5))
            .add_service(GreeterServer)
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move {
                let _ = stopped.await;
            }),
    );

    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap();
    let mut client = tonic::client::Grpc::new(channel);

    // Unary.
    let reply = say_hello(&mut client, "evloop").await.unwrap();
    assert_eq!(reply.message, "Hello, evloop!");
    let err = say_hello(&mut client, "").await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert_eq!(err.message(), "name is empty");

    // Unknown method.
    client.ready().await.unwrap();
    let err = client
        .unary::<HelloRequest, HelloReply, _>(
            Request::new(HelloRequest::default()),
            http::uri::PathAndQuery::from_static("/hello.Greeter/Nope"),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented);

    // Server streaming.
    client.ready().await.unwrap();
    let response: Response<tonic::Streaming<HelloReply>> = client
        .server_streaming(
            Request::new(HelloRequest {
                name: "stream".into(),
                count: 25,
            }),
            http::uri::PathAndQuery::from_static(SAY_HELLO_STREAM),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap();
    let mut stream = response.into_inner();
    let mut seen = Vec::new();
    while let Some(reply) = stream.message().await.unwrap() {
        assert_eq!(reply.message, format!("Hello #{}, stream!", reply.seq));
        seen.push(reply.seq);
    }
    assert_eq!(seen, (0..25).collect::<Vec<_>>());

    // Concurrent calls over the one HTTP/2 connection.
    let mut calls = Vec::new();
    for i in 0..16 {
        let mut client = client.clone();
        calls.push(tokio::spawn(async move {
            say_hello(&mut client, &format!("n{i}"))
                .await
                .unwrap()
                .message
        }));
    }
    for (i, call) in calls.into_iter().enumerate() {
        assert_eq!(call.await.unwrap(), format!("Hello, n{i}!"));
    }

    // A stream dropped half-way does not hold the server up.
    client.ready().await.unwrap();
    let mut stream: tonic::Streaming<HelloReply> = client
        .server_streaming(
            Request::new(HelloRequest {
                name: "partial".into(),
                count: 1000,
            }),
            http::uri::PathAndQuery::from_static(SAY_HELLO_STREAM),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap()
        .into_inner();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.seq, 0);
    drop(stream);
    drop(client);

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("server shut down")
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_unary_and_streaming_multi_thread() {
    let _dog = support::watchdog("grpc_multi_thread", Duration::from_secs(60));
    run().await;
}

#[tokio::test]
async fn grpc_unary_and_streaming_current_thread() {
    let _dog = support::watchdog("grpc_current_thread", Duration::from_secs(60));
    run().await;
}
