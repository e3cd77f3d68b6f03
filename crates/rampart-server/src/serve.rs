//! Running the server: plain HTTP or TLS (rustls), with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::{AppState, app};

/// Certificate chain and private key, both PEM files.
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug)]
pub enum ServeError {
    Io(std::io::Error),
    Tls(String),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Io(e) => write!(f, "the server stopped: {e}"),
            ServeError::Tls(e) => write!(f, "cannot load the TLS certificate or key: {e}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// How long in-flight requests get to finish once shutdown begins.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves the application on `listener` until `shutdown` completes, then stops
/// accepting connections and lets in-flight requests finish.
pub async fn serve(
    state: AppState,
    listener: std::net::TcpListener,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    listener.set_nonblocking(true).map_err(ServeError::Io)?;
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        None => {
            let listener = tokio::net::TcpListener::from_std(listener).map_err(ServeError::Io)?;
            axum::serve(listener, service).with_graceful_shutdown(shutdown).await.map_err(ServeError::Io)
        }
        Some(tls) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key)
                .await
                .map_err(|e| ServeError::Tls(e.to_string()))?;
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                stopper.graceful_shutdown(Some(DRAIN));
            });
            axum_server::from_tcp_rustls(listener, config).handle(handle).serve(service).await.map_err(ServeError::Io)
        }
    }
}
