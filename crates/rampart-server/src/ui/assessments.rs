//! The assessment pages: the list with a form to start one, and the
//! workspace where requirements are answered one by one or in bulk, with
//! scores, charts, the trend and the improvement actions.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::assessment::{AssessmentRole, AssessmentStatus, ResultKind, RollUp};
use rampart_domain::{Permission, Role};
use rampart_store::{Assessment, AssessmentFilter, AssessmentPerson, ControlLink, Framework, Workspace};
use serde::Deserialize;

use super::{CsrfForm, NoFields, PageError, Shell, change_context, display_time, org_session, render};
use crate::AppState;
use crate::api::assessments::{AnswerBody, AssessmentBody, PeopleBody, answer, move_status};
use crate::auth::{OrgSession, urlencode};
use crate::error::Problem;
use crate::middleware::RequestId;

/// A form whose fields may repeat (checkboxes), read as pairs.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    pub fn get(&self, key: &str) -> String {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    pub fn all(&self, key: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).filter(|v| !v.is_empty()).collect()
    }

    fn number(&self, key: &str) -> Result<Option<i32>, Problem> {
        let text = self.get(key);
        if text.trim().is_empty() {
            return Ok(None);
        }
        text.trim()
            .parse()
            .map(Some)
            .map_err(|_| Problem::invalid(rampart_domain::Invalid::new(key, "must be a whole number")))
    }
}

fn percent(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.0} %")).unwrap_or_else(|| "n/a".to_string())
}

fn maturity(v: Option<f64>) -> String {
    v.map(|m| format!("{m:.1}")).unwrap_or_else(|| "n/a".to_string())
}

struct ListRow {
    id: String,
    name: String,
    framework: String,
    status: &'static str,
    due: String,
    compliance: String,
    progress: String,
}

#[derive(Template)]
#[template(path = "assessments.html")]
struct AssessmentsPage {
    shell: Shell,
    assess_tab: &'static str,
    org_name: String,
    notice: Option<&'static str>,
    error: Option<String>,
    rows: Vec<ListRow>,
    next: Option<String>,
    frameworks: Vec<Framework>,
    statuses: Vec<&'static str>,
    q_status: String,
    can_edit: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    status: Option<String>,
    after: Option<String>,
    notice: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "created" => "The assessment was started; answer its requirements below.",
        "saved" => "Saved.",
        "moved" => "The assessment moved on.",
        "people" => "The assessors and reviewers were named.",
        "deleted" => "The assessment was deleted.",
        "linked" => "The control was linked.",
        "unlinked" => "The control was unlinked.",
        "evidence" => "The evidence was added.",
        "evidence-removed" => "The evidence was removed.",
        _ => return None,
    })
}

async fn list_page(
    state: &AppState,
    org: &OrgSession,
    params: &ListParams,
    error: Option<String>,
) -> Result<Response, PageError> {
    let org_id = &org.actor.org_id;
    let status = params.status.as_deref().filter(|s| !s.is_empty()).map(AssessmentStatus::parse).transpose()?;
    let page = rampart_domain::PageRequest::new(Some(100), params.after.clone().filter(|a| !a.is_empty()))?;
    let listed = state.store.list_assessments(org_id, &AssessmentFilter { framework_id: None, status }, &page).await?;
    let frameworks = state.store.list_frameworks(org_id, &rampart_domain::PageRequest::first(500)).await?.items;
    let code = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        code,
        &AssessmentsPage {
            shell: Shell::of(state, &org.browser, "Assessments", "assess").await?,
            assess_tab: "assessments",
            org_name: org.actor.org_name.clone(),
            notice: notice(params.notice.as_deref()),
            error,
            rows: listed
                .items
                .into_iter()
                .map(|a| ListRow {
                    compliance: percent(a.summary.compliance),
                    progress: percent(a.summary.progress),
                    due: a.fields.due_date.clone().unwrap_or_default(),
                    status: a.status.as_str(),
                    framework: a.framework_name,
                    name: a.fields.name,
                    id: a.id,
                })
                .collect(),
            next: listed.next.map(|n| urlencode(&n)),
            frameworks,
            statuses: AssessmentStatus::ALL.iter().map(|s| s.as_str()).collect(),
            q_status: params.status.clone().unwrap_or_default(),
            can_edit: org.actor.can(Permission::Edit),
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

/// The fields of the start and settings forms as an API body.
fn body_of(form: &Pairs) -> AssessmentBody {
    let optional = |key: &str| Some(Some(form.get(key)).filter(|v| !v.trim().is_empty()));
    AssessmentBody {
        framework_id: Some(form.get("framework_id")).filter(|f| !f.is_empty()),
        name: Some(form.get("name")),
        description: Some(form.get("description")),
        scope_asset_id: optional("scope_asset_id"),
        groups: Some(form.all("groups")),
        roll_up: Some(form.get("roll_up")),
        due_date: optional("due_date"),
    }
}

pub async fn create(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "start assessments")?;
    let body = body_of(&form.form);
    let result = async {
        let framework_id = body.framework_id.clone().ok_or_else(|| {
            Problem::invalid(rampart_domain::Invalid::new(
                "framework_id",
                "choose a framework (load one under Frameworks first)",
            ))
        })?;
        let fields = body.merged(&state, &org.actor.org_id, &framework_id, None).await?;
        Ok::<_, Problem>(
            state
                .store
                .create_assessment(&change_context(&org, &rid), &org.actor.org_id, &framework_id, fields)
                .await?,
        )
    }
    .await;
    match result {
        Ok(a) => Ok(Redirect::to(&format!("/assessments/{}?notice=created", a.id)).into_response()),
        Err(p) if p.fixable_on_page() => list_page(&state, &org, &ListParams::default(), Some(p.detail)).await,
        Err(p) => Err(PageError(p)),
    }
}

/// One node of the workspace as the page shows it.
struct Row {
    node_id: String,
    ref_id: String,
    title: String,
    statement: String,
    guidance: String,
    depth: u32,
    counted: bool,
    context_only: bool,
    result: &'static str,
    result_label: &'static str,
    score: Option<i32>,
    target: Option<i32>,
    observation: String,
    justification: String,
    owner: String,
    compliance: String,
    controls: Vec<ControlLink>,
    weight: u32,
    inferred: Option<InferredView>,
    evidence: Vec<EvidenceView>,
}

/// A piece of evidence as a row shows it.
struct EvidenceView {
    id: String,
    name: String,
    url: Option<String>,
    size: String,
    expires_on: String,
    expired: bool,
}

/// A result taken through a mapping, as the workspace shows it.
struct InferredView {
    result: &'static str,
    label: &'static str,
    source: String,
    note: String,
}

impl InferredView {
    fn of(x: &rampart_store::Inferred) -> InferredView {
        let source = format!(
            "{} {} in {} ({}, strength {})",
            x.from_framework,
            x.from_ref_id,
            x.from_assessment,
            x.relationship.as_str(),
            x.strength
        );
        InferredView {
            result: x.result.as_str(),
            label: x.result.label(),
            note: format!("Taken from {source}."),
            source,
        }
    }
}

struct Improvement {
    node_id: String,
    ref_id: String,
    title: String,
    points: String,
    effort: String,
}

#[derive(Template)]
#[template(path = "assessment.html")]
struct WorkspacePage {
    shell: Shell,
    assess_tab: &'static str,
    notice: Option<&'static str>,
    error: Option<String>,
    a: Assessment,
    framework: Framework,
    status: &'static str,
    compliance: String,
    compliance_inferred: Option<String>,
    inferred_count: usize,
    maturity: String,
    points: String,
    progress: String,
    results: [u32; 5],
    headings_svg: String,
    categories_svg: Option<String>,
    trend_svg: String,
    rows: Vec<Row>,
    shown: usize,
    improvements: Vec<Improvement>,
    people: Vec<AssessmentPerson>,
    members: Vec<(String, String)>,
    controls: Vec<(String, String)>,
    assets: Vec<(String, String)>,
    next_statuses: Vec<&'static str>,
    can_answer: bool,
    can_edit: bool,
    result_kinds: Vec<(&'static str, &'static str)>,
    q: String,
    q_result: String,
    q_group: String,
    q_owner: String,
    return_query: String,
    roll_ups: Vec<(&'static str, &'static str)>,
    updated: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct WorkspaceParams {
    q: Option<String>,
    result: Option<String>,
    group: Option<String>,
    owner: Option<String>,
    notice: Option<String>,
}

impl WorkspaceParams {
    fn query(&self) -> String {
        serde_urlencoded::to_string([
            ("q", self.q.clone().unwrap_or_default()),
            ("result", self.result.clone().unwrap_or_default()),
            ("group", self.group.clone().unwrap_or_default()),
            ("owner", self.owner.clone().unwrap_or_default()),
        ])
        .unwrap_or_default()
    }

    fn from_query(text: &str) -> WorkspaceParams {
        serde_urlencoded::from_str(text).unwrap_or_default()
    }

    fn is_empty(&self) -> bool {
        [&self.q, &self.result, &self.group, &self.owner].iter().all(|v| v.as_deref().unwrap_or("").trim().is_empty())
    }
}

/// Whether the actor may decide on a review: a named reviewer, or an admin when none is named.
fn may_review(org: &OrgSession, people: &[AssessmentPerson]) -> bool {
    let reviewers: Vec<&str> =
        people.iter().filter(|p| p.role == AssessmentRole::Reviewer).map(|p| p.user_id.as_str()).collect();
    if reviewers.is_empty() { org.actor.role == Role::Admin } else { reviewers.contains(&org.actor.user_id.as_str()) }
}

fn rows_of(w: &Workspace, params: &WorkspaceParams, today: &str) -> (Vec<Row>, usize) {
    let words: Vec<String> = params
        .q
        .as_deref()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect::<String>()
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let want_result = params.result.as_deref().filter(|r| !r.is_empty());
    let want_group = params.group.as_deref().filter(|g| !g.is_empty());
    let want_owner = params.owner.as_deref().map(str::trim).filter(|o| !o.is_empty()).map(str::to_lowercase);
    let matched: Vec<bool> = (0..w.nodes.len())
        .map(|i| {
            if params.is_empty() {
                return true;
            }
            if !w.in_scope[i] {
                return false;
            }
            let r = &w.nodes[i].requirement;
            let answer = w.results[i].as_ref();
            let result = answer.map_or(ResultKind::NotAssessed, |a| a.fields.result);
            let owner = answer.map(|a| a.fields.owner.to_lowercase()).unwrap_or_default();
            let text = [&r.ref_id, &r.title, &r.statement].map(|t| t.to_lowercase());
            want_result.is_none_or(|x| x == result.as_str())
                && want_group.is_none_or(|g| r.groups.iter().any(|x| x == g))
                && want_owner.as_deref().is_none_or(|o| owner.contains(o))
                && words.iter().all(|word| text.iter().any(|t| t.contains(word.as_str())))
        })
        .collect();
    let shown = super::tree::with_ancestors(&super::tree::parent_indices(&w.nodes), &matched);
    let count = (0..w.nodes.len()).filter(|&i| matched[i] && w.in_scope[i]).count();
    let rows = (0..w.nodes.len())
        .filter(|&i| shown[i] && !(w.nodes[i].requirement.withdrawn && w.results[i].is_none()))
        .map(|i| {
            let n = &w.nodes[i];
            let answer = w.results[i].as_ref();
            let result = answer.map_or(ResultKind::NotAssessed, |a| a.fields.result);
            Row {
                node_id: n.id.clone(),
                ref_id: n.requirement.ref_id.clone(),
                title: n.requirement.title.clone(),
                statement: n.requirement.statement.clone(),
                guidance: n.requirement.guidance.clone(),
                depth: n.depth,
                counted: w.in_scope[i],
                context_only: !matched[i],
                result: result.as_str(),
                result_label: result.label(),
                score: answer.and_then(|a| a.fields.score),
                target: answer.and_then(|a| a.fields.target),
                observation: answer.map(|a| a.fields.observation.clone()).unwrap_or_default(),
                justification: answer.map(|a| a.fields.justification.clone()).unwrap_or_default(),
                owner: answer.map(|a| a.fields.owner.clone()).unwrap_or_default(),
                compliance: percent(w.scorecard.nodes[i].compliance),
                controls: answer.map(|a| a.controls.clone()).unwrap_or_default(),
                weight: n.requirement.weight,
                inferred: w.inferred[i].as_ref().map(InferredView::of),
                evidence: answer
                    .map(|a| {
                        a.evidence
                            .iter()
                            .map(|e| EvidenceView {
                                id: e.id.clone(),
                                name: e.fields.name.clone(),
                                url: e.fields.url.clone(),
                                size: e.fields.size.map(|s| format!("{:.1} kB", s as f64 / 1000.0)).unwrap_or_default(),
                                expires_on: e.fields.expires_on.clone().unwrap_or_default(),
                                expired: e.expired(today),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    (rows, count)
}

/// Compliance of the second level of the tree (CSF categories, 27032 control
/// topics), when there is one of a size a chart can hold.
fn categories_svg(w: &Workspace) -> Option<String> {
    let categories: Vec<rampart_store::HeadingScore> = (0..w.nodes.len())
        .filter(|&i| w.nodes[i].depth == 1 && w.scorecard.nodes[i].requirements() > 0 && !w.in_scope[i])
        .map(|i| rampart_store::HeadingScore {
            ref_id: w.nodes[i].requirement.ref_id.clone(),
            title: w.nodes[i].requirement.title.clone(),
            compliance: w.scorecard.nodes[i].compliance,
            maturity: w.scorecard.nodes[i].maturity,
        })
        .collect();
    (2..=60)
        .contains(&categories.len())
        .then(|| super::score_chart::headings_svg(&categories, "Compliance by category"))
}

async fn workspace_page(
    state: &AppState,
    org: &OrgSession,
    id: &str,
    params: &WorkspaceParams,
    error: Option<String>,
) -> Result<Response, PageError> {
    let org_id = &org.actor.org_id;
    let w = state.store.workspace(org_id, id).await?;
    let people = state.store.assessment_people(org_id, id).await?;
    let snapshots = state.store.assessment_snapshots(org_id, id).await?;
    let members = state.store.list_members(org_id, &rampart_domain::PageRequest::first(500)).await?.items;
    let controls = state.store.list_controls(org_id, None, &rampart_domain::PageRequest::first(500)).await?.items;
    let assets =
        state.store.list_assets(org_id, &Default::default(), &rampart_domain::PageRequest::first(500)).await?.items;
    let today: String = display_time(rampart_store::now_ms()).chars().take(10).collect();
    let (rows, shown) = rows_of(&w, params, &today);
    let improvements = w
        .improvements
        .iter()
        .take(10)
        .map(|i| Improvement {
            node_id: w.nodes[i.node].id.clone(),
            ref_id: w.nodes[i.node].requirement.ref_id.clone(),
            title: w.nodes[i.node].requirement.title.clone(),
            points: format!("{:.1}", i.points_gained),
            effort: format!("{:.0}", i.effort),
        })
        .collect();
    let a = w.assessment.clone();
    let o = &w.scorecard.overall;
    let open = a.status.accepts_changes();
    let can_edit = org.actor.can(Permission::Edit) && open;
    let next_statuses = a
        .status
        .next()
        .iter()
        .filter(|_| if a.status == AssessmentStatus::InReview { may_review(org, &people) } else { can_edit })
        .map(|s| s.as_str())
        .collect();
    let code = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        code,
        &WorkspacePage {
            shell: Shell::of(state, &org.browser, &a.fields.name, "assess").await?,
            assess_tab: "assessments",
            notice: notice(params.notice.as_deref()),
            error,
            status: a.status.as_str(),
            compliance: percent(o.compliance),
            inferred_count: w.inferred.iter().flatten().count(),
            compliance_inferred: w.inferred.iter().any(Option::is_some).then(|| percent(w.with_inferred.compliance)),
            maturity: maturity(o.maturity),
            points: format!("{:.1} of {:.0}", o.points_earned, o.points_possible),
            progress: percent(o.progress()),
            results: o.results,
            headings_svg: super::score_chart::headings_svg(&a.summary.headings, "Compliance by section"),
            categories_svg: categories_svg(&w),
            trend_svg: super::score_chart::trend_svg(&snapshots, "Compliance over time"),
            rows,
            shown,
            improvements,
            people,
            members: members.into_iter().map(|m| (m.user_id, m.email)).collect(),
            controls: controls.into_iter().map(|c| (c.id, c.fields.name)).collect(),
            assets: assets.into_iter().map(|s| (s.id, s.fields.name)).collect(),
            next_statuses,
            can_answer: can_edit,
            can_edit,
            result_kinds: ResultKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
            q: params.q.clone().unwrap_or_default(),
            q_result: params.result.clone().unwrap_or_default(),
            q_group: params.group.clone().unwrap_or_default(),
            q_owner: params.owner.clone().unwrap_or_default(),
            return_query: params.query(),
            roll_ups: ROLL_UPS.iter().map(|(r, label)| (r.as_str(), *label)).collect(),
            updated: display_time(a.updated_at),
            framework: w.framework,
            a,
        },
    ))
}

pub async fn detail(
    State(state): State<AppState>,
    org: OrgSession,
    Path(id): Path<String>,
    Query(params): Query<WorkspaceParams>,
) -> Result<Response, PageError> {
    workspace_page(&state, &org, &id, &params, None).await
}

/// Where a form returns to: the workspace with the filters it was sent from.
fn back(id: &str, form: &Pairs, notice: &str, anchor: Option<&str>) -> Response {
    let filters = WorkspaceParams::from_query(&form.get("return")).query();
    let anchor = anchor.map(|a| format!("#r-{a}")).unwrap_or_default();
    Redirect::to(&format!("/assessments/{id}?{filters}&notice={notice}{anchor}")).into_response()
}

async fn or_page(
    state: &AppState,
    org: &OrgSession,
    id: &str,
    form: &Pairs,
    outcome: Result<Response, Problem>,
) -> Result<Response, PageError> {
    match outcome {
        Ok(r) => Ok(r),
        Err(p) if p.fixable_on_page() => {
            workspace_page(state, org, id, &WorkspaceParams::from_query(&form.get("return")), Some(p.detail)).await
        }
        Err(p) => Err(PageError(p)),
    }
}

/// Answers one requirement, or every checked one (bulk).
pub async fn save_answer(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "answer assessments")?;
    let f = form.form;
    let outcome = async {
        let node_ids = f.all("node_ids");
        if node_ids.is_empty() {
            return Err(Problem::invalid(rampart_domain::Invalid::new("node_ids", "tick at least one requirement")));
        }
        let body = AnswerBody {
            result: f.get("result"),
            score: f.number("score")?,
            target: f.number("target")?,
            observation: f.get("observation"),
            justification: f.get("justification"),
            owner: f.get("owner"),
            node_ids: node_ids.clone(),
        };
        answer(&state, &change_context(&org, &rid), &org.actor.org_id, &id, body).await?;
        let anchor = if node_ids.len() == 1 { Some(node_ids[0].as_str()) } else { None };
        Ok(back(&id, &f, "saved", anchor))
    }
    .await;
    or_page(&state, &org, &id, &f, outcome).await
}

pub async fn change_status(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    let f = form.form;
    let outcome = move_status(&state, &change_context(&org, &rid), &org.actor, &id, &f.get("status"))
        .await
        .map(|_| back(&id, &f, "moved", None));
    or_page(&state, &org, &id, &f, outcome).await
}

pub async fn save_settings(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "change assessments")?;
    let f = form.form;
    let outcome = async {
        let current = state.store.assessment(&org.actor.org_id, &id).await?;
        let mut body = body_of(&f);
        body.framework_id = None;
        let fields = body.merged(&state, &org.actor.org_id, &current.framework_id, Some(&current.fields)).await?;
        state.store.update_assessment(&change_context(&org, &rid), &org.actor.org_id, &id, fields).await?;
        Ok(back(&id, &f, "saved", None))
    }
    .await;
    or_page(&state, &org, &id, &f, outcome).await
}

pub async fn save_people(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "name assessors and reviewers")?;
    let f = form.form;
    let people = PeopleBody { assessors: f.all("assessors"), reviewers: f.all("reviewers") };
    let outcome = state
        .store
        .set_assessment_people(&change_context(&org, &rid), &org.actor.org_id, &id, &people.named())
        .await
        .map(|_| back(&id, &f, "people", None))
        .map_err(Problem::from);
    or_page(&state, &org, &id, &f, outcome).await
}

pub async fn link_control(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "link controls to requirements")?;
    let f = form.form;
    let (node, control) = (f.get("node_id"), f.get("control_id"));
    let ctx = change_context(&org, &rid);
    let outcome = if f.get("remove").is_empty() {
        state.store.link_result_control(&ctx, &org.actor.org_id, &id, &node, &control).await.map(|_| "linked")
    } else {
        state.store.unlink_result_control(&ctx, &org.actor.org_id, &id, &node, &control).await.map(|_| "unlinked")
    };
    let outcome = outcome.map(|code| back(&id, &f, code, Some(&node))).map_err(Problem::from);
    or_page(&state, &org, &id, &f, outcome).await
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "delete assessments")?;
    state.store.delete_assessment(&change_context(&org, &rid), &org.actor.org_id, &id).await?;
    Ok(Redirect::to("/assessments?notice=deleted").into_response())
}

/// The roll-up methods as (value, label) for the settings form.
const ROLL_UPS: [(RollUp, &str); 2] =
    [(RollUp::Weighted, "weighted by requirement"), (RollUp::AverageOfAverages, "average of averages")];

/// Evidence from the workspace: a file (multipart form) or a link. The CSRF
/// token is checked before anything is stored.
pub async fn add_evidence(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    browser: crate::auth::BrowserSession,
    multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let Some(org) = org_session(browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "add evidence")?;
    let (form, file) = super::read_upload(&org, multipart).await?;
    let node = form.get("node_id");
    let ctx = change_context(&org, &rid);
    let outcome = async {
        match file {
            Some(super::Upload { name, content_type, bytes }) => {
                let name = if form.get("name").trim().is_empty() { name } else { form.get("name") };
                crate::api::evidence::add_file(
                    &state,
                    &ctx,
                    &org.actor.org_id,
                    (&id, &node),
                    (&name, &content_type, &form.get("expires_on")),
                    &bytes,
                )
                .await?;
            }
            None => {
                let fields = rampart_domain::assessment::EvidenceFields::link(
                    &form.get("name"),
                    &form.get("url"),
                    &form.get("expires_on"),
                )?;
                state.store.add_evidence(&ctx, &org.actor.org_id, &id, &node, fields).await?;
            }
        }
        Ok::<_, Problem>(back(&id, &form, "evidence", Some(&node)))
    }
    .await;
    or_page(&state, &org, &id, &form, outcome).await
}

pub async fn download_evidence(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    org: OrgSession,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    Ok(crate::api::evidence::file_response(&state, &change_context(&org, &rid), &org.actor.org_id, &id).await?)
}

pub async fn delete_evidence(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "remove evidence")?;
    let e = state.store.evidence(&org.actor.org_id, &id).await?;
    state.store.delete_evidence(&change_context(&org, &rid), &org.actor.org_id, &id).await?;
    Ok(back(&e.assessment_id, &form.form, "evidence-removed", Some(&e.node_id)))
}
