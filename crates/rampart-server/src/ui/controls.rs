//! The applied controls pages: the organisation's measures and the risk
//! scenarios each one treats.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::Permission;
use rampart_domain::control::{ControlFields, ControlStatus, Effort};
use serde::Deserialize;

use super::quant::amount;
use super::{CsrfForm, NoFields, NoticeParam, PageError, Shell, change_context, org_session, render};
use crate::AppState;
use crate::api::controls::ControlQuery;
use crate::auth::{OrgSession, urlencode};
use crate::error::Problem;
use crate::middleware::RequestId;

/// The control form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ControlForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    eta: String,
    #[serde(default)]
    effort: String,
    #[serde(default)]
    annual_cost: String,
}

impl ControlForm {
    fn of(f: &ControlFields) -> Self {
        Self {
            name: f.name.clone(),
            description: f.description.clone(),
            status: f.status.to_string(),
            owner: f.owner.clone(),
            eta: f.eta.clone().unwrap_or_default(),
            effort: f.effort.map(|e| e.to_string()).unwrap_or_default(),
            annual_cost: f.annual_cost.map(|c| c.to_string()).unwrap_or_default(),
        }
    }

    fn fields(&self) -> Result<ControlFields, Problem> {
        let cost = self.annual_cost.trim().replace([',', '_', ' '], "");
        let annual_cost = if cost.is_empty() {
            None
        } else {
            Some(
                cost.parse::<i64>()
                    .map_err(|_| rampart_domain::Invalid::new("annual_cost", "must be a whole amount such as 12000"))?,
            )
        };
        Ok(ControlFields::parse(
            &self.name,
            &self.description,
            &self.status,
            &self.owner,
            &self.eta,
            &self.effort,
            annual_cost,
        )?)
    }
}

fn statuses() -> Vec<String> {
    ControlStatus::ALL.iter().map(|s| s.to_string()).collect()
}

fn efforts() -> Vec<String> {
    Effort::ALL.iter().map(|e| e.to_string()).collect()
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "created" => "The control was recorded.",
        "saved" => "The control was saved.",
        "deleted" => "The control was deleted.",
        _ => return None,
    })
}

struct Row {
    id: String,
    name: String,
    status: String,
    owner: String,
    eta: String,
    effort: String,
    cost: String,
}

#[derive(Template)]
#[template(path = "controls.html")]
struct ListPage {
    shell: Shell,
    risk_tab: &'static str,
    org_name: String,
    notice: Option<&'static str>,
    error: Option<String>,
    rows: Vec<Row>,
    next: Option<String>,
    q_status: String,
    statuses: Vec<String>,
    efforts: Vec<String>,
    can_edit: bool,
    form: ControlForm,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    status: Option<String>,
    after: Option<String>,
    notice: Option<String>,
}

async fn list_page(
    state: &AppState,
    org: &OrgSession,
    params: &ListParams,
    error: Option<String>,
    form: ControlForm,
) -> Result<Response, PageError> {
    let query = ControlQuery { status: params.status.clone(), limit: Some(100), after: params.after.clone() };
    let page = state.store.list_controls(&org.actor.org_id, query.status().unwrap_or_default(), &query.page()?).await?;
    let shell = Shell::of(state, &org.browser, "Applied controls", "risk").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &ListPage {
            shell,
            risk_tab: "controls",
            org_name: org.actor.org_name.clone(),
            notice: notice(params.notice.as_deref()),
            error,
            rows: page
                .items
                .into_iter()
                .map(|c| Row {
                    status: c.fields.status.to_string(),
                    owner: c.fields.owner.clone(),
                    eta: c.fields.eta.clone().unwrap_or_default(),
                    effort: c.fields.effort.map(|e| e.to_string().to_uppercase()).unwrap_or_default(),
                    cost: c.fields.annual_cost.map(|c| amount(c as f64)).unwrap_or_default(),
                    name: c.fields.name,
                    id: c.id,
                })
                .collect(),
            next: page.next.map(|n| urlencode(&n)),
            q_status: params.status.clone().unwrap_or_default(),
            statuses: statuses(),
            efforts: efforts(),
            can_edit: org.actor.can(Permission::Edit),
            form,
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    org: OrgSession,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let blank = ControlForm { status: "to-do".into(), ..ControlForm::default() };
    list_page(&state, &org, &params, None, blank).await
}

pub async fn create(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<ControlForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "record applied controls")?;
    let result = async {
        let fields = form.form.fields()?;
        state.store.create_control(&change_context(&org, &rid), &org.actor.org_id, fields).await.map_err(Problem::from)
    }
    .await;
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/risk/controls/{}?notice=created", c.id)).into_response()),
        Err(p) if p.status < 500 => list_page(&state, &org, &ListParams::default(), Some(p.detail), form.form).await,
        Err(p) => Err(PageError(p)),
    }
}

#[derive(Template)]
#[template(path = "control.html")]
struct DetailPage {
    shell: Shell,
    notice: Option<&'static str>,
    error: Option<String>,
    id: String,
    name: String,
    cost: String,
    scenarios: Vec<(String, String)>,
    follow_ups: Vec<rampart_store::FollowUp>,
    statuses: Vec<String>,
    efforts: Vec<String>,
    can_edit: bool,
    form: ControlForm,
}

async fn detail_page(
    state: &AppState,
    org: &OrgSession,
    id: &str,
    notice_code: Option<&str>,
    error: Option<String>,
    form: Option<ControlForm>,
) -> Result<Response, PageError> {
    let c = state.store.control(&org.actor.org_id, id).await?;
    let scenarios = state.store.control_scenarios(&org.actor.org_id, id).await?;
    let follow_ups = state.store.follow_ups_for(&org.actor.org_id, "control", id).await?;
    let shell = Shell::of(state, &org.browser, &c.fields.name, "risk").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &DetailPage {
            shell,
            notice: notice(notice_code),
            error,
            id: c.id.clone(),
            name: c.fields.name.clone(),
            cost: c.fields.annual_cost.map(|v| amount(v as f64)).unwrap_or_else(|| "—".into()),
            scenarios,
            follow_ups,
            statuses: statuses(),
            efforts: efforts(),
            can_edit: org.actor.can(Permission::Edit),
            form: form.unwrap_or_else(|| ControlForm::of(&c.fields)),
        },
    ))
}

pub async fn detail(
    State(state): State<AppState>,
    org: OrgSession,
    Path(id): Path<String>,
    Query(q): Query<NoticeParam>,
) -> Result<Response, PageError> {
    detail_page(&state, &org, &id, q.notice.as_deref(), None, None).await
}

pub async fn update(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<ControlForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "change applied controls")?;
    let result = async {
        let fields = form.form.fields()?;
        state
            .store
            .update_control(&change_context(&org, &rid), &org.actor.org_id, &id, fields)
            .await
            .map_err(Problem::from)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/risk/controls/{id}?notice=saved")).into_response()),
        Err(p) if p.fixable_on_page() => detail_page(&state, &org, &id, None, Some(p.detail), Some(form.form)).await,
        Err(p) => Err(PageError(p)),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "delete applied controls")?;
    state.store.delete_control(&change_context(&org, &rid), &org.actor.org_id, &id).await?;
    Ok(Redirect::to("/risk/controls?notice=deleted").into_response())
}
