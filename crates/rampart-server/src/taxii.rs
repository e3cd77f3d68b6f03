//! TAXII 2.1 over the STIX collections of the store: discovery, the API
//! root, collections, objects (filters and paging; adding them, with a status
//! resource), one object (deleting it), its versions, and the manifest. Every response is
//! `application/taxii+json;version=2.1`; a request that does not accept it
//! gets 406. Authentication is HTTP Basic (the user's e-mail and an API
//! token as the password) or a Bearer token, checked before anything else;
//! an organisation sees its own collections and those of the communities it
//! is an active member of, never another's, and TLP:RED objects only in its
//! own collections.

use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use rampart_domain::{Actor, Permission};
use rampart_store::{ObjectQuery, ReadableCollection, StoreError, VersionFilter};
use serde_json::{Value, json};

use crate::AppState;

pub const TAXII: &str = "application/taxii+json;version=2.1";
const STIX: &str = "application/stix+json;version=2.1";
/// The one API root of an instance.
const ROOT: &str = "rampart";
/// Objects per page when the client does not say, and at most.
const DEFAULT_LIMIT: usize = 1000;
const MAX_LIMIT: usize = 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/taxii2/", get(discovery))
        .route("/taxii2/{root}/", get(api_root))
        .route("/taxii2/{root}/collections/", get(collections))
        .route("/taxii2/{root}/collections/{id}/", get(collection))
        .route(
            "/taxii2/{root}/collections/{id}/objects/",
            get(objects).post(add_objects).layer(axum::extract::DefaultBodyLimit::max(crate::TAXII_BODY_LIMIT)),
        )
        .route("/taxii2/{root}/collections/{id}/objects/{object_id}/", get(object).delete(delete_object))
        .route("/taxii2/{root}/status/{status_id}/", get(status))
        .route("/taxii2/{root}/collections/{id}/objects/{object_id}/versions/", get(versions))
        .route("/taxii2/{root}/collections/{id}/manifest/", get(manifest))
}

/// A TAXII error message with its status.
#[derive(Debug)]
pub struct TaxiiError(StatusCode, String);

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = json!({"title": self.0.canonical_reason().unwrap_or("Error"), "description": self.1, "http_status": self.0.as_u16().to_string()});
        let mut response = (self.0, [(header::CONTENT_TYPE, TAXII)], body.to_string()).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Rampart TAXII\", Bearer"));
        }
        response
    }
}

impl From<StoreError> for TaxiiError {
    fn from(e: StoreError) -> Self {
        let problem = crate::error::Problem::from(e);
        TaxiiError(StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), problem.detail)
    }
}

fn not_found() -> TaxiiError {
    TaxiiError(
        StatusCode::NOT_FOUND,
        "There is no such collection or object here, or it is not shared with your organisation.".into(),
    )
}

/// The authenticated reader: a Basic or Bearer credential, and a role that may read.
pub struct TaxiiActor(Actor);

impl FromRequestParts<AppState> for TaxiiActor {
    type Rejection = TaxiiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let unauthorized = || {
            TaxiiError(
                StatusCode::UNAUTHORIZED,
                "Send HTTP Basic (your e-mail and an API token as the password) or a Bearer API token.".into(),
            )
        };
        let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(unauthorized)?;
        let (email, token) = if let Some(token) = header.strip_prefix("Bearer ") {
            (None, token.trim().to_string())
        } else if let Some(encoded) = header.strip_prefix("Basic ") {
            let decoded =
                base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| unauthorized())?;
            let text = String::from_utf8(decoded).map_err(|_| unauthorized())?;
            let (email, token) = text.split_once(':').ok_or_else(unauthorized)?;
            (Some(email.to_ascii_lowercase()), token.to_string())
        } else {
            return Err(unauthorized());
        };
        if token.is_empty() || token.len() > 200 {
            return Err(unauthorized());
        }
        let actor = match state.store.authenticate_token(&token).await {
            Ok(actor) => actor,
            Err(StoreError::NotFound) => return Err(unauthorized()),
            Err(e) => return Err(e.into()),
        };
        if email.is_some_and(|email| email != actor.email) {
            return Err(unauthorized());
        }
        if !actor.can(Permission::Read) {
            return Err(TaxiiError(
                StatusCode::FORBIDDEN,
                "Your role does not allow reading shared collections.".into(),
            ));
        }
        Ok(TaxiiActor(actor))
    }
}

/// A client that adds or deletes objects: authenticated, with a role that
/// may edit, and (checked here, before the body is read) sending TAXII 2.1.
pub struct TaxiiWriter(Actor);

impl FromRequestParts<AppState> for TaxiiWriter {
    type Rejection = TaxiiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let TaxiiActor(actor) = TaxiiActor::from_request_parts(parts, state).await?;
        if !actor.can(Permission::Edit) {
            return Err(TaxiiError(
                StatusCode::FORBIDDEN,
                "Your role does not allow adding or deleting objects.".into(),
            ));
        }
        if parts.method == axum::http::Method::POST {
            let sent: String = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if sent != TAXII {
                return Err(TaxiiError(StatusCode::UNSUPPORTED_MEDIA_TYPE, format!("Send an envelope as {TAXII}.")));
            }
        }
        Ok(TaxiiWriter(actor))
    }
}

/// 406 unless the client accepts TAXII 2.1 (or anything).
fn accepts(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else { return Ok(()) };
    let fits = accept.split(',').any(|range| {
        let range: String = range.split(";q=").next().unwrap_or("").chars().filter(|c| !c.is_whitespace()).collect();
        matches!(
            range.as_str(),
            "*/*" | "application/*" | "application/taxii+json" | "application/taxii+json;version=2.1"
        )
    });
    if fits {
        Ok(())
    } else {
        Err(TaxiiError(StatusCode::NOT_ACCEPTABLE, format!("This server answers with {TAXII}.")))
    }
}

fn root(name: &str) -> Result<(), TaxiiError> {
    if name == ROOT {
        Ok(())
    } else {
        Err(TaxiiError(StatusCode::NOT_FOUND, format!("The API root is /taxii2/{ROOT}/.")))
    }
}

fn taxii(body: Value) -> Response {
    ([(header::CONTENT_TYPE, TAXII)], body.to_string()).into_response()
}

/// Microseconds since the epoch as a TAXII timestamp.
fn timestamp(us: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .map(|t| {
            let format = time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
            );
            t.format(&format).unwrap_or_default()
        })
        .unwrap_or_default()
}

fn parse_instant(field: &str, text: &str) -> Result<i64, TaxiiError> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1000) as i64)
        .map_err(|_| {
            TaxiiError(
                StatusCode::BAD_REQUEST,
                format!("{field} must be a timestamp such as 2026-01-01T00:00:00.000Z, not {text}"),
            )
        })
}

async fn discovery(
    State(state): State<AppState>,
    headers: HeaderMap,
    _actor: TaxiiActor,
) -> Result<Response, TaxiiError> {
    accepts(&headers)?;
    let _ = state;
    Ok(taxii(json!({
        "title": "Rampart TAXII 2.1",
        "description": "The STIX collections of this Rampart instance: each organisation's own and its communities'.",
        "default": format!("/taxii2/{ROOT}/"),
        "api_roots": [format!("/taxii2/{ROOT}/")],
    })))
}

async fn api_root(headers: HeaderMap, Path(name): Path<String>, _actor: TaxiiActor) -> Result<Response, TaxiiError> {
    accepts(&headers)?;
    root(&name)?;
    Ok(taxii(json!({
        "title": "Rampart",
        "description": "Collections of STIX 2.1 objects, read under TLP 2.0.",
        "versions": [TAXII],
        "max_content_length": crate::TAXII_BODY_LIMIT,
    })))
}

fn collection_json(c: &ReadableCollection) -> Value {
    json!({
        "id": c.collection.id, "title": c.collection.title, "description": c.collection.description,
        "can_read": true, "can_write": c.can_write, "media_types": [STIX],
    })
}

async fn collections(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    actor: TaxiiActor,
) -> Result<Response, TaxiiError> {
    accepts(&headers)?;
    root(&name)?;
    let all = state.store.readable_collections(&actor.0.org_id).await?;
    let list: Vec<Value> = all.iter().map(collection_json).collect();
    Ok(taxii(if list.is_empty() { json!({}) } else { json!({"collections": list}) }))
}

async fn collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    actor: TaxiiActor,
) -> Result<Response, TaxiiError> {
    accepts(&headers)?;
    root(&name)?;
    let found = state.store.readable_collection(&actor.0.org_id, &id).await.map_err(|_| not_found())?;
    Ok(taxii(collection_json(&found)))
}

/// The filters and paging of a request, as TAXII 2.1 names them.
fn object_query(
    params: &[(String, String)],
    object_id: Option<String>,
    versions_default: VersionFilter,
) -> Result<ObjectQuery, TaxiiError> {
    let list = |name: &str| -> Vec<String> {
        params
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_string()))
            .filter(|s| !s.is_empty())
            .collect()
    };
    let one = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let limit = match one("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                TaxiiError(StatusCode::BAD_REQUEST, format!("limit must be a whole number of at least 1, not {text}"))
            })?
            .min(MAX_LIMIT),
    };
    let added_after = one("added_after").map(|t| parse_instant("added_after", t)).transpose()?;
    let after = match one("next") {
        None => None,
        Some(token) => {
            let (added, seq) = token
                .split_once('-')
                .and_then(|(a, s)| Some((a.parse().ok()?, s.parse().ok()?)))
                .ok_or_else(|| TaxiiError(StatusCode::BAD_REQUEST, "next is not a token this server gave".into()))?;
            Some((added, seq))
        }
    };
    let wanted = list("match[version]");
    let versions = if wanted.is_empty() {
        versions_default
    } else if wanted.iter().any(|v| v == "all") {
        VersionFilter::All
    } else if wanted == ["last"] {
        VersionFilter::Last
    } else if wanted == ["first"] {
        VersionFilter::First
    } else {
        VersionFilter::At(wanted.iter().map(|v| parse_instant("match[version]", v)).collect::<Result<_, _>>()?)
    };
    Ok(ObjectQuery {
        object_id,
        added_after,
        after,
        limit,
        ids: list("match[id]"),
        types: list("match[type]"),
        spec_versions: list("match[spec_version]"),
        versions,
    })
}

/// A page with TAXII's paging headers and envelope fields.
fn page(objects: &[rampart_store::StoredObject], more: bool, mut body: Value) -> Response {
    if more && let Some(last) = objects.last() {
        body["next"] = json!(format!("{}-{}", last.date_added, last.seq));
    }
    body["more"] = json!(more);
    let mut response = taxii(body);
    if let (Some(first), Some(last)) = (objects.first(), objects.last()) {
        for (name, us) in [("X-TAXII-Date-Added-First", first.date_added), ("X-TAXII-Date-Added-Last", last.date_added)]
        {
            if let Ok(value) = HeaderValue::from_str(&timestamp(us)) {
                response.headers_mut().insert(name, value);
            }
        }
    }
    response
}

async fn read(
    state: &AppState,
    headers: &HeaderMap,
    (name, id): (&str, &str),
    actor: &TaxiiActor,
    query: ObjectQuery,
) -> Result<(Vec<rampart_store::StoredObject>, bool), TaxiiError> {
    accepts(headers)?;
    root(name)?;
    state
        .store
        .query_objects(&actor.0.org_id, id, &query)
        .await
        .map_err(|e| if matches!(e, StoreError::NotFound) { not_found() } else { e.into() })
}

fn envelope(objects: &[rampart_store::StoredObject]) -> Value {
    let objects: Vec<Value> = objects.iter().filter_map(|o| serde_json::from_str(&o.body).ok()).collect();
    if objects.is_empty() { json!({}) } else { json!({"objects": objects}) }
}

async fn objects(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
    actor: TaxiiActor,
) -> Result<Response, TaxiiError> {
    let query = object_query(&params, None, VersionFilter::Last)?;
    let (found, more) = read(&state, &headers, (&name, &id), &actor, query).await?;
    Ok(page(&found, more, envelope(&found)))
}

async fn object(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, id, object_id)): Path<(String, String, String)>,
    Query(params): Query<Vec<(String, String)>>,
    actor: TaxiiActor,
) -> Result<Response, TaxiiError> {
    let (found, more) =
        read_object(&state, &headers, (&name, &id, object_id), &params, &actor, VersionFilter::Last).await?;
    Ok(page(&found, more, envelope(&found)))
}

/// The versions of one object a request asks for; 404 when an unfiltered
/// request finds none (the object is not there, or not for this reader).
async fn read_object(
    state: &AppState,
    headers: &HeaderMap,
    (name, id, object_id): (&str, &str, String),
    params: &[(String, String)],
    actor: &TaxiiActor,
    versions: VersionFilter,
) -> Result<(Vec<rampart_store::StoredObject>, bool), TaxiiError> {
    let query = object_query(params, Some(object_id), versions)?;
    let (found, more) = read(state, headers, (name, id), actor, query).await?;
    if found.is_empty() && params.is_empty() {
        return Err(not_found());
    }
    Ok((found, more))
}

/// An object's version as TAXII lists it: its `modified`, else when it was added.
fn version_of(o: &rampart_store::StoredObject) -> String {
    if o.version.is_empty() { timestamp(o.date_added) } else { o.version.clone() }
}

async fn versions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, id, object_id)): Path<(String, String, String)>,
    Query(params): Query<Vec<(String, String)>>,
    actor: TaxiiActor,
) -> Result<Response, TaxiiError> {
    let (found, more) =
        read_object(&state, &headers, (&name, &id, object_id), &params, &actor, VersionFilter::All).await?;
    let mut listed: Vec<String> = found.iter().map(version_of).collect();
    listed.sort();
    Ok(page(&found, more, if listed.is_empty() { json!({}) } else { json!({"versions": listed}) }))
}

async fn manifest(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
    actor: TaxiiActor,
) -> Result<Response, TaxiiError> {
    let query = object_query(&params, None, VersionFilter::Last)?;
    let (found, more) = read(&state, &headers, (&name, &id), &actor, query).await?;
    let entries: Vec<Value> = found
        .iter()
        .map(|o| json!({"id": o.id, "date_added": timestamp(o.date_added), "version": version_of(o), "media_type": STIX}))
        .collect();
    Ok(page(&found, more, if entries.is_empty() { json!({}) } else { json!({"objects": entries}) }))
}

/// `POST …/objects/`: adds an envelope's objects; each invalid one is a
/// failure in the status resource, the valid ones are kept.
async fn add_objects(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    writer: TaxiiWriter,
    body: axum::body::Bytes,
) -> Result<Response, TaxiiError> {
    accepts(&headers)?;
    root(&name)?;
    let org = &writer.0.org_id;
    let target = state.store.readable_collection(org, &id).await.map_err(|_| not_found())?;
    if !target.can_write {
        return Err(TaxiiError(StatusCode::FORBIDDEN, "This collection is read-only for your organisation.".into()));
    }
    let envelope: Value = serde_json::from_slice(&body)
        .map_err(|e| TaxiiError(StatusCode::BAD_REQUEST, format!("The body is not JSON: {e}")))?;
    let Some(Value::Array(objects)) = envelope.get("objects") else {
        return Err(TaxiiError(StatusCode::UNPROCESSABLE_ENTITY, "An envelope needs an `objects` list.".into()));
    };
    let requested = timestamp(rampart_store::now_ms() * 1000);
    let (send, receive) = tokio::sync::mpsc::channel(objects.len().max(1));
    for (index, object) in objects.iter().enumerate() {
        let _ = send.try_send(rampart_stix::read_object(index, object.clone()));
    }
    drop(send);
    let ctx = rampart_store::ChangeContext::new(writer.0.email.clone(), rampart_domain::new_id());
    let report = state.store.import_stix(&ctx, &target.collection.org_id, &id, receive).await?;
    let failures: Vec<Value> =
        report.refused.iter().map(|f| json!({"id": f.id.clone().unwrap_or_default(), "message": f.reason})).collect();
    let successes: Vec<Value> = report
        .kept
        .iter()
        .map(|(id, version)| if version.is_empty() { json!({"id": id}) } else { json!({"id": id, "version": version}) })
        .collect();
    let status_id = uuid::Uuid::new_v4().to_string();
    let resource = json!({
        "id": status_id, "status": "complete", "request_timestamp": requested,
        "total_count": objects.len(), "success_count": successes.len(), "successes": successes,
        "failure_count": report.refused_count, "failures": failures, "pending_count": 0, "pendings": [],
    });
    state.store.save_taxii_status(org, &status_id, &resource).await?;
    let mut response = taxii(resource);
    *response.status_mut() = StatusCode::ACCEPTED;
    Ok(response)
}

/// `DELETE …/objects/{object-id}/`: every version, or those `match[version]` names.
async fn delete_object(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, id, object_id)): Path<(String, String, String)>,
    Query(params): Query<Vec<(String, String)>>,
    writer: TaxiiWriter,
) -> Result<Response, TaxiiError> {
    accepts(&headers)?;
    root(&name)?;
    let versions: Vec<i64> = params
        .iter()
        .filter(|(k, _)| k == "match[version]")
        .flat_map(|(_, v)| v.split(',').map(str::trim).map(String::from).collect::<Vec<_>>())
        .map(|v| parse_instant("match[version]", &v))
        .collect::<Result<_, _>>()?;
    let ctx = rampart_store::ChangeContext::new(writer.0.email.clone(), rampart_domain::new_id());
    state.store.delete_stix_object(&ctx, &writer.0.org_id, &id, &object_id, &versions).await.map_err(|e| match e {
        StoreError::NotFound => not_found(),
        e => e.into(),
    })?;
    Ok(taxii(json!({})))
}

/// `GET …/status/{status-id}/`: what became of an earlier request's objects.
async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, status_id)): Path<(String, String)>,
    actor: TaxiiActor,
) -> Result<Response, TaxiiError> {
    accepts(&headers)?;
    root(&name)?;
    let found = state.store.taxii_status(&actor.0.org_id, &status_id).await.map_err(|_| not_found())?;
    Ok(taxii(found))
}
