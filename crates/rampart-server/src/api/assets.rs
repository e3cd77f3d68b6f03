//! The asset inventory over the API.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rampart_domain::asset::{AssetFields, AssetKind};
use rampart_domain::{Page, Permission};
use rampart_store::{Asset, AssetFilter, AssetLink};
use serde::{Deserialize, Serialize};

use super::download::FormatQuery;
use super::people::change_context;
use super::{ApiJson, PageQuery, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;

#[derive(Serialize)]
pub struct AssetDto {
    pub id: String,
    #[serde(flatten)]
    pub fields: AssetFields,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Asset> for AssetDto {
    fn from(a: Asset) -> Self {
        Self { id: a.id, fields: a.fields, created_at: rfc3339(a.created_at), updated_at: rfc3339(a.updated_at) }
    }
}

#[derive(Serialize)]
pub struct AssetDetail {
    #[serde(flatten)]
    pub asset: AssetDto,
    pub depends_on: Vec<AssetLink>,
    pub used_by: Vec<AssetLink>,
}

/// Filters and paging of the asset list (no `flatten`: query strings carry
/// every value as text, which only direct fields convert).
#[derive(Debug, Default, Deserialize)]
pub struct AssetQuery {
    pub kind: Option<String>,
    pub critical: Option<bool>,
    pub limit: Option<u32>,
    pub after: Option<String>,
}

impl AssetQuery {
    pub fn page(&self) -> Result<rampart_domain::PageRequest, Problem> {
        PageQuery { limit: self.limit, after: self.after.clone().filter(|a| !a.is_empty()) }.page()
    }

    pub fn filter(&self) -> Result<AssetFilter, Problem> {
        let kind = self.kind.as_deref().filter(|k| !k.is_empty()).map(AssetKind::parse).transpose()?;
        Ok(AssetFilter { kind, critical: self.critical })
    }
}

/// An asset as sent: every field optional, so PATCH can change some of them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetBody {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub confidentiality: Option<String>,
    pub integrity: Option<String>,
    pub availability: Option<String>,
    pub critical: Option<bool>,
}

impl AssetBody {
    /// The fields after applying this body over `base` (or over nothing, for
    /// a new asset, where name, kind and the three needs are required).
    pub fn merged(self, base: Option<&AssetFields>) -> Result<AssetFields, Problem> {
        let required = |field: &'static str, given: Option<String>, old: Option<String>| {
            given.or(old).ok_or_else(|| Problem::invalid(rampart_domain::Invalid::new(field, "is required")))
        };
        let fields = AssetFields::parse(
            &required("name", self.name, base.map(|b| b.name.clone()))?,
            &required("kind", self.kind, base.map(|b| b.kind.to_string()))?,
            &self.description.or(base.map(|b| b.description.clone())).unwrap_or_default(),
            &self.owner.or(base.map(|b| b.owner.clone())).unwrap_or_default(),
            &required("confidentiality", self.confidentiality, base.map(|b| b.confidentiality.to_string()))?,
            &required("integrity", self.integrity, base.map(|b| b.integrity.to_string()))?,
            &required("availability", self.availability, base.map(|b| b.availability.to_string()))?,
            self.critical.or(base.map(|b| b.critical)).unwrap_or(false),
        )?;
        Ok(fields)
    }
}

pub async fn list(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<AssetQuery>,
) -> Result<Json<Page<AssetDto>>, ApiError> {
    actor.require(Permission::Read, "see assets")?;
    let page = state.store.list_assets(&actor.0.org_id, &q.filter()?, &q.page()?).await?;
    Ok(Json(Page { items: page.items.into_iter().map(Into::into).collect(), next: page.next }))
}

pub async fn create(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<AssetBody>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "add assets")?;
    let fields = body.merged(None)?;
    let asset = state.store.create_asset(&change_context(&actor.0, &request_id), &actor.0.org_id, fields).await?;
    Ok((StatusCode::CREATED, Json(AssetDto::from(asset))).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<AssetDetail>, ApiError> {
    actor.require(Permission::Read, "see assets")?;
    let asset = state.store.asset(&actor.0.org_id, &id).await?;
    let (depends_on, used_by) = state.store.asset_dependencies(&actor.0.org_id, &id).await?;
    Ok(Json(AssetDetail { asset: asset.into(), depends_on, used_by }))
}

pub async fn update(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AssetBody>,
) -> Result<Json<AssetDto>, ApiError> {
    actor.require(Permission::Edit, "change assets")?;
    let current = state.store.asset(&actor.0.org_id, &id).await?;
    let fields = body.merged(Some(&current.fields))?;
    Ok(Json(
        state.store.update_asset(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, fields).await?.into(),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "delete assets")?;
    state.store.delete_asset(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn add_dependency(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path((id, other)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "change asset dependencies")?;
    state.store.add_asset_dependency(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, &other).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn remove_dependency(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path((id, other)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "change asset dependencies")?;
    state.store.remove_asset_dependency(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, &other).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The whole (filtered) list as a CSV or JSON download.
pub async fn export(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<AssetQuery>,
    Query(f): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Read, "export the assets")?;
    let filter = q.filter()?;
    let (store, org) = (&state.store, actor.0.org_id.as_str());
    let fetch = |page| {
        let filter = &filter;
        async move { store.list_assets(org, filter, &page).await }
    };
    Ok(super::download::export_list::<_, AssetDto, _, _>(
        f.format.as_deref(),
        "assets",
        &[
            "id",
            "name",
            "kind",
            "owner",
            "description",
            "confidentiality",
            "integrity",
            "availability",
            "critical",
            "created_at",
            "updated_at",
        ],
        fetch,
    )
    .await?)
}
