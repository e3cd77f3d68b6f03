//! The framework pages: the organisation's loaded frameworks and the built-in
//! library, loading your own, and a browser for one framework's tree.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::Permission;
use rampart_store::{Framework, RequirementNode};
use serde::Deserialize;

use super::{CsrfForm, NoFields, PageError, Shell, change_context, org_session, render};
use crate::AppState;
use crate::api::frameworks::{LibraryEntry, LoadOptions, Loaded, library_entries, load_built_in, load_text};
use crate::auth::OrgSession;
use crate::error::Problem;
use crate::middleware::RequestId;

#[derive(Template)]
#[template(path = "frameworks.html")]
struct FrameworksPage {
    shell: Shell,
    assess_tab: &'static str,
    org_name: String,
    notice: Option<&'static str>,
    error: Option<String>,
    loaded: Vec<Framework>,
    library: Vec<LibraryEntry>,
    mapping_library: Vec<crate::api::mappings::MappingEntry>,
    mapping_sets: Vec<rampart_store::MappingSetRow>,
    can_edit: bool,
    form_library: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    notice: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "loaded" => "The framework was loaded.",
        "upgraded" => "The framework was upgraded; every node kept its place by ref_id.",
        "deleted" => "The framework was removed.",
        "enriched" => "The source's statements and guidance were added to the nodes with the same ref_id.",
        "mapped" => "The mapping set was loaded: answers now lend results to the mapped framework.",
        "unmapped" => "The mapping set was removed.",
        _ => return None,
    })
}

async fn list_page(
    state: &AppState,
    org: &OrgSession,
    notice_code: Option<&str>,
    error: Option<String>,
    form_library: String,
) -> Result<Response, PageError> {
    let org_id = &org.actor.org_id;
    // An organisation loads a handful of frameworks; the page shows them all.
    let loaded = state.store.list_frameworks(org_id, &rampart_domain::PageRequest::first(500)).await?.items;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &FrameworksPage {
            shell: Shell::of(state, &org.browser, "Frameworks", "assess").await?,
            assess_tab: "frameworks",
            org_name: org.actor.org_name.clone(),
            notice: notice(notice_code),
            error,
            loaded,
            library: library_entries(state, org_id).await?,
            mapping_library: crate::api::mappings::mapping_entries(state, org_id).await?,
            mapping_sets: state.store.list_mapping_sets(org_id).await?,
            can_edit: org.actor.can(Permission::Edit),
            form_library,
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    org: OrgSession,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    list_page(&state, &org, params.notice.as_deref(), None, String::new()).await
}

fn after_load(done: &rampart_store::FrameworkImport) -> Response {
    let code = if done.previous_version.is_some() { "upgraded" } else { "loaded" };
    Redirect::to(&format!("/frameworks/{}?notice={code}", done.framework.id)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct LoadForm {
    urn: String,
}

/// Loads or upgrades a built-in library.
pub async fn load(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<LoadForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "load frameworks")?;
    match load_built_in(&state, &change_context(&org, &rid), &org.actor.org_id, &form.form.urn).await {
        Ok(done) => Ok(after_load(&done)),
        Err(p) if p.fixable_on_page() => list_page(&state, &org, None, Some(p.detail), String::new()).await,
        Err(p) => Err(PageError(p)),
    }
}

#[derive(Debug, Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    library: String,
    #[serde(default)]
    urn: String,
    #[serde(default)]
    into: String,
}

/// Loads a library pasted (or read from a file by app.js) in Rampart's YAML format.
pub async fn import(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<ImportForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "load frameworks")?;
    let ImportForm { library: text, urn, into } = form.form;
    let options = LoadOptions { urn: Some(urn), into: Some(into) };
    match load_text(&state, &change_context(&org, &rid), &org.actor.org_id, &text, &options).await {
        Ok(Loaded::Import(done)) => Ok(after_load(&done)),
        Ok(done @ Loaded::Enrichment(_)) => {
            Ok(Redirect::to(&format!("/frameworks/{}?notice=enriched", done.framework_id())).into_response())
        }
        Err(p) if p.status < 500 => list_page(&state, &org, None, Some(p.detail), text).await,
        Err(p) => Err(PageError(p)),
    }
}

/// Loads a built-in mapping set.
pub async fn load_mapping(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<LoadForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "load mapping sets")?;
    let ctx = change_context(&org, &rid);
    match crate::api::mappings::load_built_in_mapping(&state, &ctx, &org.actor.org_id, &form.form.urn).await {
        Ok(_) => Ok(Redirect::to("/frameworks?notice=mapped").into_response()),
        Err(p) if p.fixable_on_page() => list_page(&state, &org, None, Some(p.detail), String::new()).await,
        Err(p) => Err(PageError(p)),
    }
}

pub async fn delete_mapping(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "remove mapping sets")?;
    state.store.delete_mapping_set(&change_context(&org, &rid), &org.actor.org_id, &id).await?;
    Ok(Redirect::to("/frameworks?notice=unmapped").into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "remove frameworks")?;
    state.store.delete_framework(&change_context(&org, &rid), &org.actor.org_id, &id).await?;
    Ok(Redirect::to("/frameworks?notice=deleted").into_response())
}

/// One node as the browser shows it.
struct NodeRow {
    node: RequirementNode,
    /// Shown only because a descendant matched the filter.
    context_only: bool,
    mapped: Vec<rampart_store::MappedRequirement>,
}

#[derive(Template)]
#[template(path = "framework.html")]
struct FrameworkPage {
    shell: Shell,
    assess_tab: &'static str,
    notice: Option<&'static str>,
    framework: Framework,
    rows: Vec<NodeRow>,
    matched: usize,
    q: String,
    q_group: String,
    q_assessable: bool,
    filtered: bool,
    can_edit: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct TreeParams {
    q: Option<String>,
    group: Option<String>,
    assessable: Option<String>,
    notice: Option<String>,
}

/// What the filter asks for.
struct TreeFilter {
    words: Vec<String>,
    group: Option<String>,
    assessable_only: bool,
}

impl TreeFilter {
    fn of(params: &TreeParams) -> TreeFilter {
        let q: String = params.q.as_deref().unwrap_or_default().chars().take(200).collect();
        TreeFilter {
            words: q.split_whitespace().map(str::to_lowercase).collect(),
            group: params.group.clone().filter(|g| !g.is_empty()),
            assessable_only: params.assessable.is_some(),
        }
    }

    fn is_empty(&self) -> bool {
        self.words.is_empty() && self.group.is_none() && !self.assessable_only
    }

    fn matches(&self, node: &RequirementNode) -> bool {
        let r = &node.requirement;
        if self.assessable_only && !r.assessable {
            return false;
        }
        if let Some(group) = &self.group
            && !r.groups.contains(group)
        {
            return false;
        }
        let text = [&r.ref_id, &r.title, &r.statement, &r.guidance].map(|t| t.to_lowercase());
        self.words.iter().all(|w| text.iter().any(|t| t.contains(w.as_str())))
    }
}

/// The nodes that match, each with the ancestors that place it in the tree.
fn filter_tree(nodes: Vec<RequirementNode>, filter: &TreeFilter) -> (Vec<NodeRow>, usize) {
    if filter.is_empty() {
        let n = nodes.len();
        return (nodes.into_iter().map(|node| NodeRow { node, context_only: false, mapped: Vec::new() }).collect(), n);
    }
    let matched: Vec<bool> = nodes.iter().map(|n| filter.matches(n)).collect();
    let shown = super::tree::with_ancestors(&super::tree::parent_indices(&nodes), &matched);
    let count = matched.iter().filter(|m| **m).count();
    let rows = nodes
        .into_iter()
        .enumerate()
        .filter(|(i, _)| shown[*i])
        .map(|(i, node)| NodeRow { node, context_only: !matched[i], mapped: Vec::new() })
        .collect();
    (rows, count)
}

pub async fn detail(
    State(state): State<AppState>,
    org: OrgSession,
    Path(id): Path<String>,
    Query(params): Query<TreeParams>,
) -> Result<Response, PageError> {
    let org_id = &org.actor.org_id;
    let framework = state.store.framework(org_id, &id).await?;
    let nodes = state.store.requirement_nodes(org_id, &id).await?;
    let filter = TreeFilter::of(&params);
    let (mut rows, matched) = filter_tree(nodes, &filter);
    let mut mapped = state.store.mappings_of(org_id, &framework.urn).await?;
    for row in &mut rows {
        row.mapped = mapped.remove(&row.node.requirement.ref_id).unwrap_or_default();
    }
    Ok(render(
        StatusCode::OK,
        &FrameworkPage {
            shell: Shell::of(&state, &org.browser, &framework.name, "assess").await?,
            assess_tab: "frameworks",
            notice: notice(params.notice.as_deref()),
            rows,
            matched,
            q: params.q.clone().unwrap_or_default(),
            q_group: filter.group.clone().unwrap_or_default(),
            q_assessable: filter.assessable_only,
            filtered: !filter.is_empty(),
            can_edit: org.actor.can(Permission::Edit),
            framework,
        },
    ))
}

/// The YAML download of a loaded framework, for the page's link.
pub async fn export(
    State(state): State<AppState>,
    org: OrgSession,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let library = state.store.framework_library(&org.actor.org_id, &id).await.map_err(Problem::from)?;
    Ok(crate::api::frameworks::yaml_download(&library))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_frameworks::parse_yaml;

    fn nodes() -> Vec<RequirementNode> {
        let library = parse_yaml(
            "urn: urn:x:y\nversion: 1\nname: T\nimplementation_groups:\n  - { ref_id: ig1, name: IG1 }\nrequirements:\n\
             \x20 - { ref_id: A, title: Access }\n\
             \x20 - { ref_id: A.1, parent: A, title: MFA for admins, groups: [ig1] }\n\
             \x20 - { ref_id: A.2, parent: A, title: Reviews }\n\
             \x20 - { ref_id: B, title: Backups }\n",
        )
        .unwrap();
        let depths = library.depths();
        library
            .requirements
            .into_iter()
            .zip(depths)
            .map(|(requirement, depth)| RequirementNode {
                id: requirement.ref_id.clone(),
                depth: depth as u32,
                requirement,
            })
            .collect()
    }

    fn shown(params: TreeParams) -> Vec<(String, bool)> {
        let (rows, _) = filter_tree(nodes(), &TreeFilter::of(&params));
        rows.into_iter().map(|r| (r.node.requirement.ref_id, r.context_only)).collect()
    }

    #[test]
    fn a_match_is_shown_with_its_ancestors_as_context() {
        let got = shown(TreeParams { q: Some("mfa".into()), ..Default::default() });
        assert_eq!(got, vec![("A".into(), true), ("A.1".into(), false)]);
        let got = shown(TreeParams { group: Some("ig1".into()), ..Default::default() });
        assert_eq!(got, vec![("A".into(), true), ("A.1".into(), false)]);
        assert_eq!(shown(TreeParams::default()).len(), 4, "no filter shows the whole tree");
        let got = shown(TreeParams { assessable: Some("on".into()), ..Default::default() });
        assert_eq!(got.iter().filter(|r| !r.1).count(), 3, "the three leaves are assessable");
    }
}
