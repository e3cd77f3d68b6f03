//! The server-rendered web UI. Core flows are plain HTML forms that work
//! without JavaScript; `static/app.js` only adds conveniences.

mod assessment_reports;
mod assessments;
mod assets;
mod audit;
mod controls;
mod frameworks;
mod graph;
mod heatmap;
mod home;
mod incident_evidence;
mod incident_links;
mod incident_reports;
mod incidents;
mod notifications;
mod people;
mod public_feed;
mod public_report;
mod quant;
mod regulatory_rules;
mod risk_settings;
mod risks;
mod score_chart;
mod session;
mod sharing;
mod taxii;
mod threats;
mod tree;
mod vulnerabilities;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use rampart_domain::credentials::constant_time_eq;
use rampart_domain::{OrgKind, Permission};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::auth::{BrowserSession, csrf_problem};
use crate::error::Problem;

/// Every route; evidence uploads may be up to `evidence_limit` bytes.
pub fn routes(evidence_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/", get(home::dashboard))
        .route("/api", get(home::api_page))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/logout-everywhere", post(session::logout_everywhere))
        .route("/switch-org", post(session::switch_org))
        .route("/settings/profile", get(session::profile))
        .route("/settings/profile/password", post(session::change_password))
        .route("/settings/members", get(people::members).post(people::add_member))
        .route("/settings/members/{user_id}/role", post(people::change_role))
        .route("/settings/members/{user_id}/remove", post(people::remove_member))
        .route("/sharing", get(sharing::show))
        .route("/sharing/items", post(sharing::share).layer(axum::extract::DefaultBodyLimit::max(evidence_limit)))
        .route("/sharing/items/{id}", get(sharing::item))
        .route(
            "/sharing/items/{id}/files",
            post(sharing::attach).layer(axum::extract::DefaultBodyLimit::max(evidence_limit)),
        )
        .route("/sharing/files/{id}", get(sharing::download))
        .route("/sharing/items/{id}/acknowledge", post(sharing::acknowledge))
        .route("/sharing/taxii", get(taxii::show))
        .route("/sharing/taxii/{action}", post(taxii::act))
        .route("/sharing/taxii/subscriptions/{id}/{action}", post(taxii::subscription_act))
        .route("/sharing/{action}", post(sharing::act))
        .route("/sharing/communities/{id}/{action}", post(sharing::community_act))
        .route("/settings/notifications", get(notifications::show))
        .route("/settings/notifications/channels", post(notifications::create))
        .route("/settings/notifications/channels/{id}/{action}", post(notifications::channel_action))
        .route("/settings/notifications/{id}/retry", post(notifications::retry))
        .route("/settings/tokens", get(people::tokens).post(people::create_token))
        .route("/settings/tokens/{id}/revoke", post(people::revoke_token))
        .route("/settings/organisations", get(people::organisations).post(people::create_organisation))
        .route("/risk/assets", get(assets::list).post(assets::create))
        .route("/risk/assets/{id}", get(assets::detail).post(assets::update))
        .route("/risk/assets/{id}/delete", post(assets::delete))
        .route("/risk/assets/{id}/dependencies", post(assets::add_dependency))
        .route("/risk/assets/{id}/dependencies/{other}/remove", post(assets::remove_dependency))
        .route("/risk/vulnerabilities", get(vulnerabilities::list).post(vulnerabilities::create))
        .route("/risk/vulnerabilities/{id}", get(vulnerabilities::detail).post(vulnerabilities::update))
        .route("/risk/vulnerabilities/{id}/delete", post(vulnerabilities::delete))
        .route("/risk/vulnerabilities/{id}/assets", post(vulnerabilities::link_asset))
        .route("/risk/vulnerabilities/{id}/assets/{asset}/remove", post(vulnerabilities::unlink_asset))
        .route("/risk/threats", get(threats::list).post(threats::create))
        .route("/risk/threats/{id}/delete", post(threats::delete))
        .route("/risk/scenarios", get(risks::list).post(risks::create))
        .route("/risk/scenarios/{id}", get(risks::detail).post(risks::update))
        .route("/risk/scenarios/{id}/delete", post(risks::delete))
        .route("/risk/scenarios/{id}/review", post(risks::review))
        .route("/risk/scenarios/{id}/fair", post(risks::set_fair_model))
        .route("/risk/scenarios/{id}/quantify", post(risks::quantify_scenario))
        .route("/risk/scenarios/{id}/acceptances", post(risks::submit_acceptance))
        .route("/risk/scenarios/{id}/acceptances/{acceptance}", post(risks::decide_acceptance))
        .route("/risk/scenarios/{id}/{kind}", post(risks::link))
        .route("/risk/scenarios/{id}/{kind}/{other}/remove", post(risks::unlink))
        .route("/risk/controls", get(controls::list).post(controls::create))
        .route("/risk/controls/{id}", get(controls::detail).post(controls::update))
        .route("/risk/controls/{id}/delete", post(controls::delete))
        .route("/risk/portfolio", get(quant::portfolio).post(quant::quantify_portfolio))
        .route("/risk/matrix", get(risk_settings::settings).post(risk_settings::save_settings))
        .route("/risk/report", get(risk_settings::report))
        .route(
            "/frameworks",
            get(frameworks::list)
                .post(frameworks::import)
                .layer(axum::extract::DefaultBodyLimit::max(crate::LIBRARY_BODY_LIMIT)),
        )
        .route("/frameworks/library", post(frameworks::load))
        .route("/frameworks/mappings", post(frameworks::load_mapping))
        .route("/frameworks/mappings/{id}/delete", post(frameworks::delete_mapping))
        .route("/assessments", get(assessments::list).post(assessments::create))
        .route("/assessments/{id}", get(assessments::detail).post(assessments::save_settings))
        .route("/assessments/{id}/results", post(assessments::save_answer))
        .route("/assessments/{id}/status", post(assessments::change_status))
        .route("/assessments/{id}/people", post(assessments::save_people))
        .route("/assessments/{id}/controls", post(assessments::link_control))
        .route("/assessments/{id}/delete", post(assessments::delete))
        .route(
            "/assessments/{id}/evidence",
            post(assessments::add_evidence).layer(axum::extract::DefaultBodyLimit::max(evidence_limit)),
        )
        .route("/evidence/{id}/download", get(assessments::download_evidence))
        .route("/evidence/{id}/delete", post(assessments::delete_evidence))
        .route("/assessments/{id}/soa", get(assessment_reports::soa))
        .route("/assessments/{id}/gaps", get(assessment_reports::gaps))
        .route("/assessments/{id}/compare", get(assessment_reports::compare))
        .route("/frameworks/{id}", get(frameworks::detail))
        .route("/frameworks/{id}/export", get(frameworks::export))
        .route("/frameworks/{id}/delete", post(frameworks::delete))
        .route("/incidents", get(incidents::list).post(incidents::create))
        .route("/incidents/deadlines", get(incidents::deadlines))
        .route("/incidents/metrics", get(incidents::metrics))
        .route("/incidents/templates", get(incidents::templates).post(incidents::save_template))
        .route("/incidents/rules", get(regulatory_rules::show).post(regulatory_rules::add))
        .route("/incidents/rules/{regime}/{obligation}/remove", post(regulatory_rules::remove))
        .route("/incidents/{id}/tasks", post(incidents::add_task))
        .route("/incidents/{id}/tasks/{task}", post(incidents::update_task))
        .route("/incidents/{id}", get(incidents::detail))
        .route("/incidents/{id}/transitions", post(incidents::transition))
        .route("/incidents/{id}/observables", post(incidents::add_observable))
        .route("/incidents/{id}/summaries", post(incidents::share_summary))
        .route("/incidents/{id}/notes", post(incidents::add_note))
        .route("/incidents/{id}/submissions", post(incidents::submit))
        .route("/incidents/{id}/edit", post(incidents::edit))
        .route(
            "/incidents/{id}/evidence",
            post(incident_evidence::upload).layer(axum::extract::DefaultBodyLimit::max(evidence_limit)),
        )
        .route("/incident-evidence/{id}/download", get(incident_evidence::download))
        .route("/incident-evidence/{id}/hand-overs", post(incident_evidence::hand_over))
        .route("/incident-evidence/{id}/verify", post(incident_evidence::verify))
        .route("/incidents/{id}/regimes", post(incident_reports::apply_regime))
        .route("/incidents/{id}/merge", post(incident_links::merge))
        .route("/incidents/{id}/reports/{regime}/{obligation}", get(incident_reports::draft))
        .route("/incidents/{id}/links", post(incident_links::link))
        .route("/incidents/{id}/{kind}/{other}/remove", post(incident_links::unlink))
        .route("/incidents/{id}/follow-ups", post(incident_links::add_follow_up))
        .route("/incidents/{id}/follow-ups/{follow_up}/done", post(incident_links::complete_follow_up))
        .route("/incidents/public-page", post(incidents::public_page))
        .route("/report/{slug}", get(public_report::form).post(public_report::submit))
        .route("/public/feed", get(public_feed::page))
        .route("/public/feed.json", get(public_feed::bundle))
        .route("/audit", get(audit::page))
        .route("/audit/export", get(audit::export))
}

/// What the page frame shows: who is logged in, the organisation switcher,
/// the navigation.
#[derive(Debug, Default)]
pub struct Shell {
    pub title: String,
    pub email: String,
    pub superadmin: bool,
    pub csrf: String,
    pub org_name: Option<String>,
    pub orgs: Vec<OrgChoice>,
    pub nav: &'static str,
    pub can_audit: bool,
    /// An admin of the organisation: members, notifications.
    pub can_manage: bool,
}

#[derive(Debug)]
pub struct OrgChoice {
    pub id: String,
    pub name: String,
    pub role: String,
    pub selected: bool,
}

impl Shell {
    pub async fn of(
        state: &AppState,
        browser: &BrowserSession,
        title: &str,
        nav: &'static str,
    ) -> Result<Shell, Problem> {
        let orgs = state.store.orgs_of_user(&browser.user.id).await?;
        let current = browser.actor.as_ref().map(|a| a.org_id.as_str());
        Ok(Shell {
            title: title.to_string(),
            email: browser.user.email.clone(),
            superadmin: browser.user.superadmin,
            csrf: browser.session.csrf_token.clone(),
            org_name: browser.actor.as_ref().map(|a| a.org_name.clone()),
            orgs: orgs
                .into_iter()
                .map(|(o, role)| OrgChoice {
                    selected: Some(o.id.as_str()) == current,
                    id: o.id,
                    name: o.name,
                    role: role.to_string(),
                })
                .collect(),
            nav,
            can_audit: browser.actor.as_ref().is_some_and(|a| a.can(Permission::ReadAudit)),
            can_manage: browser.actor.as_ref().is_some_and(|a| a.can(Permission::ManageMembers)),
        })
    }

    /// The frame for pages seen before logging in.
    pub fn anonymous(title: &str) -> Shell {
        Shell { title: title.to_string(), ..Shell::default() }
    }
}

/// Renders a template, or the error page if rendering fails.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    shell: Shell,
    status: u16,
    title: &'a str,
    detail: &'a str,
}

/// A problem shown to a person as a page.
pub fn error_page(problem: &Problem) -> Response {
    let page = ErrorPage {
        shell: Shell::anonymous(problem.title),
        status: problem.status,
        title: problem.title,
        detail: &problem.detail,
    };
    render(problem.status(), &page)
}

/// A problem answered as an HTML page.
#[derive(Debug)]
pub struct PageError(pub Problem);

impl<E: Into<Problem>> From<E> for PageError {
    fn from(err: E) -> Self {
        PageError(err.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(&self.0)
    }
}

/// A form posted by a logged-in browser, accepted only with the session's
/// CSRF token in its `csrf_token` field.
#[derive(Debug)]
pub struct CsrfForm<T> {
    pub browser: BrowserSession,
    pub form: T,
}

/// The organisation session behind a form; `None` when the session has no
/// organisation (the dashboard then explains what to do).
pub fn org_session(browser: BrowserSession) -> Option<crate::auth::OrgSession> {
    let actor = browser.actor.clone()?;
    Some(crate::auth::OrgSession { browser, actor })
}

/// The audit context of a change made in the browser.
pub fn change_context(
    org: &crate::auth::OrgSession,
    request_id: &crate::middleware::RequestId,
) -> rampart_store::ChangeContext {
    rampart_store::ChangeContext::new(org.actor.email.clone(), request_id.0.clone())
}

/// `?notice=` after a change, mapped to a fixed message by each page.
#[derive(Debug, Default, Deserialize)]
pub struct NoticeParam {
    pub notice: Option<String>,
}

/// A form whose only field is its CSRF token (log out, revoke, remove).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

#[derive(Deserialize)]
struct TokenField {
    csrf_token: Option<String>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let browser =
            BrowserSession::from_request_parts(&mut parts, state).await.map_err(IntoResponse::into_response)?;
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let bytes =
            Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(IntoResponse::into_response)?;
        if !is_form {
            return Err(error_page(&Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported Media Type",
                "Send the form as application/x-www-form-urlencoded.",
            )));
        }
        let token: TokenField = serde_urlencoded::from_bytes(&bytes).map_err(|_| error_page(&csrf_problem()))?;
        if !token.csrf_token.is_some_and(|t| constant_time_eq(&t, &browser.session.csrf_token)) {
            return Err(error_page(&csrf_problem()));
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| error_page(&Problem::bad_request(format!("The form could not be read: {e}"))))?;
        Ok(CsrfForm { browser, form })
    }
}

/// Fixed messages shown after a successful change (`?notice=…`): the page
/// never echoes text from the URL.
pub fn notice_text(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "member-added" => "The member was added.",
        "role-changed" => "The role was changed.",
        "member-removed" => "The member was removed.",
        "token-revoked" => "The token was revoked.",
        "password-changed" => "Your password was changed; your other sessions have ended.",
        "org-created" => "The organisation was created and you are its admin.",
        _ => return None,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub after: Option<String>,
    pub notice: Option<String>,
}

/// After a form's change: on to `to` with the notice `code` names, or, when
/// the refusal is one the person can fix, the form's page `again` with it shown.
pub(crate) async fn after_change<Fut>(
    outcome: Result<&'static str, Problem>,
    to: &str,
    again: impl FnOnce((StatusCode, String)) -> Fut,
) -> Result<Response, PageError>
where
    Fut: std::future::Future<Output = Result<Response, PageError>>,
{
    match outcome {
        Ok(code) => Ok(axum::response::Redirect::to(&format!("{to}?notice={code}")).into_response()),
        Err(p) if p.fixable_on_page() => again((p.status(), p.detail)).await,
        Err(p) => Err(PageError(p)),
    }
}

/// A file posted in a multipart form.
pub(crate) struct Upload {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Reads a multipart form with an optional `file` field (empty means none)
/// and checks its CSRF token before the caller stores anything.
pub(crate) async fn read_upload(
    org: &crate::auth::OrgSession,
    mut multipart: axum::extract::Multipart,
) -> Result<(assessments::Pairs, Option<Upload>), PageError> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut file = None;
    let bad = |e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        PageError(if status == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(status, "Content Too Large", "The file is larger than this server takes as evidence.")
        } else {
            Problem::bad_request(format!("The upload could not be read: {e}"))
        })
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let content_type = field.content_type().unwrap_or_default().to_string();
            let bytes = field.bytes().await.map_err(bad)?;
            if !bytes.is_empty() {
                file = Some(Upload { name: file_name, content_type, bytes: bytes.to_vec() });
            }
        } else {
            fields.push((name, field.text().await.map_err(bad)?));
        }
    }
    let form = assessments::Pairs(fields);
    if !constant_time_eq(&form.get("csrf_token"), &org.browser.session.csrf_token) {
        return Err(PageError(csrf_problem()));
    }
    Ok((form, file))
}

/// Unix ms as a short UTC time for people.
pub fn display_time(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// Text escaped for SVG markup the server writes.
pub fn svg_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The stakeholder kinds as (value, label) for forms.
pub fn kind_choices() -> Vec<(&'static str, &'static str)> {
    OrgKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect()
}
