//! The vulnerability pages of the risk register.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::vulnerability::{VulnerabilityFields, VulnerabilityStatus};
use rampart_domain::{PageRequest, Permission};
use rampart_store::{AssetFilter, AssetLink};
use serde::Deserialize;

use super::{CsrfForm, NoFields, NoticeParam, PageError, Shell, change_context, org_session, render};
use crate::AppState;
use crate::api::vulnerabilities::VulnerabilityQuery;
use crate::auth::{OrgSession, urlencode};
use crate::error::Problem;
use crate::middleware::RequestId;

/// The form as typed, so a refused form comes back as it was.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VulnerabilityForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    cve_id: String,
    #[serde(default)]
    cvss_vector: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    description: String,
}

impl VulnerabilityForm {
    fn of(f: &VulnerabilityFields) -> Self {
        Self {
            title: f.title.clone(),
            cve_id: f.cve_id.clone().unwrap_or_default(),
            cvss_vector: f.cvss_vector.clone().unwrap_or_default(),
            status: f.status.to_string(),
            description: f.description.clone(),
        }
    }

    fn fields(&self) -> Result<VulnerabilityFields, Problem> {
        Ok(VulnerabilityFields::parse(&self.title, &self.cve_id, &self.description, &self.cvss_vector, &self.status)?)
    }
}

fn statuses() -> Vec<String> {
    VulnerabilityStatus::ALL.iter().map(|s| s.to_string()).collect()
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "created" => "The vulnerability was recorded.",
        "saved" => "The vulnerability was saved.",
        "deleted" => "The vulnerability was deleted.",
        "linked" => "The affected asset was added.",
        "unlinked" => "The affected asset was removed.",
        _ => return None,
    })
}

fn score_text(score: Option<f64>) -> String {
    score.map(|s| format!("{s:.1}")).unwrap_or_else(|| "—".into())
}

struct Row {
    id: String,
    title: String,
    cve_id: String,
    score: String,
    severity: String,
    status: String,
}

#[derive(Template)]
#[template(path = "vulnerabilities.html")]
struct ListPage {
    shell: Shell,
    risk_tab: &'static str,
    org_name: String,
    notice: Option<&'static str>,
    error: Option<String>,
    rows: Vec<Row>,
    next: Option<String>,
    filter_query: String,
    q_status: String,
    q_severity: String,
    statuses: Vec<String>,
    severities: Vec<String>,
    can_edit: bool,
    form: VulnerabilityForm,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    status: Option<String>,
    severity: Option<String>,
    after: Option<String>,
    notice: Option<String>,
}

async fn list_page(
    state: &AppState,
    org: &OrgSession,
    params: &ListParams,
    error: Option<String>,
    form: VulnerabilityForm,
) -> Result<Response, PageError> {
    let query = VulnerabilityQuery {
        status: params.status.clone(),
        severity: params.severity.clone(),
        limit: Some(100),
        after: params.after.clone(),
    };
    let filter = query.filter().unwrap_or_default();
    let page = state.store.list_vulnerabilities(&org.actor.org_id, &filter, &query.page()?).await?;
    let filter_query = serde_urlencoded::to_string([
        ("status", params.status.clone().unwrap_or_default()),
        ("severity", params.severity.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    let shell = Shell::of(state, &org.browser, "Vulnerabilities", "risk").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &ListPage {
            shell,
            risk_tab: "vulnerabilities",
            org_name: org.actor.org_name.clone(),
            notice: notice(params.notice.as_deref()),
            error,
            rows: page
                .items
                .into_iter()
                .map(|v| Row {
                    score: score_text(v.fields.cvss_score),
                    severity: v.fields.severity.clone().unwrap_or_else(|| "—".into()),
                    status: v.fields.status.to_string(),
                    cve_id: v.fields.cve_id.clone().unwrap_or_default(),
                    title: v.fields.title,
                    id: v.id,
                })
                .collect(),
            next: page.next.map(|n| urlencode(&n)),
            filter_query,
            q_status: params.status.clone().unwrap_or_default(),
            q_severity: params.severity.clone().unwrap_or_default(),
            statuses: statuses(),
            severities: ["None", "Low", "Medium", "High", "Critical"].iter().map(|s| s.to_string()).collect(),
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
    let blank = VulnerabilityForm { status: "open".into(), ..VulnerabilityForm::default() };
    list_page(&state, &org, &params, None, blank).await
}

pub async fn create(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<VulnerabilityForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "record vulnerabilities")?;
    let result = async {
        state
            .store
            .create_vulnerability(&change_context(&org, &rid), &org.actor.org_id, form.form.fields()?)
            .await
            .map_err(Problem::from)
    }
    .await;
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/risk/vulnerabilities/{}?notice=created", v.id)).into_response()),
        Err(p) if p.status < 500 => list_page(&state, &org, &ListParams::default(), Some(p.detail), form.form).await,
        Err(p) => Err(PageError(p)),
    }
}

#[derive(Template)]
#[template(path = "vulnerability.html")]
struct DetailPage {
    shell: Shell,
    notice: Option<&'static str>,
    error: Option<String>,
    id: String,
    title: String,
    score: String,
    severity: String,
    form: VulnerabilityForm,
    statuses: Vec<String>,
    assets: Vec<AssetLink>,
    candidates: Vec<AssetLink>,
    can_edit: bool,
}

async fn detail_page(
    state: &AppState,
    org: &OrgSession,
    id: &str,
    notice_code: Option<&str>,
    error: Option<String>,
    form: Option<VulnerabilityForm>,
) -> Result<Response, PageError> {
    let v = state.store.vulnerability(&org.actor.org_id, id).await?;
    let assets = state.store.vulnerability_assets(&org.actor.org_id, id).await?;
    let all = state.store.list_assets(&org.actor.org_id, &AssetFilter::default(), &PageRequest::first(500)).await?;
    let candidates = all
        .items
        .into_iter()
        .filter(|a| !assets.iter().any(|x| x.id == a.id))
        .map(|a| AssetLink { id: a.id, name: a.fields.name, kind: a.fields.kind })
        .collect();
    let shell = Shell::of(state, &org.browser, &v.fields.title, "risk").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &DetailPage {
            shell,
            notice: notice(notice_code),
            error,
            id: v.id.clone(),
            title: v.fields.title.clone(),
            score: score_text(v.fields.cvss_score),
            severity: v.fields.severity.clone().unwrap_or_else(|| "not scored".into()),
            form: form.unwrap_or_else(|| VulnerabilityForm::of(&v.fields)),
            statuses: statuses(),
            assets,
            candidates,
            can_edit: org.actor.can(Permission::Edit),
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
    form: CsrfForm<VulnerabilityForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "change vulnerabilities")?;
    let result = async {
        state
            .store
            .update_vulnerability(&change_context(&org, &rid), &org.actor.org_id, &id, form.form.fields()?)
            .await
            .map_err(Problem::from)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/risk/vulnerabilities/{id}?notice=saved")).into_response()),
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
    org.require(Permission::Edit, "delete vulnerabilities")?;
    state.store.delete_vulnerability(&change_context(&org, &rid), &org.actor.org_id, &id).await?;
    Ok(Redirect::to("/risk/vulnerabilities?notice=deleted").into_response())
}

#[derive(Debug, Deserialize)]
pub struct AffectForm {
    asset_id: String,
}

pub async fn link_asset(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<AffectForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "change affected assets")?;
    match state
        .store
        .link_vulnerability_asset(&change_context(&org, &rid), &org.actor.org_id, &id, &form.form.asset_id)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/risk/vulnerabilities/{id}?notice=linked")).into_response()),
        Err(e) => {
            let p = Problem::from(e);
            if !p.fixable_on_page() {
                return Err(PageError(p));
            }
            detail_page(&state, &org, &id, None, Some(p.detail), None).await
        }
    }
}

pub async fn unlink_asset(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path((id, asset)): Path<(String, String)>,
    form: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "change affected assets")?;
    state.store.unlink_vulnerability_asset(&change_context(&org, &rid), &org.actor.org_id, &id, &asset).await?;
    Ok(Redirect::to(&format!("/risk/vulnerabilities/{id}?notice=unlinked")).into_response())
}
