//! Sharing → TAXII: the collections the organisation keeps or reads (and
//! where TAXII clients find them), and its subscriptions to remote TAXII
//! collections, with each one's last pull, pulling now, and unsubscribing.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::Permission;
use rampart_domain::subscription::{FeedAuth, NewSubscription};
use serde::Deserialize;

use super::assessments::Pairs;
use super::{CsrfForm, PageError, Shell, change_context, display_time, org_session, render};
use crate::AppState;
use crate::auth::OrgSession;
use crate::error::Problem;
use crate::middleware::RequestId;

const SUBSCRIBE: &str = "manage TAXII subscriptions";

struct CollectionRow {
    id: String,
    title: String,
    community: String,
    own: bool,
    can_write: bool,
    counts: String,
}

struct SubscriptionRow {
    id: String,
    title: String,
    url: String,
    collection: String,
    auth: String,
    schedule: String,
    last: String,
    error: String,
    cursor: String,
}

struct PullRow {
    subscription: String,
    started: String,
    pages: i64,
    added: i64,
    present: i64,
    refused: i64,
    error: String,
}

#[derive(Template)]
#[template(path = "taxii.html")]
struct TaxiiPage {
    shell: Shell,
    notice: Option<&'static str>,
    error: Option<String>,
    collections: Vec<CollectionRow>,
    /// (id, title) of the organisation's own collections: where a subscription may feed.
    own: Vec<(String, String)>,
    /// (id, name) of the communities it may keep a collection for.
    communities: Vec<(String, String)>,
    subscriptions: Vec<SubscriptionRow>,
    pulls: Vec<PullRow>,
    can_edit: bool,
    can_admin: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    notice: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "collection" => "The collection was created; TAXII clients of its readers find it at the address shown.",
        "subscribed" => "The subscription was added; its password or token is stored sealed and is not shown again.",
        "pulled" => "The pull ran: its outcome is in the tables below.",
        "unsubscribed" => "The subscription ended; what it pulled stays in its collection.",
        _ => return None,
    })
}

async fn page(
    state: &AppState,
    org: &OrgSession,
    code: Option<&str>,
    error: Option<(StatusCode, String)>,
) -> Result<Response, PageError> {
    org.require(Permission::Read, "see collections")?;
    let org_id = &org.actor.org_id;
    let communities = state.store.communities_of(org_id).await?;
    let community_name = |id: &Option<String>| {
        id.as_ref()
            .map(|id| {
                communities.iter().find(|(c, _)| &c.id == id).map_or("another community", |(c, _)| c.name.as_str())
            })
            .unwrap_or("your organisation only")
            .to_string()
    };
    let mut collections = Vec::new();
    let mut own = Vec::new();
    for c in state.store.readable_collections(org_id).await? {
        let is_own = c.collection.org_id == *org_id;
        let counts = if is_own {
            let (versions, objects) = state.store.collection_counts(org_id, &c.collection.id).await?;
            format!("{objects} objects, {versions} versions")
        } else {
            "kept by another member".into()
        };
        if is_own {
            own.push((c.collection.id.clone(), c.collection.title.clone()));
        }
        collections.push(CollectionRow {
            community: community_name(&c.collection.community_id),
            id: c.collection.id,
            title: c.collection.title,
            own: is_own,
            can_write: c.can_write,
            counts,
        });
    }
    let subs = state.store.subscriptions(org_id).await?;
    let mut pulls = Vec::new();
    for s in &subs {
        for p in state.store.subscription_pulls(org_id, &s.id, 5).await? {
            pulls.push((
                p.started_at,
                PullRow {
                    subscription: s.title.clone(),
                    started: display_time(p.started_at),
                    pages: p.pages,
                    added: p.added,
                    present: p.present,
                    refused: p.refused,
                    error: p.error.unwrap_or_default(),
                },
            ));
        }
    }
    pulls.sort_by_key(|p| std::cmp::Reverse(p.0));
    let subscriptions = subs
        .into_iter()
        .map(|s| SubscriptionRow {
            url: s.objects_url(),
            auth: match s.username {
                Some(user) => format!("{} as {user}", s.auth_kind),
                None => s.auth_kind.clone(),
            },
            schedule: match s.pull_every_minutes {
                0 => "only when asked".into(),
                m => format!("every {m} minutes, next {}", s.next_pull_at.map(display_time).unwrap_or_default()),
            },
            last: s.last_pull_at.map_or("never".into(), display_time),
            error: s.last_error.unwrap_or_default(),
            cursor: s.added_after.unwrap_or_else(|| "from the start".into()),
            id: s.id,
            title: s.title,
            collection: s.collection_title,
        })
        .collect();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.0);
    Ok(render(
        status,
        &TaxiiPage {
            shell: Shell::of(state, &org.browser, "TAXII", "sharing").await?,
            notice: notice(code),
            error: error.map(|e| e.1),
            collections,
            own,
            communities: communities
                .iter()
                .filter(|(_, m)| m.may_share())
                .map(|(c, _)| (c.id.clone(), c.name.clone()))
                .collect(),
            subscriptions,
            pulls: pulls.into_iter().take(20).map(|p| p.1).collect(),
            can_edit: org.actor.can(Permission::Edit),
            can_admin: org.actor.can(Permission::ManageMembers),
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

/// `POST /sharing/taxii/{action}`: create a collection, or subscribe.
pub async fn act(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(action): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    let (ctx, org_id, f) = (change_context(&org, &rid), org.actor.org_id.clone(), form.form);
    let outcome: Result<&'static str, Problem> = match action.as_str() {
        "collections" => {
            org.require(Permission::Edit, "create collections")?;
            let community = Some(f.get("community")).filter(|c| !c.is_empty());
            let made = state
                .store
                .create_collection(&ctx, &org_id, &f.get("title"), &f.get("description"), community.as_deref())
                .await;
            made.map(|_| "collection").map_err(Problem::from)
        }
        "subscriptions" => {
            org.require(Permission::ManageMembers, SUBSCRIBE)?;
            let auth = match f.get("auth").as_str() {
                "basic" => FeedAuth::Basic { username: f.get("username"), password: f.get("secret") },
                "bearer" => FeedAuth::Bearer { token: f.get("secret") },
                _ => FeedAuth::None,
            };
            let every = f.get("pull_every_minutes");
            let new = NewSubscription {
                title: f.get("title"),
                api_root: f.get("api_root"),
                remote_collection: f.get("remote_collection"),
                collection: f.get("collection"),
                auth,
                pull_every_minutes: every.trim().parse().unwrap_or(-1),
            };
            state.store.create_subscription(&ctx, &org_id, new).await.map(|_| "subscribed").map_err(Problem::from)
        }
        _ => return Err(PageError(Problem::not_found())),
    };
    super::after_change(outcome, "/sharing/taxii", |e| page(&state, &org, None, Some(e))).await
}

/// `POST /sharing/taxii/subscriptions/{id}/{action}`: pull now, or unsubscribe.
pub async fn subscription_act(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path((id, action)): Path<(String, String)>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::ManageMembers, SUBSCRIBE)?;
    let (ctx, org_id) = (change_context(&org, &rid), org.actor.org_id.clone());
    let outcome = match action.as_str() {
        "pull" => state.puller.pull(&ctx, &org_id, &id).await.map(|_| "pulled"),
        "delete" => state.store.delete_subscription(&ctx, &org_id, &id).await.map(|()| "unsubscribed"),
        _ => return Err(PageError(Problem::not_found())),
    };
    super::after_change(outcome.map_err(Problem::from), "/sharing/taxii", |e| page(&state, &org, None, Some(e))).await
}
