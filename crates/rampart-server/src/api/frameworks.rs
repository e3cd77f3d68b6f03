//! Framework libraries over the API: the built-in library, loading and
//! upgrading, the requirement tree, export.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rampart_domain::{Invalid, Page, Permission};
use rampart_frameworks::{BUILT_IN, ImplementationGroup, Library, LibraryError, ScoreLevel};
use rampart_oscal::{ReadOptions, SourceFormat};
use rampart_store::{
    ChangeContext, Framework, FrameworkEnrichment, FrameworkImport, RequirementNode, SOURCE_BUILT_IN, SOURCE_OSCAL,
    SOURCE_YAML,
};
use serde::{Deserialize, Serialize};

use super::people::change_context;
use super::{PageQuery, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;

impl From<LibraryError> for Problem {
    fn from(e: LibraryError) -> Self {
        let reason = match e.line {
            Some(line) => format!("{} (line {line})", e.reason),
            None => e.reason,
        };
        Problem::invalid(Invalid::new(e.path, reason))
    }
}

#[derive(Serialize)]
pub struct FrameworkDto {
    pub id: String,
    pub urn: String,
    pub version: u32,
    pub name: String,
    pub provider: String,
    pub description: String,
    pub copyright: String,
    pub score_scale: Vec<ScoreLevel>,
    pub implementation_groups: Vec<ImplementationGroup>,
    pub source: String,
    pub nodes: i64,
    pub assessable: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Framework> for FrameworkDto {
    fn from(f: Framework) -> Self {
        Self {
            id: f.id,
            urn: f.urn,
            version: f.version,
            name: f.name,
            provider: f.provider,
            description: f.description,
            copyright: f.copyright,
            score_scale: f.score_scale,
            implementation_groups: f.groups,
            source: f.source,
            nodes: f.nodes,
            assessable: f.assessable,
            created_at: rfc3339(f.created_at),
            updated_at: rfc3339(f.updated_at),
        }
    }
}

#[derive(Serialize)]
pub struct FrameworkDetail {
    #[serde(flatten)]
    pub framework: FrameworkDto,
    pub requirements: Vec<RequirementNode>,
}

#[derive(Serialize)]
pub struct ImportDto {
    pub framework: FrameworkDto,
    pub previous_version: Option<u32>,
    pub created: u64,
    pub updated: u64,
    pub withdrawn: u64,
}

impl From<FrameworkImport> for ImportDto {
    fn from(i: FrameworkImport) -> Self {
        Self {
            framework: i.framework.into(),
            previous_version: i.previous_version,
            created: i.created,
            updated: i.updated,
            withdrawn: i.withdrawn,
        }
    }
}

/// A built-in library and what this organisation has of it.
#[derive(Serialize)]
pub struct LibraryEntry {
    pub urn: String,
    pub version: u32,
    pub name: String,
    pub provider: String,
    pub description: String,
    pub nodes: usize,
    pub assessable: usize,
    /// The loaded framework's id and version, when loaded.
    pub loaded: Option<LoadedAs>,
}

#[derive(Serialize)]
pub struct LoadedAs {
    pub id: String,
    pub version: u32,
}

/// The built-in library with what the organisation has loaded of it.
pub async fn library_entries(state: &AppState, org_id: &str) -> Result<Vec<LibraryEntry>, Problem> {
    let mut entries = Vec::with_capacity(BUILT_IN.len());
    for b in BUILT_IN {
        let Some(library) = rampart_frameworks::built_in(b.urn) else { continue };
        let loaded = match state.store.framework_by_urn(org_id, b.urn).await {
            Ok(f) => Some(LoadedAs { id: f.id, version: f.version }),
            Err(rampart_store::StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        entries.push(LibraryEntry {
            urn: library.urn.clone(),
            version: library.version,
            nodes: library.requirements.len(),
            assessable: library.assessable().count(),
            name: library.name,
            provider: library.provider,
            description: library.description,
            loaded,
        });
    }
    Ok(entries)
}

/// Loads (or upgrades to) the built-in library with this URN.
pub async fn load_built_in(
    state: &AppState,
    ctx: &ChangeContext,
    org_id: &str,
    urn: &str,
) -> Result<FrameworkImport, Problem> {
    let library = rampart_frameworks::built_in(urn).ok_or_else(Problem::not_found)?;
    Ok(state.store.import_framework(ctx, org_id, &library, SOURCE_BUILT_IN).await?)
}

/// How an uploaded library is used.
#[derive(Debug, Default, Deserialize)]
pub struct LoadOptions {
    /// Load it under this URN instead of its own (OSCAL documents have none
    /// that stays the same across publications).
    pub urn: Option<String>,
    /// Add its text to the loaded framework with this URN instead of loading it.
    pub into: Option<String>,
}

impl LoadOptions {
    fn clean(value: &Option<String>) -> Option<String> {
        value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
    }
}

/// What an upload did.
pub enum Loaded {
    Import(FrameworkImport),
    Enrichment(FrameworkEnrichment),
}

impl Loaded {
    pub fn framework_id(&self) -> &str {
        match self {
            Loaded::Import(i) => &i.framework.id,
            Loaded::Enrichment(e) => &e.framework.id,
        }
    }
}

/// Reads a library from text in any format Rampart takes (Rampart's YAML,
/// an OSCAL catalog, an OSCAL profile sent with its catalog) and loads it,
/// upgrades the loaded one, or adds its text to the framework named by `into`.
pub async fn load_text(
    state: &AppState,
    ctx: &ChangeContext,
    org_id: &str,
    text: &str,
    options: &LoadOptions,
) -> Result<Loaded, Problem> {
    let read = ReadOptions { urn: LoadOptions::clean(&options.urn) };
    let (library, format) = rampart_oscal::read_library(text, None, &read)?;
    if let Some(into) = LoadOptions::clean(&options.into) {
        let target = match state.store.framework_by_urn(org_id, &into).await {
            Ok(f) => f,
            Err(rampart_store::StoreError::NotFound) => {
                return Err(
                    Invalid::new("into", format!("`{into}` is not a framework loaded in this organisation")).into()
                );
            }
            Err(e) => return Err(e.into()),
        };
        return Ok(Loaded::Enrichment(state.store.enrich_framework(ctx, org_id, &target.id, &library).await?));
    }
    let source = match format {
        SourceFormat::Rampart => SOURCE_YAML,
        SourceFormat::Oscal => SOURCE_OSCAL,
    };
    Ok(Loaded::Import(state.store.import_framework(ctx, org_id, &library, source).await?))
}

#[derive(Serialize)]
pub struct EnrichmentDto {
    pub framework: FrameworkDto,
    pub enriched: u64,
    pub not_in_framework: Vec<String>,
}

pub async fn list(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<FrameworkDto>>, ApiError> {
    actor.require(Permission::Read, "see frameworks")?;
    let page = state.store.list_frameworks(&actor.0.org_id, &q.page()?).await?;
    Ok(Json(Page { items: page.items.into_iter().map(Into::into).collect(), next: page.next }))
}

pub async fn get(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<FrameworkDetail>, ApiError> {
    actor.require(Permission::Read, "see frameworks")?;
    let framework = state.store.framework(&actor.0.org_id, &id).await?;
    let requirements = state.store.requirement_nodes(&actor.0.org_id, &id).await?;
    Ok(Json(FrameworkDetail { framework: framework.into(), requirements }))
}

/// `POST /api/v1/frameworks`: the body is a library in Rampart's YAML
/// format, an OSCAL catalog, or an OSCAL profile with its catalog.
pub async fn import(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Query(options): Query<LoadOptions>,
    body: Bytes,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "load frameworks")?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| Problem::bad_request("Send the library as UTF-8 text: Rampart's YAML format or OSCAL JSON."))?;
    let ctx = change_context(&actor.0, &request_id);
    Ok(match load_text(&state, &ctx, &actor.0.org_id, text, &options).await? {
        Loaded::Import(done) => {
            let status = if done.previous_version.is_some() { StatusCode::OK } else { StatusCode::CREATED };
            (status, Json(ImportDto::from(done))).into_response()
        }
        Loaded::Enrichment(done) => Json(EnrichmentDto {
            framework: done.framework.into(),
            enriched: done.enriched,
            not_in_framework: done.not_in_framework,
        })
        .into_response(),
    })
}

pub async fn delete(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::Edit, "remove frameworks")?;
    state.store.delete_framework(&change_context(&actor.0, &request_id), &actor.0.org_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The framework in Rampart's YAML format, as a download.
pub async fn export(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Read, "export frameworks")?;
    let library = state.store.framework_library(&actor.0.org_id, &id).await?;
    Ok(yaml_download(&library))
}

/// A library as a YAML download named after its URN.
pub fn yaml_download(library: &Library) -> Response {
    let file = library.urn.rsplit(':').next().unwrap_or("framework").to_string();
    (
        [
            (header::CONTENT_TYPE, "application/yaml; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}-v{}.yaml\"", library.version)),
        ],
        rampart_frameworks::to_yaml(library),
    )
        .into_response()
}

pub async fn built_ins(State(state): State<AppState>, actor: ApiActor) -> Result<Json<Vec<LibraryEntry>>, ApiError> {
    actor.require(Permission::Read, "see the framework library")?;
    Ok(Json(library_entries(&state, &actor.0.org_id).await?))
}

pub async fn load(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(urn): Path<String>,
) -> Result<Response, ApiError> {
    actor.require(Permission::Edit, "load frameworks")?;
    let done = load_built_in(&state, &change_context(&actor.0, &request_id), &actor.0.org_id, &urn).await?;
    let status = if done.previous_version.is_some() { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(ImportDto::from(done))).into_response())
}
