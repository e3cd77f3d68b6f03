//! Errors as RFC 9457 problem details for the API, and as pages for people.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rampart_domain::Invalid;
use rampart_store::StoreError;
use serde::Serialize;

/// One problem, rendered as `application/problem+json` by the API and as an
/// error page by the UI.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// For validation problems: which field, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl Problem {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self { kind: "about:blank", title, status: status.as_u16(), detail: detail.into(), errors: Vec::new() }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found", "There is nothing here, or it belongs to another organisation.")
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Log in, or send `Authorization: Bearer rmp_…` with a valid API token.",
        )
    }

    pub fn forbidden(what: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!("Your role does not allow you to {what}. Ask an admin of the organisation."),
        )
    }

    pub fn invalid(invalid: Invalid) -> Self {
        let mut p = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Unprocessable Content", format!("{invalid}"));
        p.errors.push(FieldError { field: invalid.field, reason: invalid.reason });
        p
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad Request", detail)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "Something went wrong on our side; it has been logged.",
        )
    }

    /// A refusal of a change to an existing object that the person can fix
    /// on the object's own page (not a missing object, not our failure).
    pub fn fixable_on_page(&self) -> bool {
        self.status < 500 && self.status != 404
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<StoreError> for Problem {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Problem::not_found(),
            StoreError::Conflict(detail) => Problem::new(StatusCode::CONFLICT, "Conflict", detail),
            StoreError::Forbidden(detail) => Problem::new(StatusCode::FORBIDDEN, "Forbidden", detail),
            StoreError::Invalid(invalid) => Problem::invalid(invalid),
            // The instance's configuration, not the request: say what to fix.
            StoreError::Secret(e) => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "Secret key", e.to_string()),
            other => {
                tracing::error!(error = %other, "store error");
                Problem::internal()
            }
        }
    }
}

impl From<Invalid> for Problem {
    fn from(invalid: Invalid) -> Self {
        Problem::invalid(invalid)
    }
}

/// A problem answered as `application/problem+json`.
#[derive(Debug)]
pub struct ApiError(pub Problem);

impl<E: Into<Problem>> From<E> for ApiError {
    fn from(err: E) -> Self {
        ApiError(err.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_json(&self.0)
    }
}

pub fn problem_json(problem: &Problem) -> Response {
    let body = serde_json::to_string(problem).unwrap_or_default();
    let mut response = (problem.status(), body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    if problem.status == 401 {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"rampart\""));
    }
    response
}
