//! Printable reports of an assessment: the Statement of Applicability, the
//! gap report, and a comparison with another assessment of the same framework.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rampart_domain::assessment::ResultKind;
use rampart_store::{Assessment, AssessmentFilter, ComparisonRow, SoaRow};
use serde::Deserialize;

use super::{PageError, Shell, display_time, render};
use crate::AppState;
use crate::auth::OrgSession;

#[derive(Template)]
#[template(path = "soa.html")]
struct SoaPage {
    shell: Shell,
    org_name: String,
    a: Assessment,
    generated: String,
    rows: Vec<SoaRow>,
    applicable: usize,
}

pub async fn soa(
    State(state): State<AppState>,
    org: OrgSession,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let w = state.store.workspace(&org.actor.org_id, &id).await?;
    let rows = w.soa_rows();
    Ok(render(
        StatusCode::OK,
        &SoaPage {
            shell: Shell::of(&state, &org.browser, "Statement of Applicability", "assess").await?,
            org_name: org.actor.org_name.clone(),
            generated: display_time(rampart_store::now_ms()),
            applicable: rows.iter().filter(|r| r.applicable).count(),
            rows,
            a: w.assessment,
        },
    ))
}

struct Gap {
    section: String,
    ref_id: String,
    title: String,
    result: &'static str,
    result_label: &'static str,
    observation: String,
    owner: String,
    target: Option<i32>,
    controls: String,
    points: String,
    guidance: String,
}

#[derive(Template)]
#[template(path = "gaps.html")]
struct GapsPage {
    shell: Shell,
    org_name: String,
    a: Assessment,
    generated: String,
    gaps: Vec<Gap>,
    compliance: String,
}

pub async fn gaps(
    State(state): State<AppState>,
    org: OrgSession,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let w = state.store.workspace(&org.actor.org_id, &id).await?;
    let parents = super::tree::parent_indices(&w.nodes);
    let section = |mut i: usize| {
        while let Some(p) = parents[i] {
            i = p;
        }
        format!("{} {}", w.nodes[i].requirement.ref_id, w.nodes[i].requirement.title)
    };
    let points: std::collections::HashMap<usize, f64> =
        w.improvements.iter().map(|i| (i.node, i.points_gained)).collect();
    let gaps = (0..w.nodes.len())
        .filter(|&i| w.in_scope[i])
        .filter_map(|i| {
            let answer = w.results[i].as_ref();
            let result = answer.map_or(ResultKind::NotAssessed, |a| a.fields.result);
            if matches!(result, ResultKind::Compliant | ResultKind::NotApplicable) {
                return None;
            }
            let r = &w.nodes[i].requirement;
            Some(Gap {
                section: section(i),
                ref_id: r.ref_id.clone(),
                title: r.title.clone(),
                result: result.as_str(),
                result_label: result.label(),
                observation: answer.map(|a| a.fields.observation.clone()).unwrap_or_default(),
                owner: answer.map(|a| a.fields.owner.clone()).unwrap_or_default(),
                target: answer.and_then(|a| a.fields.target),
                controls: answer
                    .map(|a| a.controls.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join("; "))
                    .unwrap_or_default(),
                points: points.get(&i).map(|p| format!("{p:.1}")).unwrap_or_default(),
                guidance: r.guidance.clone(),
            })
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &GapsPage {
            shell: Shell::of(&state, &org.browser, "Gap report", "assess").await?,
            org_name: org.actor.org_name.clone(),
            generated: display_time(rampart_store::now_ms()),
            compliance: w.assessment.summary.compliance.map(|c| format!("{c:.0} %")).unwrap_or_else(|| "n/a".into()),
            gaps,
            a: w.assessment,
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct CompareParams {
    with: Option<String>,
}

#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage {
    shell: Shell,
    a: Assessment,
    others: Vec<(String, String)>,
    with: Option<Assessment>,
    rows: Vec<ComparisonRow>,
    changed: usize,
}

pub async fn compare(
    State(state): State<AppState>,
    org: OrgSession,
    Path(id): Path<String>,
    Query(params): Query<CompareParams>,
) -> Result<Response, PageError> {
    let org_id = &org.actor.org_id;
    let now = state.store.workspace(org_id, &id).await?;
    let filter = AssessmentFilter { framework_id: Some(now.assessment.framework_id.clone()), status: None };
    let others = state
        .store
        .list_assessments(org_id, &filter, &rampart_domain::PageRequest::first(100))
        .await?
        .items
        .into_iter()
        .filter(|o| o.id != id)
        .map(|o| (o.id, o.fields.name))
        .collect();
    let (with, rows) = match params.with.as_deref().filter(|w| !w.is_empty()) {
        Some(other) => {
            let before = state.store.workspace(org_id, other).await?;
            let rows = now.compare(&before)?;
            (Some(before.assessment), rows)
        }
        None => (None, Vec::new()),
    };
    Ok(render(
        StatusCode::OK,
        &ComparePage {
            shell: Shell::of(&state, &org.browser, "Compare assessments", "assess").await?,
            changed: rows.iter().filter(|r| r.changed).count(),
            a: now.assessment,
            others,
            with,
            rows,
        },
    ))
}
