//! The asset inventory pages of the risk register.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::asset::{AssetFields, AssetKind, Need};
use rampart_domain::{PageRequest, Permission};
use rampart_store::{Asset, AssetFilter, AssetLink};
use serde::Deserialize;

use super::{CsrfForm, NoFields, NoticeParam, PageError, Shell, change_context, org_session, render};
use crate::AppState;
use crate::api::assets::AssetQuery;
use crate::auth::{OrgSession, urlencode};
use crate::error::Problem;
use crate::middleware::RequestId;

/// The asset form as typed, so a refused form comes back as it was.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AssetForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    confidentiality: String,
    #[serde(default)]
    integrity: String,
    #[serde(default)]
    availability: String,
    /// Present (`on`) when the box is ticked.
    critical: Option<String>,
}

impl AssetForm {
    fn blank() -> Self {
        Self {
            kind: "system".into(),
            confidentiality: "medium".into(),
            integrity: "medium".into(),
            availability: "medium".into(),
            ..Self::default()
        }
    }

    fn of(f: &AssetFields) -> Self {
        Self {
            name: f.name.clone(),
            kind: f.kind.to_string(),
            owner: f.owner.clone(),
            description: f.description.clone(),
            confidentiality: f.confidentiality.to_string(),
            integrity: f.integrity.to_string(),
            availability: f.availability.to_string(),
            critical: f.critical.then(|| "on".to_string()),
        }
    }

    fn fields(&self) -> Result<AssetFields, Problem> {
        Ok(AssetFields::parse(
            &self.name,
            &self.kind,
            &self.description,
            &self.owner,
            &self.confidentiality,
            &self.integrity,
            &self.availability,
            self.critical.is_some(),
        )?)
    }
}

/// Template view of the form (askama reads plain fields).
struct FormView {
    name: String,
    kind: String,
    owner: String,
    description: String,
    confidentiality: String,
    integrity: String,
    availability: String,
    critical: bool,
}

impl From<&AssetForm> for FormView {
    fn from(f: &AssetForm) -> Self {
        Self {
            name: f.name.clone(),
            kind: f.kind.clone(),
            owner: f.owner.clone(),
            description: f.description.clone(),
            confidentiality: f.confidentiality.clone(),
            integrity: f.integrity.clone(),
            availability: f.availability.clone(),
            critical: f.critical.is_some(),
        }
    }
}

fn kinds() -> Vec<String> {
    AssetKind::ALL.iter().map(|k| k.to_string()).collect()
}

fn needs() -> Vec<String> {
    Need::ALL.iter().map(|n| n.to_string()).collect()
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "created" => "The asset was added.",
        "saved" => "The asset was saved.",
        "deleted" => "The asset was deleted.",
        "linked" => "The dependency was recorded.",
        "unlinked" => "The dependency was removed.",
        _ => return None,
    })
}

struct Row {
    id: String,
    name: String,
    kind: String,
    owner: String,
    confidentiality: String,
    integrity: String,
    availability: String,
    critical: bool,
}

#[derive(Template)]
#[template(path = "assets.html")]
struct AssetsPage {
    shell: Shell,
    risk_tab: &'static str,
    org_name: String,
    notice: Option<&'static str>,
    error: Option<String>,
    assets: Vec<Row>,
    next: Option<String>,
    filter_query: String,
    q_kind: String,
    q_critical: String,
    can_edit: bool,
    kinds: Vec<String>,
    needs: Vec<String>,
    form: FormView,
    /// The dependency graph (our own SVG, names escaped), when there are edges.
    graph: Option<String>,
}

/// Assets drawn in the graph at most; larger inventories are drawn in part.
const GRAPH_LIMIT: u32 = 200;

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    kind: Option<String>,
    critical: Option<String>,
    after: Option<String>,
    notice: Option<String>,
}

async fn list_page(
    state: &AppState,
    org: &OrgSession,
    params: &ListParams,
    error: Option<String>,
    form: &AssetForm,
) -> Result<Response, PageError> {
    let query = AssetQuery {
        kind: params.kind.clone().filter(|k| !k.is_empty()),
        critical: params.critical.as_deref().and_then(|c| c.parse().ok()),
        limit: Some(100),
        after: params.after.clone(),
    };
    let filter = query.filter().unwrap_or_else(|_| AssetFilter::default());
    let page = state.store.list_assets(&org.actor.org_id, &filter, &query.page()?).await?;
    let filter_query = serde_urlencoded::to_string([
        ("kind", query.kind.clone().unwrap_or_default()),
        ("critical", params.critical.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    let (nodes, edges) = state.store.asset_graph(&org.actor.org_id, GRAPH_LIMIT).await?;
    let graph = if edges.is_empty() { None } else { super::graph::dependency_svg(&nodes, &edges) };
    let shell = Shell::of(state, &org.browser, "Assets", "risk").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &AssetsPage {
            risk_tab: "assets",
            graph,
            shell,
            org_name: org.actor.org_name.clone(),
            notice: notice(params.notice.as_deref()),
            error,
            assets: page
                .items
                .into_iter()
                .map(|a: Asset| Row {
                    id: a.id,
                    name: a.fields.name,
                    kind: a.fields.kind.to_string(),
                    owner: a.fields.owner,
                    confidentiality: a.fields.confidentiality.to_string(),
                    integrity: a.fields.integrity.to_string(),
                    availability: a.fields.availability.to_string(),
                    critical: a.fields.critical,
                })
                .collect(),
            next: page.next.map(|n| urlencode(&n)),
            filter_query,
            q_kind: params.kind.clone().unwrap_or_default(),
            q_critical: params.critical.clone().unwrap_or_default(),
            can_edit: org.actor.can(Permission::Edit),
            kinds: kinds(),
            needs: needs(),
            form: form.into(),
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    org: OrgSession,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    list_page(&state, &org, &params, None, &AssetForm::blank()).await
}

pub async fn create(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<AssetForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "add assets")?;
    let result = async {
        state
            .store
            .create_asset(&change_context(&org, &rid), &org.actor.org_id, form.form.fields()?)
            .await
            .map_err(Problem::from)
    }
    .await;
    match result {
        Ok(asset) => Ok(Redirect::to(&format!("/risk/assets/{}?notice=created", asset.id)).into_response()),
        Err(p) if p.status < 500 => list_page(&state, &org, &ListParams::default(), Some(p.detail), &form.form).await,
        Err(p) => Err(PageError(p)),
    }
}

#[derive(Template)]
#[template(path = "asset.html")]
struct AssetPage {
    shell: Shell,
    notice: Option<&'static str>,
    error: Option<String>,
    asset_id: String,
    asset_name: String,
    form: FormView,
    kinds: Vec<String>,
    needs: Vec<String>,
    depends_on: Vec<AssetLink>,
    used_by: Vec<AssetLink>,
    /// Assets that could be added as dependencies.
    candidates: Vec<AssetLink>,
    can_edit: bool,
}

async fn detail_page(
    state: &AppState,
    org: &OrgSession,
    id: &str,
    notice_code: Option<&str>,
    error: Option<String>,
    form: Option<&AssetForm>,
) -> Result<Response, PageError> {
    let asset = state.store.asset(&org.actor.org_id, id).await?;
    let (depends_on, used_by) = state.store.asset_dependencies(&org.actor.org_id, id).await?;
    let others = state.store.list_assets(&org.actor.org_id, &AssetFilter::default(), &PageRequest::first(500)).await?;
    let candidates = others
        .items
        .into_iter()
        .filter(|a| a.id != asset.id && !depends_on.iter().any(|d| d.id == a.id))
        .map(|a| AssetLink { id: a.id, name: a.fields.name, kind: a.fields.kind })
        .collect();
    let shell = Shell::of(state, &org.browser, &asset.fields.name, "risk").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let shown = form.cloned().unwrap_or_else(|| AssetForm::of(&asset.fields));
    Ok(render(
        status,
        &AssetPage {
            shell,
            notice: notice(notice_code),
            error,
            asset_id: asset.id.clone(),
            asset_name: asset.fields.name.clone(),
            form: (&shown).into(),
            kinds: kinds(),
            needs: needs(),
            depends_on,
            used_by,
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
    form: CsrfForm<AssetForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "change assets")?;
    let result = async {
        state
            .store
            .update_asset(&change_context(&org, &rid), &org.actor.org_id, &id, form.form.fields()?)
            .await
            .map_err(Problem::from)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/risk/assets/{id}?notice=saved")).into_response()),
        Err(p) if p.fixable_on_page() => detail_page(&state, &org, &id, None, Some(p.detail), Some(&form.form)).await,
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
    org.require(Permission::Edit, "delete assets")?;
    state.store.delete_asset(&change_context(&org, &rid), &org.actor.org_id, &id).await?;
    Ok(Redirect::to("/risk/assets?notice=deleted").into_response())
}

#[derive(Debug, Deserialize)]
pub struct DependencyForm {
    depends_on: String,
}

pub async fn add_dependency(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<DependencyForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "change asset dependencies")?;
    match state
        .store
        .add_asset_dependency(&change_context(&org, &rid), &org.actor.org_id, &id, &form.form.depends_on)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/risk/assets/{id}?notice=linked")).into_response()),
        Err(e) => {
            let p = Problem::from(e);
            if !p.fixable_on_page() {
                return Err(PageError(p));
            }
            detail_page(&state, &org, &id, None, Some(p.detail), None).await
        }
    }
}

pub async fn remove_dependency(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path((id, other)): Path<(String, String)>,
    form: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "change asset dependencies")?;
    state.store.remove_asset_dependency(&change_context(&org, &rid), &org.actor.org_id, &id, &other).await?;
    Ok(Redirect::to(&format!("/risk/assets/{id}?notice=unlinked")).into_response())
}
