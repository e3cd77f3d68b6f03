//! Risk scenarios over the API: the register, links, reviews, acceptances,
//! the matrix and tolerance, the heat map, and Open FAIR quantification.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rampart_domain::risk::{AcceptanceRequest, Decision, Ratings, RiskFields, Treatment};
use rampart_domain::risk_matrix::{Rating, RiskMatrix};
use rampart_domain::{Invalid, Page, Permission};
use rampart_store::{
    AcceptanceQueue, AssetLink, ControlLink, HeatMap, QuantRun, RiskAcceptance, RiskFilter, RiskLink, RiskScenario,
    RiskSettings, VulnerabilityLink, now_ms,
};
use serde::{Deserialize, Serialize};

use super::download::{Format, FormatQuery, all_pages, download};
use super::people::change_context;
use super::{ApiJson, PageQuery, parse_time, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;
use crate::quantify::{self, RunOptions};

/// A rating with the level it maps to on the organisation's matrix.
#[derive(Debug, Clone, Serialize)]
pub struct RatingDto {
    pub likelihood: u8,
    pub impact: u8,
    pub level: u8,
    pub label: String,
    pub colour: String,
}

impl RatingDto {
    pub fn of(rating: Option<Rating>, matrix: &RiskMatrix) -> Option<RatingDto> {
        let r = rating?;
        let level = matrix.level_of(r);
        let l = matrix.levels.get(usize::from(level))?;
        Some(RatingDto {
            likelihood: r.likelihood,
            impact: r.impact,
            level,
            label: l.label.clone(),
            colour: l.colour.clone(),
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RiskDto {
    pub id: String,
    pub name: String,
    pub description: String,
    pub owner: String,
    pub threat_id: Option<String>,
    pub inherent: Option<RatingDto>,
    pub current: Option<RatingDto>,
    pub residual: Option<RatingDto>,
    pub target: Option<RatingDto>,
    pub treatment: Treatment,
    pub review_every_days: Option<u32>,
    pub last_reviewed_at: String,
    pub next_review_at: Option<String>,
    pub review_overdue: bool,
    pub fair_model: Option<serde_json::Value>,
    pub created_at: String,
    pub updated_at: String,
}

impl RiskDto {
    pub fn of(r: RiskScenario, matrix: &RiskMatrix, now: i64) -> RiskDto {
        let ratings = r.fields.ratings;
        RiskDto {
            next_review_at: r.next_review_at().map(rfc3339),
            review_overdue: r.review_overdue(now),
            id: r.id,
            name: r.fields.name,
            description: r.fields.description,
            owner: r.fields.owner,
            threat_id: r.fields.threat_id,
            inherent: RatingDto::of(ratings.inherent, matrix),
            current: RatingDto::of(ratings.current, matrix),
            residual: RatingDto::of(ratings.residual, matrix),
            target: RatingDto::of(ratings.target, matrix),
            treatment: r.fields.treatment,
            review_every_days: r.fields.review_every_days,
            last_reviewed_at: rfc3339(r.last_reviewed_at),
            fair_model: r.fair_model,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Serialize)]
pub struct AcceptanceDto {
    pub id: String,
    pub scenario_id: String,
    pub scenario_name: String,
    pub state: rampart_domain::risk::AcceptanceState,
    /// For an accepted one: in-force, expiring-soon or expired.
    pub term: Option<rampart_domain::risk::AcceptanceTerm>,
    pub justification: String,
    pub approver_id: String,
    pub approver_email: String,
    pub submitted_by: String,
    pub submitted_at: String,
    pub expires_at: String,
    pub remind_days: u32,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
}

impl AcceptanceDto {
    pub fn of(a: RiskAcceptance, now: i64) -> AcceptanceDto {
        AcceptanceDto {
            term: a.term(now),
            id: a.id,
            scenario_id: a.scenario_id,
            scenario_name: a.scenario_name,
            state: a.state,
            justification: a.justification,
            approver_id: a.approver_id,
            approver_email: a.approver_email,
            submitted_by: a.submitted_by,
            submitted_at: rfc3339(a.submitted_at),
            expires_at: rfc3339(a.expires_at),
            remind_days: a.remind_days,
            decided_by: a.decided_by,
            decided_at: a.decided_at.map(rfc3339),
            decision_note: a.decision_note,
        }
    }
}

#[derive(Serialize)]
pub struct RiskDetail {
    #[serde(flatten)]
    pub risk: RiskDto,
    pub assets: Vec<AssetLink>,
    pub vulnerabilities: Vec<VulnerabilityLink>,
    pub controls: Vec<ControlLink>,
    pub acceptances: Vec<AcceptanceDto>,
}

#[derive(Serialize)]
pub struct QuantRunDto {
    pub id: String,
    pub scenario_id: Option<String>,
    pub iterations: u64,
    pub seed: String,
    pub mode: String,
    pub engine_version: String,
    pub model: serde_json::Value,
    pub result: serde_json::Value,
    pub created_by: String,
    pub created_at: String,
}

impl From<QuantRun> for QuantRunDto {
    fn from(r: QuantRun) -> Self {
        QuantRunDto {
            id: r.id,
            scenario_id: r.scenario_id,
            iterations: r.iterations,
            seed: r.seed,
            mode: r.mode,
            engine_version: r.engine_version,
            model: r.model,
            result: r.result,
            created_by: r.created_by,
            created_at: rfc3339(r.created_at),
        }
    }
}

/// Filters and paging of the register (query strings are text).
#[derive(Debug, Default, Deserialize)]
pub struct RiskQuery {
    pub treatment: Option<String>,
    /// Index of the current level on the matrix.
    pub level: Option<String>,
    pub overdue: Option<String>,
    pub limit: Option<u32>,
    pub after: Option<String>,
}

impl RiskQuery {
    pub fn filter(&self) -> Result<RiskFilter, Problem> {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let treatment = given(&self.treatment).map(|t| Treatment::parse(&t)).transpose()?;
        let current_level = given(&self.level)
            .map(|l| l.parse::<u8>().map_err(|_| Invalid::new("level", "must be a level number of the matrix, from 0")))
            .transpose()?;
        let overdue = match given(&self.overdue).as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(Problem::invalid(Invalid::new("overdue", "must be true or false"))),
        };
        Ok(RiskFilter { treatment, current_level, overdue })
    }

    pub fn page(&self) -> Result<rampart_domain::PageRequest, Problem> {
        PageQuery { limit: self.limit, after: self.after.clone().filter(|a| !a.is_empty()) }.page()
    }
}

/// A scenario as sent; every field optional so PATCH can change some. A
/// rating or the threat sent as `null` is cleared.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskBody {
    pub name: Option<String>,
    pub description: Option<String>,
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    pub threat_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    pub inherent: Option<Option<Rating>>,
    #[serde(default, deserialize_with = "super::present")]
    pub current: Option<Option<Rating>>,
    #[serde(default, deserialize_with = "super::present")]
    pub residual: Option<Option<Rating>>,
    #[serde(default, deserialize_with = "super::present")]
    pub target: Option<Option<Rating>>,
    pub treatment: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    pub review_every_days: Option<Option<u32>>,
}

impl RiskBody {
    /// The fields after applying this body over `base` (a new scenario needs
    /// a name; its treatment defaults to undecided).
    pub fn merged(self, base: Option<&RiskFields>, matrix: &RiskMatrix) -> Result<RiskFields, Problem> {
        let name = self
            .name
            .or(base.map(|b| b.name.clone()))
            .ok_or_else(|| Problem::invalid(Invalid::new("name", "is required")))?;
        let old = base.map(|b| b.ratings).unwrap_or_default();
        let ratings = Ratings {
            inherent: self.inherent.unwrap_or(old.inherent),
            current: self.current.unwrap_or(old.current),
            residual: self.residual.unwrap_or(old.residual),
            target: self.target.unwrap_or(old.target),
        };
        let threat = self.threat_id.unwrap_or_else(|| base.and_then(|b| b.threat_id.clone()));
        Ok(RiskFields::parse(
            &name,
            &self.description.or(base.map(|b| b.description.clone())).unwrap_or_default(),
            &self.owner.or(base.map(|b| b.owner.clone())).unwrap_or_default(),
            threat.as_deref(),
            ratings,
            &self.treatment.or(base.map(|b| b.treatment.to_string())).unwrap_or_else(|| "undecided".into()),
            self.review_every_days.unwrap_or(base.and_then(|b| b.review_every_days)),
            matrix,
        )?)
    }
}

pub async fn list(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<RiskQuery>,
) -> Result<Json<Page<RiskDto>>, ApiError> {
    actor.require(Permission::Read, "see the risk register")?;
    let org = &actor.0.org_id;
    let matrix = state.store.risk_settings(org).await?.matrix;
    let page = state.store.list_risks(org, &q.filter()?, &q.page()?).await?;
    let now = now_ms();
    Ok(Json(Page { items: page.items.into_iter().map(|r| RiskDto::of(r, &matrix, now)).collect(), next: page.next }))
}

pub async fn create(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<RiskBody>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "record risk scenarios")?;
    let org = &actor.0.org_id;
    let matrix = state.store.risk_settings(org).await?.matrix;
    let fields = body.merged(None, &matrix)?;
    let r = state.store.create_risk(&change_context(&actor.0, &request_id), org, fields).await?;
    Ok((StatusCode::CREATED, Json(RiskDto::of(r, &matrix, now_ms()))).into_response())
}

/// Everything about one scenario (as read by the caller), for the API and
/// the scenario page, with the matrix it is rated on.
pub async fn detail_of(state: &AppState, org: &str, r: RiskScenario) -> Result<(RiskDetail, RiskMatrix), Problem> {
    let matrix = state.store.risk_settings(org).await?.matrix;
    let now = now_ms();
    let acceptances =
        state.store.risk_acceptances(org, &r.id).await?.into_iter().map(|a| AcceptanceDto::of(a, now)).collect();
    let assets = state.store.risk_assets(org, &r.id).await?;
    let vulnerabilities = state.store.risk_vulnerabilities(org, &r.id).await?;
    let controls = state.store.risk_controls(org, &r.id).await?;
    Ok((RiskDetail { risk: RiskDto::of(r, &matrix, now), assets, vulnerabilities, controls, acceptances }, matrix))
}

pub async fn get(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<RiskDetail>, ApiError> {
    actor.require(Permission::Read, "see the risk register")?;
    let risk = state.store.risk(&actor.0.org_id, &id).await?;
    Ok(Json(detail_of(&state, &actor.0.org_id, risk).await?.0))
}

pub async fn update(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RiskBody>,
) -> Result<Json<RiskDto>, ApiError> {
    actor.require(Permission::Edit, "change risk scenarios")?;
    let org = &actor.0.org_id;
    let matrix = state.store.risk_settings(org).await?.matrix;
    let current = state.store.risk(org, &id).await?;
    let fields = body.merged(Some(&current.fields), &matrix)?;
    let r = state.store.update_risk(&change_context(&actor.0, &request_id), org, &id, fields).await?;
    Ok(Json(RiskDto::of(r, &matrix, now_ms())))
}

pub async fn delete(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "delete risk scenarios")?;
    state.store.delete_risk(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `assets`, `vulnerabilities` or `controls` in a link path.
pub fn link_kind(segment: &str) -> Result<RiskLink, Problem> {
    match segment {
        "assets" => Ok(RiskLink::Asset),
        "vulnerabilities" => Ok(RiskLink::Vulnerability),
        "controls" => Ok(RiskLink::Control),
        _ => Err(Problem::not_found()),
    }
}

pub async fn link(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path((id, kind, other)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "change what a scenario concerns")?;
    let ctx = change_context(&actor.0, &request_id);
    state.store.link_risk(&ctx, &actor.0.org_id, &id, link_kind(&kind)?, &other).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn unlink(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path((id, kind, other)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "change what a scenario concerns")?;
    let ctx = change_context(&actor.0, &request_id);
    state.store.unlink_risk(&ctx, &actor.0.org_id, &id, link_kind(&kind)?, &other).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn review(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<Json<RiskDto>, ApiError> {
    actor.require(Permission::Edit, "review risk scenarios")?;
    let org = &actor.0.org_id;
    let matrix = state.store.risk_settings(org).await?.matrix;
    let r = state.store.review_risk(&change_context(&actor.0, &request_id), org, &id).await?;
    Ok(Json(RiskDto::of(r, &matrix, now_ms())))
}

pub async fn set_fair_model(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(model): ApiJson<serde_json::Value>,
) -> Result<Json<serde_json::Value>, ApiError> {
    actor.require(Permission::Edit, "set FAIR estimates")?;
    let model = quantify::check_fair_model(&model)?;
    state.store.set_fair_model(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, Some(&model)).await?;
    Ok(Json(model))
}

pub async fn remove_fair_model(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "remove FAIR estimates")?;
    state.store.set_fair_model(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How to run, from an optional JSON body: an empty body runs with the defaults.
fn options(headers: &axum::http::HeaderMap, body: &[u8]) -> Result<RunOptions, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(RunOptions::default());
    }
    let json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            "Send the body as JSON with `Content-Type: application/json`.",
        ));
    }
    serde_json::from_slice(body).map_err(|e| Problem::invalid(Invalid::new("body", e.to_string())))
}

pub async fn quantify_scenario(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "quantify risk scenarios")?;
    let ctx = change_context(&actor.0, &request_id);
    let run =
        quantify::scenario(&state.store, &state.quant, &ctx, &actor.0.org_id, &id, &options(&headers, &body)?).await?;
    Ok((StatusCode::CREATED, Json(QuantRunDto::from(run))).into_response())
}

pub async fn latest_quantification(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<QuantRunDto>, ApiError> {
    actor.require(Permission::Read, "see quantifications")?;
    state.store.risk(&actor.0.org_id, &id).await?;
    let run = state.store.latest_quant_run(&actor.0.org_id, Some(&id)).await?.ok_or_else(Problem::not_found)?;
    Ok(Json(run.into()))
}

pub async fn quantify_portfolio(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "quantify the portfolio")?;
    let ctx = change_context(&actor.0, &request_id);
    let run =
        quantify::portfolio(&state.store, &state.quant, &ctx, &actor.0.org_id, &options(&headers, &body)?).await?;
    Ok((StatusCode::CREATED, Json(QuantRunDto::from(run))).into_response())
}

pub async fn latest_portfolio(State(state): State<AppState>, actor: ApiActor) -> Result<Json<QuantRunDto>, ApiError> {
    actor.require(Permission::Read, "see quantifications")?;
    let run = state.store.latest_quant_run(&actor.0.org_id, None).await?.ok_or_else(Problem::not_found)?;
    Ok(Json(run.into()))
}

/// A request for acceptance. `expires_at` is an RFC 3339 time or a date.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceBody {
    pub justification: String,
    pub approver_id: String,
    pub expires_at: String,
    /// Days before expiry from which it is flagged (default 30).
    pub remind_days: Option<u32>,
}

/// `2027-06-30` (midnight UTC) or a full RFC 3339 time, as Unix ms.
pub fn expiry(text: &str) -> Result<i64, Problem> {
    let text = text.trim();
    if text.len() == 10 {
        rampart_domain::control::check_date("expires_at", text)?;
        return parse_time("expires_at", &format!("{text}T00:00:00Z"));
    }
    parse_time("expires_at", text)
}

impl AcceptanceBody {
    pub fn request(&self) -> Result<AcceptanceRequest, Problem> {
        Ok(AcceptanceRequest::parse(
            &self.justification,
            &self.approver_id,
            expiry(&self.expires_at)?,
            self.remind_days.unwrap_or(30),
            now_ms(),
        )?)
    }
}

pub async fn submit_acceptance(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AcceptanceBody>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "submit risks for acceptance")?;
    let ctx = change_context(&actor.0, &request_id);
    let a = state.store.submit_acceptance(&ctx, &actor.0.org_id, &id, &actor.0.user_id, body.request()?).await?;
    Ok((StatusCode::CREATED, Json(AcceptanceDto::of(a, now_ms()))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub decision: String,
    #[serde(default)]
    pub note: String,
}

pub async fn decide_acceptance(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<AcceptanceDto>, ApiError> {
    actor.require(Permission::DecideRisk, "decide risk acceptances")?;
    let decision = Decision::parse(&body.decision)?;
    let ctx = change_context(&actor.0, &request_id);
    let a =
        state.store.decide_acceptance(&ctx, &actor.0.org_id, &id, &actor.0.user_id, true, decision, &body.note).await?;
    Ok(Json(AcceptanceDto::of(a, now_ms())))
}

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    pub queue: Option<String>,
}

/// `awaiting-decision` (default) or `expiring`.
pub fn queue_of(text: Option<&str>) -> Result<AcceptanceQueue, Problem> {
    match text.unwrap_or("awaiting-decision") {
        "awaiting-decision" => Ok(AcceptanceQueue::AwaitingDecision),
        "expiring" => Ok(AcceptanceQueue::ExpiringOrExpired),
        _ => Err(Problem::invalid(Invalid::new("queue", "must be awaiting-decision or expiring"))),
    }
}

pub async fn acceptance_queue(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<QueueQuery>,
) -> Result<Json<Vec<AcceptanceDto>>, ApiError> {
    actor.require(Permission::Read, "see risk acceptances")?;
    let queue = queue_of(q.queue.as_deref())?;
    let now = now_ms();
    let items = state.store.acceptance_queue(&actor.0.org_id, queue).await?;
    Ok(Json(items.into_iter().map(|a| AcceptanceDto::of(a, now)).collect()))
}

pub async fn settings(State(state): State<AppState>, actor: ApiActor) -> Result<Json<RiskSettings>, ApiError> {
    actor.require(Permission::Read, "see the risk matrix")?;
    Ok(Json(state.store.risk_settings(&actor.0.org_id).await?))
}

pub async fn set_settings(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(settings): ApiJson<RiskSettings>,
) -> Result<Json<RiskSettings>, ApiError> {
    actor.require(Permission::DecideRisk, "set the risk matrix and tolerance")?;
    state.store.set_risk_settings(&change_context(&actor.0, &request_id), &actor.0.org_id, &settings).await?;
    Ok(Json(settings))
}

pub async fn heat_map(State(state): State<AppState>, actor: ApiActor) -> Result<Json<HeatMap>, ApiError> {
    actor.require(Permission::Read, "see the risk register")?;
    Ok(Json(state.store.risk_heat_map(&actor.0.org_id).await?))
}

/// One row of the register export: ratings flattened into columns.
#[derive(Serialize)]
struct ExportRow {
    #[serde(flatten)]
    risk: RiskDto,
    inherent_level: Option<String>,
    current_level: Option<String>,
    residual_level: Option<String>,
    target_level: Option<String>,
    current_likelihood: Option<u8>,
    current_impact: Option<u8>,
    residual_likelihood: Option<u8>,
    residual_impact: Option<u8>,
}

impl From<RiskDto> for ExportRow {
    fn from(risk: RiskDto) -> Self {
        let label = |r: &Option<RatingDto>| r.as_ref().map(|r| r.label.clone());
        ExportRow {
            inherent_level: label(&risk.inherent),
            current_level: label(&risk.current),
            residual_level: label(&risk.residual),
            target_level: label(&risk.target),
            current_likelihood: risk.current.as_ref().map(|r| r.likelihood),
            current_impact: risk.current.as_ref().map(|r| r.impact),
            residual_likelihood: risk.residual.as_ref().map(|r| r.likelihood),
            residual_impact: risk.residual.as_ref().map(|r| r.impact),
            risk,
        }
    }
}

/// The whole (filtered) register as a CSV or JSON download.
pub async fn export(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<RiskQuery>,
    Query(f): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Read, "export the risk register")?;
    let format = Format::parse(f.format.as_deref())?;
    let filter = q.filter()?;
    let (store, org) = (&state.store, actor.0.org_id.as_str());
    let matrix = store.risk_settings(org).await?.matrix;
    let risks = all_pages(|page| {
        let filter = &filter;
        async move { store.list_risks(org, filter, &page).await }
    })
    .await?;
    let now = now_ms();
    let rows: Vec<ExportRow> = risks.into_iter().map(|r| ExportRow::from(RiskDto::of(r, &matrix, now))).collect();
    Ok(download(
        format,
        "risk-register",
        &[
            "id",
            "name",
            "owner",
            "treatment",
            "inherent_level",
            "current_level",
            "residual_level",
            "target_level",
            "current_likelihood",
            "current_impact",
            "residual_likelihood",
            "residual_impact",
            "review_every_days",
            "next_review_at",
            "review_overdue",
            "threat_id",
            "description",
            "created_at",
            "updated_at",
        ],
        &rows,
    ))
}
