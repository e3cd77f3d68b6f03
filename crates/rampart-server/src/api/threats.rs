//! The threat catalog over the API.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rampart_domain::threat::ThreatFields;
use rampart_domain::{Page, Permission};
use rampart_store::{Threat, ThreatFilter};
use serde::{Deserialize, Serialize};

use super::download::FormatQuery;
use super::people::change_context;
use super::{ApiJson, PageQuery, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;

#[derive(Serialize)]
pub struct ThreatDto {
    pub id: String,
    #[serde(flatten)]
    pub fields: ThreatFields,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Threat> for ThreatDto {
    fn from(t: Threat) -> Self {
        Self { id: t.id, fields: t.fields, created_at: rfc3339(t.created_at), updated_at: rfc3339(t.updated_at) }
    }
}

/// Filters and paging (direct fields: query strings are text).
#[derive(Debug, Default, Deserialize)]
pub struct ThreatQuery {
    pub category: Option<String>,
    pub source: Option<String>,
    pub limit: Option<u32>,
    pub after: Option<String>,
}

impl ThreatQuery {
    pub fn filter(&self) -> ThreatFilter {
        let text = |v: &Option<String>| {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(100).collect())
        };
        ThreatFilter { category: text(&self.category), source: text(&self.source) }
    }

    pub fn page(&self) -> Result<rampart_domain::PageRequest, Problem> {
        PageQuery { limit: self.limit, after: self.after.clone().filter(|a| !a.is_empty()) }.page()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreatBody {
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub description: String,
}

pub async fn list(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<ThreatQuery>,
) -> Result<Json<Page<ThreatDto>>, ApiError> {
    actor.require(Permission::Read, "see threats")?;
    let page = state.store.list_threats(&actor.0.org_id, &q.filter(), &q.page()?).await?;
    Ok(Json(Page { items: page.items.into_iter().map(Into::into).collect(), next: page.next }))
}

pub async fn create(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<ThreatBody>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "add threats")?;
    let fields = ThreatFields::custom(&body.name, &body.category, &body.description)?;
    let threat = state.store.create_threat(&change_context(&actor.0, &request_id), &actor.0.org_id, fields).await?;
    Ok((StatusCode::CREATED, Json(ThreatDto::from(threat))).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "delete threats")?;
    state.store.delete_threat(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The whole (filtered) list as a CSV or JSON download.
pub async fn export(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<ThreatQuery>,
    Query(f): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Read, "export the threats")?;
    let filter = q.filter();
    let (store, org) = (&state.store, actor.0.org_id.as_str());
    let fetch = |page| {
        let filter = &filter;
        async move { store.list_threats(org, filter, &page).await }
    };
    Ok(super::download::export_list::<_, ThreatDto, _, _>(
        f.format.as_deref(),
        "threats",
        &["id", "name", "category", "source", "external_id", "description", "created_at", "updated_at"],
        fetch,
    )
    .await?)
}
