//! The threat catalog page of the risk register.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::Permission;
use rampart_domain::threat::ThreatFields;
use serde::Deserialize;

use super::{CsrfForm, NoFields, PageError, Shell, change_context, org_session, render};
use crate::AppState;
use crate::api::threats::ThreatQuery;
use crate::auth::{OrgSession, urlencode};
use crate::error::Problem;
use crate::middleware::RequestId;

struct Row {
    id: String,
    name: String,
    category: String,
    source: String,
}

#[derive(Template)]
#[template(path = "threats.html")]
struct ThreatsPage {
    shell: Shell,
    risk_tab: &'static str,
    org_name: String,
    notice: Option<&'static str>,
    error: Option<String>,
    rows: Vec<Row>,
    next: Option<String>,
    filter_query: String,
    categories: Vec<(String, i64)>,
    q_category: String,
    q_source: String,
    can_edit: bool,
    form_name: String,
    form_category: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    category: Option<String>,
    source: Option<String>,
    after: Option<String>,
    notice: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "created" => "The threat was added.",
        "deleted" => "The threat was removed.",
        _ => return None,
    })
}

async fn page(
    state: &AppState,
    org: &OrgSession,
    params: &ListParams,
    error: Option<String>,
    form: &ThreatForm,
) -> Result<Response, PageError> {
    let query = ThreatQuery {
        category: params.category.clone(),
        source: params.source.clone(),
        limit: Some(100),
        after: params.after.clone(),
    };
    let listed = state.store.list_threats(&org.actor.org_id, &query.filter(), &query.page()?).await?;
    let filter_query = serde_urlencoded::to_string([
        ("category", params.category.clone().unwrap_or_default()),
        ("source", params.source.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    let shell = Shell::of(state, &org.browser, "Threats", "risk").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &ThreatsPage {
            shell,
            risk_tab: "threats",
            org_name: org.actor.org_name.clone(),
            notice: notice(params.notice.as_deref()),
            error,
            rows: listed
                .items
                .into_iter()
                .map(|t| Row {
                    source: match &t.fields.external_id {
                        Some(id) => format!("ATT&CK {id}"),
                        None => t.fields.source.clone(),
                    },
                    id: t.id,
                    name: t.fields.name,
                    category: t.fields.category,
                })
                .collect(),
            next: listed.next.map(|n| urlencode(&n)),
            filter_query,
            categories: state.store.threat_categories(&org.actor.org_id).await?,
            q_category: params.category.clone().unwrap_or_default(),
            q_source: params.source.clone().unwrap_or_default(),
            can_edit: org.actor.can(Permission::Edit),
            form_name: form.name.clone(),
            form_category: form.category.clone(),
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    org: OrgSession,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    page(&state, &org, &params, None, &ThreatForm::default()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ThreatForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
}

pub async fn create(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<ThreatForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "add threats")?;
    let f = &form.form;
    let result = async {
        let fields = ThreatFields::custom(&f.name, &f.category, &f.description)?;
        state.store.create_threat(&change_context(&org, &rid), &org.actor.org_id, fields).await.map_err(Problem::from)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/risk/threats?notice=created").into_response()),
        Err(p) if p.status < 500 => page(&state, &org, &ListParams::default(), Some(p.detail), f).await,
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
    org.require(Permission::Edit, "remove threats")?;
    state.store.delete_threat(&change_context(&org, &rid), &org.actor.org_id, &id).await?;
    Ok(Redirect::to("/risk/threats?notice=deleted").into_response())
}
