//! The audit trail page and its export.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rampart_domain::Permission;

use super::{PageError, Shell, display_time, render};
use crate::AppState;
use crate::api::{AuditQuery, audit_export, rfc3339};
use crate::auth::OrgSession;

struct Row {
    seq: i64,
    at: String,
    at_display: String,
    actor: String,
    action: String,
    object_type: String,
    object_id: String,
    request_id: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    shell: Shell,
    org_name: String,
    chain_state: String,
    records: Vec<Row>,
    next: Option<String>,
    error: Option<String>,
    q_actor: String,
    q_type: String,
    q_id: String,
    q_from: String,
    q_to: String,
    /// The active filters as a query string, for paging and export links.
    filter_query: String,
}

fn filter_query(q: &AuditQuery) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("actor", &q.actor),
        ("object_type", &q.object_type),
        ("object_id", &q.object_id),
        ("from", &q.from),
        ("to", &q.to),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v)))
    .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

pub async fn page(
    State(state): State<AppState>,
    org: OrgSession,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    org.require(Permission::ReadAudit, "read the audit trail")?;
    let shell = Shell::of(&state, &org.browser, "Audit trail", "audit").await?;
    // Verifying walks the whole chain: only when asked, not on every page view.
    let chain_state = if q.verify.is_some() {
        match state.store.verify_audit(Some(&org.actor.org_id)).await?.first().map(|c| c.result.clone()) {
            Some(Ok(n)) => format!("{n} records, hash chain verified intact"),
            Some(Err(b)) => format!("BROKEN: {b}"),
            None => "no records yet".to_string(),
        }
    } else {
        format!("{} records", state.store.audit_length(&org.actor.org_id).await?)
    };
    let listed = match (q.filter(), q.page()) {
        (Ok(filter), Ok(page)) => state.store.list_audit(&org.actor.org_id, &filter, &page).await.map_err(Into::into),
        (Err(p), _) | (_, Err(p)) => Err(p),
    };
    let (records, next, error, status) = match listed {
        Ok(page) => (page.items, page.next, None, StatusCode::OK),
        Err(p) if p.status < 500 => (Vec::new(), None, Some(p.detail), StatusCode::UNPROCESSABLE_ENTITY),
        Err(p) => return Err(PageError(p)),
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(render(
        status,
        &AuditPage {
            shell,
            org_name: org.actor.org_name.clone(),
            chain_state,
            records: records
                .into_iter()
                .map(|r| Row {
                    seq: r.seq,
                    at: rfc3339(r.at_ms),
                    at_display: display_time(r.at_ms),
                    actor: r.actor,
                    action: r.action,
                    object_type: r.object_type,
                    object_id: r.object_id,
                    request_id: r.request_id,
                })
                .collect(),
            next,
            error,
            q_actor: text(&q.actor),
            q_type: text(&q.object_type),
            q_id: text(&q.object_id),
            q_from: text(&q.from),
            q_to: text(&q.to),
            filter_query: filter_query(&q),
        },
    ))
}

pub async fn export(
    State(state): State<AppState>,
    org: OrgSession,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    org.require(Permission::ReadAudit, "export the audit trail")?;
    Ok(audit_export(&state.store, &org.actor.org_id, &q).await?)
}
