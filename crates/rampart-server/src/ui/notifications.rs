//! Settings → Notifications: the organisation's channels (webhooks and
//! e-mail), a test for each, and the outbox with every delivery's state, so
//! an admin sees what went out, what is retried and why.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::Permission;
use rampart_domain::notification::{ChannelKind, NewChannel, NotificationEvent};
use serde::Deserialize;

use super::assessments::Pairs;
use super::{CsrfForm, PageError, Shell, change_context, display_time, org_session, render};
use crate::AppState;
use crate::auth::OrgSession;
use crate::error::Problem;
use crate::middleware::RequestId;

/// Deliveries the page lists.
const SHOWN: i64 = 100;

struct ChannelRow {
    id: String,
    name: String,
    kind: &'static str,
    target: String,
    events: String,
    enabled: bool,
}

struct DeliveryRow {
    id: String,
    created: String,
    channel: String,
    event: &'static str,
    subject: String,
    state: &'static str,
    attempts: u32,
    next: String,
    error: String,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    shell: Shell,
    tab: &'static str,
    notice: Option<&'static str>,
    error: Option<String>,
    channels: Vec<ChannelRow>,
    deliveries: Vec<DeliveryRow>,
    events: Vec<&'static str>,
    new_secret: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    notice: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "test" => "A test delivery was queued; it goes out within seconds.",
        "retry" => "The delivery is retried now.",
        "paused" => "The channel is paused: it gets no new deliveries.",
        "resumed" => "The channel is active again.",
        "deleted" => "The channel and its deliveries were removed.",
        _ => return None,
    })
}

async fn page(
    state: &AppState,
    org: &OrgSession,
    code: Option<&str>,
    error: Option<(StatusCode, String)>,
    new_secret: Option<String>,
) -> Result<Response, PageError> {
    org.require(Permission::ManageMembers, "manage notifications")?;
    let channels = state.store.channels(&org.actor.org_id).await?;
    let deliveries = state.store.notifications(&org.actor.org_id, SHOWN).await?;
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.0);
    Ok(render(
        status,
        &NotificationsPage {
            shell: Shell::of(state, &org.browser, "Notifications", "settings").await?,
            tab: "notifications",
            notice: notice(code),
            error: error.map(|e| e.1),
            channels: channels
                .into_iter()
                .map(|c| ChannelRow {
                    events: c.events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", "),
                    kind: c.kind.as_str(),
                    id: c.id,
                    name: c.name,
                    target: c.target,
                    enabled: c.enabled,
                })
                .collect(),
            deliveries: deliveries
                .into_iter()
                .map(|n| DeliveryRow {
                    created: display_time(n.created_at),
                    event: n.event.as_str(),
                    state: n.state.as_str(),
                    attempts: n.attempts,
                    next: match n.state {
                        rampart_domain::notification::DeliveryState::Pending => display_time(n.next_attempt_at),
                        _ => n.delivered_at.map(display_time).unwrap_or_default(),
                    },
                    error: n.last_error.unwrap_or_default(),
                    id: n.id,
                    channel: n.channel_name,
                    subject: n.subject,
                })
                .collect(),
            events: NotificationEvent::ALL
                .iter()
                .filter(|e| **e != NotificationEvent::Test)
                .map(|e| e.as_str())
                .collect(),
            new_secret,
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    org: OrgSession,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    page(&state, &org, p.notice.as_deref(), None, None).await
}

/// A channel from the form; the webhook secret is shown on this response only.
pub async fn create(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::ManageMembers, "manage notifications")?;
    let f = form.form;
    let outcome = async {
        let events = f.all("events").iter().map(|e| NotificationEvent::parse(e)).collect::<Result<Vec<_>, _>>()?;
        let new = NewChannel {
            name: f.get("name"),
            kind: ChannelKind::parse(&f.get("kind"))?,
            target: f.get("target"),
            events,
        };
        Ok::<_, Problem>(state.store.create_channel(&change_context(&org, &rid), &org.actor.org_id, new).await?)
    }
    .await;
    match outcome {
        Ok((channel, secret)) => {
            let shown = (channel.kind == ChannelKind::Webhook).then_some(secret);
            page(&state, &org, None, None, shown).await
        }
        Err(p) if p.fixable_on_page() => page(&state, &org, None, Some((p.status(), p.detail)), None).await,
        Err(p) => Err(PageError(p)),
    }
}

/// `/settings/notifications/channels/{id}/{action}`: test, pause, resume, delete.
pub async fn channel_action(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path((id, action)): Path<(String, String)>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::ManageMembers, "manage notifications")?;
    let (ctx, org_id) = (change_context(&org, &rid), org.actor.org_id.clone());
    let outcome = match action.as_str() {
        "test" => state.store.send_test_notification(&ctx, &org_id, &id).await.map(|()| "test"),
        "pause" => state.store.set_channel_enabled(&ctx, &org_id, &id, false).await.map(|()| "paused"),
        "resume" => state.store.set_channel_enabled(&ctx, &org_id, &id, true).await.map(|()| "resumed"),
        "delete" => state.store.delete_channel(&ctx, &org_id, &id).await.map(|()| "deleted"),
        _ => return Err(PageError(Problem::not_found())),
    };
    done(&state, &org, outcome.map_err(Problem::from)).await
}

pub async fn retry(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::ManageMembers, "manage notifications")?;
    let outcome = state.store.retry_notification(&change_context(&org, &rid), &org.actor.org_id, &id).await;
    done(&state, &org, outcome.map(|()| "retry").map_err(Problem::from)).await
}

async fn done(
    state: &AppState,
    org: &OrgSession,
    outcome: Result<&'static str, Problem>,
) -> Result<Response, PageError> {
    super::after_change(outcome, "/settings/notifications", |e| page(state, org, None, Some(e), None)).await
}
