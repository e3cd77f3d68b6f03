//! What wraps every request: request id, cross-site checks, security headers,
//! size limit, metrics and the request's log line; plus the operational routes.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::auth::{csrf_problem, is_safe};
use crate::error::{Problem, problem_json};

/// The request's id: the caller's `X-Request-Id` when it is sane, else a new one.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub async fn edge(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_string)
        .unwrap_or_else(rampart_domain::new_id);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().clone();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());

    let mut response =
        if let Some(problem) = refuse_early(&state, &req) { problem_json(&problem) } else { next.run(req).await };

    let status = response.status();
    let elapsed = started.elapsed().as_secs_f64();
    state.metrics.observe(method.as_str(), &route, status.as_u16(), elapsed);
    tracing::info!(request_id, %method, route, status = status.as_u16(), ms = elapsed * 1000.0, "request");
    set_security_headers(response.headers_mut(), state.config.secure_cookies);
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// Refusals that need no handler: oversized bodies (before reading them) and
/// cross-site unsafe requests from browsers.
fn refuse_early(state: &AppState, req: &Request) -> Option<Problem> {
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    let limit = crate::upload_limit(&state.config, req.uri().path())
        .map_or(state.config.body_limit, |l| l.max(state.config.body_limit));
    if declared.is_some_and(|n| n > limit) {
        return Some(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Content Too Large",
            format!("The request body may be at most {limit} bytes."),
        ));
    }
    if !is_safe(req.method()) && !req.headers().contains_key(header::AUTHORIZATION) && is_cross_site(req.headers()) {
        return Some(csrf_problem());
    }
    None
}

/// True when a browser tells us the request comes from another site.
///
/// Browsers send `Sec-Fetch-Site` on every request; older ones at least send
/// `Origin` on unsafe ones. Programs send neither and authenticate with bearer
/// tokens, which no other site can make a browser attach.
fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
        return origin == "null" || origin_host != host;
    }
    false
}

fn set_security_headers(headers: &mut HeaderMap, tls: bool) {
    let set = |headers: &mut HeaderMap, name: &'static str, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(headers, "content-security-policy", CSP);
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "x-frame-options", "DENY");
    set(headers, "referrer-policy", "same-origin");
    set(headers, "cross-origin-opener-policy", "same-origin");
    set(headers, "permissions-policy", "camera=(), microphone=(), geolocation=()");
    // Pages and API answers hold an organisation's data: no shared caches.
    set(headers, "cache-control", "no-store");
    if tls {
        set(headers, "strict-transport-security", "max-age=63072000; includeSubDomains");
    }
}

pub fn operational_routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route(
            "/static/app.css",
            get(|| async { static_file("text/css; charset=utf-8", include_str!("../static/app.css")) }),
        )
        .route(
            "/static/app.js",
            get(|| async { static_file("text/javascript; charset=utf-8", include_str!("../static/app.js")) }),
        )
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.store.ping().await {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let (size, idle) = state.store.pool_state();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render(size, idle)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_requests_pass_and_cross_site_ones_do_not() {
        assert!(!is_cross_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!is_cross_site(&headers(&[("sec-fetch-site", "none")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!is_cross_site(&headers(&[("origin", "http://rampart.example"), ("host", "rampart.example")])));
        assert!(is_cross_site(&headers(&[("origin", "http://evil.example"), ("host", "rampart.example")])));
        assert!(is_cross_site(&headers(&[("origin", "null"), ("host", "rampart.example")])));
        assert!(!is_cross_site(&headers(&[])), "programs send neither header");
    }
}
