//! Logging in and out, switching organisation, the profile page.

use askama::Template;
use axum::extract::{FromRequest, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use rampart_domain::credentials::{check_password_rules, dummy_verify, hash_password, verify_password};
use rampart_store::{ChangeContext, StoreError};
use serde::Deserialize;

use super::{CsrfForm, ListQuery, NoFields, PageError, Shell, notice_text, render};
use crate::AppState;
use crate::auth::{BrowserSession, clear_session_cookie, client_address, session_cookie, session_secret};
use crate::middleware::RequestId;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    shell: Shell,
    error: Option<String>,
    email: String,
    next: String,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only local paths may follow a login, so the form cannot bounce people to
/// another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && n.len() < 500 => n.to_string(),
        _ => "/".to_string(),
    }
}

pub async fn login_page(Query(q): Query<LoginQuery>) -> Response {
    render(
        StatusCode::OK,
        &LoginPage {
            shell: Shell::anonymous("Log in"),
            error: None,
            email: String::new(),
            next: safe_next(q.next.as_deref()),
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    let address = client_address(request.extensions());
    let Form(form) = Form::<LoginForm>::from_request(request, &state)
        .await
        .map_err(|e| PageError(crate::error::Problem::bad_request(e.body_text())))?;
    let email = form.email.trim().to_lowercase();
    let next = safe_next(form.next.as_deref());
    let failed = |status: StatusCode, message: &str| {
        render(
            status,
            &LoginPage {
                shell: Shell::anonymous("Log in"),
                error: Some(message.to_string()),
                email: email.chars().take(254).collect(),
                next: next.clone(),
            },
        )
    };

    let account_key = format!("account:{email}");
    let address_key = format!("address:{address}");
    let window = state.config.throttle_window_ms;
    if state.store.recent_attempts(&account_key, window).await? >= state.config.max_account_failures
        || state.store.recent_attempts(&address_key, window).await? >= state.config.max_address_failures
    {
        let minutes = window / 60_000;
        let mut response = failed(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Too many failed attempts. Wait {minutes} minutes and try again."),
        );
        response.headers_mut().insert(header::RETRY_AFTER, (window / 1000).into());
        return Ok(response);
    }

    let user = match state.store.user_by_email(&email).await {
        Ok(user) => Some(user),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let password = form.password;
    let verified = tokio::task::spawn_blocking(move || match &user {
        Some(user) if verify_password(&user.password_hash, &password) => Some(user.clone()),
        Some(_) => None,
        None => {
            dummy_verify(&password);
            None
        }
    })
    .await
    .map_err(|_| PageError(crate::error::Problem::internal()))?;

    let Some(user) = verified else {
        state.store.record_attempt(&account_key).await?;
        state.store.record_attempt(&address_key).await?;
        tracing::info!(address, "failed login");
        return Ok(failed(StatusCode::UNAUTHORIZED, "The e-mail or the password is wrong."));
    };
    state.store.clear_attempts(&account_key).await?;
    // A new session id at every login: an id planted before login is worthless.
    if let Some(old) = session_secret(&state.config, &headers) {
        state.store.delete_session(&rampart_domain::credentials::secret_hash(&old)).await?;
    }
    let first_org = state.store.orgs_of_user(&user.id).await?.into_iter().next().map(|(o, _)| o.id);
    let (secret, _) = state.store.create_session(&user.id, first_org.as_deref(), state.config.session_policy).await?;
    let mut response = Redirect::to(&next).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&state.config, &secret));
    Ok(response)
}

fn logged_out(state: &AppState) -> Response {
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(header::SET_COOKIE, clear_session_cookie(&state.config));
    response
}

pub async fn logout(State(state): State<AppState>, form: CsrfForm<NoFields>) -> Result<Response, PageError> {
    state.store.delete_session(&form.browser.session.id_hash).await?;
    Ok(logged_out(&state))
}

pub async fn logout_everywhere(State(state): State<AppState>, form: CsrfForm<NoFields>) -> Result<Response, PageError> {
    state.store.delete_user_sessions(&form.browser.user.id).await?;
    Ok(logged_out(&state))
}

#[derive(Deserialize)]
pub struct SwitchForm {
    org_id: String,
}

pub async fn switch_org(State(state): State<AppState>, form: CsrfForm<SwitchForm>) -> Result<Response, PageError> {
    state.store.switch_session_org(&form.browser.session, &form.form.org_id).await?;
    Ok(Redirect::to("/").into_response())
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    shell: Shell,
    tab: &'static str,
    notice: Option<&'static str>,
    error: Option<String>,
}

pub async fn profile(
    State(state): State<AppState>,
    browser: BrowserSession,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let shell = Shell::of(&state, &browser, "Profile", "settings").await?;
    Ok(render(
        StatusCode::OK,
        &ProfilePage { shell, tab: "profile", notice: notice_text(q.notice.as_deref()), error: None },
    ))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    Extension(request_id): Extension<RequestId>,
    form: CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let CsrfForm { browser, form } = form;
    let refuse = |message: String| async {
        let shell = Shell::of(&state, &browser, "Profile", "settings").await?;
        Ok::<_, PageError>(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ProfilePage { shell, tab: "profile", notice: None, error: Some(message) },
        ))
    };
    if let Err(invalid) = check_password_rules(&form.new, &browser.user.email) {
        return refuse(format!("The new {invalid}.")).await;
    }
    let stored = browser.user.password_hash.clone();
    let (current, new) = (form.current, form.new);
    let hashed = tokio::task::spawn_blocking(move || verify_password(&stored, &current).then(|| hash_password(&new)))
        .await
        .map_err(|_| PageError(crate::error::Problem::internal()))?;
    let Some(hash) = hashed else {
        return refuse("The current password is wrong.".to_string()).await;
    };
    let hash = hash.map_err(|_| PageError(crate::error::Problem::internal()))?;
    let ctx = ChangeContext::new(browser.user.email.clone(), request_id.0);
    state.store.set_password(&ctx, &browser.user.id, &hash, Some(&browser.session.id_hash)).await?;
    Ok(Redirect::to("/settings/profile?notice=password-changed").into_response())
}
