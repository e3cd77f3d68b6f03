//! The forms on an incident's page that link it: affected assets, related
//! incidents, and lessons-learned follow-ups.

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::{Invalid, Permission};
use rampart_store::IncidentLink;

use super::assessments::Pairs;
use super::incidents::done;
use super::{CsrfForm, PageError, change_context, org_session};
use crate::AppState;
use crate::error::Problem;
use crate::middleware::RequestId;

/// A choice posted as `kind:id`.
fn choice(field: &'static str, value: &str) -> Result<(String, String), Problem> {
    value
        .split_once(':')
        .map(|(k, id)| (k.to_string(), id.to_string()))
        .ok_or_else(|| Invalid::new(field, "choose one from the list").into())
}

pub async fn link(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "link incidents")?;
    let outcome = async {
        let (kind, other) = choice("other", &form.form.get("other"))?;
        let kind = IncidentLink::parse(&kind)
            .ok_or_else(|| Problem::from(Invalid::new("other", "choose one from the list")))?;
        state.store.link_incident(&change_context(&org, &rid), &org.actor.org_id, &id, kind, &other).await?;
        Ok("linked")
    }
    .await;
    done(&state, &org, &id, outcome).await
}

pub async fn unlink(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path((id, kind, other)): Path<(String, String, String)>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "link incidents")?;
    let kind = IncidentLink::parse(&kind).ok_or_else(Problem::not_found)?;
    let outcome = state.store.unlink_incident(&change_context(&org, &rid), &org.actor.org_id, &id, kind, &other).await;
    done(&state, &org, &id, outcome.map(|()| "unlinked").map_err(Problem::from)).await
}

pub async fn add_follow_up(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "add follow-ups")?;
    let outcome = async {
        let (kind, target) = choice("target", &form.form.get("target"))?;
        let ctx = change_context(&org, &rid);
        state.store.add_follow_up(&ctx, &org.actor.org_id, &id, &kind, &target, &form.form.get("action")).await?;
        Ok("follow-up")
    }
    .await;
    done(&state, &org, &id, outcome).await
}

pub async fn complete_follow_up(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path((id, follow_up)): Path<(String, String)>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "complete follow-ups")?;
    let outcome = state.store.complete_follow_up(&change_context(&org, &rid), &org.actor.org_id, &follow_up).await;
    done(&state, &org, &id, outcome.map(|()| "follow-up").map_err(Problem::from)).await
}

pub async fn merge(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "merge incidents")?;
    let from = form.form.get("from");
    let outcome = state.store.merge_incidents(&change_context(&org, &rid), &org.actor.org_id, &id, &from).await;
    done(&state, &org, &id, outcome.map(|()| "merged").map_err(Problem::from)).await
}
