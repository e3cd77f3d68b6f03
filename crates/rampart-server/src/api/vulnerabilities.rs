//! Vulnerabilities over the API.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rampart_domain::vulnerability::{VulnerabilityFields, VulnerabilityStatus};
use rampart_domain::{Page, Permission};
use rampart_store::{AssetLink, Vulnerability, VulnerabilityFilter};
use serde::{Deserialize, Serialize};

use super::download::FormatQuery;
use super::people::change_context;
use super::{ApiJson, PageQuery, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;

#[derive(Serialize)]
pub struct VulnerabilityDto {
    pub id: String,
    #[serde(flatten)]
    pub fields: VulnerabilityFields,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Vulnerability> for VulnerabilityDto {
    fn from(v: Vulnerability) -> Self {
        Self { id: v.id, fields: v.fields, created_at: rfc3339(v.created_at), updated_at: rfc3339(v.updated_at) }
    }
}

#[derive(Serialize)]
pub struct VulnerabilityDetail {
    #[serde(flatten)]
    pub vulnerability: VulnerabilityDto,
    pub assets: Vec<AssetLink>,
}

/// Filters and paging of the list (direct fields: query strings are text).
#[derive(Debug, Default, Deserialize)]
pub struct VulnerabilityQuery {
    pub status: Option<String>,
    pub severity: Option<String>,
    pub limit: Option<u32>,
    pub after: Option<String>,
}

const SEVERITIES: [&str; 5] = ["None", "Low", "Medium", "High", "Critical"];

impl VulnerabilityQuery {
    pub fn filter(&self) -> Result<VulnerabilityFilter, Problem> {
        let status = self.status.as_deref().filter(|s| !s.is_empty()).map(VulnerabilityStatus::parse).transpose()?;
        let severity = self.severity.clone().filter(|s| !s.is_empty());
        if let Some(s) = &severity
            && !SEVERITIES.contains(&s.as_str())
        {
            return Err(Problem::invalid(rampart_domain::Invalid::new(
                "severity",
                format!("must be one of {}", SEVERITIES.join(", ")),
            )));
        }
        Ok(VulnerabilityFilter { status, severity })
    }

    pub fn page(&self) -> Result<rampart_domain::PageRequest, Problem> {
        PageQuery { limit: self.limit, after: self.after.clone().filter(|a| !a.is_empty()) }.page()
    }
}

/// A vulnerability as sent; every field optional so PATCH can change some.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VulnerabilityBody {
    pub title: Option<String>,
    pub cve_id: Option<String>,
    pub description: Option<String>,
    pub cvss_vector: Option<String>,
    pub status: Option<String>,
}

impl VulnerabilityBody {
    /// The fields after applying this body over `base` (a new vulnerability
    /// needs a title; its status defaults to open).
    pub fn merged(self, base: Option<&VulnerabilityFields>) -> Result<VulnerabilityFields, Problem> {
        let title = self
            .title
            .or(base.map(|b| b.title.clone()))
            .ok_or_else(|| Problem::invalid(rampart_domain::Invalid::new("title", "is required")))?;
        Ok(VulnerabilityFields::parse(
            &title,
            &self.cve_id.or(base.and_then(|b| b.cve_id.clone())).unwrap_or_default(),
            &self.description.or(base.map(|b| b.description.clone())).unwrap_or_default(),
            &self.cvss_vector.or(base.and_then(|b| b.cvss_vector.clone())).unwrap_or_default(),
            &self.status.or(base.map(|b| b.status.to_string())).unwrap_or_else(|| "open".into()),
        )?)
    }
}

pub async fn list(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<VulnerabilityQuery>,
) -> Result<Json<Page<VulnerabilityDto>>, ApiError> {
    actor.require(Permission::Read, "see vulnerabilities")?;
    let page = state.store.list_vulnerabilities(&actor.0.org_id, &q.filter()?, &q.page()?).await?;
    Ok(Json(Page { items: page.items.into_iter().map(Into::into).collect(), next: page.next }))
}

pub async fn create(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<VulnerabilityBody>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "record vulnerabilities")?;
    let fields = body.merged(None)?;
    let v = state.store.create_vulnerability(&change_context(&actor.0, &request_id), &actor.0.org_id, fields).await?;
    Ok((StatusCode::CREATED, Json(VulnerabilityDto::from(v))).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<VulnerabilityDetail>, ApiError> {
    actor.require(Permission::Read, "see vulnerabilities")?;
    let v = state.store.vulnerability(&actor.0.org_id, &id).await?;
    let assets = state.store.vulnerability_assets(&actor.0.org_id, &id).await?;
    Ok(Json(VulnerabilityDetail { vulnerability: v.into(), assets }))
}

pub async fn update(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<VulnerabilityBody>,
) -> Result<Json<VulnerabilityDto>, ApiError> {
    actor.require(Permission::Edit, "change vulnerabilities")?;
    let current = state.store.vulnerability(&actor.0.org_id, &id).await?;
    let fields = body.merged(Some(&current.fields))?;
    Ok(Json(
        state
            .store
            .update_vulnerability(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, fields)
            .await?
            .into(),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "delete vulnerabilities")?;
    state.store.delete_vulnerability(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn link_asset(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path((id, asset)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "change affected assets")?;
    state.store.link_vulnerability_asset(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, &asset).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn unlink_asset(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path((id, asset)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "change affected assets")?;
    state
        .store
        .unlink_vulnerability_asset(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, &asset)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The whole (filtered) list as a CSV or JSON download.
pub async fn export(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<VulnerabilityQuery>,
    Query(f): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Read, "export the vulnerabilities")?;
    let filter = q.filter()?;
    let (store, org) = (&state.store, actor.0.org_id.as_str());
    let fetch = |page| {
        let filter = &filter;
        async move { store.list_vulnerabilities(org, filter, &page).await }
    };
    Ok(super::download::export_list::<_, VulnerabilityDto, _, _>(
        f.format.as_deref(),
        "vulnerabilities",
        &[
            "id",
            "title",
            "cve_id",
            "cvss_vector",
            "cvss_score",
            "severity",
            "status",
            "description",
            "created_at",
            "updated_at",
        ],
        fetch,
    )
    .await?)
}
