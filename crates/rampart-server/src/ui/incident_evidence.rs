//! The evidence forms on an incident's page: upload a file, download it,
//! hand it over, check it. Each is an entry in the file's chain of custody.

use axum::Extension;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use rampart_domain::Permission;
use rampart_domain::custody::{Acquisition, CustodyAction};

use super::assessments::Pairs;
use super::incidents::{done, form_time};
use super::{CsrfForm, PageError, change_context, org_session};
use crate::AppState;
use crate::api::incident_evidence as api;
use crate::auth::OrgSession;
use crate::error::Problem;
use crate::middleware::RequestId;

pub async fn upload(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    browser: crate::auth::BrowserSession,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let Some(org) = org_session(browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "add evidence")?;
    let (form, file) = super::read_upload(&org, multipart).await?;
    let outcome = async {
        let Some(file) = file else {
            return Err(rampart_domain::Invalid::new("file", "choose a file with content").into());
        };
        let acquired_at = crate::api::parse_time("acquired_at", &form_time(&form.get("acquired_at")))?;
        let acquisition = Acquisition {
            name: file.name,
            description: form.get("description"),
            acquired_at,
            acquired_by: form.get("acquired_by"),
        };
        let ctx = change_context(&org, &rid);
        api::add_file(&state, &ctx, &org.actor.org_id, &id, acquisition, (&file.content_type, &file.bytes)).await?;
        Ok("evidence")
    }
    .await;
    done(&state, &org, &id, outcome).await
}

pub async fn download(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    org: OrgSession,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    Ok(api::file_response(&state, &change_context(&org, &rid), &org.actor.org_id, &id).await?)
}

pub async fn hand_over(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Edit, "hand evidence over")?;
    let e = state.store.incident_evidence(&org.actor.org_id, &id).await?;
    let outcome = async {
        let (to, note) = rampart_domain::custody::hand_over(&form.form.get("to"), &form.form.get("note"))?;
        let ctx = change_context(&org, &rid);
        state.store.record_custody(&ctx, &org.actor.org_id, &id, CustodyAction::HandedOver, (Some(&to), &note)).await?;
        Ok::<_, Problem>("handed-over")
    }
    .await;
    done(&state, &org, &e.incident_id, outcome).await
}

pub async fn verify(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let Some(org) = org_session(form.browser) else { return Ok(Redirect::to("/").into_response()) };
    org.require(Permission::Read, "check evidence")?;
    let (matches, e) = api::verify_file(&state, &change_context(&org, &rid), &org.actor.org_id, &id).await?;
    let code = if matches { "verified" } else { "mismatch" };
    Ok(Redirect::to(&format!("/incidents/{}?notice={code}", e.incident_id)).into_response())
}

/// A piece of evidence as the incident page shows it.
pub(super) struct EvidenceRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub sha256: String,
    pub size: String,
    pub acquired: String,
    pub holder: String,
    /// (time, actor, action, holder after, note), oldest first.
    pub custody: Vec<(String, String, &'static str, String, String)>,
}

pub(super) fn rows(evidence: &[rampart_store::IncidentEvidence]) -> Vec<EvidenceRow> {
    use super::display_time;
    evidence
        .iter()
        .map(|e| EvidenceRow {
            id: e.id.clone(),
            name: e.name.clone(),
            description: e.description.clone(),
            sha256: e.sha256.clone(),
            size: human_size(e.size),
            acquired: format!("{} by {}", display_time(e.acquired_at), e.acquired_by),
            holder: e.holder().to_string(),
            custody: e
                .custody
                .iter()
                .map(|c| (display_time(c.at), c.actor.clone(), c.action.as_str(), c.holder.clone(), c.note.clone()))
                .collect(),
        })
        .collect()
}

/// A size in bytes as people read it: `812 B`, `4.2 KiB`, `25.0 MiB`.
pub(super) fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(super::human_size(812), "812 B");
        assert_eq!(super::human_size(4300), "4.2 KiB");
        assert_eq!(super::human_size(25 * 1024 * 1024), "25.0 MiB");
    }
}
