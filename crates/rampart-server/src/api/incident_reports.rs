//! Regulatory reporting over the API: the regimes an incident's impact
//! suggests, applying one, and the pre-filled draft of each report.

use axum::Json;
use axum::extract::{Path, State};
use rampart_domain::Permission;
use rampart_domain::regulatory_reports::suggest_regimes;
use rampart_store::IncidentDetail;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiJson;
use super::people::change_context;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use crate::middleware::RequestId;

/// The built-in regimes the impact suggests that do not apply yet, with why.
pub fn suggestions(d: &IncidentDetail) -> Vec<rampart_domain::regulatory_reports::Suggestion> {
    suggest_regimes(&d.incident.fields).into_iter().filter(|s| !d.regimes.iter().any(|r| r == s.regime)).collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeBody {
    pub regime: String,
}

/// `POST /api/v1/incidents/{id}/regimes`: one more regime applies (a
/// suggestion confirmed); answers the incident.
pub async fn apply_regime(
    State(state): State<AppState>,
    actor: ApiActor,
    request_id: axum::Extension<RequestId>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RegimeBody>,
) -> Result<Json<Value>, ApiError> {
    actor.require(Permission::Edit, "choose an incident's regimes")?;
    let org = &actor.0.org_id;
    state.store.apply_regime(&change_context(&actor.0, &request_id), org, &id, &body.regime).await?;
    Ok(Json(super::incidents::detail_json(&state.store.incident_detail(org, &id).await?)))
}

/// `GET /api/v1/incidents/{id}/reports/{regime}/{obligation}`: the draft.
pub async fn draft(
    State(state): State<AppState>,
    actor: ApiActor,
    Path((id, regime, obligation)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    actor.require(Permission::Read, "see report drafts")?;
    let org = &actor.0.org_id;
    let detail = state.store.incident_detail(org, &id).await?;
    let links = state.store.incident_links(org, &id).await?;
    let draft = crate::report_drafts::draft(&detail, &links, &regime, &obligation)?;
    let mut v = draft.to_json();
    v["prepared_at"] = json!(super::rfc3339(rampart_store::now_ms()));
    Ok(Json(v))
}
