//! Incidents → Reporting rules: the regimes' obligations as data. The
//! built-in NIS2, GDPR and DORA rules are listed; an admin adds the
//! organisation's own (a sector regulator's, a contract's) and removes them.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::Permission;
use rampart_domain::regulatory::{ObligationRule, built_in_rules};
use serde::Deserialize;

use super::assessments::Pairs;
use super::{CsrfForm, PageError, Shell, change_context, org_session, render};
use crate::AppState;
use crate::auth::OrgSession;
use crate::error::Problem;
use crate::middleware::RequestId;

struct RuleRow {
    regime: String,
    obligation: String,
    name: String,
    due: String,
    built_in: bool,
}

#[derive(Template)]
#[template(path = "regulatory_rules.html")]
struct RulesPage {
    shell: Shell,
    incident_tab: &'static str,
    notice: Option<&'static str>,
    error: Option<String>,
    rules: Vec<RuleRow>,
    can_admin: bool,
}

/// A number of minutes as the regulations say it: `4 h`, `24 h`, `30 days`, `90 min`.
fn span(minutes: i64) -> String {
    match minutes {
        m if m % (24 * 60) == 0 && m >= 7 * 24 * 60 => format!("{} days", m / (24 * 60)),
        m if m % 60 == 0 && m > 0 => format!("{} h", m / 60),
        m => format!("{m} min"),
    }
}

fn anchor(text: &str) -> String {
    match text {
        "aware" => "awareness".into(),
        "classified" => "classification".into(),
        other => format!("the {} report", other.trim_start_matches("after:")),
    }
}

fn due(rule: &ObligationRule) -> String {
    let first = format!("{} after {}", span(rule.offset_minutes), anchor(&rule.anchor.as_text()));
    match &rule.latest {
        Some((a, m)) => format!("{first}, and no later than {} after {}", span(*m), anchor(&a.as_text())),
        None => first,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    notice: Option<String>,
}

async fn page(
    state: &AppState,
    org: &OrgSession,
    code: Option<&str>,
    error: Option<(StatusCode, String)>,
) -> Result<Response, PageError> {
    let built_in = built_in_rules();
    let rules = state.store.regulatory_rules(&org.actor.org_id).await?;
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.0);
    Ok(render(
        status,
        &RulesPage {
            shell: Shell::of(state, &org.browser, "Reporting rules", "incidents").await?,
            incident_tab: "rules",
            notice: match code {
                Some("added") => Some("The rule was added: incidents under its regime have its clock now."),
                Some("removed") => Some("The rule was removed."),
                _ => None,
            },
            error: error.map(|e| e.1),
            rules: rules
                .iter()
                .map(|r| RuleRow {
                    built_in: built_in.iter().any(|b| b.regime == r.regime && b.key == r.key),
                    due: due(r),
                    regime: r.regime.clone(),
                    obligation: r.key.clone(),
                    name: r.name.clone(),
                })
                .collect(),
            can_admin: org.actor.can(Permission::DecideRisk),
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    org: OrgSession,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    page(&state, &org, p.notice.as_deref(), None).await
}

pub async fn add(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::DecideRisk, "add reporting rules")?;
    let f = form.form;
    let outcome = async {
        let hours = |field: &'static str| -> Result<Option<i64>, Problem> {
            let text = f.get(field);
            if text.trim().is_empty() {
                return Ok(None);
            }
            let h: f64 = text
                .trim()
                .parse()
                .ok()
                .filter(|h: &f64| h.is_finite())
                .ok_or_else(|| rampart_domain::Invalid::new(field, "must be a number of hours"))?;
            Ok(Some((h * 60.0).round() as i64))
        };
        let offset =
            hours("offset_hours")?.ok_or_else(|| rampart_domain::Invalid::new("offset_hours", "is required"))?;
        let latest_anchor = f.get("latest_anchor");
        let latest = match hours("latest_hours")? {
            Some(m) if !latest_anchor.is_empty() => Some((latest_anchor.as_str(), m)),
            _ => None,
        };
        let rule = ObligationRule::parse(
            &f.get("regime"),
            &f.get("obligation"),
            &f.get("name"),
            &f.get("anchor"),
            offset,
            latest,
        )?;
        state.store.add_regulatory_rule(&change_context(&org, &rid), &org.actor.org_id, &rule).await?;
        Ok::<_, Problem>("added")
    }
    .await;
    done(&state, &org, outcome).await
}

pub async fn remove(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path((regime, obligation)): Path<(String, String)>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::DecideRisk, "remove reporting rules")?;
    let ctx = change_context(&org, &rid);
    let outcome = state.store.remove_regulatory_rule(&ctx, &org.actor.org_id, &regime, &obligation).await;
    done(&state, &org, outcome.map(|()| "removed").map_err(Problem::from)).await
}

async fn done(
    state: &AppState,
    org: &OrgSession,
    outcome: Result<&'static str, Problem>,
) -> Result<Response, PageError> {
    super::after_change(outcome, "/incidents/rules", |e| page(state, org, None, Some(e))).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn due_times_read_like_the_regulation() {
        let dora = rampart_domain::regulatory::built_in_rules().into_iter().find(|r| r.key == "initial").unwrap();
        assert_eq!(super::due(&dora), "4 h after classification, and no later than 24 h after awareness");
        let nis2 = rampart_domain::regulatory::built_in_rules().into_iter().find(|r| r.key == "final-report").unwrap();
        assert_eq!(super::due(&nis2), "30 days after the notification report");
    }
}
