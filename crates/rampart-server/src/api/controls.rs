//! Applied controls over the API.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rampart_domain::control::{ControlFields, ControlStatus};
use rampart_domain::{Invalid, Page, Permission};
use rampart_store::AppliedControl;
use serde::{Deserialize, Serialize};

use super::people::change_context;
use super::{ApiJson, PageQuery, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;

#[derive(Serialize)]
pub struct ControlDto {
    pub id: String,
    #[serde(flatten)]
    pub fields: ControlFields,
    pub created_at: String,
    pub updated_at: String,
}

impl From<AppliedControl> for ControlDto {
    fn from(c: AppliedControl) -> Self {
        Self { id: c.id, fields: c.fields, created_at: rfc3339(c.created_at), updated_at: rfc3339(c.updated_at) }
    }
}

#[derive(Serialize)]
pub struct ControlDetail {
    #[serde(flatten)]
    pub control: ControlDto,
    /// The risk scenarios this control treats.
    pub scenarios: Vec<ScenarioRef>,
}

#[derive(Serialize)]
pub struct ScenarioRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ControlQuery {
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub after: Option<String>,
}

impl ControlQuery {
    pub fn status(&self) -> Result<Option<ControlStatus>, Problem> {
        Ok(self.status.as_deref().filter(|s| !s.is_empty()).map(ControlStatus::parse).transpose()?)
    }

    pub fn page(&self) -> Result<rampart_domain::PageRequest, Problem> {
        PageQuery { limit: self.limit, after: self.after.clone().filter(|a| !a.is_empty()) }.page()
    }
}

/// A control as sent; every field optional so PATCH can change some. `eta`,
/// `effort` and `annual_cost` sent as null are cleared.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlBody {
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    pub eta: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    pub effort: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    pub annual_cost: Option<Option<i64>>,
}

impl ControlBody {
    pub fn merged(self, base: Option<&ControlFields>) -> Result<ControlFields, Problem> {
        let name = self
            .name
            .or(base.map(|b| b.name.clone()))
            .ok_or_else(|| Problem::invalid(Invalid::new("name", "is required")))?;
        let eta = self.eta.unwrap_or_else(|| base.and_then(|b| b.eta.clone()));
        let effort = self.effort.unwrap_or_else(|| base.and_then(|b| b.effort.map(|e| e.to_string())));
        Ok(ControlFields::parse(
            &name,
            &self.description.or(base.map(|b| b.description.clone())).unwrap_or_default(),
            &self.status.or(base.map(|b| b.status.to_string())).unwrap_or_else(|| "to-do".into()),
            &self.owner.or(base.map(|b| b.owner.clone())).unwrap_or_default(),
            eta.as_deref().unwrap_or(""),
            effort.as_deref().unwrap_or(""),
            self.annual_cost.unwrap_or(base.and_then(|b| b.annual_cost)),
        )?)
    }
}

pub async fn list(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<ControlQuery>,
) -> Result<Json<Page<ControlDto>>, ApiError> {
    actor.require(Permission::Read, "see applied controls")?;
    let page = state.store.list_controls(&actor.0.org_id, q.status()?, &q.page()?).await?;
    Ok(Json(Page { items: page.items.into_iter().map(Into::into).collect(), next: page.next }))
}

pub async fn create(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<ControlBody>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "record applied controls")?;
    let c =
        state.store.create_control(&change_context(&actor.0, &request_id), &actor.0.org_id, body.merged(None)?).await?;
    Ok((StatusCode::CREATED, Json(ControlDto::from(c))).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ControlDetail>, ApiError> {
    actor.require(Permission::Read, "see applied controls")?;
    let c = state.store.control(&actor.0.org_id, &id).await?;
    let scenarios = state.store.control_scenarios(&actor.0.org_id, &id).await?;
    Ok(Json(ControlDetail {
        control: c.into(),
        scenarios: scenarios.into_iter().map(|(id, name)| ScenarioRef { id, name }).collect(),
    }))
}

pub async fn update(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ControlBody>,
) -> Result<Json<ControlDto>, ApiError> {
    actor.require(Permission::Edit, "change applied controls")?;
    let current = state.store.control(&actor.0.org_id, &id).await?;
    let fields = body.merged(Some(&current.fields))?;
    let c = state.store.update_control(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, fields).await?;
    Ok(Json(c.into()))
}

pub async fn delete(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "delete applied controls")?;
    state.store.delete_control(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
