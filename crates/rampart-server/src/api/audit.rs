//! The audit trail: paginated listing with filters, and CSV/JSON export.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use rampart_domain::audit::AuditRecord;
use rampart_domain::{Page, PageRequest, Permission};
use rampart_store::{AuditFilter, Store};
use serde::{Deserialize, Serialize};

use super::download::export_list;
use super::{parse_time, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};

/// Filters and paging shared by the API, the export and the audit page.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// RFC 3339, inclusive.
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    pub to: Option<String>,
    pub limit: Option<u32>,
    pub after: Option<String>,
    /// `csv` or `json`, for the export.
    pub format: Option<String>,
    /// Present to verify the hash chain on the audit page.
    pub verify: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(200).collect())
}

impl AuditQuery {
    pub fn filter(&self) -> Result<AuditFilter, Problem> {
        Ok(AuditFilter {
            actor: non_empty(&self.actor),
            object_type: non_empty(&self.object_type),
            object_id: non_empty(&self.object_id),
            from_ms: non_empty(&self.from).map(|t| parse_time("from", &t)).transpose()?,
            to_ms: non_empty(&self.to).map(|t| parse_time("to", &t)).transpose()?,
        })
    }

    pub fn page(&self) -> Result<PageRequest, Problem> {
        Ok(PageRequest::new(self.limit, non_empty(&self.after))?)
    }
}

#[derive(Serialize)]
pub struct AuditRecordDto {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub state_digest: String,
    pub request_id: String,
    pub hash: String,
}

impl From<AuditRecord> for AuditRecordDto {
    fn from(r: AuditRecord) -> Self {
        Self {
            seq: r.seq,
            at: rfc3339(r.at_ms),
            actor: r.actor,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            state_digest: r.state_digest,
            request_id: r.request_id,
            hash: r.hash,
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Page<AuditRecordDto>>, ApiError> {
    actor.require(Permission::ReadAudit, "read the audit trail")?;
    let page = state.store.list_audit(&actor.0.org_id, &q.filter()?, &q.page()?).await?;
    Ok(Json(Page { items: page.items.into_iter().map(Into::into).collect(), next: page.next }))
}

pub async fn export(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    actor.require(Permission::ReadAudit, "export the audit trail")?;
    Ok(audit_export(&state.store, &actor.0.org_id, &q).await?)
}

/// Columns of the audit trail's CSV export.
const AUDIT_COLUMNS: &[&str] =
    &["seq", "at", "actor", "action", "object_type", "object_id", "state_digest", "request_id", "hash"];

/// The whole filtered trail of an organisation as a CSV or JSON download.
pub async fn audit_export(store: &Store, org_id: &str, q: &AuditQuery) -> Result<Response, Problem> {
    let filter = q.filter()?;
    let fetch = |page| {
        let filter = &filter;
        async move { store.list_audit(org_id, filter, &page).await }
    };
    export_list::<_, AuditRecordDto, _, _>(q.format.as_deref(), "audit-trail", AUDIT_COLUMNS, fetch).await
}
