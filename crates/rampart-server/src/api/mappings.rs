//! Mapping sets over the API, and what they let assessments lend to other
//! frameworks ("assess once, comply many").

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rampart_domain::Permission;
use rampart_frameworks::BUILT_IN_MAPPINGS;
use rampart_store::{ChangeContext, Coverage, MappingSetRow, SOURCE_BUILT_IN, SOURCE_YAML};
use serde::Serialize;

use super::people::change_context;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;

/// A built-in mapping set and the version this organisation has of it.
#[derive(Serialize)]
pub struct MappingEntry {
    pub urn: String,
    pub version: u32,
    pub name: String,
    pub description: String,
    pub source: String,
    pub target: String,
    pub mappings: usize,
    pub loaded_version: Option<u32>,
}

pub async fn mapping_entries(state: &AppState, org_id: &str) -> Result<Vec<MappingEntry>, Problem> {
    let loaded = state.store.list_mapping_sets(org_id).await?;
    Ok(BUILT_IN_MAPPINGS
        .iter()
        .filter_map(|b| rampart_frameworks::built_in_mapping(b.urn))
        .map(|set| MappingEntry {
            loaded_version: loaded.iter().find(|l| l.urn == set.urn).map(|l| l.version),
            mappings: set.mappings.len(),
            urn: set.urn,
            version: set.version,
            name: set.name,
            description: set.description,
            source: set.source,
            target: set.target,
        })
        .collect())
}

pub async fn load_built_in_mapping(
    state: &AppState,
    ctx: &ChangeContext,
    org_id: &str,
    urn: &str,
) -> Result<MappingSetRow, Problem> {
    let set = rampart_frameworks::built_in_mapping(urn).ok_or_else(Problem::not_found)?;
    Ok(state.store.import_mapping_set(ctx, org_id, &set, SOURCE_BUILT_IN).await?)
}

pub async fn library(State(state): State<AppState>, actor: ApiActor) -> Result<Json<Vec<MappingEntry>>, ApiError> {
    actor.require(Permission::Read, "see mapping sets")?;
    Ok(Json(mapping_entries(&state, &actor.0.org_id).await?))
}

pub async fn load(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(urn): Path<String>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "load mapping sets")?;
    let set = load_built_in_mapping(&state, &change_context(&actor.0, &request_id), &actor.0.org_id, &urn).await?;
    Ok((StatusCode::CREATED, Json(set)).into_response())
}

pub async fn list(State(state): State<AppState>, actor: ApiActor) -> Result<Json<Vec<MappingSetRow>>, ApiError> {
    actor.require(Permission::Read, "see mapping sets")?;
    Ok(Json(state.store.list_mapping_sets(&actor.0.org_id).await?))
}

/// `POST /api/v1/mapping-sets`: a mapping set in YAML as the body.
pub async fn import(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    body: Bytes,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "load mapping sets")?;
    let text = std::str::from_utf8(&body).map_err(|_| Problem::bad_request("Send the mapping set as UTF-8 YAML."))?;
    let set = rampart_frameworks::parse_mapping_yaml(text)?;
    let ctx = change_context(&actor.0, &request_id);
    let loaded = state.store.import_mapping_set(&ctx, &actor.0.org_id, &set, SOURCE_YAML).await?;
    Ok((StatusCode::CREATED, Json(loaded)).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "remove mapping sets")?;
    state.store.delete_mapping_set(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn coverage(State(state): State<AppState>, actor: ApiActor) -> Result<Json<Vec<Coverage>>, ApiError> {
    actor.require(Permission::Read, "see coverage")?;
    Ok(Json(state.store.coverage(&actor.0.org_id).await?))
}
