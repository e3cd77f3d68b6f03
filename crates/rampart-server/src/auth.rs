//! Who is asking: session cookies for browsers, bearer tokens for programs.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::credentials::constant_time_eq;
use rampart_domain::{Actor, Permission};
use rampart_store::{Session, StoreError, UserRecord};

use crate::error::{ApiError, Problem};
use crate::{AppState, ServerConfig};

const PLAIN_COOKIE: &str = "rampart_session";
/// With TLS the cookie takes the `__Host-` prefix: browsers then refuse it
/// unless it is `Secure`, host-only and for path `/`.
const HOST_COOKIE: &str = "__Host-rampart_session";
/// The header a script sends the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

fn cookie_name(config: &ServerConfig) -> &'static str {
    if config.secure_cookies { HOST_COOKIE } else { PLAIN_COOKIE }
}

/// The `Set-Cookie` value that hands a browser its session.
pub fn session_cookie(config: &ServerConfig, secret: &str) -> HeaderValue {
    let secure = if config.secure_cookies { "; Secure" } else { "" };
    let max_age = config.session_policy.absolute_ms / 1000;
    HeaderValue::from_str(&format!(
        "{}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        cookie_name(config)
    ))
    .expect("session secrets are hex")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(config: &ServerConfig) -> HeaderValue {
    let secure = if config.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}", cookie_name(config)))
        .expect("static cookie")
}

/// The session secret a browser sent, if any.
pub fn session_secret(config: &ServerConfig, headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(config);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty() && v.len() <= 128)
        .map(|(_, v)| v.to_string())
}

/// The client's address as the server saw the connection.
pub fn client_address(parts_extensions: &axum::http::Extensions) -> String {
    parts_extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

/// A logged-in browser: the session, its user, and the actor in the session's
/// organisation when there is one.
#[derive(Debug, Clone)]
pub struct BrowserSession {
    pub session: Session,
    pub user: UserRecord,
    pub actor: Option<Actor>,
}

/// Loads the browser session once per request (cached in the extensions).
async fn load_session(parts: &mut Parts, state: &AppState) -> Result<Option<BrowserSession>, Problem> {
    if let Some(cached) = parts.extensions.get::<Option<BrowserSession>>() {
        return Ok(cached.clone());
    }
    let loaded = match session_secret(&state.config, &parts.headers) {
        None => None,
        Some(secret) => match state.store.live_session(&secret, state.config.session_policy).await {
            Ok(live) => Some(BrowserSession { session: live.session, user: live.user, actor: live.actor }),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
    };
    parts.extensions.insert(loaded.clone());
    Ok(loaded)
}

/// Sends a browser that is not logged in to the login page, then back.
#[derive(Debug)]
pub enum PageRejection {
    Login(String),
    Problem(Problem),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::Login(next) => Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response(),
            PageRejection::Problem(p) => crate::ui::error_page(&p),
        }
    }
}

pub fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)]).map(|s| s[1..].to_string()).unwrap_or_default()
}

impl FromRequestParts<AppState> for BrowserSession {
    type Rejection = PageRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match load_session(parts, state).await.map_err(PageRejection::Problem)? {
            Some(session) => Ok(session),
            None => Err(PageRejection::Login(parts.uri.path().to_string())),
        }
    }
}

/// A logged-in browser working inside an organisation.
#[derive(Debug, Clone)]
pub struct OrgSession {
    pub browser: BrowserSession,
    pub actor: Actor,
}

impl OrgSession {
    pub fn require(&self, permission: Permission, what: &str) -> Result<(), Problem> {
        if self.actor.can(permission) { Ok(()) } else { Err(Problem::forbidden(what)) }
    }
}

impl FromRequestParts<AppState> for OrgSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let browser = BrowserSession::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match browser.actor.clone() {
            Some(actor) => Ok(OrgSession { browser, actor }),
            // No organisation chosen (or membership ended): the dashboard explains.
            None => Err(Redirect::to("/").into_response()),
        }
    }
}

/// The actor behind an API request: a bearer token, or a browser session
/// (which must then send its CSRF token in `X-CSRF-Token` on unsafe methods).
#[derive(Debug, Clone)]
pub struct ApiActor(pub Actor);

impl ApiActor {
    pub fn require(&self, permission: Permission, what: &str) -> Result<(), ApiError> {
        if self.0.can(permission) { Ok(()) } else { Err(ApiError(Problem::forbidden(what))) }
    }
}

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty() && t.len() <= 200);
            let Some(token) = token else {
                return Err(ApiError(Problem::unauthorized()));
            };
            return match state.store.authenticate_token(token).await {
                Ok(actor) => Ok(ApiActor(actor)),
                Err(StoreError::NotFound) => Err(ApiError(Problem::unauthorized())),
                Err(e) => Err(e.into()),
            };
        }
        let Some(browser) = load_session(parts, state).await? else {
            return Err(ApiError(Problem::unauthorized()));
        };
        if !is_safe(&parts.method) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
            if !constant_time_eq(sent, &browser.session.csrf_token) {
                return Err(ApiError(csrf_problem()));
            }
        }
        browser.actor.map(ApiActor).ok_or_else(|| ApiError(Problem::unauthorized()))
    }
}

pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub fn csrf_problem() -> Problem {
    Problem::new(
        axum::http::StatusCode::FORBIDDEN,
        "Forbidden",
        "The request failed the cross-site request forgery check. Reload the page and try again.",
    )
}
