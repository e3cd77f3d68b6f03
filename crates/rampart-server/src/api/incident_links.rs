//! What an incident touches and leads to, over the API: affected assets,
//! related incidents, and lessons-learned follow-ups on risk scenarios and
//! applied controls.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rampart_domain::Permission;
use rampart_store::{FollowUp, IncidentLink};
use serde::Deserialize;
use serde_json::{Value, json};

use super::people::change_context;
use super::{ApiJson, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;

pub fn follow_up_json(f: &FollowUp) -> Value {
    json!({
        "id": f.id, "incident_id": f.incident_id, "incident_title": f.incident_title, "kind": f.kind,
        "target_id": f.target_id, "target_name": f.target_name, "action": f.action, "done": f.done,
        "created_by": f.created_by, "created_at": rfc3339(f.created_at)
    })
}

pub async fn get(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require(Permission::Read, "see incidents")?;
    let links = state.store.incident_links(&actor.0.org_id, &id).await?;
    let named =
        |items: &[(String, String)]| items.iter().map(|(id, name)| json!({"id": id, "name": name})).collect::<Vec<_>>();
    Ok(Json(json!({
        "assets": named(&links.assets),
        "related": named(&links.related),
        "follow_ups": links.follow_ups.iter().map(follow_up_json).collect::<Vec<_>>(),
    })))
}

fn link_kind(kind: &str) -> Result<IncidentLink, ApiError> {
    IncidentLink::parse(kind).ok_or_else(|| Problem::not_found().into())
}

/// `PUT /incidents/{id}/{assets|related}/{other}`.
pub async fn link(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path((id, kind, other)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "link incidents")?;
    let kind = link_kind(&kind)?;
    state.store.link_incident(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, kind, &other).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn unlink(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path((id, kind, other)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "link incidents")?;
    let kind = link_kind(&kind)?;
    state.store.unlink_incident(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, kind, &other).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFollowUp {
    /// `risk` or `control`.
    pub kind: String,
    pub target_id: String,
    pub action: String,
}

pub async fn add_follow_up(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewFollowUp>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "add follow-ups")?;
    let ctx = change_context(&actor.0, &request_id);
    let made = state.store.add_follow_up(&ctx, &actor.0.org_id, &id, &body.kind, &body.target_id, &body.action).await?;
    Ok((StatusCode::CREATED, Json(follow_up_json(&made))).into_response())
}

pub async fn complete_follow_up(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "complete follow-ups")?;
    state.store.complete_follow_up(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The incident to merge into this one.
    pub from: String,
}

/// `POST /api/v1/incidents/{id}/merge`: `from` merges into `id`, which answers.
pub async fn merge(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<Json<Value>, ApiError> {
    actor.require(Permission::Edit, "merge incidents")?;
    let org = &actor.0.org_id;
    state.store.merge_incidents(&change_context(&actor.0, &request_id), org, &id, body.from.trim()).await?;
    Ok(Json(super::incidents::detail_json(&state.store.incident_detail(org, &id).await?)))
}
