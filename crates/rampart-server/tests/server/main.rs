//! The server's specification: API, web UI, security edges. Each test runs on
//! SQLite and on PostgreSQL (skipped with a notice when not configured).

mod api;
mod assessments;
mod assets;
mod browser;
mod e2e;
mod frameworks;
mod incidents;

mod isolation;
mod openapi;
mod risks;
mod sharing;
mod subscriptions;
mod taxii;
mod threats;
mod tls;
mod ui;
mod vulnerabilities;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use rampart_domain::credentials::hash_password;
use rampart_domain::{OrgKind, Role};
use rampart_server::{AppState, ServerConfig, app};
use rampart_store::{ChangeContext, Store};
use serde_json::Value;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct-horse-battery";

/// The application over a test database, driven without a socket.
pub struct TestApp {
    pub store: Store,
    pub router: Router,
    /// Where this app keeps uploaded files (a fresh directory per app).
    pub files_dir: std::path::PathBuf,
}

/// One organisation with a member of each role and an API token each.
pub struct Org {
    pub id: String,
    pub name: String,
    pub admin: Person,
    pub analyst: Person,
    pub auditor: Person,
    pub viewer: Person,
}

pub struct Person {
    pub user_id: String,
    pub email: String,
    pub token: String,
}

impl TestApp {
    pub fn new(store: &Store) -> Self {
        Self::with_config(store, ServerConfig::default())
    }

    pub fn with_config(store: &Store, mut config: ServerConfig) -> Self {
        config.files_dir = std::env::temp_dir().join(format!("rampart-test-files-{}", rampart_domain::new_id()));
        let files_dir = config.files_dir.clone();
        Self { store: store.clone(), router: app(AppState::new(store.clone(), config)), files_dir }
    }

    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(request).await.unwrap()
    }

    /// A JSON API call with an optional bearer token; returns status, content type and body.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, String, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        };
        let response = self.send(request.unwrap()).await;
        let status = response.status();
        let content_type =
            response.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, content_type, value)
    }

    /// Creates an organisation with one member per role, each with a token.
    pub async fn org(&self, name: &str) -> Org {
        let ctx = ChangeContext::new("setup", "setup");
        let org = self.store.create_org(&ctx, name, OrgKind::Provider, None).await.unwrap();
        let hash = password_hash();
        let slug = name.to_lowercase().replace(' ', "-");
        let mut people = Vec::new();
        for role in [Role::Admin, Role::Analyst, Role::Auditor, Role::Viewer] {
            let email = format!("{role}@{slug}.example");
            let member = self.store.add_member(&ctx, &org.id, &email, role, Some(hash)).await.unwrap();
            let (_, token) = self.store.create_token(&ctx, &org.id, &member.user_id, "test", None).await.unwrap();
            people.push(Person { user_id: member.user_id, email, token });
        }
        let mut people = people.into_iter();
        Org {
            id: org.id,
            name: name.to_string(),
            admin: people.next().unwrap(),
            analyst: people.next().unwrap(),
            auditor: people.next().unwrap(),
            viewer: people.next().unwrap(),
        }
    }
}

/// One Argon2 hash of [`PASSWORD`] for every test account (hashing is slow on purpose).
pub fn password_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).unwrap())
}

pub async fn body_text(response: Response<Body>) -> String {
    String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}
