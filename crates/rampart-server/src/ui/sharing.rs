//! Sharing: the organisation's communities (invitations to accept, members,
//! inviting), its clients, the feed of what it may see (decided by the
//! store, docs/SHARING.md), and sharing an item.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::Permission;
use rampart_domain::incident::Marking;
use rampart_domain::sharing::Distribution;
use serde::Deserialize;

use super::assessments::Pairs;
use super::{CsrfForm, PageError, Shell, change_context, display_time, org_session, render};
use crate::AppState;
use crate::api::sharing::ShareBody;
use crate::auth::OrgSession;
use crate::error::Problem;
use crate::middleware::RequestId;

struct CommunityRow {
    id: String,
    name: String,
    description: String,
    role: &'static str,
    state: String,
    /// (name, role, state)
    members: Vec<(String, &'static str, String)>,
    /// (id, name) of the communities connected to it.
    connected: Vec<(String, String)>,
}

struct ItemRow {
    id: String,
    title: String,
    kind: String,
    tlp: &'static str,
    /// The TLP as a CSS class name: `amber-strict` for AMBER+STRICT.
    tlp_class: String,
    community: String,
    owner: String,
    reach: &'static str,
    created: String,
}

#[derive(Template)]
#[template(path = "sharing.html")]
struct SharingPage {
    shell: Shell,
    notice: Option<&'static str>,
    error: Option<String>,
    communities: Vec<CommunityRow>,
    items: Vec<ItemRow>,
    markings: Vec<&'static str>,
    distributions: Vec<&'static str>,
    can_admin: bool,
    /// May share: an analyst or admin of an organisation that contributes to a community.
    can_share: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    notice: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "created" => "The community was created; your organisation owns it.",
        "invited" => "The organisation was invited; it counts once it accepts.",
        "accepted" => "Your organisation is now a member.",
        "connected" => {
            "The communities are connected: items shared with the distribution `connected` in one reach the members of the other."
        }
        "client" => "The client was recorded: TLP:AMBER items your organisation receives reach it too.",
        "shared" => "The item was shared.",
        "published" => "The advisory was published; members acknowledge it on its page.",
        _ => return None,
    })
}

async fn page(
    state: &AppState,
    org: &OrgSession,
    code: Option<&str>,
    error: Option<(StatusCode, String)>,
) -> Result<Response, PageError> {
    let org_id = &org.actor.org_id;
    let mut communities = Vec::new();
    for (c, m) in state.store.communities_of(org_id).await? {
        let members = state.store.community_members(org_id, &c.id).await?;
        let connected =
            if m.state == "active" { state.store.connected_communities(org_id, &c.id).await? } else { Vec::new() };
        communities.push(CommunityRow {
            connected,
            members: members.into_iter().map(|x| (x.org_name, x.role.as_str(), x.state)).collect(),
            id: c.id,
            name: c.name,
            description: c.description,
            role: m.role.as_str(),
            state: m.state,
        });
    }
    let items = state.store.visible_items(org_id, 200).await?;
    let contributes = communities.iter().any(|c| c.state == "active" && c.role != "reader");
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.0);
    Ok(render(
        status,
        &SharingPage {
            shell: Shell::of(state, &org.browser, "Sharing", "sharing").await?,
            notice: notice(code),
            error: error.map(|e| e.1),
            communities,
            items: items
                .into_iter()
                .map(|i| ItemRow {
                    tlp: i.marking.as_str(),
                    tlp_class: i.marking.as_str().replace('+', "-"),
                    reach: i.reach.as_str(),
                    created: display_time(i.created_at),
                    id: i.id,
                    title: i.title,
                    kind: i.kind,
                    community: i.community_name,
                    owner: i.owner_name,
                })
                .collect(),
            markings: Marking::ALL.iter().map(|m| m.as_str()).collect(),
            distributions: Distribution::ALL.iter().map(|d| d.as_str()).collect(),
            can_admin: org.actor.can(Permission::ManageMembers),
            can_share: org.actor.can(Permission::Edit) && contributes,
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    org: OrgSession,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    page(&state, &org, p.notice.as_deref(), None).await
}

/// TLP:RED recipients typed as organisation names, comma-separated, as ids.
async fn recipients(state: &AppState, names: &str) -> Result<Vec<String>, Problem> {
    let mut ids = Vec::new();
    for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        ids.push(crate::api::sharing::org_named(state, "recipients", name).await?.id);
    }
    Ok(ids)
}

async fn done(
    state: &AppState,
    org: &OrgSession,
    outcome: Result<&'static str, Problem>,
) -> Result<Response, PageError> {
    super::after_change(outcome, "/sharing", |e| page(state, org, None, Some(e))).await
}

/// `/sharing/{action}`: create a community, record a client, share an item.
pub async fn act(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(action): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    let (f, ctx, org_id) = (form.form, change_context(&org, &rid), org.actor.org_id.clone());
    let outcome = async {
        match action.as_str() {
            "communities" => {
                org.require(Permission::ManageMembers, "create communities")?;
                state.store.create_community(&ctx, &org_id, &f.get("name"), &f.get("description")).await?;
                Ok("created")
            }
            "clients" => {
                org.require(Permission::ManageMembers, "record clients")?;
                crate::api::sharing::record_client_named(&state, &ctx, &org_id, &f.get("org")).await?;
                Ok("client")
            }
            "advisories" => {
                org.require(Permission::Edit, "publish advisories")?;
                let lines = |field: &str| f.get(field).lines().map(str::to_string).collect::<Vec<_>>();
                let advisory = crate::api::sharing::AdvisoryBody {
                    community_id: f.get("community_id"),
                    title: f.get("title"),
                    tlp: f.get("tlp"),
                    distribution: f.get("distribution"),
                    recipients: recipients(&state, &f.get("recipients")).await?,
                    severity: f.get("severity"),
                    affected: lines("affected"),
                    actions: f.get("actions"),
                    references: lines("references"),
                };
                state.store.share_item(&ctx, &org_id, advisory.checked()?).await?;
                Ok("published")
            }
            _ => Err(Problem::not_found()),
        }
    }
    .await;
    done(&state, &org, outcome).await
}

/// `POST /sharing/items` (multipart): share an item, with a file attached
/// when one is chosen (a report's document, say).
pub async fn share(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    browser: crate::auth::BrowserSession,
    multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let Some(org) = org_session(browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "share items")?;
    let (f, upload) = super::read_upload(&org, multipart).await?;
    let (ctx, org_id) = (change_context(&org, &rid), org.actor.org_id.clone());
    let outcome = async {
        let text = f.get("body");
        let body = if text.trim().is_empty() {
            serde_json::json!({})
        } else if let Ok(json) = serde_json::from_str(&text) {
            json
        } else if f.get("kind") == "indicator" {
            // A bare pattern becomes a STIX indicator.
            let now = rampart_stix::Timestamp::from_ms(rampart_store::now_ms()).to_string();
            serde_json::json!({
                "type": "indicator", "spec_version": "2.1", "id": rampart_stix::new_id("indicator"),
                "created": now, "modified": now, "valid_from": now,
                "pattern": text.trim(), "pattern_type": "stix", "name": f.get("title"),
            })
        } else {
            serde_json::json!({"text": text})
        };
        let share = ShareBody {
            community_id: f.get("community_id"),
            kind: f.get("kind"),
            title: f.get("title"),
            body,
            tlp: f.get("tlp"),
            distribution: f.get("distribution"),
            recipients: recipients(&state, &f.get("recipients")).await?,
        };
        let new = share.checked()?;
        let files = match upload {
            Some(u) => vec![crate::api::sharing::keep_file(&state, &u.name, &u.content_type, &u.bytes).await?],
            None => Vec::new(),
        };
        state.store.share_item_with_files(&ctx, &org_id, new, &files).await?;
        Ok("shared")
    }
    .await;
    done(&state, &org, outcome).await
}

/// `POST /sharing/items/{id}/files` (multipart): the owner attaches a file.
pub async fn attach(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    browser: crate::auth::BrowserSession,
    multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let Some(org) = org_session(browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "attach files to shared items")?;
    let (_, upload) = super::read_upload(&org, multipart).await?;
    let Some(u) = upload else {
        return Err(PageError(rampart_domain::Invalid::new("file", "choose a file with content").into()));
    };
    let ctx = change_context(&org, &rid);
    crate::api::sharing::attach_file(&state, &ctx, &org.actor.org_id, &id, (&u.name, &u.content_type, &u.bytes))
        .await?;
    Ok(Redirect::to(&format!("/sharing/items/{id}?notice=attached")).into_response())
}

/// `GET /sharing/files/{id}`: a file of an item the organisation may see.
pub async fn download(
    State(state): State<AppState>,
    org: OrgSession,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    Ok(crate::api::sharing::file_download(&state, &org.actor.org_id, &id).await?)
}

/// `/sharing/communities/{id}/{action}`: invite an organisation, accept an invitation.
pub async fn community_act(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path((id, action)): Path<(String, String)>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::ManageMembers, "manage the organisation's communities")?;
    let ctx = change_context(&org, &rid);
    let outcome = match action.as_str() {
        "invite" => {
            let role = form.form.get("role");
            crate::api::sharing::invite(&state, &ctx, &org.actor.org_id, &id, (&form.form.get("org"), &role))
                .await
                .map(|()| "invited")
        }
        "accept" => state
            .store
            .accept_community_invitation(&ctx, &org.actor.org_id, &id)
            .await
            .map(|()| "accepted")
            .map_err(Problem::from),
        "connect" => state
            .store
            .connect_communities(&ctx, &org.actor.org_id, &id, &form.form.get("connected_id"))
            .await
            .map(|()| "connected")
            .map_err(Problem::from),
        _ => Err(Problem::not_found()),
    };
    done(&state, &org, outcome).await
}

#[derive(Template)]
#[template(path = "shared_item.html")]
struct ItemPage {
    shell: Shell,
    notice: Option<&'static str>,
    item: rampart_store::SharedItem,
    body: String,
    created: String,
    tlp_class: String,
    advisory: Option<rampart_domain::sharing::Advisory>,
    /// (organisation, by whom, when): all for the owner, the viewer's own otherwise.
    acks: Vec<(String, String, String)>,
    is_owner: bool,
    can_acknowledge: bool,
    /// For an indicator: where it was seen, as far as the viewer may know.
    sightings: Vec<SightingRow>,
    /// Files attached to it: (id, name, size).
    files: Vec<(String, String, String)>,
    /// For an incident summary: the text, and the other organisations'
    /// summaries holding one of its observables.
    summary_text: String,
    correlations: Vec<rampart_store::Correlation>,
}

/// A sighting as the pages show it.
pub struct SightingRow {
    pub sighting: rampart_store::Sighting,
    pub seen: String,
    pub tlp_class: String,
    pub indicator_tlp_class: String,
}

impl SightingRow {
    pub fn of(sighting: rampart_store::Sighting) -> Self {
        Self {
            seen: display_time(sighting.seen_at),
            tlp_class: sighting.marking.as_str().replace('+', "-"),
            indicator_tlp_class: sighting.item_marking.as_str().replace('+', "-"),
            sighting,
        }
    }
}

pub async fn item(
    State(state): State<AppState>,
    org: OrgSession,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let org_id = &org.actor.org_id;
    let item = state.store.shared_item(org_id, &id).await?;
    let acks: Vec<(String, String, String)> = state
        .store
        .acknowledgements(org_id, &id)
        .await?
        .into_iter()
        .map(|(o, by, at)| (o, by, display_time(at)))
        .collect();
    let is_owner = &item.owner_org == org_id;
    let advisory = (item.kind == "advisory").then(|| serde_json::from_value(item.body.clone()).ok()).flatten();
    let sightings = if item.kind == "indicator" {
        state.store.sightings_of_item(org_id, &id).await?.into_iter().map(SightingRow::of).collect()
    } else {
        Vec::new()
    };
    let files = state
        .store
        .item_files(org_id, &id)
        .await?
        .into_iter()
        .map(|f| (f.id, f.name, super::incident_evidence::human_size(f.size)))
        .collect();
    let is_summary = item.kind == rampart_store::SUMMARY_KIND;
    let correlations = if is_summary { state.store.correlations(org_id, &id).await? } else { Vec::new() };
    let summary_text =
        if is_summary { item.body["summary"].as_str().unwrap_or_default().to_string() } else { String::new() };
    Ok(render(
        StatusCode::OK,
        &ItemPage {
            shell: Shell::of(&state, &org.browser, &item.title, "sharing").await?,
            notice: match p.notice.as_deref() {
                Some("acknowledged") => Some("Your organisation acknowledged the advisory."),
                Some("attached") => Some("The file was attached; whoever may see the item may download it."),
                _ => None,
            },
            body: serde_json::to_string_pretty(&item.body).unwrap_or_default(),
            created: display_time(item.created_at),
            tlp_class: item.marking.as_str().replace('+', "-"),
            can_acknowledge: !is_owner && acks.is_empty() && org.actor.can(Permission::Comment),
            advisory,
            acks,
            is_owner,
            sightings,
            summary_text,
            correlations,
            files,
            item,
        },
    ))
}

pub async fn acknowledge(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Comment, "acknowledge advisories")?;
    state.store.acknowledge_item(&change_context(&org, &rid), &org.actor.org_id, &id).await?;
    Ok(Redirect::to(&format!("/sharing/items/{id}?notice=acknowledged")).into_response())
}
