//! Evidence over the API: upload a file or record a link for a requirement's
//! answer, download (audited), remove.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rampart_domain::assessment::EvidenceFields;
use rampart_domain::{Invalid, Permission};
use rampart_store::{ChangeContext, Evidence};
use serde::{Deserialize, Serialize};

use super::people::change_context;
use super::rfc3339;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;

#[derive(Serialize)]
pub struct EvidenceDto {
    pub id: String,
    pub assessment_id: String,
    pub node_id: String,
    pub kind: String,
    #[serde(flatten)]
    pub fields: EvidenceFields,
    pub added_by: String,
    pub added_at: String,
}

impl From<Evidence> for EvidenceDto {
    fn from(e: Evidence) -> Self {
        Self {
            id: e.id,
            assessment_id: e.assessment_id,
            node_id: e.node_id,
            kind: e.kind,
            fields: e.fields,
            added_by: e.added_by,
            added_at: rfc3339(e.added_at),
        }
    }
}

/// Stores a file's body and records it as evidence.
pub async fn add_file(
    state: &AppState,
    ctx: &ChangeContext,
    org_id: &str,
    (assessment_id, node_id): (&str, &str),
    (name, content_type, expires_on): (&str, &str, &str),
    body: &[u8],
) -> Result<Evidence, Problem> {
    if body.is_empty() {
        return Err(Invalid::new("file", "is empty: choose a file with content").into());
    }
    // Checked before the body is written, so a refused upload leaves nothing behind.
    EvidenceFields::file(name, &"0".repeat(64), 0, content_type, expires_on)?;
    state.store.check_answerable(org_id, assessment_id, node_id).await?;
    let sha256 = crate::files::save(&state.config.files_dir, body).await?;
    let fields = EvidenceFields::file(name, &sha256, body.len() as i64, content_type, expires_on)?;
    Ok(state.store.add_evidence(ctx, org_id, assessment_id, node_id, fields).await?)
}

#[derive(Debug, Default, Deserialize)]
pub struct UploadQuery {
    pub name: Option<String>,
    pub expires_on: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    #[serde(default)]
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub expires_on: String,
}

/// `POST …/requirements/{node_id}/evidence`: a JSON body `{url, name,
/// expires_on}` records a link; any other body is the file itself, named by
/// `?name=`.
pub async fn add(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path((id, node_id)): Path<(String, String)>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "add evidence")?;
    let ctx = change_context(&actor.0, &request_id);
    let org = &actor.0.org_id;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let evidence = if content_type.starts_with("application/json") {
        let link: LinkBody = serde_json::from_slice(&body)
            .map_err(|e| Problem::bad_request(format!("The link could not be read: {e}")))?;
        let fields = EvidenceFields::link(&link.name, &link.url, &link.expires_on)?;
        state.store.add_evidence(&ctx, org, &id, &node_id, fields).await?
    } else {
        let name = q.name.unwrap_or_default();
        let expires = q.expires_on.unwrap_or_default();
        add_file(&state, &ctx, org, (&id, &node_id), (&name, &content_type, &expires), &body).await?
    };
    Ok((StatusCode::CREATED, Json(EvidenceDto::from(evidence))).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<EvidenceDto>, ApiError> {
    actor.require(Permission::Read, "see evidence")?;
    Ok(Json(state.store.evidence(&actor.0.org_id, &id).await?.into()))
}

/// The file of a piece of evidence as an attachment; every download is audited.
pub async fn file_response(state: &AppState, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<Response, Problem> {
    let e = state.store.evidence(org_id, id).await?;
    let Some(sha256) = e.fields.sha256.clone() else {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "Conflict",
            "This evidence is a link, not a file: follow its url.",
        ));
    };
    let bytes = crate::files::read(&state.config.files_dir, &sha256).await?;
    state.store.record_evidence_download(ctx, org_id, id).await?;
    let content_type = e.fields.content_type.as_deref().unwrap_or("application/octet-stream");
    Ok(crate::files::attachment(&e.fields.name, content_type, bytes))
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

pub async fn delete(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "remove evidence")?;
    state.store.delete_evidence(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
