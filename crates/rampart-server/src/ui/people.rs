//! Settings pages: members, API tokens, organisations.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::{OrgKind, PageRequest, Permission, Role};
use rampart_store::{ChangeContext, StoreError};
use serde::Deserialize;

use super::{
    CsrfForm, ListQuery, NoFields, PageError, Shell, change_context, display_time, kind_choices, notice_text,
    org_session, render,
};
use crate::AppState;
use crate::api::people::{expiry_from, initial_password_hash, token_owner_filter};
use crate::api::rfc3339;
use crate::auth::{BrowserSession, OrgSession};
use crate::error::Problem;
use crate::middleware::RequestId;

fn page_of(q: &ListQuery) -> Result<PageRequest, Problem> {
    Ok(PageRequest::new(Some(50), q.after.clone().filter(|a| !a.is_empty()))?)
}

fn to_dashboard() -> Response {
    Redirect::to("/").into_response()
}

struct MemberRow {
    user_id: String,
    email: String,
    role: String,
    joined: String,
    joined_display: String,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    shell: Shell,
    tab: &'static str,
    notice: Option<&'static str>,
    error: Option<String>,
    org_name: String,
    members: Vec<MemberRow>,
    next: Option<String>,
    can_manage: bool,
    roles: Vec<String>,
}

async fn members_page(
    state: &AppState,
    org: &OrgSession,
    q: &ListQuery,
    error: Option<String>,
) -> Result<Response, PageError> {
    let page = state.store.list_members(&org.actor.org_id, &page_of(q)?).await?;
    let shell = Shell::of(state, &org.browser, "Members", "settings").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &MembersPage {
            shell,
            tab: "members",
            notice: notice_text(q.notice.as_deref()),
            error,
            org_name: org.actor.org_name.clone(),
            members: page
                .items
                .into_iter()
                .map(|m| MemberRow {
                    joined: rfc3339(m.joined_at),
                    joined_display: display_time(m.joined_at),
                    user_id: m.user_id,
                    email: m.email,
                    role: m.role.to_string(),
                })
                .collect(),
            next: page.next.map(|n| crate::auth::urlencode(&n)),
            can_manage: org.actor.can(Permission::ManageMembers),
            roles: Role::ALL.iter().map(|r| r.to_string()).collect(),
        },
    ))
}

pub async fn members(
    State(state): State<AppState>,
    org: OrgSession,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    members_page(&state, &org, &q, None).await
}

#[derive(Deserialize)]
pub struct MemberForm {
    email: String,
    role: String,
    password: Option<String>,
}

/// Shows a refused change on the page it came from, with the reason.
async fn refused_on_members(state: &AppState, org: &OrgSession, problem: Problem) -> Result<Response, PageError> {
    if problem.status >= 500 || problem.status == 403 {
        return Err(PageError(problem));
    }
    members_page(state, org, &ListQuery::default(), Some(problem.detail)).await
}

pub async fn add_member(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<MemberForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(to_dashboard()) };
    org.require(Permission::ManageMembers, "add members")?;
    let f = form.form;
    let result = async {
        let role = Role::parse(&f.role)?;
        let email = rampart_domain::validate::email(&f.email)?;
        let hash = match state.store.user_by_email(&email).await {
            Ok(_) => None,
            Err(StoreError::NotFound) => initial_password_hash(&email, f.password.as_deref()).await?,
            Err(e) => return Err(Problem::from(e)),
        };
        state
            .store
            .add_member(&change_context(&org, &rid), &org.actor.org_id, &email, role, hash.as_deref())
            .await
            .map_err(Problem::from)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/settings/members?notice=member-added").into_response()),
        Err(problem) => refused_on_members(&state, &org, problem).await,
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(user_id): Path<String>,
    form: CsrfForm<RoleForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(to_dashboard()) };
    org.require(Permission::ManageMembers, "change roles")?;
    let result = async {
        let role = Role::parse(&form.form.role)?;
        state
            .store
            .change_role(&change_context(&org, &rid), &org.actor.org_id, &user_id, role)
            .await
            .map_err(Problem::from)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/settings/members?notice=role-changed").into_response()),
        Err(problem) => refused_on_members(&state, &org, problem).await,
    }
}

pub async fn remove_member(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(user_id): Path<String>,
    form: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(to_dashboard()) };
    org.require(Permission::ManageMembers, "remove members")?;
    match state.store.remove_member(&change_context(&org, &rid), &org.actor.org_id, &user_id).await {
        Ok(()) => Ok(Redirect::to("/settings/members?notice=member-removed").into_response()),
        Err(e) => refused_on_members(&state, &org, e.into()).await,
    }
}

struct TokenRow {
    id: String,
    name: String,
    prefix: String,
    owner: String,
    created: String,
    expires: String,
    last_used: String,
    active: bool,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    shell: Shell,
    tab: &'static str,
    notice: Option<&'static str>,
    error: Option<String>,
    org_name: String,
    tokens: Vec<TokenRow>,
    next: Option<String>,
    all: bool,
    new_secret: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    org: &OrgSession,
    q: &ListQuery,
    error: Option<String>,
    new_secret: Option<String>,
) -> Result<Response, PageError> {
    let owner = token_owner_filter(&org.actor);
    let page = state.store.list_tokens(&org.actor.org_id, owner, &page_of(q)?).await?;
    let now = rampart_store::now_ms();
    let shell = Shell::of(state, &org.browser, "API tokens", "settings").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let tokens = page
        .items
        .into_iter()
        .map(|t| TokenRow {
            active: t.is_active(now),
            state: if t.revoked_at.is_some() {
                "revoked"
            } else if t.is_active(now) {
                "active"
            } else {
                "expired"
            },
            created: display_time(t.created_at),
            expires: t.expires_at.map(display_time).unwrap_or_else(|| "never".into()),
            last_used: t.last_used_at.map(display_time).unwrap_or_else(|| "never".into()),
            id: t.id,
            name: t.name,
            prefix: t.display_prefix,
            owner: t.user_email,
        })
        .collect();
    Ok(render(
        status,
        &TokensPage {
            shell,
            tab: "tokens",
            notice: notice_text(q.notice.as_deref()),
            error,
            org_name: org.actor.org_name.clone(),
            tokens,
            next: page.next,
            all: owner.is_none(),
            new_secret,
        },
    ))
}

pub async fn tokens(
    State(state): State<AppState>,
    org: OrgSession,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    tokens_page(&state, &org, &q, None, None).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
    expires_in: Option<String>,
}

pub async fn create_token(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<TokenForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(to_dashboard()) };
    org.require(Permission::ManageOwnTokens, "create API tokens")?;
    let result = async {
        let expires_at = expiry_from(form.form.expires_in.as_deref())?;
        state
            .store
            .create_token(
                &change_context(&org, &rid),
                &org.actor.org_id,
                &org.actor.user_id,
                &form.form.name,
                expires_at,
            )
            .await
            .map_err(Problem::from)
    }
    .await;
    match result {
        // The secret is shown on this response only; nothing stores it.
        Ok((_, secret)) => tokens_page(&state, &org, &ListQuery::default(), None, Some(secret)).await,
        Err(p) if p.status < 500 => tokens_page(&state, &org, &ListQuery::default(), Some(p.detail), None).await,
        Err(p) => Err(PageError(p)),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(to_dashboard()) };
    org.require(Permission::ManageOwnTokens, "revoke API tokens")?;
    state
        .store
        .revoke_token(&change_context(&org, &rid), &org.actor.org_id, &id, token_owner_filter(&org.actor))
        .await?;
    Ok(Redirect::to("/settings/tokens?notice=token-revoked").into_response())
}

struct OrgRow {
    name: String,
    kind: &'static str,
    created: String,
}

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage {
    shell: Shell,
    tab: &'static str,
    notice: Option<&'static str>,
    error: Option<String>,
    orgs: Vec<OrgRow>,
    next: Option<String>,
    kinds: Vec<(&'static str, &'static str)>,
}

fn require_superadmin(browser: &BrowserSession) -> Result<(), PageError> {
    if browser.user.superadmin {
        Ok(())
    } else {
        Err(PageError(Problem::forbidden("manage organisations (instance superadmins only)")))
    }
}

async fn organisations_page(
    state: &AppState,
    browser: &BrowserSession,
    q: &ListQuery,
    error: Option<String>,
) -> Result<Response, PageError> {
    let page = state.store.list_orgs(&page_of(q)?).await?;
    let shell = Shell::of(state, browser, "Organisations", "settings").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &OrganisationsPage {
            shell,
            tab: "organisations",
            notice: notice_text(q.notice.as_deref()),
            error,
            orgs: page
                .items
                .into_iter()
                .map(|o| OrgRow { name: o.name, kind: o.kind.label(), created: display_time(o.created_at) })
                .collect(),
            next: page.next.map(|n| crate::auth::urlencode(&n)),
            kinds: kind_choices(),
        },
    ))
}

pub async fn organisations(
    State(state): State<AppState>,
    browser: BrowserSession,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    require_superadmin(&browser)?;
    organisations_page(&state, &browser, &q, None).await
}

#[derive(Deserialize)]
pub struct OrganisationForm {
    name: String,
    kind: String,
}

/// Creates an organisation, makes the superadmin its admin and switches to it.
pub async fn create_organisation(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<OrganisationForm>,
) -> Result<Response, PageError> {
    let CsrfForm { browser, form } = form;
    require_superadmin(&browser)?;
    let ctx = ChangeContext::new(browser.user.email.clone(), rid.0);
    let result = async {
        let kind = OrgKind::parse(&form.kind)?;
        let org = state.store.create_org(&ctx, &form.name, kind, Some(&browser.user.id)).await?;
        state.store.switch_session_org(&browser.session, &org.id).await?;
        Ok::<_, Problem>(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/settings/organisations?notice=org-created").into_response()),
        Err(p) if p.status < 500 => organisations_page(&state, &browser, &ListQuery::default(), Some(p.detail)).await,
        Err(p) => Err(PageError(p)),
    }
}
