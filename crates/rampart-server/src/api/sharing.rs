//! Communities and shared items over the API. What an organisation may see
//! of shared items is decided by the store's queries (docs/SHARING.md).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rampart_domain::incident::Marking;
use rampart_domain::sharing::{Distribution, MemberRole};
use rampart_domain::{Invalid, Permission};
use rampart_store::{NewSharedItem, SharedItem};
use serde::Deserialize;
use serde_json::{Value, json};

use super::people::change_context;
use super::{ApiJson, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;

pub fn item_json(i: &SharedItem) -> Value {
    json!({
        "id": i.id, "owner": {"id": i.owner_org, "name": i.owner_name},
        "community": {"id": i.community_id, "name": i.community_name}, "kind": i.kind, "title": i.title,
        "body": i.body, "tlp": i.marking, "distribution": i.distribution, "reach": i.reach,
        "created_by": i.created_by, "created_at": rfc3339(i.created_at)
    })
}

pub async fn communities(State(state): State<AppState>, actor: ApiActor) -> Result<Json<Vec<Value>>, ApiError> {
    actor.require(Permission::Read, "see communities")?;
    let rows = state.store.communities_of(&actor.0.org_id).await?;
    Ok(Json(
        rows.iter()
            .map(|(c, m)| json!({"id": c.id, "name": c.name, "description": c.description, "role": m.role, "state": m.state}))
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCommunity {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

pub async fn create_community(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<NewCommunity>,
) -> Result<Response, ApiError> {
    actor.require(Permission::ManageMembers, "create communities")?;
    let ctx = change_context(&actor.0, &request_id);
    let c = state.store.create_community(&ctx, &actor.0.org_id, &body.name, &body.description).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": c.id, "name": c.name, "description": c.description, "role": "owner", "state": "active"})),
    )
        .into_response())
}

pub async fn members(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    actor.require(Permission::Read, "see communities")?;
    let members = state.store.community_members(&actor.0.org_id, &id).await?;
    Ok(Json(
        members
            .iter()
            .map(|m| json!({"org_id": m.org_id, "name": m.org_name, "role": m.role, "state": m.state}))
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    /// The organisation's exact name.
    pub org: String,
    #[serde(default)]
    pub role: Option<String>,
}

/// The organisation with exactly this name; a refusal naming `field` otherwise.
pub async fn org_named(state: &AppState, field: &str, name: &str) -> Result<rampart_store::Organisation, Problem> {
    let name = name.trim();
    state.store.org_by_name(name).await.map_err(|_| {
        Problem::invalid(Invalid::new(
            field,
            format!("{name:?} is not the exact name of an organisation on this instance"),
        ))
    })
}

/// Records the organisation named `client` as a client of `org_id`.
pub async fn record_client_named(
    state: &AppState,
    ctx: &rampart_store::ChangeContext,
    org_id: &str,
    client: &str,
) -> Result<(), Problem> {
    let client = org_named(state, "org", client).await?;
    Ok(state.store.record_client(ctx, org_id, &client.id).await?)
}

/// An owner of the community invites an organisation by its exact name.
pub async fn invite(
    state: &AppState,
    ctx: &rampart_store::ChangeContext,
    actor_org: &str,
    community_id: &str,
    (org, role): (&str, &str),
) -> Result<(), Problem> {
    let role = MemberRole::parse(if role.is_empty() { "contributor" } else { role })?;
    let invited = org_named(state, "org", org).await?;
    Ok(state.store.add_community_member(ctx, Some(actor_org), community_id, &invited.id, role).await?)
}

pub async fn add_member(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Invitation>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::ManageMembers, "invite organisations")?;
    let ctx = change_context(&actor.0, &request_id);
    invite(&state, &ctx, &actor.0.org_id, &id, (&body.org, body.role.as_deref().unwrap_or(""))).await?;
    Ok(StatusCode::CREATED)
}

pub async fn accept(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::ManageMembers, "accept invitations")?;
    state.store.accept_community_invitation(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub org: String,
}

pub async fn add_client(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<Client>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::ManageMembers, "record clients")?;
    record_client_named(&state, &change_context(&actor.0, &request_id), &actor.0.org_id, &body.org).await?;
    Ok(StatusCode::CREATED)
}

/// `GET /api/v1/shared-items/export`: what the organisation may see, as a STIX 2.1 bundle.
pub async fn export(State(state): State<AppState>, actor: ApiActor) -> Result<Response, ApiError> {
    actor.require(Permission::Read, "export shared items")?;
    let org = &actor.0.org_id;
    let items = state.store.visible_items(org, 500).await?;
    let mut sightings = std::collections::HashMap::new();
    for item in items.iter().filter(|i| i.kind == "indicator") {
        sightings.insert(item.id.clone(), state.store.sightings_of_item(org, &item.id).await?);
    }
    let bytes = crate::stix_export::bundle(&items, &sightings).map_err(|_| Problem::internal())?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/stix+json;version=2.1"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"shared.stix.json\""),
        ],
        bytes,
    )
        .into_response())
}

pub async fn feed(State(state): State<AppState>, actor: ApiActor) -> Result<Json<Vec<Value>>, ApiError> {
    actor.require(Permission::Read, "see shared items")?;
    Ok(Json(state.store.visible_items(&actor.0.org_id, 500).await?.iter().map(item_json).collect()))
}

/// One item, with its acknowledgements: all of them for its owner, the
/// viewer's own for anyone else.
pub async fn item(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require(Permission::Read, "see shared items")?;
    let org = &actor.0.org_id;
    let mut v = item_json(&state.store.shared_item(org, &id).await?);
    let acks = state.store.acknowledgements(org, &id).await?;
    v["acknowledgements"] = json!(
        acks.iter().map(|(o, by, at)| json!({"organisation": o, "by": by, "at": rfc3339(*at)})).collect::<Vec<_>>()
    );
    v["files"] = state.store.item_files(org, &id).await?.iter().map(file_json).collect();
    Ok(Json(v))
}

/// A sighting as the API gives it.
pub fn sighting_json(s: &rampart_store::Sighting) -> Value {
    json!({
        "indicator": {"id": s.item_id, "title": s.item_title, "owner": s.item_owner, "tlp": s.item_marking},
        "organisation": {"id": s.org_id, "name": s.org_name},
        "incident_id": s.incident_id,
        "observable": {"type": s.kind, "value": s.value, "tlp": s.marking},
        "seen_at": rfc3339(s.seen_at),
    })
}

/// `GET /api/v1/shared-items/{id}/sightings`: where an indicator was seen, as
/// far as the viewer may know (its own; for the source, every organisation's
/// but those whose observable is TLP:RED).
pub async fn sightings(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    actor.require(Permission::Read, "see sightings")?;
    Ok(Json(state.store.sightings_of_item(&actor.0.org_id, &id).await?.iter().map(sighting_json).collect()))
}

/// `GET /api/v1/incidents/{id}/sightings`: the shared indicators this incident's observables matched.
pub async fn incident_sightings(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    actor.require(Permission::Read, "see sightings")?;
    let org = &actor.0.org_id;
    state.store.incident_detail(org, &id).await?;
    Ok(Json(state.store.sightings_in_incident(org, &id).await?.iter().map(sighting_json).collect()))
}

/// `POST /api/v1/shared-items/{id}/acknowledgements`: the viewer's organisation acknowledges.
pub async fn acknowledge(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Comment, "acknowledge advisories")?;
    state.store.acknowledge_item(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionBody {
    pub community_id: String,
}

/// `GET /api/v1/communities/{id}/connections`: the communities connected to one (members only).
pub async fn connections(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    actor.require(Permission::Read, "see communities")?;
    let connected = state.store.connected_communities(&actor.0.org_id, &id).await?;
    Ok(Json(connected.into_iter().map(|(id, name)| json!({"id": id, "name": name})).collect()))
}

/// `POST /api/v1/communities/{id}/connections`: connect two communities the organisation owns.
pub async fn connect(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    Json(body): Json<ConnectionBody>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::ManageMembers, "connect communities")?;
    let ctx = change_context(&actor.0, &request_id);
    state.store.connect_communities(&ctx, &actor.0.org_id, &id, &body.community_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvisoryBody {
    pub community_id: String,
    pub title: String,
    pub tlp: String,
    pub distribution: String,
    #[serde(default)]
    pub recipients: Vec<String>,
    pub severity: String,
    #[serde(default)]
    pub affected: Vec<String>,
    pub actions: String,
    #[serde(default)]
    pub references: Vec<String>,
}

impl AdvisoryBody {
    /// The advisory as a shared item of kind `advisory`, its fields checked.
    pub fn checked(self) -> Result<NewSharedItem, Problem> {
        let advisory = rampart_domain::sharing::Advisory {
            severity: rampart_domain::sharing::AdvisorySeverity::parse(self.severity.trim())?,
            affected: self.affected,
            actions: self.actions,
            references: self.references,
        }
        .check()?;
        let body = serde_json::to_value(&advisory).map_err(|_| Problem::internal())?;
        ShareBody {
            community_id: self.community_id,
            kind: "advisory".into(),
            title: self.title,
            body,
            tlp: self.tlp,
            distribution: self.distribution,
            recipients: self.recipients,
        }
        .checked()
    }
}

/// `POST /api/v1/advisories`: an authority or provider warns its community.
pub async fn publish_advisory(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<AdvisoryBody>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "publish advisories")?;
    let item = state.store.share_item(&change_context(&actor.0, &request_id), &actor.0.org_id, body.checked()?).await?;
    Ok((StatusCode::CREATED, Json(item_json(&item))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareBody {
    pub community_id: String,
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub body: Value,
    pub tlp: String,
    pub distribution: String,
    #[serde(default)]
    pub recipients: Vec<String>,
}

impl ShareBody {
    pub fn checked(self) -> Result<NewSharedItem, Problem> {
        Ok(NewSharedItem {
            community_id: self.community_id,
            kind: self.kind,
            title: self.title,
            body: self.body,
            marking: Marking::parse(self.tlp.trim())?,
            distribution: Distribution::parse(self.distribution.trim())?,
            recipients: self.recipients,
        })
    }
}

pub async fn share(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<ShareBody>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "share items")?;
    let item = state.store.share_item(&change_context(&actor.0, &request_id), &actor.0.org_id, body.checked()?).await?;
    Ok((StatusCode::CREATED, Json(item_json(&item))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryBody {
    pub community_id: String,
    pub title: String,
    pub tlp: String,
    pub distribution: String,
    #[serde(default)]
    pub recipients: Vec<String>,
    pub summary: String,
    #[serde(default)]
    pub category: bool,
    #[serde(default)]
    pub severity: bool,
    #[serde(default)]
    pub impact: bool,
    #[serde(default)]
    pub dates: bool,
    #[serde(default)]
    pub observables: Vec<String>,
}

impl SummaryBody {
    pub fn checked(self) -> Result<rampart_store::NewSummary, Problem> {
        Ok(rampart_store::NewSummary {
            community_id: self.community_id,
            title: self.title,
            marking: Marking::parse(self.tlp.trim())?,
            distribution: Distribution::parse(self.distribution.trim())?,
            recipients: self.recipients,
            choice: rampart_domain::sharing::SummaryChoice {
                summary: self.summary,
                category: self.category,
                severity: self.severity,
                impact: self.impact,
                dates: self.dates,
                observables: self.observables,
            },
        })
    }
}

/// `POST /api/v1/incidents/{id}/summaries`: share what the owner chooses of an incident.
pub async fn share_summary(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SummaryBody>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "share incident summaries")?;
    let ctx = change_context(&actor.0, &request_id);
    let item = state.store.share_incident_summary(&ctx, &actor.0.org_id, &id, body.checked()?).await?;
    Ok((StatusCode::CREATED, Json(item_json(&item))).into_response())
}

/// `GET /api/v1/incidents/{id}/summaries`: what was shared of the incident.
pub async fn summaries(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    actor.require(Permission::Read, "see incidents")?;
    let org = &actor.0.org_id;
    state.store.incident_detail(org, &id).await?;
    Ok(Json(state.store.summaries_of_incident(org, &id).await?.iter().map(item_json).collect()))
}

pub fn correlation_json(c: &rampart_store::Correlation) -> Value {
    json!({"item_id": c.item_id, "title": c.title, "owner": c.owner_name, "kind": c.kind, "value": c.value,
           "created_at": rfc3339(c.created_at)})
}

/// `GET /api/v1/shared-items/{id}/correlations`: other organisations'
/// summaries with an observable of this one, where each may see the other's.
pub async fn correlations(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    actor.require(Permission::Read, "see shared items")?;
    let org = &actor.0.org_id;
    state.store.shared_item(org, &id).await?;
    Ok(Json(state.store.correlations(org, &id).await?.iter().map(correlation_json).collect()))
}

pub fn file_json(f: &rampart_store::ItemFile) -> Value {
    json!({"id": f.id, "item_id": f.item_id, "name": f.name, "content_type": f.content_type, "size": f.size,
           "sha256": f.sha256, "added_by": f.added_by, "added_at": rfc3339(f.added_at),
           "download": format!("/api/v1/shared-item-files/{}", f.id)})
}

/// Keeps an uploaded body in the files directory: the body first (content
/// addressed, so a refused change leaves nothing that matters), then the
/// caller records it in one transaction.
pub async fn keep_file(
    state: &AppState,
    name: &str,
    content_type: &str,
    body: &[u8],
) -> Result<rampart_store::StoredFile, Problem> {
    if body.is_empty() {
        return Err(Invalid::new("file", "is empty: choose a file with content").into());
    }
    let sha256 = crate::files::save(&state.config.files_dir, body).await?;
    Ok(rampart_store::StoredFile {
        name: name.into(),
        sha256,
        size: body.len() as i64,
        content_type: content_type.into(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct FileQuery {
    pub name: Option<String>,
}

/// `POST /api/v1/shared-items/{id}/files?name=…`: the body is the file; the item must be the organisation's own.
pub async fn add_file(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<FileQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "attach files to shared items")?;
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let name = q.name.unwrap_or_default();
    if name.trim().is_empty() {
        return Err(Invalid::new("name", "give the file's name: ?name=report.pdf").into());
    }
    let ctx = change_context(&actor.0, &request_id);
    let file = attach_file(&state, &ctx, &actor.0.org_id, &id, (&name, content_type, &body)).await?;
    Ok((StatusCode::CREATED, Json(file_json(&file))).into_response())
}

/// Attaches an uploaded body to an item of `org`'s own: the item is checked
/// first, so a refused upload keeps no body; then the body, then its record.
pub async fn attach_file(
    state: &AppState,
    ctx: &rampart_store::ChangeContext,
    org: &str,
    item_id: &str,
    (name, content_type, body): (&str, &str, &[u8]),
) -> Result<rampart_store::ItemFile, Problem> {
    if state.store.shared_item(org, item_id).await?.owner_org != org {
        return Err(Problem::not_found());
    }
    let kept = keep_file(state, name, content_type, body).await?;
    Ok(state.store.add_item_file(ctx, org, item_id, &kept).await?)
}

/// A file of an item `org` may see, as an attachment.
pub async fn file_download(state: &AppState, org: &str, id: &str) -> Result<Response, Problem> {
    let f = state.store.item_file(org, id).await?;
    let bytes = crate::files::read(&state.config.files_dir, &f.sha256).await?;
    Ok(crate::files::attachment(&f.name, &f.content_type, bytes))
}

/// `GET /api/v1/shared-item-files/{id}`.
pub async fn download_file(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Read, "download shared files")?;
    Ok(file_download(&state, &actor.0.org_id, &id).await?)
}
