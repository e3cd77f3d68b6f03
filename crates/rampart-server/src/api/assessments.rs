//! Assessments over the API: scope and workflow, answers (one or in bulk),
//! controls that implement a requirement, scores, trend and export.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rampart_domain::assessment::{AssessmentFields, AssessmentRole, AssessmentStatus, ResultFields};
use rampart_domain::score::{Improvement, Score};
use rampart_domain::{Actor, Invalid, Page, Permission, Role};
use rampart_store::{Assessment, AssessmentFilter, AssessmentPerson, AssessmentSummary, ChangeContext, Workspace};
use serde::{Deserialize, Serialize};

use super::download::FormatQuery;
use super::people::change_context;
use super::{ApiJson, PageQuery, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;

#[derive(Serialize)]
pub struct AssessmentDto {
    pub id: String,
    pub framework_id: String,
    pub framework_name: String,
    #[serde(flatten)]
    pub fields: AssessmentFields,
    pub status: AssessmentStatus,
    /// The statuses it may move to next.
    pub next_statuses: &'static [AssessmentStatus],
    pub summary: AssessmentSummary,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Assessment> for AssessmentDto {
    fn from(a: Assessment) -> Self {
        Self {
            next_statuses: a.status.next(),
            id: a.id,
            framework_id: a.framework_id,
            framework_name: a.framework_name,
            fields: a.fields,
            status: a.status,
            summary: a.summary,
            created_by: a.created_by,
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
        }
    }
}

#[derive(Serialize)]
pub struct AssessmentDetail {
    #[serde(flatten)]
    pub assessment: AssessmentDto,
    pub people: Vec<AssessmentPerson>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AssessmentQuery {
    pub framework_id: Option<String>,
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub after: Option<String>,
}

impl AssessmentQuery {
    pub fn filter(&self) -> Result<AssessmentFilter, Problem> {
        Ok(AssessmentFilter {
            framework_id: self.framework_id.clone().filter(|f| !f.is_empty()),
            status: self.status.as_deref().filter(|s| !s.is_empty()).map(AssessmentStatus::parse).transpose()?,
        })
    }

    pub fn page(&self) -> Result<rampart_domain::PageRequest, Problem> {
        PageQuery { limit: self.limit, after: self.after.clone().filter(|a| !a.is_empty()) }.page()
    }
}

/// An assessment as sent; every field optional so PATCH can change some.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentBody {
    pub framework_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    pub scope_asset_id: Option<Option<String>>,
    pub groups: Option<Vec<String>>,
    pub roll_up: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    pub due_date: Option<Option<String>>,
}

impl AssessmentBody {
    /// The fields, merged over `base` for a PATCH, checked against the
    /// framework's implementation groups.
    pub async fn merged(
        self,
        state: &AppState,
        org_id: &str,
        framework_id: &str,
        base: Option<&AssessmentFields>,
    ) -> Result<AssessmentFields, Problem> {
        let framework = match state.store.framework(org_id, framework_id).await {
            Ok(f) => f,
            Err(rampart_store::StoreError::NotFound) => {
                return Err(Invalid::new("framework_id", "is not a framework loaded in this organisation").into());
            }
            Err(e) => return Err(e.into()),
        };
        let known: Vec<&str> = framework.groups.iter().map(|g| g.ref_id.as_str()).collect();
        let name = self.name.or(base.map(|b| b.name.clone())).ok_or_else(|| Invalid::new("name", "is required"))?;
        let scope = self.scope_asset_id.unwrap_or_else(|| base.and_then(|b| b.scope_asset_id.clone()));
        let due = self.due_date.unwrap_or_else(|| base.and_then(|b| b.due_date.clone()));
        Ok(AssessmentFields::parse(
            &name,
            &self.description.or(base.map(|b| b.description.clone())).unwrap_or_default(),
            scope.as_deref(),
            &self.groups.or(base.map(|b| b.groups.clone())).unwrap_or_default(),
            &self.roll_up.or(base.map(|b| b.roll_up.to_string())).unwrap_or_default(),
            due.as_deref().unwrap_or(""),
            &known,
        )?)
    }
}

/// One answer for one or more requirements.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    pub node_ids: Vec<String>,
    pub result: String,
    pub score: Option<i32>,
    pub target: Option<i32>,
    #[serde(default)]
    pub observation: String,
    #[serde(default)]
    pub justification: String,
    #[serde(default)]
    pub owner: String,
}

/// Most requirements one bulk answer may name.
pub const MAX_BULK: usize = 5000;

/// Checks an answer against the framework's scale and stores it.
pub async fn answer(
    state: &AppState,
    ctx: &ChangeContext,
    org_id: &str,
    assessment_id: &str,
    body: AnswerBody,
) -> Result<Assessment, Problem> {
    if body.node_ids.len() > MAX_BULK {
        return Err(Invalid::new("node_ids", format!("may name at most {MAX_BULK} requirements")).into());
    }
    let a = state.store.assessment(org_id, assessment_id).await?;
    let framework = state.store.framework(org_id, &a.framework_id).await?;
    let scale: Vec<i32> = framework.score_scale.iter().map(|l| l.value).collect();
    let fields = ResultFields::parse(
        &body.result,
        body.score,
        body.target,
        &body.observation,
        &body.justification,
        &body.owner,
        &scale,
    )?;
    Ok(state.store.set_results(ctx, org_id, assessment_id, &body.node_ids, &fields).await?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    pub status: String,
}

/// Moves an assessment: editors move it, a named reviewer (whatever their
/// role) decides on a review.
pub async fn move_status(
    state: &AppState,
    ctx: &ChangeContext,
    actor: &Actor,
    assessment_id: &str,
    to: &str,
) -> Result<Assessment, Problem> {
    let to = AssessmentStatus::parse(to)?;
    let a = state.store.assessment(&actor.org_id, assessment_id).await?;
    if a.status != AssessmentStatus::InReview && !actor.can(Permission::Edit) {
        return Err(Problem::forbidden("move assessments along their workflow"));
    }
    let is_admin = actor.role == Role::Admin;
    Ok(state.store.move_assessment(ctx, &actor.org_id, assessment_id, to, &actor.user_id, is_admin).await?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeopleBody {
    #[serde(default)]
    pub assessors: Vec<String>,
    #[serde(default)]
    pub reviewers: Vec<String>,
}

impl PeopleBody {
    pub fn named(&self) -> Vec<(String, AssessmentRole)> {
        let assessors = self.assessors.iter().map(|u| (u.clone(), AssessmentRole::Assessor));
        assessors.chain(self.reviewers.iter().map(|u| (u.clone(), AssessmentRole::Reviewer))).collect()
    }
}

pub async fn list(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<AssessmentQuery>,
) -> Result<Json<Page<AssessmentDto>>, ApiError> {
    actor.require(Permission::Read, "see assessments")?;
    let page = state.store.list_assessments(&actor.0.org_id, &q.filter()?, &q.page()?).await?;
    Ok(Json(Page { items: page.items.into_iter().map(Into::into).collect(), next: page.next }))
}

pub async fn create(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<AssessmentBody>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "start assessments")?;
    let org = &actor.0.org_id;
    let framework_id =
        body.framework_id.clone().ok_or_else(|| Problem::invalid(Invalid::new("framework_id", "is required")))?;
    let fields = body.merged(&state, org, &framework_id, None).await?;
    let a = state.store.create_assessment(&change_context(&actor.0, &request_id), org, &framework_id, fields).await?;
    Ok((StatusCode::CREATED, Json(AssessmentDto::from(a))).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<AssessmentDetail>, ApiError> {
    actor.require(Permission::Read, "see assessments")?;
    let a = state.store.assessment(&actor.0.org_id, &id).await?;
    let people = state.store.assessment_people(&actor.0.org_id, &id).await?;
    Ok(Json(AssessmentDetail { assessment: a.into(), people }))
}

pub async fn update(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AssessmentBody>,
) -> Result<Json<AssessmentDto>, ApiError> {
    actor.require(Permission::Edit, "change assessments")?;
    let org = &actor.0.org_id;
    let current = state.store.assessment(org, &id).await?;
    if body.framework_id.as_ref().is_some_and(|f| *f != current.framework_id) {
        return Err(Problem::invalid(Invalid::new("framework_id", "cannot change: start a new assessment")).into());
    }
    let fields = body.merged(&state, org, &current.framework_id, Some(&current.fields)).await?;
    let a = state.store.update_assessment(&change_context(&actor.0, &request_id), org, &id, fields).await?;
    Ok(Json(a.into()))
}

pub async fn delete(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "delete assessments")?;
    state.store.delete_assessment(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn status(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Json<AssessmentDto>, ApiError> {
    let a = move_status(&state, &change_context(&actor.0, &request_id), &actor.0, &id, &body.status).await?;
    Ok(Json(a.into()))
}

pub async fn set_people(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PeopleBody>,
) -> Result<Json<Vec<AssessmentPerson>>, ApiError> {
    actor.require(Permission::Edit, "name assessors and reviewers")?;
    let ctx = change_context(&actor.0, &request_id);
    Ok(Json(state.store.set_assessment_people(&ctx, &actor.0.org_id, &id, &body.named()).await?))
}

pub async fn results(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<Json<AssessmentDto>, ApiError> {
    actor.require(Permission::Edit, "answer assessments")?;
    let a = answer(&state, &change_context(&actor.0, &request_id), &actor.0.org_id, &id, body).await?;
    Ok(Json(a.into()))
}

/// One requirement of the workspace with its answer and scores.
#[derive(Serialize)]
pub struct RequirementRow {
    pub node_id: String,
    pub ref_id: String,
    pub parent: Option<String>,
    pub depth: u32,
    pub title: String,
    pub assessed: bool,
    pub weight: u32,
    pub answer: Option<AnswerDto>,
    /// The result taken through mappings when there is no direct answer.
    pub inferred: Option<rampart_store::Inferred>,
    pub score: Score,
}

#[derive(Serialize)]
pub struct AnswerDto {
    pub node_id: String,
    #[serde(flatten)]
    pub fields: ResultFields,
    pub controls: Vec<rampart_store::ControlLink>,
    pub evidence: Vec<super::evidence::EvidenceDto>,
    pub updated_by: String,
    pub updated_at: String,
}

impl From<rampart_store::RequirementResult> for AnswerDto {
    fn from(r: rampart_store::RequirementResult) -> Self {
        Self {
            node_id: r.node_id,
            fields: r.fields,
            controls: r.controls,
            evidence: r.evidence.into_iter().map(Into::into).collect(),
            updated_by: r.updated_by,
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Serialize)]
pub struct WorkspaceDto {
    pub assessment: AssessmentDto,
    pub overall: Score,
    /// The overall scores with inferred results counted where there is no direct answer.
    pub with_inferred: Score,
    pub requirements: Vec<RequirementRow>,
    pub improvements: Vec<ImprovementDto>,
}

#[derive(Serialize)]
pub struct ImprovementDto {
    pub node_id: String,
    pub ref_id: String,
    pub title: String,
    pub points_gained: f64,
    pub effort: f64,
    pub points_per_effort: f64,
}

impl WorkspaceDto {
    pub fn of(w: Workspace) -> WorkspaceDto {
        let improvements = w.improvements.iter().map(|i: &Improvement| ImprovementDto {
            node_id: w.nodes[i.node].id.clone(),
            ref_id: w.nodes[i.node].requirement.ref_id.clone(),
            title: w.nodes[i.node].requirement.title.clone(),
            points_gained: i.points_gained,
            effort: i.effort,
            points_per_effort: i.points_per_effort(),
        });
        let improvements = improvements.collect();
        let requirements = w
            .nodes
            .into_iter()
            .zip(w.results)
            .zip(w.in_scope)
            .zip(w.scorecard.nodes)
            .zip(w.inferred)
            .map(|((((n, answer), assessed), score), inferred)| RequirementRow {
                node_id: n.id,
                ref_id: n.requirement.ref_id,
                parent: n.requirement.parent,
                depth: n.depth,
                title: n.requirement.title,
                assessed,
                weight: n.requirement.weight,
                answer: answer.map(Into::into),
                inferred,
                score,
            })
            .collect();
        WorkspaceDto {
            assessment: w.assessment.into(),
            overall: w.scorecard.overall,
            with_inferred: w.with_inferred,
            requirements,
            improvements,
        }
    }
}

pub async fn workspace(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<WorkspaceDto>, ApiError> {
    actor.require(Permission::Read, "see assessments")?;
    Ok(Json(WorkspaceDto::of(state.store.workspace(&actor.0.org_id, &id).await?)))
}

pub async fn trend(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<SnapshotDto>>, ApiError> {
    actor.require(Permission::Read, "see assessments")?;
    let snapshots = state.store.assessment_snapshots(&actor.0.org_id, &id).await?;
    Ok(Json(
        snapshots
            .into_iter()
            .map(|s| SnapshotDto {
                taken_at: rfc3339(s.taken_at),
                reason: s.reason,
                status: s.status,
                summary: s.summary,
            })
            .collect(),
    ))
}

#[derive(Serialize)]
pub struct SnapshotDto {
    pub taken_at: String,
    pub reason: String,
    pub status: AssessmentStatus,
    pub summary: AssessmentSummary,
}

pub async fn link_control(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path((id, node_id, control_id)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "link controls to requirements")?;
    let ctx = change_context(&actor.0, &request_id);
    state.store.link_result_control(&ctx, &actor.0.org_id, &id, &node_id, &control_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn unlink_control(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path((id, node_id, control_id)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "unlink controls from requirements")?;
    let ctx = change_context(&actor.0, &request_id);
    state.store.unlink_result_control(&ctx, &actor.0.org_id, &id, &node_id, &control_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The assessed requirements with their answers as CSV or JSON, or the
/// assessment as OSCAL assessment results (`oscal-ar`) or POA&M (`poam`).
pub async fn export(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
    Query(f): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Read, "export assessments")?;
    let w = state.store.workspace(&actor.0.org_id, &id).await?;
    if let Some(oscal) = f.format.as_deref().and_then(crate::oscal_export::OscalExport::parse) {
        let body = serde_json::to_string_pretty(&oscal.document(&w, &actor.0.org_name)).unwrap_or_default();
        let disposition = format!("attachment; filename=\"{}.json\"", oscal.file_stem());
        return Ok((
            [(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, disposition)],
            body,
        )
            .into_response());
    }
    let format = super::download::Format::parse(f.format.as_deref())
        .map_err(|_| Problem::invalid(Invalid::new("format", "must be csv, json, oscal-ar or poam")))?;
    Ok(super::download::download(format, "assessment", rampart_store::ResultRow::COLUMNS, &w.result_rows()))
}

/// The Statement of Applicability (ISO/IEC 27001 Annex A).
pub async fn soa(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
    Query(f): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Read, "see assessments")?;
    let w = state.store.workspace(&actor.0.org_id, &id).await?;
    Ok(super::download::json_or_csv(
        f.format.as_deref(),
        "statement-of-applicability",
        rampart_store::SoaRow::COLUMNS,
        &w.soa_rows(),
    )?)
}

/// Requirement by requirement against another assessment of the same framework.
pub async fn compare(
    State(state): State<AppState>,
    actor: ApiActor,
    Path((id, other)): Path<(String, String)>,
    Query(f): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Read, "see assessments")?;
    let now = state.store.workspace(&actor.0.org_id, &id).await?;
    let before = state.store.workspace(&actor.0.org_id, &other).await?;
    let rows = now.compare(&before)?;
    Ok(super::download::json_or_csv(f.format.as_deref(), "comparison", rampart_store::ComparisonRow::COLUMNS, &rows)?)
}
