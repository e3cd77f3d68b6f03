//! Rampart's HTTP server: the JSON API under `/api/v1`, the server-rendered web
//! UI, health and metrics endpoints.
//!
//! This crate owns the edge: authentication (session cookies and bearer
//! tokens), CSRF, RBAC checks, security headers, request ids, problem+json
//! errors and graceful shutdown. Handlers are thin: they parse, check the
//! actor's permission, call the store and render. No SQL lives here.

mod api;
mod auth;
mod error;
pub mod files;
mod metrics;
mod middleware;
pub mod openapi;
pub mod oscal_export;
pub mod quantify;
mod report_drafts;
mod serve;
mod stix_export;
mod taxii;
mod ui;

use std::sync::Arc;

use axum::Router;
use rampart_store::{SessionPolicy, Store};

pub use error::Problem;
pub use metrics::Metrics;
pub use serve::{ServeError, Tls, serve};

/// Largest request body accepted anywhere but a framework upload (413 beyond it).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Largest framework library upload: NIST's SP 800-53 catalog is 10 MB with
/// every control, and a browser form encodes JSON at up to three times its size.
pub const LIBRARY_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// Largest TAXII envelope a client may add: a release of an ATT&CK domain
/// in one request.
pub const TAXII_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// Largest evidence file upload unless the operator sets another
/// (`--evidence-max-bytes`).
pub const EVIDENCE_BODY_LIMIT: usize = 25 * 1024 * 1024;

/// The larger body limit of the paths that take uploads, if any: framework
/// libraries, and evidence of assessments and incidents.
pub(crate) fn upload_limit(config: &ServerConfig, path: &str) -> Option<usize> {
    if matches!(path, "/api/v1/frameworks" | "/frameworks") {
        Some(LIBRARY_BODY_LIMIT)
    } else if path.starts_with("/taxii2/") && path.ends_with("/objects/") {
        Some(TAXII_BODY_LIMIT)
    } else if (path.starts_with("/api/v1/assessments/")
        || path.starts_with("/assessments/")
        || path.starts_with("/api/v1/incidents/")
        || path.starts_with("/incidents/"))
        && path.ends_with("/evidence")
    {
        Some(config.evidence_limit)
    } else {
        None
    }
}

/// How the server behaves; built by the CLI from flags and environment.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Cookies get `Secure` and the `__Host-` prefix, and HSTS is sent. True
    /// when serving TLS directly or behind a TLS-terminating proxy.
    pub secure_cookies: bool,
    pub session_policy: SessionPolicy,
    pub body_limit: usize,
    /// Failed logins per account within the window before the account is throttled.
    pub max_account_failures: i64,
    /// Failed logins per client address within the window before it is throttled.
    pub max_address_failures: i64,
    pub throttle_window_ms: i64,
    /// Most iterations a quantification run from the UI or API may ask for.
    pub quant_max_iterations: u64,
    /// Where file bodies (evidence) are kept, content-addressed.
    pub files_dir: std::path::PathBuf,
    /// Largest evidence file (of an assessment or an incident), in bytes.
    pub evidence_limit: usize,
    /// Serve the public feed (`/public/feed`): items marked TLP:CLEAR and
    /// sent to everyone, for anyone without signing in. Off by default.
    pub public_feed: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_policy: SessionPolicy::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            max_account_failures: 5,
            max_address_failures: 20,
            throttle_window_ms: 15 * 60 * 1000,
            quant_max_iterations: 1_000_000,
            files_dir: std::path::PathBuf::from("rampart-data/files"),
            evidence_limit: EVIDENCE_BODY_LIMIT,
            public_feed: false,
        }
    }
}

/// A time as the API writes it (RFC 3339, UTC), for clients and tests.
pub fn api_time(ms: i64) -> String {
    api::rfc3339(ms)
}

/// An incident as the API writes it (times as RFC 3339), for the CLI.
pub fn incident_document(detail: &rampart_store::IncidentDetail) -> serde_json::Value {
    api::incidents::detail_json(detail)
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<ServerConfig>,
    pub metrics: Arc<Metrics>,
    pub quant: quantify::QuantLimits,
    /// Pulls TAXII subscriptions when asked (the scheduled pulls run beside
    /// the server); reaches public addresses only unless told otherwise.
    pub puller: rampart_taxii_client::Puller,
}

impl AppState {
    pub fn new(store: Store, config: ServerConfig) -> Self {
        Self {
            puller: rampart_taxii_client::Puller::new(store.clone(), rampart_taxii_client::Reach::Public),
            store,
            quant: quantify::QuantLimits::new(config.quant_max_iterations),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
        }
    }

    /// This state, pulling with `puller` (one that may reach the local network, say).
    pub fn with_puller(mut self, puller: rampart_taxii_client::Puller) -> Self {
        self.puller = puller;
        self
    }
}

/// The whole application: every route with its middleware.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(api::routes(state.config.evidence_limit))
        .merge(ui::routes(state.config.evidence_limit))
        .merge(middleware::operational_routes())
        .merge(taxii::routes())
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::edge))
        .layer(axum::extract::DefaultBodyLimit::max(state.config.body_limit))
}
