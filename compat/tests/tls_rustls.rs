//! TLS over tokio-rustls with a self-signed certificate made by the test:
//! an echo server and clients on one runtime.

mod support;

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector};

fn configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    // ring's provider without the post-quantum key exchange, which it lacks.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());

    let server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

async fn run() {
    support::assert_runtime();
    let (server_config, client_config) = configs();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(server_config);

    // Echo server: one line-oriented command, then raw echo until EOF.
    let server = tokio::spawn(async move {
        let mut served = 0;
        while served < 3 {
            let (stream, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            served += 1;
            tokio::spawn(async move {
                let tls = acceptor.accept(stream).await.unwrap();
                let (reader, mut writer) = tokio::io::split(tls);
                let mut reader = BufReader::new(reader);
                let mut line = String::new();
                reader.read_line(&mut line).await.unwrap();
                writer
                    .write_all(format!("HELLO {}", line.to_uppercase()).as_bytes())
                    .await
                    .unwrap();
                tokio::io::copy(&mut reader, &mut writer).await.unwrap();
                writer.shutdown().await.unwrap();
            });
        }
    });

    let connector = TlsConnector::from(client_config);
    let mut clients = Vec::new();
    for i in 0..3u8 {
        let connector = connector.clone();
        clients.push(tokio::spawn(async move {
            let tcp = TcpStream::connect(addr).await.unwrap();
            let name = ServerName::try_from("localhost").unwrap();
            let mut tls = connector.connect(name, tcp).await.unwrap();
            let (_, session) = tls.get_ref();
            assert!(session.protocol_version().is_some());

            tls.write_all(format!("client {i}\n").as_bytes())
                .await
                .unwrap();
            let mut greeting = vec![0; format!("HELLO CLIENT {i}\n").len()];
            tls.read_exact(&mut greeting).await.unwrap();
            assert_eq!(greeting, format!("HELLO CLIENT {i}\n").into_bytes());

            // 256 KiB, more than any TLS record or socket buffer.
            let payload: Vec<u8> = (0..256 * 1024).map(|n| (n % 251) as u8 ^ i).collect();
            let (mut reader, mut writer) = tokio::io::split(tls);
            let sent = payload.clone();
            let writing = tokio::spawn(async move {
                writer.write_all(&sent).await.unwrap();
                writer.shutdown().await.unwrap();
            });
            let mut back = Vec::new();
            reader.read_to_end(&mut back).await.unwrap();
            writing.await.unwrap();
            assert_eq!(back.len(), payload.len());
            assert!(back == payload, "echoed bytes differ");
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();

    // A client that does not trust the certificate is refused.
    let untrusting = TlsConnector::from(configs().1);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(configs().0);
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        acceptor.accept(stream).await.is_err()
    });
    let tcp = TcpStream::connect(addr).await.unwrap();
    let result = untrusting
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await;
    assert!(result.is_err());
    assert!(server.await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_echo_multi_thread() {
    let _dog = support::watchdog("tls_multi_thread", Duration::from_secs(60));
    run().await;
}

#[tokio::test]
async fn tls_echo_current_thread() {
    let _dog = support::watchdog("tls_current_thread", Duration::from_secs(60));
    run().await;
}
