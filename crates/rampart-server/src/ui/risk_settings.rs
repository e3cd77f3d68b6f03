//! The risk matrix and risk tolerance page, and the printable risk report.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::risk_matrix::MatrixText;
use rampart_domain::{Invalid, PageRequest, Permission};
use rampart_store::{AcceptanceQueue, RiskFilter, RiskSettings, now_ms};
use serde::Deserialize;

use super::heatmap::{heat_maps, matrix_svg};
use super::quant::ResultView;
use super::{CsrfForm, NoticeParam, PageError, Shell, change_context, display_time, org_session, render};
use crate::AppState;
use crate::api::download::all_pages;
use crate::api::risks::{RatingDto, RiskDto};
use crate::auth::OrgSession;
use crate::error::Problem;
use crate::middleware::RequestId;

/// The settings form: the matrix as text boxes and the tolerance as lines
/// of `loss probability` (the probability as 0.05 or 5%).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(flatten)]
    matrix: MatrixText,
    #[serde(default)]
    tolerance: String,
}

fn tolerance_text(points: &[[f64; 2]]) -> String {
    let percent = |p: f64| {
        let text = format!("{:.4}", p * 100.0);
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    points.iter().map(|[l, p]| format!("{l:.0} {}%", percent(*p))).collect::<Vec<_>>().join("\n")
}

fn parse_tolerance(text: &str) -> Result<Vec<[f64; 2]>, Invalid> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| {
            let field = format!("tolerance line {}", i + 1);
            let bad = || Invalid::new(&field, "write an annual loss and a probability: 1000000 5%");
            let mut parts = line.split_whitespace();
            let (Some(loss), Some(p), None) = (parts.next(), parts.next(), parts.next()) else { return Err(bad()) };
            let loss: f64 = loss.replace([',', '_'], "").parse().map_err(|_| bad())?;
            let p: f64 = match p.strip_suffix('%') {
                Some(pct) => pct.parse::<f64>().map_err(|_| bad())? / 100.0,
                None => p.parse().map_err(|_| bad())?,
            };
            Ok([loss, p])
        })
        .collect()
}

impl SettingsForm {
    fn of(s: &RiskSettings) -> Self {
        SettingsForm { matrix: s.matrix.to_text(), tolerance: tolerance_text(&s.tolerance) }
    }

    fn settings(&self) -> Result<RiskSettings, Problem> {
        let settings = RiskSettings { matrix: self.matrix.parse()?, tolerance: parse_tolerance(&self.tolerance)? };
        settings.validate()?;
        Ok(settings)
    }
}

#[derive(Template)]
#[template(path = "risk_matrix.html")]
struct SettingsPage {
    shell: Shell,
    risk_tab: &'static str,
    notice: Option<&'static str>,
    error: Option<String>,
    preview: String,
    levels: Vec<(String, String)>,
    can_decide: bool,
    form: SettingsForm,
}

async fn settings_page(
    state: &AppState,
    org: &OrgSession,
    notice: Option<&'static str>,
    error: Option<String>,
    form: Option<SettingsForm>,
) -> Result<Response, PageError> {
    let settings = state.store.risk_settings(&org.actor.org_id).await?;
    let shell = Shell::of(state, &org.browser, "Risk matrix", "risk").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &SettingsPage {
            shell,
            risk_tab: "matrix",
            notice,
            error,
            preview: matrix_svg(&settings.matrix, "The organisation's risk matrix", &[]),
            levels: settings
                .matrix
                .levels
                .iter()
                .enumerate()
                .map(|(i, l)| (format!("{i}: {}", l.label), l.colour.clone()))
                .collect(),
            can_decide: org.actor.can(Permission::DecideRisk),
            form: form.unwrap_or_else(|| SettingsForm::of(&settings)),
        },
    ))
}

pub async fn settings(
    State(state): State<AppState>,
    org: OrgSession,
    Query(q): Query<NoticeParam>,
) -> Result<Response, PageError> {
    let notice =
        (q.notice.as_deref() == Some("saved")).then_some("The matrix was saved and every scenario re-levelled.");
    settings_page(&state, &org, notice, None, None).await
}

pub async fn save_settings(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<SettingsForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::DecideRisk, "set the risk matrix and tolerance")?;
    let result = async {
        let settings = form.form.settings()?;
        state.store.set_risk_settings(&change_context(&org, &rid), &org.actor.org_id, &settings).await?;
        Ok::<_, Problem>(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/risk/matrix?notice=saved").into_response()),
        Err(p) if p.fixable_on_page() => settings_page(&state, &org, None, Some(p.detail), Some(form.form)).await,
        Err(p) => Err(PageError(p)),
    }
}

struct ReportRow {
    id: String,
    name: String,
    owner: String,
    current: Option<RatingDto>,
    residual: Option<RatingDto>,
    target: Option<RatingDto>,
    treatment: String,
    controls: String,
    acceptance: String,
    review: String,
}

struct LevelCount {
    label: String,
    colour: String,
    current: usize,
    residual: usize,
}

#[derive(Template)]
#[template(path = "risk_report.html")]
struct ReportPage {
    shell: Shell,
    org_name: String,
    generated: String,
    total: usize,
    overdue: usize,
    levels: Vec<LevelCount>,
    current_map: String,
    residual_map: String,
    rows: Vec<ReportRow>,
    portfolio: Option<ResultView>,
}

/// The whole register in one printable page: counts by level, the heat maps,
/// every scenario with its treatment, controls and acceptance, and the latest
/// portfolio quantification.
pub async fn report(State(state): State<AppState>, org: OrgSession) -> Result<Response, PageError> {
    let org_id = org.actor.org_id.as_str();
    let store = &state.store;
    let matrix = store.risk_settings(org_id).await?.matrix;
    let risks =
        all_pages(|page: PageRequest| async move { store.list_risks(org_id, &RiskFilter::default(), &page).await })
            .await?;
    let mut controls: HashMap<String, Vec<String>> = HashMap::new();
    for (scenario, name) in store.risk_control_names(org_id).await? {
        controls.entry(scenario).or_default().push(name);
    }
    let now = now_ms();
    let mut acceptances: HashMap<String, String> = HashMap::new();
    for a in store.acceptance_queue(org_id, AcceptanceQueue::Open).await? {
        let text = match a.term(now) {
            Some(rampart_domain::risk::AcceptanceTerm::Expired) => format!("expired {}", display_time(a.expires_at)),
            Some(_) => format!("accepted by {} until {}", a.approver_email, &display_time(a.expires_at)[..10]),
            None => format!("submitted to {}", a.approver_email),
        };
        acceptances.insert(a.scenario_id, text);
    }
    let heat = store.risk_heat_map(org_id).await?;
    let mut rows: Vec<ReportRow> = risks
        .into_iter()
        .map(|r| {
            let dto = RiskDto::of(r, &matrix, now);
            ReportRow {
                controls: controls.remove(&dto.id).map(|c| c.join(", ")).unwrap_or_default(),
                acceptance: acceptances.remove(&dto.id).unwrap_or_default(),
                review: match (&dto.next_review_at, dto.review_overdue) {
                    (Some(next), true) => format!("overdue since {}", &next[..10]),
                    (Some(next), false) => format!("by {}", &next[..10]),
                    _ => String::new(),
                },
                treatment: dto.treatment.to_string(),
                current: dto.current,
                residual: dto.residual,
                target: dto.target,
                owner: dto.owner,
                name: dto.name,
                id: dto.id,
            }
        })
        .collect();
    // Worst current level first, then by name.
    rows.sort_by(|a, b| {
        let level = |r: &ReportRow| r.current.as_ref().map(|c| i32::from(c.level)).unwrap_or(-1);
        level(b).cmp(&level(a)).then_with(|| a.name.cmp(&b.name))
    });
    let levels = matrix
        .levels
        .iter()
        .enumerate()
        .map(|(i, l)| LevelCount {
            label: l.label.clone(),
            colour: l.colour.clone(),
            current: rows.iter().filter(|r| r.current.as_ref().is_some_and(|c| usize::from(c.level) == i)).count(),
            residual: rows.iter().filter(|r| r.residual.as_ref().is_some_and(|c| usize::from(c.level) == i)).count(),
        })
        .collect();
    let (current_map, residual_map) = heat_maps(&matrix, &heat);
    let portfolio = store.latest_quant_run(org_id, None).await?.as_ref().and_then(ResultView::of_portfolio);
    let shell = Shell::of(&state, &org.browser, "Risk report", "risk").await?;
    Ok(render(
        StatusCode::OK,
        &ReportPage {
            shell,
            org_name: org.actor.org_name.clone(),
            generated: display_time(now),
            total: rows.len(),
            overdue: rows.iter().filter(|r| r.review.starts_with("overdue")).count(),
            levels,
            current_map,
            residual_map,
            rows,
            portfolio,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_lines_read_percentages_and_fractions() {
        assert_eq!(parse_tolerance("1,000,000 5%\n\n5000000 0.01").unwrap(), vec![[1e6, 0.05], [5e6, 0.01]]);
        assert_eq!(parse_tolerance("1000000").unwrap_err().field, "tolerance line 1");
        assert_eq!(tolerance_text(&[[1e6, 0.05], [2e6, 0.005]]), "1000000 5%\n2000000 0.5%");
    }
}
