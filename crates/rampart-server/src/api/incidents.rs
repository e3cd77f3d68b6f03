//! Incidents over the API: cases, lifecycle transitions, regulatory clocks,
//! observables, timeline notes, submitted reports, and the reporting rules.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rampart_domain::incident::{Determination, IncidentCategory, IncidentFields, IncidentState, Marking};
use rampart_domain::observable::{NewObservable, ObservableKind};
use rampart_domain::regulatory::ObligationRule;
use rampart_domain::{Invalid, Page, Permission};
use rampart_store::{Incident, IncidentDetail, IncidentFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::people::change_context;
use super::{ApiJson, PageQuery, parse_time, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;

/// An incident as the API shows it: times as RFC 3339.
pub fn incident_json(i: &Incident) -> Value {
    let f = &i.fields;
    let time = |t: Option<i64>| t.map(rfc3339);
    json!({
        "id": i.id, "title": f.title, "description": f.description, "category": f.category, "severity": f.severity,
        "tlp": f.tlp, "pap": f.pap, "determination": f.determination,
        "impact": {"confidentiality": f.confidentiality, "integrity": f.integrity, "availability": f.availability,
                   "estimated_cost": f.estimated_cost, "people_affected": f.people_affected, "cross_border": f.cross_border},
        "reporter": f.reporter, "owner": f.owner, "team": f.team,
        "occurred_at": time(f.occurred_at), "detected_at": time(f.detected_at), "aware_at": rfc3339(f.aware_at),
        "classified_at": time(i.classified_at), "state": i.state, "next_states": i.state.next(),
        "state_changed_at": rfc3339(i.state_changed_at), "created_by": i.created_by,
        "created_at": rfc3339(i.created_at), "updated_at": rfc3339(i.updated_at), "merged_into": i.merged_into
    })
}

pub fn detail_json(d: &IncidentDetail) -> Value {
    let mut v = incident_json(&d.incident);
    v["regimes"] = json!(d.regimes);
    v["suggested_regimes"] = json!(super::incident_reports::suggestions(d));
    v["obligations"] = json!(
        d.obligations
            .iter()
            .map(|o| json!({
                "regime": o.regime, "obligation": o.obligation, "name": o.name, "due_at": o.due_at.map(rfc3339),
                "state": o.state, "submitted_at": o.submitted_at.map(rfc3339), "reference": o.reference
            }))
            .collect::<Vec<_>>()
    );
    v["observables"] = json!(
        d.observables
            .iter()
            .map(|o| json!({
                "id": o.id, "type": o.kind, "value": o.value, "ioc": o.ioc, "sighted": o.sighted, "tlp": o.tlp,
                "added_by": o.added_by, "added_at": rfc3339(o.added_at), "seen_in": o.seen_in
            }))
            .collect::<Vec<_>>()
    );
    v["tasks"] = json!(d.tasks.iter().map(task_json).collect::<Vec<_>>());
    v["evidence"] = json!(d.evidence.iter().map(super::incident_evidence::evidence_json).collect::<Vec<_>>());
    v["timeline"] = json!(d.timeline.iter().map(|e| json!({
        "at": rfc3339(e.at), "actor": e.actor, "kind": e.kind, "from_state": e.from_state, "to_state": e.to_state,
        "text": e.text, "tactic": e.tactic, "technique": e.technique, "origin": e.origin
    })).collect::<Vec<_>>());
    v
}

/// A new incident as sent; only title, severity, category and aware_at are required.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    pub title: String,
    pub severity: u8,
    pub category: String,
    pub aware_at: String,
    #[serde(default)]
    pub regimes: Vec<String>,
    #[serde(default)]
    pub description: String,
    pub tlp: Option<String>,
    pub pap: Option<String>,
    pub determination: Option<String>,
    #[serde(default)]
    pub confidentiality: bool,
    #[serde(default)]
    pub integrity: bool,
    #[serde(default)]
    pub availability: bool,
    pub estimated_cost: Option<i64>,
    pub people_affected: Option<i64>,
    #[serde(default)]
    pub cross_border: bool,
    #[serde(default)]
    pub reporter: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub team: String,
    pub occurred_at: Option<String>,
    pub detected_at: Option<String>,
}

impl NewIncident {
    pub fn fields(&self) -> Result<IncidentFields, Problem> {
        let time = |field: &str, t: &Option<String>| {
            t.as_deref().filter(|t| !t.is_empty()).map(|t| parse_time(field, t)).transpose()
        };
        Ok(IncidentFields {
            title: self.title.clone(),
            description: self.description.clone(),
            category: IncidentCategory::parse(self.category.trim())?,
            severity: self.severity,
            tlp: Marking::parse(self.tlp.as_deref().unwrap_or("amber"))?,
            pap: Marking::parse(self.pap.as_deref().unwrap_or("amber"))
                .map_err(|_| Invalid::new("pap", "must be clear, green, amber, amber+strict or red"))?,
            determination: Determination::parse(self.determination.as_deref().unwrap_or("suspected"))?,
            confidentiality: self.confidentiality,
            integrity: self.integrity,
            availability: self.availability,
            estimated_cost: self.estimated_cost,
            people_affected: self.people_affected,
            cross_border: self.cross_border,
            reporter: self.reporter.clone(),
            owner: self.owner.clone(),
            team: self.team.clone(),
            occurred_at: time("occurred_at", &self.occurred_at)?,
            detected_at: time("detected_at", &self.detected_at)?,
            aware_at: parse_time("aware_at", &self.aware_at)?,
        })
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct IncidentQuery {
    pub state: Option<String>,
    pub category: Option<String>,
    pub severity: Option<u8>,
    pub open: Option<bool>,
    pub limit: Option<u32>,
    pub after: Option<String>,
}

impl IncidentQuery {
    pub fn filter(&self) -> Result<IncidentFilter, Problem> {
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        Ok(IncidentFilter {
            state: text(&self.state)
                .map(|s| IncidentState::parse(&s).map_err(|_| Invalid::new("state", "is not an incident state")))
                .transpose()?,
            category: text(&self.category).map(|c| IncidentCategory::parse(&c)).transpose()?,
            severity: self.severity,
            open: self.open.unwrap_or(false),
        })
    }

    pub fn page(&self) -> Result<rampart_domain::PageRequest, Problem> {
        PageQuery { limit: self.limit, after: self.after.clone().filter(|a| !a.is_empty()) }.page()
    }
}

pub async fn list(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<IncidentQuery>,
) -> Result<Json<Page<Value>>, ApiError> {
    actor.require(Permission::Read, "see incidents")?;
    let page = state.store.list_incidents(&actor.0.org_id, &q.filter()?, &q.page()?).await?;
    Ok(Json(Page { items: page.items.iter().map(incident_json).collect(), next: page.next }))
}

pub async fn create(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<NewIncident>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "record incidents")?;
    let org = &actor.0.org_id;
    let i =
        state.store.create_incident(&change_context(&actor.0, &request_id), org, body.fields()?, &body.regimes).await?;
    let detail = state.store.incident_detail(org, &i.id).await?;
    Ok((StatusCode::CREATED, Json(detail_json(&detail))).into_response())
}

/// Replaces what is known of an incident (the body of a new one); its state and clocks' anchors stay.
pub async fn update(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewIncident>,
) -> Result<Json<Value>, ApiError> {
    actor.require(Permission::Edit, "change incidents")?;
    let org = &actor.0.org_id;
    let ctx = change_context(&actor.0, &request_id);
    state.store.update_incident(&ctx, org, &id, body.fields()?, &body.regimes).await?;
    Ok(Json(detail_json(&state.store.incident_detail(org, &id).await?)))
}

pub async fn get(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require(Permission::Read, "see incidents")?;
    Ok(Json(detail_json(&state.store.incident_detail(&actor.0.org_id, &id).await?)))
}

/// The incident with everything about it, as a JSON download.
pub async fn export(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Read, "export incidents")?;
    let detail = state.store.incident_detail(&actor.0.org_id, &id).await?;
    let body = serde_json::to_string_pretty(&detail_json(&detail)).unwrap_or_default();
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"incident-{id}.json\"")),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    pub to: String,
    #[serde(default)]
    pub reason: String,
}

/// A transition refused because of the lifecycle answers 409 with the allowed states.
pub async fn transition(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TransitionBody>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "move incidents through their lifecycle")?;
    let org = &actor.0.org_id;
    let to = IncidentState::parse(body.to.trim())?;
    match state.store.transition_incident(&change_context(&actor.0, &request_id), org, &id, to, &body.reason).await {
        Ok(_) => Ok(Json(detail_json(&state.store.incident_detail(org, &id).await?)).into_response()),
        Err(rampart_store::StoreError::Conflict(detail)) => {
            let current = state.store.incident_detail(org, &id).await?.incident.state;
            let mut problem =
                serde_json::to_value(Problem::new(StatusCode::CONFLICT, "Conflict", detail)).unwrap_or_default();
            problem["allowed"] = json!(current.next());
            let mut response = (StatusCode::CONFLICT, Json(problem)).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/problem+json"));
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservableBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    #[serde(default)]
    pub ioc: bool,
    #[serde(default)]
    pub sighted: bool,
    pub tlp: Option<String>,
}

impl ObservableBody {
    pub fn checked(&self) -> Result<NewObservable, Problem> {
        Ok(NewObservable {
            kind: ObservableKind::parse(self.kind.trim())?,
            value: self.value.clone(),
            ioc: self.ioc,
            sighted: self.sighted,
            tlp: Marking::parse(self.tlp.as_deref().unwrap_or("amber"))?,
        })
    }
}

pub async fn add_observable(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ObservableBody>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "add observables")?;
    let o = state
        .store
        .add_observable(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, &body.checked()?)
        .await?;
    let v = json!({"id": o.id, "type": o.kind, "value": o.value, "ioc": o.ioc, "sighted": o.sighted, "tlp": o.tlp, "seen_in": o.seen_in, "added_at": rfc3339(o.added_at)});
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    pub text: String,
    pub tactic: Option<String>,
    pub technique: Option<String>,
    /// When it happened, RFC 3339 with any offset; now when absent.
    pub at: Option<String>,
}

pub async fn add_note(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Comment, "add to an incident's timeline")?;
    let tags = (body.tactic.as_deref(), body.technique.as_deref());
    let at = body.at.as_deref().filter(|t| !t.is_empty()).map(|t| parse_time("at", t)).transpose()?;
    state
        .store
        .add_incident_note(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, &body.text, tags, at)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionBody {
    pub regime: String,
    pub obligation: String,
    #[serde(default)]
    pub reference: String,
}

pub async fn submit(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SubmissionBody>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "record submitted reports")?;
    let ctx = change_context(&actor.0, &request_id);
    state.store.submit_obligation(&ctx, &actor.0.org_id, &id, &body.regime, &body.obligation, &body.reference).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
pub struct RuleDto {
    pub regime: String,
    pub obligation: String,
    pub name: String,
    pub anchor: String,
    pub offset_minutes: i64,
    pub latest_anchor: Option<String>,
    pub latest_offset_minutes: Option<i64>,
}

impl From<ObligationRule> for RuleDto {
    fn from(r: ObligationRule) -> Self {
        Self {
            latest_anchor: r.latest.as_ref().map(|(a, _)| a.as_text()),
            latest_offset_minutes: r.latest.as_ref().map(|(_, m)| *m),
            anchor: r.anchor.as_text(),
            regime: r.regime,
            obligation: r.key,
            name: r.name,
            offset_minutes: r.offset_minutes,
        }
    }
}

pub async fn rules(State(state): State<AppState>, actor: ApiActor) -> Result<Json<Vec<RuleDto>>, ApiError> {
    actor.require(Permission::Read, "see the reporting rules")?;
    Ok(Json(state.store.regulatory_rules(&actor.0.org_id).await?.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    pub regime: String,
    pub obligation: String,
    pub name: String,
    pub anchor: String,
    pub offset_minutes: i64,
    pub latest_anchor: Option<String>,
    pub latest_offset_minutes: Option<i64>,
}

pub async fn remove_rule(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path((regime, obligation)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::DecideRisk, "remove reporting rules")?;
    let ctx = change_context(&actor.0, &request_id);
    state.store.remove_regulatory_rule(&ctx, &actor.0.org_id, &regime, &obligation).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn add_rule(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<RuleBody>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::DecideRisk, "add reporting rules")?;
    let latest = body.latest_anchor.as_deref().zip(body.latest_offset_minutes);
    let rule =
        ObligationRule::parse(&body.regime, &body.obligation, &body.name, &body.anchor, body.offset_minutes, latest)?;
    state.store.add_regulatory_rule(&change_context(&actor.0, &request_id), &actor.0.org_id, &rule).await?;
    Ok(StatusCode::CREATED)
}

/// The deadlines board: every report still to submit, soonest first.
pub async fn deadlines(State(state): State<AppState>, actor: ApiActor) -> Result<Json<Vec<Value>>, ApiError> {
    actor.require(Permission::Read, "see incident deadlines")?;
    let board = state.store.deadlines(&actor.0.org_id).await?;
    Ok(Json(
        board
            .iter()
            .map(|d| {
                json!({
                    "incident": d.incident, "severity": d.severity, "incident_state": d.state,
                    "regime": d.obligation.regime, "obligation": d.obligation.obligation, "name": d.obligation.name,
                    "due_at": d.obligation.due_at.map(rfc3339), "state": d.obligation.state
                })
            })
            .collect(),
    ))
}

/// One month's metrics as a flat row (CSV columns).
#[derive(Serialize)]
pub struct MetricsRow {
    pub month: String,
    pub incidents: u32,
    pub mttd_hours: Option<f64>,
    pub mtta_hours: Option<f64>,
    pub mttc_hours: Option<f64>,
    pub mttr_hours: Option<f64>,
    pub severity_1: u32,
    pub severity_2: u32,
    pub severity_3: u32,
    pub severity_4: u32,
    pub by_category: std::collections::BTreeMap<String, u32>,
}

pub const METRICS_COLUMNS: &[&str] = &[
    "month",
    "incidents",
    "mttd_hours",
    "mtta_hours",
    "mttc_hours",
    "mttr_hours",
    "severity_1",
    "severity_2",
    "severity_3",
    "severity_4",
];

pub async fn metrics_rows(state: &AppState, org_id: &str) -> Result<Vec<MetricsRow>, Problem> {
    let times = state.store.incident_times(org_id).await?;
    let round = |v: Option<f64>| v.map(|h| (h * 10.0).round() / 10.0);
    Ok(rampart_domain::incident_metrics::monthly(&times)
        .into_iter()
        .map(|m| MetricsRow {
            month: m.month,
            incidents: m.incidents,
            mttd_hours: round(m.mttd_hours),
            mtta_hours: round(m.mtta_hours),
            mttc_hours: round(m.mttc_hours),
            mttr_hours: round(m.mttr_hours),
            severity_1: m.by_severity[0],
            severity_2: m.by_severity[1],
            severity_3: m.by_severity[2],
            severity_4: m.by_severity[3],
            by_category: m.by_category,
        })
        .collect())
}

/// MTTD, MTTA, MTTC and MTTR per month with counts, as JSON or (format=csv) CSV.
pub async fn metrics(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(f): Query<super::download::FormatQuery>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Read, "see incident metrics")?;
    let rows = metrics_rows(&state, &actor.0.org_id).await?;
    Ok(super::download::json_or_csv(f.format.as_deref(), "incident-metrics", METRICS_COLUMNS, &rows)?)
}

pub fn task_json(t: &rampart_store::IncidentTask) -> Value {
    json!({
        "id": t.id, "incident_id": t.incident_id, "title": t.title, "assignee_id": t.assignee_id, "assignee_email": t.assignee_email,
        "due_at": t.due_at.map(rfc3339), "status": t.status, "created_by": t.created_by, "created_at": rfc3339(t.created_at)
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    pub title: String,
    pub due_at: Option<String>,
    pub assignee_id: Option<String>,
}

pub async fn add_task(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewTask>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "add tasks")?;
    let due = body.due_at.as_deref().filter(|d| !d.is_empty()).map(|d| parse_time("due_at", d)).transpose()?;
    let ctx = change_context(&actor.0, &request_id);
    let task = state
        .store
        .add_incident_task(&ctx, &actor.0.org_id, &id, &body.title, due, body.assignee_id.as_deref())
        .await?;
    let tasks = state.store.incident_tasks(&actor.0.org_id, &id).await?;
    let made = tasks.iter().find(|t| t.id == task).ok_or_else(Problem::internal)?;
    Ok((StatusCode::CREATED, Json(task_json(made))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskChange {
    pub status: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    pub assignee_id: Option<Option<String>>,
}

pub async fn update_task(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TaskChange>,
) -> Result<Json<Value>, ApiError> {
    actor.require(Permission::Edit, "change tasks")?;
    let status = body.status.as_deref().map(rampart_domain::incident::TaskStatus::parse).transpose()?;
    let assignee = body.assignee_id.as_ref().map(|a| a.as_deref());
    let task = state
        .store
        .update_incident_task(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, status, assignee)
        .await?;
    Ok(Json(task_json(&task)))
}

pub async fn templates(
    State(state): State<AppState>,
    actor: ApiActor,
) -> Result<Json<Vec<rampart_domain::incident::CaseTemplate>>, ApiError> {
    actor.require(Permission::Read, "see case templates")?;
    Ok(Json(state.store.case_templates(&actor.0.org_id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    pub name: String,
    pub tasks: Vec<rampart_domain::incident::TemplateTask>,
}

pub async fn set_template(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(category): Path<String>,
    ApiJson(body): ApiJson<TemplateBody>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::DecideRisk, "set case templates")?;
    let template = rampart_domain::incident::CaseTemplate {
        category: IncidentCategory::parse(&category)?,
        name: body.name,
        tasks: body.tasks,
    };
    state.store.set_case_template(&change_context(&actor.0, &request_id), &actor.0.org_id, template).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete_template(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(category): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::DecideRisk, "remove case templates")?;
    state
        .store
        .delete_case_template(
            &change_context(&actor.0, &request_id),
            &actor.0.org_id,
            IncidentCategory::parse(&category)?,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
