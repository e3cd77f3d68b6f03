//! The public report page: anyone with its address reports an incident to
//! the organisation, without an account. Throttled per address and per page
//! in the database, sizes limited, everything escaped on output; the report
//! becomes a `reported` incident and the reporter gets its reference.

use askama::Template;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use rampart_domain::Invalid;
use rampart_domain::incident::{IncidentCategory, IncidentFields};
use rampart_store::ChangeContext;
use serde::Deserialize;

use super::{PageError, Shell, render};
use crate::AppState;
use crate::error::Problem;
use crate::middleware::RequestId;

/// Reports one address may send per window, and one page may take.
const PER_ADDRESS: i64 = 5;
const PER_PAGE: i64 = 200;
const WINDOW_MS: i64 = 60 * 60 * 1000;

#[derive(Template)]
#[template(path = "public_report.html")]
struct ReportPage {
    shell: Shell,
    org_name: String,
    slug: String,
    error: Option<String>,
    reference: Option<String>,
    categories: Vec<&'static str>,
    title: String,
    description: String,
    contact: String,
}

fn page(
    org_name: String,
    slug: String,
    status: StatusCode,
    error: Option<String>,
    reference: Option<String>,
    form: &ReportForm,
) -> Response {
    render(
        status,
        &ReportPage {
            shell: Shell::anonymous("Report an incident"),
            org_name,
            slug,
            error,
            reference,
            categories: IncidentCategory::ALL.iter().map(|c| c.as_str()).collect(),
            title: form.title.clone(),
            description: form.description.clone(),
            contact: form.contact.clone(),
        },
    )
}

pub async fn form(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let (_, name) = state.store.organisation_of_public_page(&slug).await?;
    Ok(page(name, slug, StatusCode::OK, None, None, &ReportForm::default()))
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    category: String,
}

pub async fn submit(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(slug): Path<String>,
    request: Request,
) -> Result<Response, PageError> {
    let address = crate::auth::client_address(request.extensions());
    let Form(form) = Form::<ReportForm>::from_request(request, &state)
        .await
        .map_err(|e| PageError(Problem::bad_request(e.body_text())))?;
    let (org_id, name) = state.store.organisation_of_public_page(&slug).await?;
    let (by_address, by_page) = (format!("report:address:{address}"), format!("report:page:{slug}"));
    if state.store.recent_attempts(&by_address, WINDOW_MS).await? >= PER_ADDRESS
        || state.store.recent_attempts(&by_page, WINDOW_MS).await? >= PER_PAGE
    {
        let message =
            "Too many reports from here in the last hour: try again later, or contact the organisation another way.";
        return Ok(page(name, slug, StatusCode::TOO_MANY_REQUESTS, Some(message.into()), None, &form));
    }
    let outcome = async {
        let contact =
            rampart_domain::validate::optional_text("contact", &form.contact, rampart_domain::validate::MAX_EMAIL)?;
        let category = if form.category.trim().is_empty() {
            IncidentCategory::Other
        } else {
            IncidentCategory::parse(form.category.trim())?
        };
        if form.description.chars().count() > 8000 {
            return Err(Invalid::new("description", "must be at most 8000 characters").into());
        }
        let fields = IncidentFields {
            description: form.description.clone(),
            reporter: if contact.is_empty() { "anonymous public report".into() } else { contact },
            ..IncidentFields::reported(&form.title, category, rampart_store::now_ms())
        };
        let ctx = ChangeContext::new("public report page", rid.0.clone());
        Ok::<_, Problem>(state.store.create_incident(&ctx, &org_id, fields, &[]).await?)
    }
    .await;
    state.store.record_attempt(&by_address).await?;
    state.store.record_attempt(&by_page).await?;
    match outcome {
        Ok(incident) => Ok(page(name, slug, StatusCode::CREATED, None, Some(incident.id), &ReportForm::default())),
        Err(p) if p.status < 500 => Ok(page(name, slug, StatusCode::UNPROCESSABLE_ENTITY, Some(p.detail), None, &form)),
        Err(p) => Err(PageError(p)),
    }
}
