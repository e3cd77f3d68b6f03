//! The incident pages: the list with a form to record one, and the case page
//! with its lifecycle, regulatory clocks, observables and timeline.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::Permission;
use rampart_domain::incident::{IncidentCategory, IncidentState};
use rampart_domain::observable::ObservableKind;
use rampart_store::IncidentDetail;
use serde::Deserialize;

use super::assessments::Pairs;
use super::{CsrfForm, PageError, Shell, change_context, display_time, org_session, render};
use crate::AppState;
use crate::api::incidents::{NewIncident, ObservableBody};
use crate::auth::{OrgSession, urlencode};
use crate::error::Problem;
use crate::middleware::RequestId;

struct ListRow {
    id: String,
    title: String,
    category: &'static str,
    severity: u8,
    state: &'static str,
    aware: String,
    /// The soonest report still to submit: (name, due, state).
    clock: Option<(String, String, &'static str)>,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    shell: Shell,
    incident_tab: &'static str,
    org_name: String,
    notice: Option<&'static str>,
    error: Option<String>,
    rows: Vec<ListRow>,
    next: Option<String>,
    states: Vec<&'static str>,
    categories: Vec<&'static str>,
    regimes: Vec<String>,
    q_state: String,
    q_category: String,
    q_severity: String,
    q_open: bool,
    can_edit: bool,
    can_admin: bool,
    public_page: Option<rampart_store::PublicPage>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    state: Option<String>,
    category: Option<String>,
    severity: Option<String>,
    open: Option<String>,
    after: Option<String>,
}

/// The regimes an analyst can choose, in rule order, each once (an
/// organisation's own rule may add to a built-in regime).
async fn regime_names(state: &AppState, org_id: &str) -> Result<Vec<String>, PageError> {
    let mut names: Vec<String> = Vec::new();
    for rule in state.store.regulatory_rules(org_id).await? {
        if !names.contains(&rule.regime) {
            names.push(rule.regime);
        }
    }
    Ok(names)
}

async fn list_page(
    state: &AppState,
    org: &OrgSession,
    params: &ListParams,
    error: Option<String>,
) -> Result<Response, PageError> {
    let org_id = &org.actor.org_id;
    let query = crate::api::incidents::IncidentQuery {
        state: params.state.clone(),
        category: params.category.clone(),
        severity: params.severity.as_deref().and_then(|s| s.parse().ok()),
        open: Some(params.open.is_some()),
        limit: Some(100),
        after: params.after.clone(),
    };
    let listed = state.store.list_incidents(org_id, &query.filter()?, &query.page()?).await?;
    let ids: Vec<String> = listed.items.iter().map(|i| i.id.clone()).collect();
    let mut clocks = std::collections::HashMap::new();
    for d in state.store.incident_deadlines(org_id, &ids).await? {
        let due = d.obligation.due_at.map(display_time).unwrap_or_else(|| "when classified".into());
        clocks.entry(d.incident.id).or_insert((d.obligation.name, due, d.obligation.state.as_str()));
    }
    let regimes = regime_names(state, org_id).await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &IncidentsPage {
            shell: Shell::of(state, &org.browser, "Incidents", "incidents").await?,
            incident_tab: "list",
            org_name: org.actor.org_name.clone(),
            notice: None,
            error,
            rows: listed
                .items
                .into_iter()
                .map(|i| ListRow {
                    category: i.fields.category.as_str(),
                    severity: i.fields.severity,
                    state: i.state.as_str(),
                    aware: display_time(i.fields.aware_at),
                    clock: clocks.remove(&i.id),
                    title: i.fields.title,
                    id: i.id,
                })
                .collect(),
            next: listed.next.map(|n| urlencode(&n)),
            states: IncidentState::ALL.iter().map(|s| s.as_str()).collect(),
            categories: IncidentCategory::ALL.iter().map(|c| c.as_str()).collect(),
            regimes,
            q_state: params.state.clone().unwrap_or_default(),
            q_category: params.category.clone().unwrap_or_default(),
            q_severity: params.severity.clone().unwrap_or_default(),
            q_open: params.open.is_some(),
            can_edit: org.actor.can(Permission::Edit),
            can_admin: org.actor.can(Permission::DecideRisk),
            public_page: state.store.public_page(org_id).await?,
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    org: OrgSession,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    list_page(&state, &org, &params, None).await
}

/// A `datetime-local` value (read as UTC), or now when empty.
pub(super) fn form_time(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return crate::api::rfc3339(rampart_store::now_ms());
    }
    if text.len() == 16 {
        format!("{text}:00Z")
    } else if text.ends_with('Z') {
        text.to_string()
    } else {
        format!("{text}Z")
    }
}

/// The UTC offsets in use, UTC−12:00 to UTC+14:00: every half hour, and the
/// three zones a quarter off (+05:45, +08:45, +12:45); (minutes east, label).
fn utc_offsets() -> Vec<(i64, String)> {
    const QUARTERS: [i64; 3] = [345, 525, 765];
    let mut minutes: Vec<i64> = (-24..=28).map(|h| h * 30).chain(QUARTERS).collect();
    minutes.sort_unstable();
    minutes.dedup();
    minutes
        .into_iter()
        .map(|m| {
            let sign = if m < 0 { '−' } else { '+' };
            let label =
                if m == 0 { "UTC".to_string() } else { format!("UTC{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60) };
            (m, label)
        })
        .collect()
}

/// A `datetime-local` value written in the time zone `offset_minutes` east of
/// UTC (the browser's, filled in by the page's script; UTC without it), as
/// Unix ms; `None` when empty.
fn local_time(field: &str, text: &str, offset_minutes: &str) -> Result<Option<i64>, Problem> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let offset: i64 = offset_minutes.trim().parse().unwrap_or(0);
    if !(-14 * 60..=14 * 60).contains(&offset) {
        return Err(rampart_domain::Invalid::new("tz_offset", "must be within 14 hours of UTC").into());
    }
    Ok(Some(crate::api::parse_time(field, &form_time(text))? - offset * 60_000))
}

/// An incident as its record and edit forms send it; fields a form leaves
/// out take their defaults.
fn incident_form(f: &Pairs) -> Result<NewIncident, Problem> {
    let whole = |field: &'static str| -> Result<Option<i64>, Problem> {
        let text = f.get(field);
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|_| rampart_domain::Invalid::new(field, "must be a whole number").into())
    };
    let chosen = |field: &str| Some(f.get(field)).filter(|v| !v.is_empty());
    let time = |field: &str| chosen(field).map(|t| form_time(&t));
    Ok(NewIncident {
        title: f.get("title"),
        severity: f.get("severity").parse().unwrap_or(0),
        category: f.get("category"),
        aware_at: form_time(&f.get("aware_at")),
        regimes: f.all("regimes"),
        description: f.get("description"),
        tlp: chosen("tlp"),
        pap: chosen("pap"),
        determination: chosen("determination"),
        confidentiality: !f.get("confidentiality").is_empty(),
        integrity: !f.get("integrity").is_empty(),
        availability: !f.get("availability").is_empty(),
        estimated_cost: whole("estimated_cost")?,
        people_affected: whole("people_affected")?,
        cross_border: !f.get("cross_border").is_empty(),
        reporter: f.get("reporter"),
        owner: f.get("owner"),
        team: f.get("team"),
        occurred_at: time("occurred_at"),
        detected_at: time("detected_at"),
    })
}

pub async fn create(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "record incidents")?;
    let f = form.form;
    let outcome = async {
        let body = incident_form(&f)?;
        Ok::<_, Problem>(
            state
                .store
                .create_incident(&change_context(&org, &rid), &org.actor.org_id, body.fields()?, &body.regimes)
                .await?,
        )
    }
    .await;
    match outcome {
        Ok(i) => Ok(Redirect::to(&format!("/incidents/{}?notice=created", i.id)).into_response()),
        Err(p) if p.fixable_on_page() => list_page(&state, &org, &ListParams::default(), Some(p.detail)).await,
        Err(p) => Err(PageError(p)),
    }
}

/// Saves what triage learned: the fields, impact and regimes.
pub async fn edit(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "change incidents")?;
    let outcome = async {
        let body = incident_form(&form.form)?;
        let ctx = change_context(&org, &rid);
        state.store.update_incident(&ctx, &org.actor.org_id, &id, body.fields()?, &body.regimes).await?;
        Ok("edited")
    }
    .await;
    done(&state, &org, &id, outcome).await
}

struct Clock {
    regime: String,
    obligation: String,
    name: String,
    due: String,
    state: &'static str,
    submitted: String,
}

struct Entry {
    at: String,
    actor: String,
    kind: String,
    text: String,
    tags: String,
    /// The incident the entry came from, when merged in; empty otherwise.
    origin: String,
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    shell: Shell,
    notice: Option<&'static str>,
    error: Option<String>,
    d: IncidentDetail,
    state: &'static str,
    aware: String,
    next_states: Vec<&'static str>,
    clocks: Vec<Clock>,
    suggestions: Vec<rampart_domain::regulatory_reports::Suggestion>,
    timeline: Vec<Entry>,
    kinds: Vec<&'static str>,
    /// UTC offsets a timeline entry's time may be written in: (minutes east, label).
    zones: Vec<(i64, String)>,
    evidence: Vec<super::incident_evidence::EvidenceRow>,
    /// Shared indicators this incident's observables matched.
    sightings: Vec<super::sharing::SightingRow>,
    /// Summaries shared of this incident, each with its correlations.
    summaries: Vec<SummaryRow>,
    /// (id, name) of the communities the organisation may share in.
    share_to: Vec<(String, String)>,
    /// Markings a summary may carry from the page (RED, which names its
    /// recipients, goes through the API).
    summary_markings: Vec<&'static str>,
    distributions: Vec<&'static str>,
    tasks: Vec<TaskRow>,
    task_statuses: Vec<&'static str>,
    members: Vec<(String, String)>,
    links: rampart_store::IncidentLinks,
    choices: rampart_store::LinkChoices,
    edit: EditChoices,
    can_edit: bool,
    can_comment: bool,
}

/// What the edit form offers and what it starts from.
struct EditChoices {
    categories: Vec<&'static str>,
    determinations: Vec<&'static str>,
    markings: Vec<&'static str>,
    regimes: Vec<String>,
    occurred: String,
    detected: String,
    aware: String,
    cost: String,
    people: String,
}

/// A time as a `datetime-local` value (UTC).
fn input_time(ms: i64) -> String {
    crate::api::rfc3339(ms).get(..16).unwrap_or_default().to_string()
}

struct TaskRow {
    id: String,
    title: String,
    assignee: String,
    due: String,
    status: &'static str,
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailParams {
    notice: Option<String>,
}

/// A summary shared of the incident, as its page shows it.
struct SummaryRow {
    item: rampart_store::SharedItem,
    tlp_class: String,
    created: String,
    correlations: Vec<rampart_store::Correlation>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "summary" => "The summary was shared; members see it under its marking, and correlations appear here.",
        "created" => "The incident was recorded; its clocks are running.",
        "moved" => "The incident moved on.",
        "observable" => "The observable was added.",
        "note" => "The note was added to the timeline.",
        "submitted" => "The submission was recorded.",
        "task" => "The task was saved.",
        "linked" => "The link was saved.",
        "edited" => "The incident's details were saved.",
        "regime" => "The regime applies now; its clocks are running.",
        "merged" => "The other incident was merged into this one.",
        "unlinked" => "The link was removed.",
        "follow-up" => "The follow-up was saved.",
        "evidence" => "The evidence was stored; its SHA-256 starts its chain of custody.",
        "handed-over" => "The hand-over was recorded in the chain of custody.",
        "verified" => "The stored file still matches its SHA-256; the check is in the chain of custody.",
        "mismatch" => {
            "Warning: the stored file no longer matches its SHA-256. The mismatch is in the chain of custody and the timeline."
        }
        _ => return None,
    })
}

async fn detail_page(
    state: &AppState,
    org: &OrgSession,
    id: &str,
    code: Option<&str>,
    error: Option<(StatusCode, String)>,
) -> Result<Response, PageError> {
    let d = state.store.incident_detail(&org.actor.org_id, id).await?;
    let members = state.store.list_members(&org.actor.org_id, &rampart_domain::PageRequest::first(500)).await?.items;
    let links = state.store.incident_links(&org.actor.org_id, id).await?;
    let sightings = state.store.sightings_in_incident(&org.actor.org_id, id).await?;
    let mut summaries = Vec::new();
    for item in state.store.summaries_of_incident(&org.actor.org_id, id).await? {
        summaries.push(SummaryRow {
            correlations: state.store.correlations(&org.actor.org_id, &item.id).await?,
            tlp_class: item.marking.as_str().replace('+', "-"),
            created: display_time(item.created_at),
            item,
        });
    }
    let share_to = state
        .store
        .communities_of(&org.actor.org_id)
        .await?
        .into_iter()
        .filter(|(_, m)| m.may_share())
        .map(|(c, _)| (c.id, c.name))
        .collect();
    let choices = if org.actor.can(Permission::Edit) {
        state.store.incident_link_choices(&org.actor.org_id, id, 500).await?
    } else {
        rampart_store::LinkChoices::default()
    };
    let regimes = regime_names(state, &org.actor.org_id).await?;
    let f = &d.incident.fields;
    let edit = EditChoices {
        categories: IncidentCategory::ALL.iter().map(|c| c.as_str()).collect(),
        determinations: rampart_domain::incident::Determination::ALL.iter().map(|c| c.as_str()).collect(),
        markings: rampart_domain::incident::Marking::ALL.iter().map(|c| c.as_str()).collect(),
        regimes,
        occurred: f.occurred_at.map(input_time).unwrap_or_default(),
        detected: f.detected_at.map(input_time).unwrap_or_default(),
        aware: input_time(f.aware_at),
        cost: f.estimated_cost.map(|v| v.to_string()).unwrap_or_default(),
        people: f.people_affected.map(|v| v.to_string()).unwrap_or_default(),
    };
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.0);
    Ok(render(
        status,
        &IncidentPage {
            shell: Shell::of(state, &org.browser, &d.incident.fields.title, "incidents").await?,
            notice: notice(code),
            error: error.map(|e| e.1),
            state: d.incident.state.as_str(),
            aware: display_time(d.incident.fields.aware_at),
            next_states: d.incident.state.next().iter().map(|s| s.as_str()).collect(),
            clocks: d
                .obligations
                .iter()
                .map(|o| Clock {
                    regime: o.regime.clone(),
                    obligation: o.obligation.clone(),
                    name: o.name.clone(),
                    due: o.due_at.map(display_time).unwrap_or_else(|| "when classified".into()),
                    state: o.state.as_str(),
                    submitted: o
                        .submitted_at
                        .map(|t| format!("{} ({})", display_time(t), o.reference.clone().unwrap_or_default()))
                        .unwrap_or_default(),
                })
                .collect(),
            suggestions: crate::api::incident_reports::suggestions(&d),
            timeline: d
                .timeline
                .iter()
                .map(|e| Entry {
                    at: display_time(e.at),
                    actor: e.actor.clone(),
                    kind: match (&e.from_state, &e.to_state) {
                        (Some(from), Some(to)) => format!("{from} → {to}"),
                        _ => e.kind.clone(),
                    },
                    text: e.text.clone(),
                    tags: [e.tactic.clone(), e.technique.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · "),
                    origin: e.origin.clone().unwrap_or_default(),
                })
                .collect(),
            kinds: ObservableKind::ALL.iter().map(|k| k.as_str()).collect(),
            zones: utc_offsets(),
            evidence: super::incident_evidence::rows(&d.evidence),
            sightings: sightings.into_iter().map(super::sharing::SightingRow::of).collect(),
            summaries,
            share_to,
            summary_markings: rampart_domain::incident::Marking::ALL
                .iter()
                .filter(|m| **m != rampart_domain::incident::Marking::Red)
                .map(|m| m.as_str())
                .collect(),
            distributions: rampart_domain::sharing::Distribution::ALL.iter().map(|d| d.as_str()).collect(),
            tasks: d
                .tasks
                .iter()
                .map(|t| TaskRow {
                    id: t.id.clone(),
                    title: t.title.clone(),
                    assignee: t.assignee_email.clone().unwrap_or_default(),
                    due: t.due_at.map(display_time).unwrap_or_default(),
                    status: t.status.as_str(),
                })
                .collect(),
            task_statuses: rampart_domain::incident::TaskStatus::ALL.iter().map(|s| s.as_str()).collect(),
            members: members.into_iter().map(|m| (m.user_id, m.email)).collect(),
            links,
            choices,
            edit,
            can_edit: org.actor.can(Permission::Edit),
            can_comment: org.actor.can(Permission::Comment),
            d,
        },
    ))
}

pub async fn detail(
    State(state): State<AppState>,
    org: OrgSession,
    Path(id): Path<String>,
    Query(p): Query<DetailParams>,
) -> Result<Response, PageError> {
    detail_page(&state, &org, &id, p.notice.as_deref(), None).await
}

/// After a change: back to the case, or the case with the refusal shown.
pub(super) async fn done(
    state: &AppState,
    org: &OrgSession,
    id: &str,
    outcome: Result<&'static str, Problem>,
) -> Result<Response, PageError> {
    super::after_change(outcome, &format!("/incidents/{id}"), |e| detail_page(state, org, id, None, Some(e))).await
}

pub async fn transition(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "move incidents through their lifecycle")?;
    let f = form.form;
    let outcome = async {
        let to = IncidentState::parse(&f.get("to"))?;
        state
            .store
            .transition_incident(&change_context(&org, &rid), &org.actor.org_id, &id, to, &f.get("reason"))
            .await?;
        Ok("moved")
    }
    .await;
    done(&state, &org, &id, outcome).await
}

pub async fn add_observable(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "add observables")?;
    let f = form.form;
    let outcome = async {
        let body = ObservableBody {
            kind: f.get("type"),
            value: f.get("value"),
            ioc: !f.get("ioc").is_empty(),
            sighted: !f.get("sighted").is_empty(),
            tlp: Some(f.get("tlp")).filter(|t| !t.is_empty()),
        };
        state.store.add_observable(&change_context(&org, &rid), &org.actor.org_id, &id, &body.checked()?).await?;
        Ok("observable")
    }
    .await;
    done(&state, &org, &id, outcome).await
}

/// `POST /incidents/{id}/summaries`: share what the form ticks of the incident.
pub async fn share_summary(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "share incident summaries")?;
    let f = form.form;
    let outcome = async {
        let ticked = |name: &str| !f.get(name).is_empty();
        let body = crate::api::sharing::SummaryBody {
            community_id: f.get("community"),
            title: f.get("title"),
            tlp: f.get("tlp"),
            distribution: f.get("distribution"),
            recipients: Vec::new(),
            summary: f.get("summary"),
            category: ticked("category"),
            severity: ticked("severity"),
            impact: ticked("impact"),
            dates: ticked("dates"),
            observables: f.all("observables"),
        };
        let ctx = change_context(&org, &rid);
        state.store.share_incident_summary(&ctx, &org.actor.org_id, &id, body.checked()?).await?;
        Ok("summary")
    }
    .await;
    done(&state, &org, &id, outcome).await
}

pub async fn add_note(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Comment, "add to the timeline")?;
    let f = form.form;
    let (tactic, technique) = (f.get("tactic"), f.get("technique"));
    let outcome = async {
        let at = local_time("at", &f.get("at"), &f.get("tz_offset"))?;
        let ctx = change_context(&org, &rid);
        let tags = (Some(tactic.as_str()), Some(technique.as_str()));
        state.store.add_incident_note(&ctx, &org.actor.org_id, &id, &f.get("text"), tags, at).await?;
        Ok("note")
    }
    .await;
    done(&state, &org, &id, outcome).await
}

pub async fn submit(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "record submitted reports")?;
    let f = form.form;
    let outcome = state
        .store
        .submit_obligation(
            &change_context(&org, &rid),
            &org.actor.org_id,
            &id,
            &f.get("regime"),
            &f.get("obligation"),
            &f.get("reference"),
        )
        .await
        .map(|_| "submitted")
        .map_err(Problem::from);
    done(&state, &org, &id, outcome).await
}

struct DeadlineRow {
    due: String,
    state: &'static str,
    name: String,
    incident_id: String,
    title: String,
    incident_state: &'static str,
    severity: u8,
}

#[derive(Template)]
#[template(path = "deadlines.html")]
struct DeadlinesPage {
    shell: Shell,
    incident_tab: &'static str,
    org_name: String,
    rows: Vec<DeadlineRow>,
}

pub async fn deadlines(State(state): State<AppState>, org: OrgSession) -> Result<Response, PageError> {
    let board = state.store.deadlines(&org.actor.org_id).await?;
    Ok(render(
        StatusCode::OK,
        &DeadlinesPage {
            shell: Shell::of(&state, &org.browser, "Reporting deadlines", "incidents").await?,
            incident_tab: "deadlines",
            org_name: org.actor.org_name.clone(),
            rows: board
                .into_iter()
                .map(|d| DeadlineRow {
                    due: d.obligation.due_at.map(display_time).unwrap_or_else(|| "when classified".into()),
                    state: d.obligation.state.as_str(),
                    name: d.obligation.name,
                    incident_id: d.incident.id,
                    title: d.incident.title,
                    incident_state: d.state.as_str(),
                    severity: d.severity,
                })
                .collect(),
        },
    ))
}

struct MetricsLine {
    month: String,
    incidents: u32,
    mttd: String,
    mtta: String,
    mttc: String,
    mttr: String,
    severities: String,
    categories: String,
}

#[derive(Template)]
#[template(path = "incident_metrics.html")]
struct MetricsPage {
    shell: Shell,
    incident_tab: &'static str,
    org_name: String,
    rows: Vec<MetricsLine>,
    mttc_svg: String,
    mttr_svg: String,
    count_svg: String,
}

fn hours(v: Option<f64>) -> String {
    v.map(|h| format!("{h:.1}")).unwrap_or_else(|| "—".into())
}

pub async fn metrics(State(state): State<AppState>, org: OrgSession) -> Result<Response, PageError> {
    let rows = crate::api::incidents::metrics_rows(&state, &org.actor.org_id).await?;
    let blue = |_: f64| "#0b5cad";
    let chart = |title: &str, unit: &str, pick: &dyn Fn(&crate::api::incidents::MetricsRow) -> Option<f64>| {
        let bars: Vec<(String, Option<f64>)> = rows.iter().map(|r| (r.month.clone(), pick(r))).collect();
        let max = bars.iter().filter_map(|b| b.1).fold(0.0, f64::max);
        super::score_chart::bars_svg(title, &bars, max, unit, blue)
    };
    Ok(render(
        StatusCode::OK,
        &MetricsPage {
            shell: Shell::of(&state, &org.browser, "Incident metrics", "incidents").await?,
            incident_tab: "metrics",
            org_name: org.actor.org_name.clone(),
            mttc_svg: chart("Mean time to contain", "h", &|r| r.mttc_hours),
            mttr_svg: chart("Mean time to recover", "h", &|r| r.mttr_hours),
            count_svg: chart("Incidents per month", "", &|r| Some(f64::from(r.incidents))),
            rows: rows
                .iter()
                .map(|r| MetricsLine {
                    month: r.month.clone(),
                    incidents: r.incidents,
                    mttd: hours(r.mttd_hours),
                    mtta: hours(r.mtta_hours),
                    mttc: hours(r.mttc_hours),
                    mttr: hours(r.mttr_hours),
                    severities: format!("{}/{}/{}/{}", r.severity_1, r.severity_2, r.severity_3, r.severity_4),
                    categories: r.by_category.iter().map(|(c, n)| format!("{c} {n}")).collect::<Vec<_>>().join(", "),
                })
                .collect(),
        },
    ))
}

pub async fn add_task(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "add tasks")?;
    let f = form.form;
    let outcome = async {
        let due = Some(f.get("due_at"))
            .filter(|d| !d.trim().is_empty())
            .map(|d| crate::api::parse_time("due_at", &form_time(&d)))
            .transpose()?;
        let assignee = Some(f.get("assignee_id")).filter(|a| !a.is_empty());
        state
            .store
            .add_incident_task(
                &change_context(&org, &rid),
                &org.actor.org_id,
                &id,
                &f.get("title"),
                due,
                assignee.as_deref(),
            )
            .await?;
        Ok("task")
    }
    .await;
    done(&state, &org, &id, outcome).await
}

pub async fn update_task(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path((id, task)): Path<(String, String)>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "change tasks")?;
    let f = form.form;
    let outcome = async {
        let status = rampart_domain::incident::TaskStatus::parse(&f.get("status"))?;
        state
            .store
            .update_incident_task(&change_context(&org, &rid), &org.actor.org_id, &task, Some(status), None)
            .await?;
        Ok("task")
    }
    .await;
    done(&state, &org, &id, outcome).await
}

#[derive(Template)]
#[template(path = "case_templates.html")]
struct TemplatesPage {
    shell: Shell,
    incident_tab: &'static str,
    org_name: String,
    notice: Option<&'static str>,
    error: Option<String>,
    templates: Vec<(String, String, String)>,
    categories: Vec<&'static str>,
    can_admin: bool,
}

async fn templates_page(
    state: &AppState,
    org: &OrgSession,
    saved: bool,
    error: Option<String>,
) -> Result<Response, PageError> {
    let templates = state.store.case_templates(&org.actor.org_id).await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &TemplatesPage {
            shell: Shell::of(state, &org.browser, "Case templates", "incidents").await?,
            incident_tab: "templates",
            org_name: org.actor.org_name.clone(),
            notice: saved.then_some("The template was saved."),
            error,
            templates: templates
                .into_iter()
                .map(|t| {
                    (
                        t.category.as_str().to_string(),
                        t.name,
                        t.tasks.iter().map(|k| format!("{} | {}", k.due_hours, k.title)).collect::<Vec<_>>().join("\n"),
                    )
                })
                .collect(),
            categories: IncidentCategory::ALL.iter().map(|c| c.as_str()).collect(),
            can_admin: org.actor.can(Permission::DecideRisk),
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct TemplatesParams {
    notice: Option<String>,
}

pub async fn templates(
    State(state): State<AppState>,
    org: OrgSession,
    Query(p): Query<TemplatesParams>,
) -> Result<Response, PageError> {
    templates_page(&state, &org, p.notice.is_some(), None).await
}

/// Saves a template written as one task a line: `HOURS | title`.
pub async fn save_template(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::DecideRisk, "set case templates")?;
    let f = form.form;
    let outcome = async {
        let mut tasks = Vec::new();
        for (i, line) in f.get("tasks").lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            let (hours, title) = line.split_once('|').ok_or_else(|| {
                Problem::invalid(rampart_domain::Invalid::new(
                    format!("tasks[{i}]"),
                    "write each task as HOURS | title, such as 4 | Check the backups",
                ))
            })?;
            let due_hours = hours.trim().parse().map_err(|_| {
                Problem::invalid(rampart_domain::Invalid::new(
                    format!("tasks[{i}].due_hours"),
                    "must be a whole number of hours",
                ))
            })?;
            tasks.push(rampart_domain::incident::TemplateTask { title: title.trim().to_string(), due_hours });
        }
        let template = rampart_domain::incident::CaseTemplate {
            category: IncidentCategory::parse(&f.get("category"))?,
            name: f.get("name"),
            tasks,
        };
        state.store.set_case_template(&change_context(&org, &rid), &org.actor.org_id, template).await?;
        Ok::<_, Problem>(())
    }
    .await;
    match outcome {
        Ok(()) => Ok(Redirect::to("/incidents/templates?notice=saved").into_response()),
        Err(p) if p.fixable_on_page() => templates_page(&state, &org, false, Some(p.detail)).await,
        Err(p) => Err(PageError(p)),
    }
}

/// Opens or closes the organisation's public report page.
pub async fn public_page(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::DecideRisk, "open or close the public report page")?;
    let ctx = change_context(&org, &rid);
    if form.form.get("open") == "1" {
        state.store.open_public_page(&ctx, &org.actor.org_id).await?;
    } else {
        state.store.close_public_page(&ctx, &org.actor.org_id).await?;
    }
    Ok(Redirect::to("/incidents").into_response())
}
