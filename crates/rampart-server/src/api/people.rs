//! Who am I, organisations, members and API tokens.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rampart_domain::credentials::{check_password_rules, hash_password};
use rampart_domain::validate::duration_secs;
use rampart_domain::{OrgKind, Page, Permission, Role};
use rampart_store::{ApiToken, ChangeContext, Member, Organisation};
use serde::{Deserialize, Serialize};

use super::{ApiJson, PageQuery, rfc3339};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;

pub fn change_context(actor: &rampart_domain::Actor, request_id: &RequestId) -> ChangeContext {
    ChangeContext::new(actor.email.clone(), request_id.0.clone())
}

#[derive(Serialize)]
pub struct OrganisationDto {
    pub id: String,
    pub name: String,
    pub kind: OrgKind,
    pub created_at: String,
}

impl From<Organisation> for OrganisationDto {
    fn from(o: Organisation) -> Self {
        Self { id: o.id, name: o.name, kind: o.kind, created_at: rfc3339(o.created_at) }
    }
}

#[derive(Serialize)]
pub struct MembershipDto {
    pub organisation: OrganisationDto,
    pub role: Role,
}

#[derive(Serialize)]
pub struct MeDto {
    pub user_id: String,
    pub email: String,
    pub superadmin: bool,
    pub organisation: MembershipDto,
    pub memberships: Vec<MembershipDto>,
}

pub async fn me(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<MeDto>, ApiError> {
    let orgs = state.store.orgs_of_user(&actor.user_id).await?;
    let memberships: Vec<MembershipDto> =
        orgs.into_iter().map(|(o, role)| MembershipDto { organisation: o.into(), role }).collect();
    let current = memberships.iter().find(|m| m.organisation.id == actor.org_id).ok_or_else(Problem::unauthorized)?;
    let organisation = MembershipDto {
        organisation: OrganisationDto {
            id: current.organisation.id.clone(),
            name: current.organisation.name.clone(),
            kind: current.organisation.kind,
            created_at: current.organisation.created_at.clone(),
        },
        role: current.role,
    };
    Ok(Json(MeDto {
        user_id: actor.user_id,
        email: actor.email,
        superadmin: actor.superadmin,
        organisation,
        memberships,
    }))
}

fn require_superadmin(actor: &ApiActor) -> Result<(), ApiError> {
    if actor.0.superadmin {
        Ok(())
    } else {
        Err(ApiError(Problem::forbidden("manage organisations (instance superadmins only)")))
    }
}

pub async fn list_orgs(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<OrganisationDto>>, ApiError> {
    require_superadmin(&actor)?;
    let page = state.store.list_orgs(&q.page()?).await?;
    Ok(Json(Page { items: page.items.into_iter().map(Into::into).collect(), next: page.next }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    pub name: String,
    pub kind: String,
}

pub async fn create_org(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<NewOrganisation>,
) -> Result<Response, ApiError> {
    require_superadmin(&actor)?;
    let kind = OrgKind::parse(&body.kind)?;
    let ctx = change_context(&actor.0, &request_id);
    let org = state.store.create_org(&ctx, &body.name, kind, Some(&actor.0.user_id)).await?;
    Ok((StatusCode::CREATED, Json(OrganisationDto::from(org))).into_response())
}

#[derive(Serialize)]
pub struct MemberDto {
    pub user_id: String,
    pub email: String,
    pub role: Role,
    pub joined_at: String,
}

impl From<Member> for MemberDto {
    fn from(m: Member) -> Self {
        Self { user_id: m.user_id, email: m.email, role: m.role, joined_at: rfc3339(m.joined_at) }
    }
}

pub async fn list_members(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<MemberDto>>, ApiError> {
    actor.require(Permission::Read, "see members")?;
    let page = state.store.list_members(&actor.0.org_id, &q.page()?).await?;
    Ok(Json(Page { items: page.items.into_iter().map(Into::into).collect(), next: page.next }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub email: String,
    pub role: String,
    /// Initial password, required when the e-mail has no account yet.
    pub password: Option<String>,
}

/// Validates and hashes a new account's password off the async workers.
pub async fn initial_password_hash(email: &str, password: Option<&str>) -> Result<Option<String>, Problem> {
    let Some(password) = password.filter(|p| !p.is_empty()) else { return Ok(None) };
    check_password_rules(password, email)?;
    let password = password.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|_| Problem::internal())?;
    hash.map(Some).map_err(|_| Problem::internal())
}

pub async fn create_member(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<NewMember>,
) -> Result<Response, ApiError> {
    actor.require(Permission::ManageMembers, "add members")?;
    let role = Role::parse(&body.role)?;
    let email = rampart_domain::validate::email(&body.email)?;
    let hash = match state.store.user_by_email(&email).await {
        Ok(_) => None,
        Err(rampart_store::StoreError::NotFound) => initial_password_hash(&email, body.password.as_deref()).await?,
        Err(e) => return Err(e.into()),
    };
    let member = state
        .store
        .add_member(&change_context(&actor.0, &request_id), &actor.0.org_id, &email, role, hash.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(MemberDto::from(member))).into_response())
}

pub async fn get_member(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(user_id): Path<String>,
) -> Result<Json<MemberDto>, ApiError> {
    actor.require(Permission::Read, "see members")?;
    Ok(Json(state.store.member(&actor.0.org_id, &user_id).await?.into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberChange {
    pub role: String,
}

pub async fn update_member(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(user_id): Path<String>,
    ApiJson(body): ApiJson<MemberChange>,
) -> Result<Json<MemberDto>, ApiError> {
    actor.require(Permission::ManageMembers, "change roles")?;
    let role = Role::parse(&body.role)?;
    let member =
        state.store.change_role(&change_context(&actor.0, &request_id), &actor.0.org_id, &user_id, role).await?;
    Ok(Json(member.into()))
}

pub async fn remove_member(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(user_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::ManageMembers, "remove members")?;
    state.store.remove_member(&change_context(&actor.0, &request_id), &actor.0.org_id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
pub struct TokenDto {
    pub id: String,
    pub name: String,
    pub user_email: String,
    pub prefix: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
    pub active: bool,
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> Self {
        Self {
            active: t.is_active(rampart_store::now_ms()),
            id: t.id,
            name: t.name,
            user_email: t.user_email,
            prefix: t.display_prefix,
            created_at: rfc3339(t.created_at),
            expires_at: t.expires_at.map(rfc3339),
            revoked_at: t.revoked_at.map(rfc3339),
            last_used_at: t.last_used_at.map(rfc3339),
        }
    }
}

/// Whose tokens an actor sees: an admin all of the organisation's, others their own.
pub fn token_owner_filter(actor: &rampart_domain::Actor) -> Option<&str> {
    if actor.can(Permission::ManageMembers) { None } else { Some(actor.user_id.as_str()) }
}

pub async fn list_tokens(
    State(state): State<AppState>,
    actor: ApiActor,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<TokenDto>>, ApiError> {
    actor.require(Permission::ManageOwnTokens, "see API tokens")?;
    let page = state.store.list_tokens(&actor.0.org_id, token_owner_filter(&actor.0), &q.page()?).await?;
    Ok(Json(Page { items: page.items.into_iter().map(Into::into).collect(), next: page.next }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    /// Lifetime such as `90d`, `12h` or `30m`; none means no expiry.
    pub expires_in: Option<String>,
}

#[derive(Serialize)]
pub struct CreatedToken {
    pub token: TokenDto,
    /// The secret, shown this once only.
    pub secret: String,
}

/// Turns an optional lifetime into an absolute expiry in Unix ms.
pub fn expiry_from(expires_in: Option<&str>) -> Result<Option<i64>, Problem> {
    match expires_in.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => Ok(Some(rampart_store::now_ms() + duration_secs("expires_in", text)? * 1000)),
    }
}

pub async fn create_token(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<Response, ApiError> {
    actor.require(Permission::ManageOwnTokens, "create API tokens")?;
    let expires_at = expiry_from(body.expires_in.as_deref())?;
    let (token, secret) = state
        .store
        .create_token(&change_context(&actor.0, &request_id), &actor.0.org_id, &actor.0.user_id, &body.name, expires_at)
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token: token.into(), secret })).into_response())
}

pub async fn revoke_token(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    actor.require(Permission::ManageOwnTokens, "revoke API tokens")?;
    state
        .store
        .revoke_token(&change_context(&actor.0, &request_id), &actor.0.org_id, &id, token_owner_filter(&actor.0))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
