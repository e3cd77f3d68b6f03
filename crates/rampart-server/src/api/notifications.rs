//! Notification channels and the outbox over the API (admins).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rampart_domain::Permission;
use rampart_domain::notification::{ChannelKind, NewChannel, NotificationEvent};
use rampart_store::{Channel, Notification};
use serde::Deserialize;
use serde_json::{Value, json};

use super::people::change_context;
use super::{ApiJson, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;

const WHAT: &str = "manage notifications";

fn channel_json(c: &Channel) -> Value {
    json!({"id": c.id, "name": c.name, "kind": c.kind, "target": c.target, "events": c.events, "enabled": c.enabled,
           "created_by": c.created_by, "created_at": rfc3339(c.created_at)})
}

fn notification_json(n: &Notification) -> Value {
    json!({"id": n.id, "channel_id": n.channel_id, "channel_name": n.channel_name, "event": n.event, "subject": n.subject,
           "state": n.state, "attempts": n.attempts, "next_attempt_at": rfc3339(n.next_attempt_at), "last_error": n.last_error,
           "created_at": rfc3339(n.created_at), "delivered_at": n.delivered_at.map(rfc3339)})
}

pub async fn channels(State(state): State<AppState>, actor: ApiActor) -> Result<Json<Vec<Value>>, ApiError> {
    actor.require(Permission::ManageMembers, WHAT)?;
    Ok(Json(state.store.channels(&actor.0.org_id).await?.iter().map(channel_json).collect()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelBody {
    pub name: String,
    pub kind: String,
    pub target: String,
    pub events: Vec<String>,
}

/// `POST /api/v1/notification-channels`: answers the channel and, for a
/// webhook, its signing `secret` (shown this once).
pub async fn create_channel(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<ChannelBody>,
) -> Result<Response, ApiError> {
    actor.require(Permission::ManageMembers, WHAT)?;
    let events = body.events.iter().map(|e| NotificationEvent::parse(e.trim())).collect::<Result<Vec<_>, _>>()?;
    let new = NewChannel { name: body.name, kind: ChannelKind::parse(body.kind.trim())?, target: body.target, events };
    let (channel, secret) =
        state.store.create_channel(&change_context(&actor.0, &request_id), &actor.0.org_id, new).await?;
    let mut v = channel_json(&channel);
    if channel.kind == ChannelKind::Webhook {
        v["secret"] = json!(secret);
    }
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelChange {
    pub enabled: bool,
}

pub async fn update_channel(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ChannelChange>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::ManageMembers, WHAT)?;
    let ctx = change_context(&actor.0, &request_id);
    state.store.set_channel_enabled(&ctx, &actor.0.org_id, &id, body.enabled).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete_channel(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::ManageMembers, WHAT)?;
    state.store.delete_channel(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn test_channel(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::ManageMembers, WHAT)?;
    state.store.send_test_notification(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The most recent deliveries, newest first (at most 500).
pub async fn outbox(State(state): State<AppState>, actor: ApiActor) -> Result<Json<Vec<Value>>, ApiError> {
    actor.require(Permission::ManageMembers, WHAT)?;
    Ok(Json(state.store.notifications(&actor.0.org_id, 500).await?.iter().map(notification_json).collect()))
}

pub async fn retry(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::ManageMembers, WHAT)?;
    state
        .store
        .retry_notification(&change_context(&actor.0, &request_id), &actor.0.org_id, &id)
        .await
        .map_err(Problem::from)?;
    Ok(StatusCode::ACCEPTED)
}
