//! STIX collections (what the TAXII server serves) and subscriptions to
//! remote TAXII collections (what the TAXII client pulls), over the API.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rampart_domain::Permission;
use rampart_domain::subscription::NewSubscription;
use rampart_store::{PullRecord, ReadableCollection, Store, Subscription};
use serde::Deserialize;
use serde_json::{Value, json};

use super::people::change_context;
use super::{ApiJson, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use crate::middleware::RequestId;

const SUBSCRIBE: &str = "manage TAXII subscriptions";

/// A collection as `org` sees it: counts and the TAXII address only for its own.
pub(crate) async fn collection_json(store: &Store, org: &str, c: &ReadableCollection) -> Result<Value, ApiError> {
    let own = c.collection.org_id == org;
    let counts = if own { Some(store.collection_counts(org, &c.collection.id).await?) } else { None };
    Ok(json!({
        "id": c.collection.id, "title": c.collection.title, "description": c.collection.description,
        "community_id": c.collection.community_id, "own": own, "can_write": c.can_write,
        "versions": counts.map(|c| c.0), "objects": counts.map(|c| c.1),
        "taxii_path": format!("/taxii2/rampart/collections/{}/", c.collection.id),
        "created_at": rfc3339(c.collection.created_at),
    }))
}

pub(crate) fn subscription_json(s: &Subscription) -> Value {
    json!({
        "id": s.id, "title": s.title, "collection_id": s.collection_id, "collection_title": s.collection_title,
        "api_root": s.api_root, "remote_collection": s.remote_collection, "objects_url": s.objects_url(),
        "auth_kind": s.auth_kind, "username": s.username, "pull_every_minutes": s.pull_every_minutes,
        "next_pull_at": s.next_pull_at.map(rfc3339), "added_after": s.added_after,
        "last_pull_at": s.last_pull_at.map(rfc3339), "last_error": s.last_error,
        "created_by": s.created_by, "created_at": rfc3339(s.created_at),
    })
}

pub(crate) fn pull_json(p: &PullRecord) -> Value {
    json!({
        "id": p.id, "subscription_id": p.subscription_id, "collection_id": p.collection_id, "source_url": p.source_url,
        "started_at": rfc3339(p.started_at), "finished_at": p.finished_at.map(rfc3339), "pages": p.pages,
        "added": p.added, "present": p.present, "refused": p.refused,
        "added_after_from": p.added_after_from, "added_after_to": p.added_after_to, "error": p.error,
    })
}

/// `GET /api/v1/collections`: the collections the organisation keeps or reads.
pub async fn collections(State(state): State<AppState>, actor: ApiActor) -> Result<Json<Vec<Value>>, ApiError> {
    actor.require(Permission::Read, "see collections")?;
    let org = &actor.0.org_id;
    let mut out = Vec::new();
    for c in state.store.readable_collections(org).await? {
        out.push(collection_json(&state.store, org, &c).await?);
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionBody {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// One of the organisation's communities (as owner or contributor).
    pub community_id: Option<String>,
}

pub async fn create_collection(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<CollectionBody>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "create collections")?;
    let ctx = change_context(&actor.0, &request_id);
    let org = &actor.0.org_id;
    let created =
        state.store.create_collection(&ctx, org, &body.title, &body.description, body.community_id.as_deref()).await?;
    let readable = ReadableCollection { collection: created, can_write: true };
    Ok((StatusCode::CREATED, Json(collection_json(&state.store, org, &readable).await?)).into_response())
}

/// `GET /api/v1/taxii-subscriptions`.
pub async fn subscriptions(State(state): State<AppState>, actor: ApiActor) -> Result<Json<Vec<Value>>, ApiError> {
    actor.require(Permission::Read, "see TAXII subscriptions")?;
    Ok(Json(state.store.subscriptions(&actor.0.org_id).await?.iter().map(subscription_json).collect()))
}

/// `POST /api/v1/taxii-subscriptions`: the password or token is sealed
/// before it is stored and never answered again.
pub async fn subscribe(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<NewSubscription>,
) -> Result<Response, ApiError> {
    actor.require(Permission::ManageMembers, SUBSCRIBE)?;
    let ctx = change_context(&actor.0, &request_id);
    let sub = state.store.create_subscription(&ctx, &actor.0.org_id, body).await?;
    Ok((StatusCode::CREATED, Json(subscription_json(&sub))).into_response())
}

/// `GET /api/v1/taxii-subscriptions/{id}`: with its latest 50 pulls.
pub async fn subscription(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require(Permission::Read, "see TAXII subscriptions")?;
    let org = &actor.0.org_id;
    let sub = state.store.subscription(org, &id).await?;
    let pulls = state.store.subscription_pulls(org, &id, 50).await?;
    let mut v = subscription_json(&sub);
    v["pulls"] = pulls.iter().map(pull_json).collect();
    Ok(Json(v))
}

pub async fn unsubscribe(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::ManageMembers, SUBSCRIBE)?;
    state.store.delete_subscription(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/taxii-subscriptions/{id}/pull`: pulls now and answers the
/// pull's record (its `error` says why a remote failed it).
pub async fn pull(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require(Permission::ManageMembers, SUBSCRIBE)?;
    let record = state.puller.pull(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(Json(pull_json(&record)))
}
