//! Serving HTTPS directly with rustls.

use std::sync::Arc;

use rampart_server::{AppState, ServerConfig, Tls};
use rampart_store::Backend;
use rampart_store::testing::TestDatabase;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends one HTTP/1.1 GET over TLS, trusting only `cert`; returns the raw reply.
async fn get_over_tls(addr: std::net::SocketAddr, cert: &rcgen::Certificate, path: &str) -> std::io::Result<String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap().to_owned();
    let mut tls = connector.connect(name, tcp).await?;
    tls.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes()).await?;
    let mut reply = Vec::new();
    let _ = tls.read_to_end(&mut reply).await;
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_speaks_tls_with_hsts() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let db = TestDatabase::new(Backend::Sqlite, "tls").await.unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = std::env::temp_dir().join(format!("rampart-tls-{}", rampart_domain::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tls = Tls { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
    std::fs::write(&tls.cert, certified.cert.pem()).unwrap();
    std::fs::write(&tls.key, certified.signing_key.serialize_pem()).unwrap();

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(db.store.clone(), ServerConfig { secure_cookies: true, ..ServerConfig::default() });
    let server = tokio::spawn(rampart_server::serve(state, listener, Some(tls), async {
        let _ = stopped.await;
    }));

    let reply = get_over_tls(addr, &certified.cert, "/login").await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.to_lowercase().contains("strict-transport-security: max-age="));

    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain.write_all(b"GET /login HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), plain.read_to_end(&mut answer)).await;
    assert!(!String::from_utf8_lossy(&answer).contains("200 OK"), "plain HTTP is not served on the TLS port");

    let _ = stop.send(());
    server.await.unwrap().unwrap();
    std::fs::remove_dir_all(dir).unwrap();
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_certificate_is_a_clear_error() {
    let db = TestDatabase::new(Backend::Sqlite, "tls").await.unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tls = Tls { cert: "/nonexistent/cert.pem".into(), key: "/nonexistent/key.pem".into() };
    let state = AppState::new(db.store.clone(), ServerConfig::default());
    let err = rampart_server::serve(state, listener, Some(tls), std::future::pending()).await.unwrap_err();
    assert!(err.to_string().contains("cannot load the TLS certificate or key"), "{err}");
    db.cleanup().await;
}
