//! Incident evidence over the API: upload a file, read its chain of custody,
//! download it (a custody entry), hand it over, and check that the stored
//! file still has the SHA-256 it was acquired with.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rampart_domain::Permission;
use rampart_domain::custody::{Acquisition, CustodyAction};
use rampart_store::{ChangeContext, IncidentEvidence};
use serde::Deserialize;
use serde_json::{Value, json};

use super::people::change_context;
use super::{ApiJson, parse_time, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;

/// A piece of evidence as the API shows it, with its custody and current holder.
pub fn evidence_json(e: &IncidentEvidence) -> Value {
    json!({
        "id": e.id, "incident_id": e.incident_id, "name": e.name, "description": e.description,
        "sha256": e.sha256, "size": e.size, "content_type": e.content_type,
        "acquired_at": rfc3339(e.acquired_at), "acquired_by": e.acquired_by,
        "added_by": e.added_by, "added_at": rfc3339(e.added_at), "holder": e.holder(),
        "custody": e.custody.iter().map(|c| json!({
            "at": rfc3339(c.at), "actor": c.actor, "action": c.action, "holder": c.holder, "note": c.note
        })).collect::<Vec<_>>()
    })
}

/// Checks the incident, then stores the body and records it: a refused
/// upload (empty, unknown incident, bad fields) leaves nothing behind.
pub async fn add_file(
    state: &AppState,
    ctx: &ChangeContext,
    org_id: &str,
    incident_id: &str,
    acquisition: Acquisition,
    (content_type, body): (&str, &[u8]),
) -> Result<IncidentEvidence, Problem> {
    if body.is_empty() {
        return Err(rampart_domain::Invalid::new("file", "is empty: choose a file with content").into());
    }
    let acquisition = acquisition.check(rampart_store::now_ms())?;
    state.store.check_incident(org_id, incident_id).await?;
    let sha256 = crate::files::save(&state.config.files_dir, body).await?;
    let stored = (sha256.as_str(), body.len() as i64, content_type);
    Ok(state.store.add_incident_evidence(ctx, org_id, incident_id, acquisition, stored).await?)
}

/// The file as an attachment; the download is a custody entry.
pub async fn file_response(state: &AppState, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<Response, Problem> {
    let e = state.store.incident_evidence(org_id, id).await?;
    let bytes = crate::files::read(&state.config.files_dir, &e.sha256).await?;
    state.store.record_custody(ctx, org_id, id, CustodyAction::Downloaded, (None, "")).await?;
    Ok(crate::files::attachment(&e.name, &e.content_type, bytes))
}

/// Hashes the stored file again and records whether it still matches.
pub async fn verify_file(
    state: &AppState,
    ctx: &ChangeContext,
    org_id: &str,
    id: &str,
) -> Result<(bool, IncidentEvidence), Problem> {
    let e = state.store.incident_evidence(org_id, id).await?;
    let bytes = crate::files::read(&state.config.files_dir, &e.sha256).await?;
    let found =
        tokio::task::spawn_blocking(move || crate::files::sha256(&bytes)).await.map_err(|_| Problem::internal())?;
    let matches = found == e.sha256;
    let (action, note) = if matches {
        (CustodyAction::Verified, String::new())
    } else {
        (CustodyAction::Mismatch, format!("stored file has SHA-256 {found}"))
    };
    let checked = state.store.record_custody(ctx, org_id, id, action, (None, &note)).await?;
    Ok((matches, checked))
}

#[derive(Debug, Default, Deserialize)]
pub struct UploadQuery {
    pub name: Option<String>,
    pub description: Option<String>,
    pub acquired_at: Option<String>,
    pub acquired_by: Option<String>,
}

/// `POST /api/v1/incidents/{id}/evidence?name=…`: the body is the file.
pub async fn add(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "add evidence")?;
    let acquired_at = match q.acquired_at.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => parse_time("acquired_at", t)?,
        None => rampart_store::now_ms(),
    };
    let acquisition = Acquisition {
        name: q.name.unwrap_or_default(),
        description: q.description.unwrap_or_default(),
        acquired_at,
        acquired_by: q.acquired_by.unwrap_or_default(),
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let ctx = change_context(&actor.0, &request_id);
    let e = add_file(&state, &ctx, &actor.0.org_id, &id, acquisition, (content_type, &body)).await?;
    Ok((StatusCode::CREATED, Json(evidence_json(&e))).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require(Permission::Read, "see evidence")?;
    Ok(Json(evidence_json(&state.store.incident_evidence(&actor.0.org_id, &id).await?)))
}

pub async fn download(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Read, "download evidence")?;
    Ok(file_response(&state, &change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandOverBody {
    pub to: String,
    #[serde(default)]
    pub note: String,
}

/// `POST /api/v1/incident-evidence/{id}/hand-overs`: the evidence passes to `to`.
pub async fn hand_over(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<HandOverBody>,
) -> Result<Json<Value>, ApiError> {
    actor.require(Permission::Edit, "hand evidence over")?;
    let (to, note) = rampart_domain::custody::hand_over(&body.to, &body.note).map_err(Problem::invalid)?;
    let ctx = change_context(&actor.0, &request_id);
    let e =
        state.store.record_custody(&ctx, &actor.0.org_id, &id, CustodyAction::HandedOver, (Some(&to), &note)).await?;
    Ok(Json(evidence_json(&e)))
}

/// `POST /api/v1/incident-evidence/{id}/verify`: `{"matches": bool, "evidence": …}`.
pub async fn verify(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require(Permission::Read, "check evidence")?;
    let (matches, e) = verify_file(&state, &change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(Json(json!({"matches": matches, "evidence": evidence_json(&e)})))
}
