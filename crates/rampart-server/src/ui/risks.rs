//! The risk register pages: the scenario list with its heat maps, and each
//! scenario with its ratings, links, review, acceptance and quantification.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::risk::{Decision, MAX_REVIEW_DAYS, Ratings, RiskFields, Treatment};
use rampart_domain::risk_matrix::{Rating, RiskMatrix};
use rampart_domain::{Invalid, PageRequest, Permission, Role};
use rampart_store::{AcceptanceQueue, AssetFilter, ThreatFilter, VulnerabilityFilter, now_ms};
use serde::Deserialize;

use super::heatmap::{heat_maps, matrix_svg};
use super::quant::{ResultView, RunForm};
use super::{CsrfForm, NoFields, NoticeParam, PageError, Shell, change_context, org_session, render};
use crate::AppState;
use crate::api::risks::{AcceptanceBody, AcceptanceDto, RatingDto, RiskDto, RiskQuery, detail_of, link_kind};
use crate::auth::{OrgSession, urlencode};
use crate::error::Problem;
use crate::middleware::RequestId;
use crate::quantify;

const KINDS: [(&str, &str); 4] =
    [("inherent", "Inherent"), ("current", "Current"), ("residual", "Residual"), ("target", "Target")];

/// The scenario form as typed, so a refused form comes back as it was.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RiskForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    threat_id: String,
    #[serde(default)]
    treatment: String,
    #[serde(default)]
    review_every_days: String,
    #[serde(default)]
    inherent_likelihood: String,
    #[serde(default)]
    inherent_impact: String,
    #[serde(default)]
    current_likelihood: String,
    #[serde(default)]
    current_impact: String,
    #[serde(default)]
    residual_likelihood: String,
    #[serde(default)]
    residual_impact: String,
    #[serde(default)]
    target_likelihood: String,
    #[serde(default)]
    target_impact: String,
}

fn rating_text(r: Option<Rating>) -> (String, String) {
    r.map(|r| (r.likelihood.to_string(), r.impact.to_string())).unwrap_or_default()
}

/// Both empty: not rated; both given: a rating; one of them: refused.
fn rating_of(kind: &str, likelihood: &str, impact: &str) -> Result<Option<Rating>, Invalid> {
    match (likelihood.trim(), impact.trim()) {
        ("", "") => Ok(None),
        ("", _) | (_, "") => Err(Invalid::new(kind, "give both likelihood and impact, or neither")),
        (l, i) => Ok(Some(Rating {
            likelihood: l.parse().map_err(|_| Invalid::new(format!("{kind}.likelihood"), "must be a number"))?,
            impact: i.parse().map_err(|_| Invalid::new(format!("{kind}.impact"), "must be a number"))?,
        })),
    }
}

impl RiskForm {
    fn blank() -> Self {
        Self { treatment: "undecided".into(), review_every_days: "180".into(), ..Self::default() }
    }

    fn of(f: &RiskFields) -> Self {
        let r = f.ratings;
        let (inherent_likelihood, inherent_impact) = rating_text(r.inherent);
        let (current_likelihood, current_impact) = rating_text(r.current);
        let (residual_likelihood, residual_impact) = rating_text(r.residual);
        let (target_likelihood, target_impact) = rating_text(r.target);
        Self {
            name: f.name.clone(),
            owner: f.owner.clone(),
            description: f.description.clone(),
            threat_id: f.threat_id.clone().unwrap_or_default(),
            treatment: f.treatment.to_string(),
            review_every_days: f.review_every_days.map(|d| d.to_string()).unwrap_or_default(),
            inherent_likelihood,
            inherent_impact,
            current_likelihood,
            current_impact,
            residual_likelihood,
            residual_impact,
            target_likelihood,
            target_impact,
        }
    }

    fn pair(&self, kind: &str) -> (&str, &str) {
        match kind {
            "inherent" => (&self.inherent_likelihood, &self.inherent_impact),
            "current" => (&self.current_likelihood, &self.current_impact),
            "residual" => (&self.residual_likelihood, &self.residual_impact),
            _ => (&self.target_likelihood, &self.target_impact),
        }
    }

    fn fields(&self, matrix: &RiskMatrix) -> Result<RiskFields, Problem> {
        let rating = |kind: &str| {
            let (l, i) = self.pair(kind);
            rating_of(kind, l, i)
        };
        let ratings = Ratings {
            inherent: rating("inherent")?,
            current: rating("current")?,
            residual: rating("residual")?,
            target: rating("target")?,
        };
        let days = self.review_every_days.trim();
        let review_every_days = if days.is_empty() {
            None
        } else {
            Some(days.parse::<u32>().map_err(|_| {
                Invalid::new("review_every_days", format!("must be a number of days, 1 to {MAX_REVIEW_DAYS}"))
            })?)
        };
        Ok(RiskFields::parse(
            &self.name,
            &self.description,
            &self.owner,
            Some(&self.threat_id),
            ratings,
            &self.treatment,
            review_every_days,
            matrix,
        )?)
    }
}

/// One rating's two selects in the form.
struct RatingInput {
    kind: &'static str,
    label: &'static str,
    likelihood: String,
    impact: String,
}

/// What the scenario form needs besides the typed values.
struct FormChoices {
    ratings: Vec<RatingInput>,
    likelihood: Vec<(String, String)>,
    impact: Vec<(String, String)>,
    treatments: Vec<String>,
    threats: Vec<(String, String)>,
}

async fn choices(state: &AppState, org: &str, form: &RiskForm, matrix: &RiskMatrix) -> Result<FormChoices, Problem> {
    let numbered = |labels: &[String]| {
        labels.iter().enumerate().map(|(i, l)| ((i + 1).to_string(), format!("{} {l}", i + 1))).collect()
    };
    let threats = state.store.list_threats(org, &ThreatFilter::default(), &PageRequest::first(500)).await?;
    Ok(FormChoices {
        ratings: KINDS
            .iter()
            .map(|&(kind, label)| {
                let (l, i) = form.pair(kind);
                RatingInput { kind, label, likelihood: l.to_string(), impact: i.to_string() }
            })
            .collect(),
        likelihood: numbered(&matrix.likelihood),
        impact: numbered(&matrix.impact),
        treatments: Treatment::ALL.iter().map(|t| t.to_string()).collect(),
        threats: threats.items.into_iter().map(|t| (t.id, t.fields.name)).collect(),
    })
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "created" => "The scenario was recorded.",
        "saved" => "The scenario was saved.",
        "deleted" => "The scenario was deleted.",
        "linked" => "The link was added.",
        "unlinked" => "The link was removed.",
        "reviewed" => "The review was recorded; the next one is due after the cadence.",
        "submitted" => "The acceptance was submitted to its approver.",
        "decided" => "The decision was recorded.",
        "fair-saved" => "The FAIR estimates were saved.",
        "fair-removed" => "The FAIR estimates were removed.",
        "quantified" => "The scenario was quantified; the result is kept with its seed.",
        _ => return None,
    })
}

/// A rating as a coloured chip.
struct Chip {
    label: String,
    colour: String,
    position: String,
}

fn chip(r: &Option<RatingDto>) -> Option<Chip> {
    r.as_ref().map(|r| Chip {
        label: r.label.clone(),
        colour: r.colour.clone(),
        position: format!("L{} × I{}", r.likelihood, r.impact),
    })
}

struct Row {
    id: String,
    name: String,
    owner: String,
    current: Option<Chip>,
    residual: Option<Chip>,
    treatment: String,
    next_review: String,
    overdue: bool,
    quantified: bool,
}

/// An acceptance needing attention, on the register page.
struct Attention {
    scenario_id: String,
    scenario_name: String,
    approver: String,
    when: String,
}

#[derive(Template)]
#[template(path = "scenarios.html")]
struct ListPage {
    awaiting: Vec<Attention>,
    expiring: Vec<Attention>,
    shell: Shell,
    risk_tab: &'static str,
    org_name: String,
    notice: Option<&'static str>,
    error: Option<String>,
    rows: Vec<Row>,
    next: Option<String>,
    filter_query: String,
    q_treatment: String,
    q_level: String,
    q_overdue: bool,
    levels: Vec<(String, String)>,
    current_map: String,
    residual_map: String,
    can_edit: bool,
    form: RiskForm,
    choices: FormChoices,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    treatment: Option<String>,
    level: Option<String>,
    overdue: Option<String>,
    after: Option<String>,
    notice: Option<String>,
}

async fn list_page(
    state: &AppState,
    org: &OrgSession,
    params: &ListParams,
    error: Option<String>,
    form: RiskForm,
) -> Result<Response, PageError> {
    let org_id = &org.actor.org_id;
    let query = RiskQuery {
        treatment: params.treatment.clone(),
        level: params.level.clone(),
        overdue: params.overdue.clone(),
        limit: Some(100),
        after: params.after.clone(),
    };
    let filter = query.filter().unwrap_or_default();
    let matrix = state.store.risk_settings(org_id).await?.matrix;
    let page = state.store.list_risks(org_id, &filter, &query.page()?).await?;
    let (current_map, residual_map) = heat_maps(&matrix, &state.store.risk_heat_map(org_id).await?);
    let filter_query = serde_urlencoded::to_string([
        ("treatment", params.treatment.clone().unwrap_or_default()),
        ("level", params.level.clone().unwrap_or_default()),
        ("overdue", params.overdue.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    let now = now_ms();
    let rows = page
        .items
        .into_iter()
        .map(|r| {
            let dto = RiskDto::of(r, &matrix, now);
            Row {
                current: chip(&dto.current),
                residual: chip(&dto.residual),
                treatment: dto.treatment.to_string(),
                next_review: dto.next_review_at.as_deref().map(|t| t[..10].to_string()).unwrap_or_else(|| "—".into()),
                overdue: dto.review_overdue,
                quantified: dto.fair_model.is_some(),
                owner: dto.owner,
                name: dto.name,
                id: dto.id,
            }
        })
        .collect();
    let choices = choices(state, org_id, &form, &matrix).await?;
    let attention = |queue: Vec<rampart_store::RiskAcceptance>, expiring: bool| -> Vec<Attention> {
        queue
            .into_iter()
            .map(|a| Attention {
                when: crate::api::rfc3339(if expiring { a.expires_at } else { a.submitted_at })[..10].to_string(),
                scenario_id: a.scenario_id,
                scenario_name: a.scenario_name,
                approver: a.approver_email,
            })
            .collect()
    };
    let awaiting = attention(state.store.acceptance_queue(org_id, AcceptanceQueue::AwaitingDecision).await?, false);
    let expiring = attention(state.store.acceptance_queue(org_id, AcceptanceQueue::ExpiringOrExpired).await?, true);
    let shell = Shell::of(state, &org.browser, "Risk register", "risk").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &ListPage {
            awaiting,
            expiring,
            shell,
            risk_tab: "scenarios",
            org_name: org.actor.org_name.clone(),
            notice: notice(params.notice.as_deref()),
            error,
            rows,
            next: page.next.map(|n| urlencode(&n)),
            filter_query,
            q_treatment: params.treatment.clone().unwrap_or_default(),
            q_level: params.level.clone().unwrap_or_default(),
            q_overdue: params.overdue.as_deref() == Some("true"),
            levels: matrix.levels.iter().enumerate().map(|(i, l)| (i.to_string(), l.label.clone())).collect(),
            current_map,
            residual_map,
            can_edit: org.actor.can(Permission::Edit),
            form,
            choices,
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    org: OrgSession,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    list_page(&state, &org, &params, None, RiskForm::blank()).await
}

pub async fn create(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<RiskForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "record risk scenarios")?;
    let result = async {
        let matrix = state.store.risk_settings(&org.actor.org_id).await?.matrix;
        let fields = form.form.fields(&matrix)?;
        state.store.create_risk(&change_context(&org, &rid), &org.actor.org_id, fields).await.map_err(Problem::from)
    }
    .await;
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/risk/scenarios/{}?notice=created", r.id)).into_response()),
        Err(p) if p.status < 500 => list_page(&state, &org, &ListParams::default(), Some(p.detail), form.form).await,
        Err(p) => Err(PageError(p)),
    }
}

struct Named {
    id: String,
    name: String,
    detail: String,
}

/// Linked objects of one kind, with the ones that could be added.
struct LinkSection {
    title: &'static str,
    /// The path segment: assets, vulnerabilities or controls.
    kind: &'static str,
    items: Vec<Named>,
    options: Vec<(String, String)>,
}

/// An acceptance as shown, with what the viewer may do with it.
struct AcceptanceView {
    a: AcceptanceDto,
    submitted: String,
    expires: String,
    decided: String,
    term: &'static str,
    can_decide: bool,
    can_revoke: bool,
}

#[derive(Template)]
#[template(path = "scenario.html")]
struct DetailPage {
    shell: Shell,
    notice: Option<&'static str>,
    error: Option<String>,
    id: String,
    name: String,
    owner: String,
    description: String,
    threat: Option<String>,
    treatment: String,
    chips: Vec<(&'static str, Option<Chip>)>,
    position_map: String,
    review: String,
    overdue: bool,
    sections: Vec<LinkSection>,
    acceptances: Vec<AcceptanceView>,
    follow_ups: Vec<rampart_store::FollowUp>,
    can_submit: bool,
    approvers: Vec<(String, String)>,
    default_expiry: String,
    fair_yaml: String,
    has_fair: bool,
    run: RunForm,
    run_action: String,
    result: Option<ResultView>,
    can_edit: bool,
    form: RiskForm,
    choices: FormChoices,
}

/// A starting point for the estimates: pyfair's reference model.
const FAIR_TEMPLATE: &str = "# Open FAIR estimates for this scenario (see docs/QUANT.md).\n\
# Each estimate is one distribution: pert [min, most likely, max], uniform,\n\
# triangular, lognormal [p5, p95], normal {mean, sd, min, max} or constant.\n\
tef: { pert: [1, 5, 20] }                      # threat events per year\n\
vulnerability: { pert: [0.1, 0.3, 0.6] }       # share of them that become losses\n\
loss_magnitude: { pert: [10000, 100000, 1000000] }\n";

/// Overrides of the detail page after a refused form.
#[derive(Default)]
struct Refused {
    error: Option<String>,
    form: Option<RiskForm>,
    fair_yaml: Option<String>,
    run: Option<RunForm>,
}

async fn detail_page(
    state: &AppState,
    org: &OrgSession,
    id: &str,
    notice_code: Option<&str>,
    refused: Refused,
) -> Result<Response, PageError> {
    let org_id = &org.actor.org_id;
    let scenario = state.store.risk(org_id, id).await?;
    let form = refused.form.unwrap_or_else(|| RiskForm::of(&scenario.fields));
    let (detail, matrix) = detail_of(state, org_id, scenario).await?;
    let risk = &detail.risk;
    let choices = choices(state, org_id, &form, &matrix).await?;
    let threat = risk
        .threat_id
        .as_ref()
        .and_then(|t| choices.threats.iter().find(|(id, _)| id == t))
        .map(|(_, name)| name.clone());
    let marks: Vec<((u8, u8), String)> =
        [(&risk.inherent, "I"), (&risk.current, "C"), (&risk.residual, "R"), (&risk.target, "T")]
            .into_iter()
            .filter_map(|(rating, letter)| rating.as_ref().map(|r| ((r.likelihood, r.impact), letter.to_string())))
            .collect();
    let assets = state.store.list_assets(org_id, &AssetFilter::default(), &PageRequest::first(500)).await?;
    let not_asset = |id: &String| !detail.assets.iter().any(|a| &a.id == id);
    let vulns =
        state.store.list_vulnerabilities(org_id, &VulnerabilityFilter::default(), &PageRequest::first(500)).await?;
    let not_vuln = |id: &String| !detail.vulnerabilities.iter().any(|v| &v.id == id);
    let controls = state.store.list_controls(org_id, None, &PageRequest::first(500)).await?;
    let not_control = |id: &String| !detail.controls.iter().any(|c| &c.id == id);
    let me = &org.actor.user_id;
    let members = state.store.list_members(org_id, &PageRequest::first(500)).await?;
    let approvers: Vec<(String, String)> = members
        .items
        .into_iter()
        .filter(|m| m.role == Role::Admin && &m.user_id != me)
        .map(|m| (m.user_id, m.email))
        .collect();
    let can_edit = org.actor.can(Permission::Edit);
    let acceptances: Vec<AcceptanceView> = detail
        .acceptances
        .into_iter()
        .map(|a| AcceptanceView {
            term: match a.term {
                Some(rampart_domain::risk::AcceptanceTerm::InForce) => "in force",
                Some(rampart_domain::risk::AcceptanceTerm::ExpiringSoon) => "expiring soon",
                Some(rampart_domain::risk::AcceptanceTerm::Expired) => "expired",
                None => "",
            },
            submitted: a.submitted_at[..10].to_string(),
            expires: a.expires_at[..10].to_string(),
            decided: a.decided_at.as_deref().map(|d| d[..10].to_string()).unwrap_or_default(),
            can_decide: a.state == rampart_domain::risk::AcceptanceState::Submitted && &a.approver_id == me,
            can_revoke: a.state == rampart_domain::risk::AcceptanceState::Accepted
                && org.actor.can(Permission::DecideRisk),
            a,
        })
        .collect();
    let open = acceptances.iter().any(|v| {
        v.a.state == rampart_domain::risk::AcceptanceState::Submitted
            || (v.a.state == rampart_domain::risk::AcceptanceState::Accepted && v.term != "expired")
    });
    let latest = state.store.latest_quant_run(org_id, Some(id)).await?;
    let follow_ups = state.store.follow_ups_for(org_id, "risk", id).await?;
    let result = latest.as_ref().and_then(|run| ResultView::of(run, None));
    let fair_yaml = refused.fair_yaml.unwrap_or_else(|| {
        risk.fair_model.as_ref().map(quantify::to_yaml).unwrap_or_else(|| FAIR_TEMPLATE.to_string())
    });
    let shell = Shell::of(state, &org.browser, &risk.name, "risk").await?;
    let status = if refused.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let default_expiry = crate::api::rfc3339(now_ms() + 365 * 86_400_000)[..10].to_string();
    Ok(render(
        status,
        &DetailPage {
            shell,
            notice: notice(notice_code),
            error: refused.error,
            id: risk.id.clone(),
            name: risk.name.clone(),
            owner: risk.owner.clone(),
            description: risk.description.clone(),
            threat,
            treatment: risk.treatment.to_string(),
            chips: vec![
                ("Inherent", chip(&risk.inherent)),
                ("Current", chip(&risk.current)),
                ("Residual", chip(&risk.residual)),
                ("Target", chip(&risk.target)),
            ],
            position_map: matrix_svg(&matrix, "Where this scenario sits", &marks),
            review: match (&risk.review_every_days, &risk.next_review_at) {
                (Some(days), Some(next)) => format!("every {days} days; next by {}", &next[..10]),
                _ => "no cadence set".into(),
            },
            overdue: risk.review_overdue,
            sections: vec![
                LinkSection {
                    title: "Assets",
                    kind: "assets",
                    items: detail
                        .assets
                        .iter()
                        .map(|a| Named { id: a.id.clone(), name: a.name.clone(), detail: a.kind.to_string() })
                        .collect(),
                    options: assets
                        .items
                        .into_iter()
                        .filter(|a| not_asset(&a.id))
                        .map(|a| (a.id, a.fields.name))
                        .collect(),
                },
                LinkSection {
                    title: "Vulnerabilities",
                    kind: "vulnerabilities",
                    items: detail
                        .vulnerabilities
                        .iter()
                        .map(|v| Named {
                            id: v.id.clone(),
                            name: v.title.clone(),
                            detail: v.severity.clone().unwrap_or_else(|| "not scored".into()),
                        })
                        .collect(),
                    options: vulns
                        .items
                        .into_iter()
                        .filter(|v| not_vuln(&v.id))
                        .map(|v| (v.id, v.fields.title))
                        .collect(),
                },
                LinkSection {
                    title: "Treating controls",
                    kind: "controls",
                    items: detail
                        .controls
                        .iter()
                        .map(|c| Named { id: c.id.clone(), name: c.name.clone(), detail: c.status.to_string() })
                        .collect(),
                    options: controls
                        .items
                        .into_iter()
                        .filter(|c| not_control(&c.id))
                        .map(|c| (c.id, c.fields.name))
                        .collect(),
                },
            ],
            acceptances,
            follow_ups,
            can_submit: can_edit && !open && !approvers.is_empty(),
            approvers,
            default_expiry,
            has_fair: risk.fair_model.is_some(),
            fair_yaml,
            run: refused.run.unwrap_or_else(|| RunForm::defaults(state)),
            run_action: format!("/risk/scenarios/{id}/quantify"),
            result,
            can_edit,
            form,
            choices,
        },
    ))
}

pub async fn detail(
    State(state): State<AppState>,
    org: OrgSession,
    Path(id): Path<String>,
    Query(q): Query<NoticeParam>,
) -> Result<Response, PageError> {
    detail_page(&state, &org, &id, q.notice.as_deref(), Refused::default()).await
}

/// After a change on the scenario page: back to it with a notice, or the
/// page again with the reason when the person can fix it there.
async fn finish(
    state: &AppState,
    org: &OrgSession,
    id: &str,
    notice: &str,
    result: Result<(), Problem>,
    refused: impl FnOnce(String) -> Refused,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/risk/scenarios/{id}?notice={notice}")).into_response()),
        Err(p) if p.fixable_on_page() => detail_page(state, org, id, None, refused(p.detail)).await,
        Err(p) => Err(PageError(p)),
    }
}

fn just_error(error: String) -> Refused {
    Refused { error: Some(error), ..Refused::default() }
}

pub async fn update(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<RiskForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "change risk scenarios")?;
    let result = async {
        let matrix = state.store.risk_settings(&org.actor.org_id).await?.matrix;
        let fields = form.form.fields(&matrix)?;
        state.store.update_risk(&change_context(&org, &rid), &org.actor.org_id, &id, fields).await?;
        Ok(())
    }
    .await;
    let typed = form.form;
    finish(&state, &org, &id, "saved", result, |e| Refused { error: Some(e), form: Some(typed), ..Refused::default() })
        .await
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "delete risk scenarios")?;
    state.store.delete_risk(&change_context(&org, &rid), &org.actor.org_id, &id).await?;
    Ok(Redirect::to("/risk/scenarios?notice=deleted").into_response())
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    other_id: String,
}

pub async fn link(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path((id, kind)): Path<(String, String)>,
    form: CsrfForm<LinkForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "change what a scenario concerns")?;
    let link = link_kind(&kind)?;
    let result = state
        .store
        .link_risk(&change_context(&org, &rid), &org.actor.org_id, &id, link, &form.form.other_id)
        .await
        .map_err(Problem::from);
    finish(&state, &org, &id, "linked", result, just_error).await
}

pub async fn unlink(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path((id, kind, other)): Path<(String, String, String)>,
    form: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "change what a scenario concerns")?;
    let link = link_kind(&kind)?;
    state.store.unlink_risk(&change_context(&org, &rid), &org.actor.org_id, &id, link, &other).await?;
    Ok(Redirect::to(&format!("/risk/scenarios/{id}?notice=unlinked")).into_response())
}

pub async fn review(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "review risk scenarios")?;
    state.store.review_risk(&change_context(&org, &rid), &org.actor.org_id, &id).await?;
    Ok(Redirect::to(&format!("/risk/scenarios/{id}?notice=reviewed")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct AcceptanceForm {
    #[serde(default)]
    justification: String,
    #[serde(default)]
    approver_id: String,
    #[serde(default)]
    expires_at: String,
    #[serde(default)]
    remind_days: String,
}

pub async fn submit_acceptance(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<AcceptanceForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "submit risks for acceptance")?;
    let f = form.form;
    let result = async {
        let remind_days = match f.remind_days.trim() {
            "" => None,
            days => Some(days.parse::<u32>().map_err(|_| Invalid::new("remind_days", "must be a number of days"))?),
        };
        let body = AcceptanceBody {
            justification: f.justification,
            approver_id: f.approver_id,
            expires_at: f.expires_at,
            remind_days,
        };
        let ctx = change_context(&org, &rid);
        state.store.submit_acceptance(&ctx, &org.actor.org_id, &id, &org.actor.user_id, body.request()?).await?;
        Ok(())
    }
    .await;
    finish(&state, &org, &id, "submitted", result, just_error).await
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    note: String,
}

pub async fn decide_acceptance(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path((id, acceptance)): Path<(String, String)>,
    form: CsrfForm<DecisionForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::DecideRisk, "decide risk acceptances")?;
    let result = async {
        let decision = Decision::parse(&form.form.decision)?;
        let a = state.store.acceptance(&org.actor.org_id, &acceptance).await?;
        if a.scenario_id != id {
            return Err(Problem::not_found());
        }
        let ctx = change_context(&org, &rid);
        state
            .store
            .decide_acceptance(
                &ctx,
                &org.actor.org_id,
                &acceptance,
                &org.actor.user_id,
                true,
                decision,
                &form.form.note,
            )
            .await?;
        Ok(())
    }
    .await;
    finish(&state, &org, &id, "decided", result, just_error).await
}

#[derive(Debug, Deserialize)]
pub struct FairForm {
    #[serde(default)]
    fair_model: String,
}

pub async fn set_fair_model(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<FairForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "set FAIR estimates")?;
    let text = form.form.fair_model;
    let result = async {
        let ctx = change_context(&org, &rid);
        if text.trim().is_empty() {
            state.store.set_fair_model(&ctx, &org.actor.org_id, &id, None).await?;
            return Ok("fair-removed");
        }
        let model = quantify::from_yaml(&text)?;
        state.store.set_fair_model(&ctx, &org.actor.org_id, &id, Some(&model)).await?;
        Ok("fair-saved")
    }
    .await;
    let notice = *result.as_ref().unwrap_or(&"fair-saved");
    finish(&state, &org, &id, notice, result.map(|_| ()), |e| Refused {
        error: Some(e),
        fair_yaml: Some(text),
        ..Refused::default()
    })
    .await
}

pub async fn quantify_scenario(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<RunForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "quantify risk scenarios")?;
    let run = form.form;
    let result = async {
        let options = run.options()?;
        quantify::scenario(&state.store, &state.quant, &change_context(&org, &rid), &org.actor.org_id, &id, &options)
            .await?;
        Ok(())
    }
    .await;
    finish(&state, &org, &id, "quantified", result, |e| Refused {
        error: Some(e),
        run: Some(run),
        ..Refused::default()
    })
    .await
}
