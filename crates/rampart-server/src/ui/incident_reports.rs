//! Regulatory reporting on an incident's page: applying a regime the impact
//! suggests, and the printable pre-filled draft of each report.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::Permission;

use super::assessments::Pairs;
use super::incidents::done;
use super::{CsrfForm, PageError, Shell, change_context, display_time, org_session, render};
use crate::AppState;
use crate::auth::OrgSession;
use crate::middleware::RequestId;
use crate::report_drafts::Draft;

pub async fn apply_regime(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "choose an incident's regimes")?;
    let regime = form.form.get("regime");
    let outcome = state.store.apply_regime(&change_context(&org, &rid), &org.actor.org_id, &id, &regime).await;
    done(&state, &org, &id, outcome.map(|()| "regime").map_err(Into::into)).await
}

#[derive(Template)]
#[template(path = "report_draft.html")]
struct DraftPage {
    shell: Shell,
    draft: Draft,
    due: String,
    prepared: String,
}

pub async fn draft(
    State(state): State<AppState>,
    org: OrgSession,
    Path((id, regime, obligation)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let detail = state.store.incident_detail(&org.actor.org_id, &id).await?;
    let links = state.store.incident_links(&org.actor.org_id, &id).await?;
    let draft = crate::report_drafts::draft(&detail, &links, &regime, &obligation)?;
    Ok(render(
        StatusCode::OK,
        &DraftPage {
            shell: Shell::of(&state, &org.browser, &draft.obligation.name, "incidents").await?,
            due: draft.obligation.due_at.map_or_else(|| "when the incident is classified".to_string(), display_time),
            prepared: display_time(rampart_store::now_ms()),
            draft,
        },
    ))
}
