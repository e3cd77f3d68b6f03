//! The dashboard and the human-readable API page.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use rampart_domain::audit::AuditRecord;
use rampart_domain::{PageRequest, Permission};
use rampart_store::AuditFilter;

use super::{PageError, Shell, display_time, kind_choices, render};
use crate::AppState;
use crate::api::rfc3339;
use crate::auth::BrowserSession;

struct RecentChange {
    at: String,
    at_display: String,
    actor: String,
    action: String,
}

struct OrgOverview {
    name: String,
    kind_label: &'static str,
    role: String,
    members: String,
    active_tokens: usize,
    audit_state: String,
    recent: Vec<RecentChange>,
    register: rampart_store::RegisterCounts,
    assessments: Vec<AssessmentLine>,
    assessments_svg: String,
    coverage: Vec<rampart_store::Coverage>,
}

struct AssessmentLine {
    id: String,
    name: String,
    framework: String,
    status: &'static str,
    compliance: String,
    progress: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    shell: Shell,
    org: Option<OrgOverview>,
    kinds: Vec<(&'static str, &'static str)>,
}

fn recent(r: AuditRecord) -> RecentChange {
    RecentChange { at: rfc3339(r.at_ms), at_display: display_time(r.at_ms), actor: r.actor, action: r.action }
}

pub async fn dashboard(State(state): State<AppState>, browser: BrowserSession) -> Result<Response, PageError> {
    let shell = Shell::of(&state, &browser, "Dashboard", "dashboard").await?;
    let org = match &browser.actor {
        None => None,
        Some(actor) => {
            let store = &state.store;
            let members = store.list_members(&actor.org_id, &PageRequest::first(500)).await?;
            let members = if members.next.is_some() { "500+".to_string() } else { members.items.len().to_string() };
            let now = rampart_store::now_ms();
            let tokens = store.list_tokens(&actor.org_id, None, &PageRequest::first(500)).await?;
            let can_audit = actor.can(Permission::ReadAudit);
            let (audit_state, recent_changes) = if can_audit {
                let state = format!("{} records", store.audit_length(&actor.org_id).await?);
                let latest = store.list_audit(&actor.org_id, &AuditFilter::default(), &PageRequest::first(8)).await?;
                (state, latest.items.into_iter().map(recent).collect())
            } else {
                (String::new(), Vec::new())
            };
            // The twenty newest assessments, scores read from their cached summaries.
            let latest = store
                .list_assessments(&actor.org_id, &rampart_store::AssessmentFilter::default(), &PageRequest::first(20))
                .await?
                .items;
            let bars: Vec<rampart_store::HeadingScore> = latest
                .iter()
                .map(|a| rampart_store::HeadingScore {
                    ref_id: a.status.to_string(),
                    title: a.fields.name.clone(),
                    compliance: a.summary.compliance,
                    maturity: a.summary.maturity,
                })
                .collect();
            let pct = |v: Option<f64>| v.map(|p| format!("{p:.0} %")).unwrap_or_else(|| "n/a".into());
            Some(OrgOverview {
                coverage: store.coverage(&actor.org_id).await?,
                assessments_svg: super::score_chart::headings_svg(&bars, "Compliance by assessment"),
                assessments: latest
                    .into_iter()
                    .map(|a| AssessmentLine {
                        compliance: pct(a.summary.compliance),
                        progress: pct(a.summary.progress),
                        status: a.status.as_str(),
                        framework: a.framework_name,
                        name: a.fields.name,
                        id: a.id,
                    })
                    .collect(),
                name: actor.org_name.clone(),
                kind_label: store.org_by_name(&actor.org_name).await?.kind.label(),
                role: actor.role.to_string(),
                members,
                active_tokens: tokens.items.iter().filter(|t| t.is_active(now)).count(),
                audit_state,
                recent: recent_changes,
                register: store.register_counts(&actor.org_id).await?,
            })
        }
    };
    Ok(render(StatusCode::OK, &Dashboard { shell, org, kinds: kind_choices() }))
}

struct Operation {
    method: String,
    path: String,
    summary: String,
    permission: String,
}

#[derive(Template)]
#[template(path = "api.html")]
struct ApiPage {
    shell: Shell,
    operations: Vec<Operation>,
}

/// The API described for people, from the same table as the OpenAPI document.
pub async fn api_page() -> Response {
    let operations = crate::openapi::operations()
        .map(|op| Operation {
            method: op.method.to_uppercase(),
            path: op.path.to_string(),
            summary: op.summary.to_string(),
            permission: op.permission.to_string(),
        })
        .collect();
    render(StatusCode::OK, &ApiPage { shell: Shell::anonymous("API"), operations })
}
