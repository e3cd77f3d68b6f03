//! Quantification in the UI: the run form, results as tables and charts
//! (loss exceedance against the tolerance, histogram), and the portfolio page.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::{Invalid, Permission};
use rampart_quant::chart::{Curve, curves_svg, histogram_svg};
use rampart_quant::{Mode, RunResult, Summary};
use rampart_store::QuantRun;
use serde::Deserialize;

use super::{CsrfForm, NoticeParam, PageError, Shell, change_context, display_time, org_session, render};
use crate::AppState;
use crate::auth::OrgSession;
use crate::error::Problem;
use crate::middleware::RequestId;
use crate::quantify::{self, RunOptions};

/// The run form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RunForm {
    #[serde(default)]
    pub iterations: String,
    #[serde(default)]
    pub seed: String,
    #[serde(default)]
    pub mode: String,
}

impl RunForm {
    pub fn defaults(state: &AppState) -> Self {
        RunForm {
            iterations: state.quant.default_iterations().to_string(),
            seed: String::new(),
            mode: "aggregate".into(),
        }
    }

    pub fn options(&self) -> Result<RunOptions, Problem> {
        let number = |field: &str, text: &str| -> Result<Option<u64>, Invalid> {
            let text = text.trim().replace([',', '_', ' '], "");
            if text.is_empty() {
                return Ok(None);
            }
            text.parse().map(Some).map_err(|_| Invalid::new(field, "must be a whole number"))
        };
        let mode = match self.mode.as_str() {
            "" | "aggregate" => Mode::Aggregate,
            "pyfair" => Mode::Pyfair,
            _ => return Err(Problem::invalid(Invalid::new("mode", "must be aggregate or pyfair"))),
        };
        Ok(RunOptions {
            iterations: number("iterations", &self.iterations)?,
            seed: number("seed", &self.seed)?,
            mode: Some(mode),
        })
    }
}

/// An amount with thousands separators, rounded to whole units.
pub fn amount(v: f64) -> String {
    let whole = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < -0.5 { format!("-{out}") } else { out }
}

pub struct ResultRow {
    pub name: String,
    pub link: Option<String>,
    pub mean: String,
    pub stdev: String,
    pub p10: String,
    pub p50: String,
    pub p90: String,
    pub p99: String,
    pub bold: bool,
}

fn row(name: String, link: Option<String>, s: &Summary, bold: bool) -> ResultRow {
    let p = |k: &str| s.percentiles.get(k).map(|v| amount(*v)).unwrap_or_default();
    ResultRow {
        name,
        link,
        mean: amount(s.mean),
        stdev: amount(s.stdev),
        p10: p("p10"),
        p50: p("p50"),
        p90: p("p90"),
        p99: p("p99"),
        bold,
    }
}

pub struct ControlRow {
    pub scenario: String,
    pub controls: String,
    pub cost: String,
    pub reduction: String,
    pub return_on_cost: String,
}

pub struct ToleranceRow {
    pub loss: String,
    pub tolerated: String,
    pub probability: String,
    pub within: bool,
}

/// A stored run, ready for the page.
pub struct ResultView {
    pub meta: String,
    pub lec: String,
    pub histogram: String,
    pub rows: Vec<ResultRow>,
    pub controls: Vec<ControlRow>,
    pub tolerance: Vec<ToleranceRow>,
}

fn percent(p: f64) -> String {
    format!("{:.2}%", p * 100.0)
}

impl ResultView {
    /// A portfolio run: scenario results are keyed by id, with the names
    /// stored beside them.
    pub fn of_portfolio(run: &QuantRun) -> Option<ResultView> {
        let names = run.result.get("names").and_then(|n| n.as_object()).cloned().unwrap_or_default();
        ResultView::of(run, Some(&names))
    }

    /// `portfolio_names` maps scenario ids to names for a portfolio run
    /// (whose scenario results are keyed by id); `None` for a scenario run.
    pub fn of(
        run: &QuantRun,
        portfolio_names: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Option<ResultView> {
        let result: RunResult = quantify::result_of(run)?;
        let name_of = |key: &str| -> (String, Option<String>) {
            match portfolio_names {
                Some(names) => (
                    names.get(key).and_then(|n| n.as_str()).unwrap_or(key).to_string(),
                    Some(format!("/risk/scenarios/{key}")),
                ),
                None => (key.to_string(), None),
            }
        };
        // A portfolio's scenarios, largest expected loss first.
        let mut order: Vec<&rampart_quant::ScenarioResult> = result.scenarios.iter().collect();
        if portfolio_names.is_some() {
            order.sort_by(|a, b| b.summary.mean.total_cmp(&a.summary.mean));
        }
        let mut rows: Vec<ResultRow> = order
            .iter()
            .map(|s| {
                let (name, link) = name_of(&s.name);
                row(name, link, &s.summary, false)
            })
            .collect();
        let mut curves: Vec<Curve> = Vec::new();
        if portfolio_names.is_some() {
            rows.push(row("Portfolio".into(), None, &result.portfolio, true));
            curves.extend(order.iter().take(12).map(|s| Curve {
                name: &s.name,
                points: &s.summary.loss_exceedance,
                bold: false,
            }));
        }
        let portfolio_name = if portfolio_names.is_some() {
            "Portfolio"
        } else {
            result.scenarios.first().map_or("Scenario", |s| s.name.as_str())
        };
        curves.push(Curve { name: portfolio_name, points: &result.portfolio.loss_exceedance, bold: true });
        // Curve names of a portfolio are ids: show names in the legend.
        let names: Vec<String> = curves.iter().map(|c| name_of(c.name).0).collect();
        let curves: Vec<Curve> = curves.iter().zip(&names).map(|(c, n)| Curve { name: n, ..*c }).collect();
        let tolerance: Vec<(f64, f64, bool)> =
            result.tolerance.iter().map(|t| (t.loss, t.tolerated_probability, t.within)).collect();
        let range = result.portfolio.histogram.last().map(|b| b.from).unwrap_or(result.portfolio.max);
        let range = tolerance.iter().map(|t| t.0 * 1.1).fold(range, f64::max);
        Some(ResultView {
            meta: format!(
                "{} iterations · seed {} · {} mode · engine {} · run by {} at {}",
                amount(result.iterations as f64),
                run.seed,
                run.mode,
                run.engine_version,
                run.created_by,
                display_time(run.created_at)
            ),
            lec: curves_svg(&curves, range, &tolerance),
            histogram: histogram_svg(&result.portfolio),
            rows,
            controls: result
                .scenarios
                .iter()
                .filter_map(|s| {
                    let c = s.controls.as_ref()?;
                    Some(ControlRow {
                        scenario: name_of(&s.name).0,
                        controls: c.controls.join(", "),
                        cost: amount(c.annual_cost),
                        reduction: amount(c.reduction),
                        return_on_cost: c
                            .return_on_cost
                            .map(|r| format!("{:.0}%", r * 100.0))
                            .unwrap_or_else(|| "—".into()),
                    })
                })
                .collect(),
            tolerance: result
                .tolerance
                .iter()
                .map(|t| ToleranceRow {
                    loss: amount(t.loss),
                    tolerated: percent(t.tolerated_probability),
                    probability: percent(t.probability),
                    within: t.within,
                })
                .collect(),
        })
    }
}

#[derive(Template)]
#[template(path = "portfolio.html")]
struct PortfolioPage {
    shell: Shell,
    risk_tab: &'static str,
    org_name: String,
    notice: Option<&'static str>,
    error: Option<String>,
    quantified: usize,
    tolerance_points: usize,
    run: RunForm,
    result: Option<ResultView>,
    can_edit: bool,
}

async fn portfolio_page(
    state: &AppState,
    org: &OrgSession,
    notice: Option<&'static str>,
    error: Option<String>,
    run: RunForm,
) -> Result<Response, PageError> {
    let org_id = &org.actor.org_id;
    let latest = state.store.latest_quant_run(org_id, None).await?;
    let result = latest.as_ref().and_then(ResultView::of_portfolio);
    let shell = Shell::of(state, &org.browser, "Risk portfolio", "risk").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &PortfolioPage {
            shell,
            risk_tab: "portfolio",
            org_name: org.actor.org_name.clone(),
            notice,
            error,
            quantified: state.store.fair_models(org_id).await?.len(),
            tolerance_points: state.store.risk_settings(org_id).await?.tolerance.len(),
            run,
            result,
            can_edit: org.actor.can(Permission::Edit),
        },
    ))
}

pub async fn portfolio(
    State(state): State<AppState>,
    org: OrgSession,
    Query(q): Query<NoticeParam>,
) -> Result<Response, PageError> {
    let notice = (q.notice.as_deref() == Some("quantified"))
        .then_some("The portfolio was quantified; the result is kept with its seed.");
    portfolio_page(&state, &org, notice, None, RunForm::defaults(&state)).await
}

pub async fn quantify_portfolio(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    form: CsrfForm<RunForm>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "quantify the portfolio")?;
    let run = form.form;
    let result = async {
        let options = run.options()?;
        quantify::portfolio(&state.store, &state.quant, &change_context(&org, &rid), &org.actor.org_id, &options).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/risk/portfolio?notice=quantified").into_response()),
        Err(p) if p.fixable_on_page() => portfolio_page(&state, &org, None, Some(p.detail), run).await,
        Err(p) => Err(PageError(p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_have_thousands_separators() {
        assert_eq!(amount(508_972.4), "508,972");
        assert_eq!(amount(999.6), "1,000");
        assert_eq!(amount(12.0), "12");
        assert_eq!(amount(-1_234_567.0), "-1,234,567");
    }

    #[test]
    fn the_run_form_names_bad_numbers() {
        let bad = RunForm { iterations: "lots".into(), ..RunForm::default() };
        assert_eq!(bad.options().unwrap_err().errors[0].field, "iterations");
        let ok = RunForm { iterations: "200,000".into(), seed: "7".into(), mode: "pyfair".into() };
        let options = ok.options().unwrap();
        assert_eq!((options.iterations, options.seed, options.mode), (Some(200_000), Some(7), Some(Mode::Pyfair)));
    }
}
