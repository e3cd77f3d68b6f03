//! The JSON API under `/api/v1`: thin handlers over the store.

pub mod assessments;
pub mod assets;
mod audit;
pub mod collections;
pub mod controls;
pub mod download;
pub mod evidence;
pub mod frameworks;
pub mod incident_evidence;
pub mod incident_links;
pub mod incident_reports;
pub mod incidents;
pub mod mappings;
pub mod notifications;
pub mod people;
pub mod risks;
pub mod sharing;
pub mod threats;
pub mod vulnerabilities;

pub use audit::{AuditQuery, audit_export};

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post, put};
use rampart_domain::PageRequest;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::{ApiError, Problem};

/// Every route; evidence uploads may be up to `evidence_limit` bytes.
pub fn routes(evidence_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(people::me))
        .route("/api/v1/organisations", get(people::list_orgs).post(people::create_org))
        .route("/api/v1/members", get(people::list_members).post(people::create_member))
        .route(
            "/api/v1/members/{user_id}",
            get(people::get_member).patch(people::update_member).delete(people::remove_member),
        )
        .route("/api/v1/communities", get(sharing::communities).post(sharing::create_community))
        .route("/api/v1/communities/{id}/members", get(sharing::members).post(sharing::add_member))
        .route("/api/v1/communities/{id}/accept", post(sharing::accept))
        .route("/api/v1/communities/{id}/connections", get(sharing::connections).post(sharing::connect))
        .route("/api/v1/clients", post(sharing::add_client))
        .route("/api/v1/shared-items", get(sharing::feed).post(sharing::share))
        .route("/api/v1/shared-items/export", get(sharing::export))
        .route("/api/v1/shared-items/{id}", get(sharing::item))
        .route("/api/v1/shared-items/{id}/acknowledgements", post(sharing::acknowledge))
        .route("/api/v1/shared-items/{id}/sightings", get(sharing::sightings))
        .route("/api/v1/incidents/{id}/sightings", get(sharing::incident_sightings))
        .route("/api/v1/incidents/{id}/summaries", get(sharing::summaries).post(sharing::share_summary))
        .route("/api/v1/shared-items/{id}/correlations", get(sharing::correlations))
        .route(
            "/api/v1/shared-items/{id}/files",
            post(sharing::add_file).layer(axum::extract::DefaultBodyLimit::max(evidence_limit)),
        )
        .route("/api/v1/shared-item-files/{id}", get(sharing::download_file))
        .route("/api/v1/advisories", post(sharing::publish_advisory))
        .route("/api/v1/collections", get(collections::collections).post(collections::create_collection))
        .route("/api/v1/taxii-subscriptions", get(collections::subscriptions).post(collections::subscribe))
        .route("/api/v1/taxii-subscriptions/{id}", get(collections::subscription).delete(collections::unsubscribe))
        .route("/api/v1/taxii-subscriptions/{id}/pull", post(collections::pull))
        .route("/api/v1/notification-channels", get(notifications::channels).post(notifications::create_channel))
        .route(
            "/api/v1/notification-channels/{id}",
            patch(notifications::update_channel).delete(notifications::delete_channel),
        )
        .route("/api/v1/notification-channels/{id}/test", post(notifications::test_channel))
        .route("/api/v1/notifications", get(notifications::outbox))
        .route("/api/v1/notifications/{id}/retry", post(notifications::retry))
        .route("/api/v1/tokens", get(people::list_tokens).post(people::create_token))
        .route("/api/v1/tokens/{id}", delete(people::revoke_token))
        .route("/api/v1/assets", get(assets::list).post(assets::create))
        .route("/api/v1/assets/export", get(assets::export))
        .route("/api/v1/vulnerabilities/export", get(vulnerabilities::export))
        .route("/api/v1/threats/export", get(threats::export))
        .route("/api/v1/assets/{id}", get(assets::get).patch(assets::update).delete(assets::delete))
        .route(
            "/api/v1/assets/{id}/dependencies/{depends_on}",
            put(assets::add_dependency).delete(assets::remove_dependency),
        )
        .route("/api/v1/vulnerabilities", get(vulnerabilities::list).post(vulnerabilities::create))
        .route(
            "/api/v1/vulnerabilities/{id}",
            get(vulnerabilities::get).patch(vulnerabilities::update).delete(vulnerabilities::delete),
        )
        .route(
            "/api/v1/vulnerabilities/{id}/assets/{asset_id}",
            put(vulnerabilities::link_asset).delete(vulnerabilities::unlink_asset),
        )
        .route("/api/v1/threats", get(threats::list).post(threats::create))
        .route("/api/v1/threats/{id}", delete(threats::delete))
        .route("/api/v1/controls", get(controls::list).post(controls::create))
        .route("/api/v1/controls/{id}", get(controls::get).patch(controls::update).delete(controls::delete))
        .route("/api/v1/risk-scenarios", get(risks::list).post(risks::create))
        .route("/api/v1/risk-scenarios/export", get(risks::export))
        .route("/api/v1/risk-scenarios/{id}", get(risks::get).patch(risks::update).delete(risks::delete))
        .route("/api/v1/risk-scenarios/{id}/{kind}/{other}", put(risks::link).delete(risks::unlink))
        .route("/api/v1/risk-scenarios/{id}/review", post(risks::review))
        .route("/api/v1/risk-scenarios/{id}/fair-model", put(risks::set_fair_model).delete(risks::remove_fair_model))
        .route("/api/v1/risk-scenarios/{id}/quantify", post(risks::quantify_scenario))
        .route("/api/v1/risk-scenarios/{id}/quantification", get(risks::latest_quantification))
        .route("/api/v1/risk-scenarios/{id}/acceptances", post(risks::submit_acceptance))
        .route("/api/v1/risk-acceptances", get(risks::acceptance_queue))
        .route("/api/v1/risk-acceptances/{id}/decision", post(risks::decide_acceptance))
        .route("/api/v1/risk-settings", get(risks::settings).put(risks::set_settings))
        .route("/api/v1/risk-heat-map", get(risks::heat_map))
        .route("/api/v1/portfolio", get(risks::latest_portfolio))
        .route("/api/v1/portfolio/quantify", post(risks::quantify_portfolio))
        .route(
            "/api/v1/frameworks",
            get(frameworks::list)
                .post(frameworks::import)
                .layer(axum::extract::DefaultBodyLimit::max(crate::LIBRARY_BODY_LIMIT)),
        )
        .route("/api/v1/frameworks/{id}", get(frameworks::get).delete(frameworks::delete))
        .route("/api/v1/frameworks/{id}/export", get(frameworks::export))
        .route("/api/v1/assessments", get(assessments::list).post(assessments::create))
        .route("/api/v1/assessments/{id}", get(assessments::get).patch(assessments::update).delete(assessments::delete))
        .route("/api/v1/assessments/{id}/status", post(assessments::status))
        .route("/api/v1/assessments/{id}/people", put(assessments::set_people))
        .route("/api/v1/assessments/{id}/results", put(assessments::results))
        .route("/api/v1/assessments/{id}/requirements", get(assessments::workspace))
        .route("/api/v1/assessments/{id}/trend", get(assessments::trend))
        .route("/api/v1/assessments/{id}/export", get(assessments::export))
        .route("/api/v1/assessments/{id}/soa", get(assessments::soa))
        .route("/api/v1/assessments/{id}/compare/{other}", get(assessments::compare))
        .route(
            "/api/v1/assessments/{id}/requirements/{node_id}/controls/{control_id}",
            put(assessments::link_control).delete(assessments::unlink_control),
        )
        .route(
            "/api/v1/assessments/{id}/requirements/{node_id}/evidence",
            post(evidence::add).layer(axum::extract::DefaultBodyLimit::max(evidence_limit)),
        )
        .route("/api/v1/evidence/{id}", get(evidence::get).delete(evidence::delete))
        .route("/api/v1/evidence/{id}/download", get(evidence::download))
        .route("/api/v1/incidents", get(incidents::list).post(incidents::create))
        .route("/api/v1/incidents/{id}", get(incidents::get).put(incidents::update))
        .route("/api/v1/incidents/{id}/export", get(incidents::export))
        .route("/api/v1/incidents/{id}/transitions", post(incidents::transition))
        .route("/api/v1/incidents/{id}/observables", post(incidents::add_observable))
        .route("/api/v1/incidents/{id}/notes", post(incidents::add_note))
        .route("/api/v1/incidents/{id}/submissions", post(incidents::submit))
        .route(
            "/api/v1/incidents/{id}/evidence",
            post(incident_evidence::add).layer(axum::extract::DefaultBodyLimit::max(evidence_limit)),
        )
        .route("/api/v1/incident-evidence/{id}", get(incident_evidence::get))
        .route("/api/v1/incident-evidence/{id}/download", get(incident_evidence::download))
        .route("/api/v1/incident-evidence/{id}/hand-overs", post(incident_evidence::hand_over))
        .route("/api/v1/incident-evidence/{id}/verify", post(incident_evidence::verify))
        .route("/api/v1/incidents/{id}/regimes", post(incident_reports::apply_regime))
        .route("/api/v1/incidents/{id}/merge", post(incident_links::merge))
        .route("/api/v1/incidents/{id}/reports/{regime}/{obligation}", get(incident_reports::draft))
        .route("/api/v1/incidents/{id}/links", get(incident_links::get))
        .route("/api/v1/incidents/{id}/{kind}/{other}", put(incident_links::link).delete(incident_links::unlink))
        .route("/api/v1/incidents/{id}/follow-ups", post(incident_links::add_follow_up))
        .route("/api/v1/incident-follow-ups/{id}/done", post(incident_links::complete_follow_up))
        .route("/api/v1/regulatory-rules", get(incidents::rules).post(incidents::add_rule))
        .route("/api/v1/regulatory-rules/{regime}/{obligation}", delete(incidents::remove_rule))
        .route("/api/v1/incident-deadlines", get(incidents::deadlines))
        .route("/api/v1/incidents/{id}/tasks", post(incidents::add_task))
        .route("/api/v1/incident-tasks/{id}", patch(incidents::update_task))
        .route("/api/v1/case-templates", get(incidents::templates))
        .route("/api/v1/case-templates/{category}", put(incidents::set_template).delete(incidents::delete_template))
        .route("/api/v1/incident-metrics", get(incidents::metrics))
        .route("/api/v1/mapping-library", get(mappings::library))
        .route("/api/v1/mapping-library/{urn}/load", post(mappings::load))
        .route("/api/v1/mapping-sets", get(mappings::list).post(mappings::import))
        .route("/api/v1/mapping-sets/{id}", delete(mappings::delete))
        .route("/api/v1/coverage", get(mappings::coverage))
        .route("/api/v1/framework-library", get(frameworks::built_ins))
        .route("/api/v1/framework-library/{urn}/load", post(frameworks::load))
        .route("/api/v1/audit", get(audit::list))
        .route("/api/v1/audit/export", get(audit::export))
        .route("/api/v1/openapi.json", get(|| async { axum::Json(crate::openapi::document()) }))
}

/// `?limit=&after=` on every list.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub limit: Option<u32>,
    pub after: Option<String>,
}

impl PageQuery {
    pub fn page(&self) -> Result<PageRequest, Problem> {
        Ok(PageRequest::new(self.limit, self.after.clone())?)
    }
}

/// For PATCH bodies: tells a field sent as `null` (`Some(None)`: clear it)
/// from one not sent (`None`: keep it).
pub fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A JSON body whose errors come back as problem+json naming what is wrong.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => {
                let status = rejection.status();
                let detail = match &rejection {
                    JsonRejection::MissingJsonContentType(_) => {
                        "Send the body as JSON with `Content-Type: application/json`.".to_string()
                    }
                    other => other.body_text(),
                };
                let title = match status {
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported Media Type",
                    StatusCode::PAYLOAD_TOO_LARGE => "Content Too Large",
                    StatusCode::UNPROCESSABLE_ENTITY => "Unprocessable Content",
                    _ => "Bad Request",
                };
                Err(ApiError(Problem::new(status, title, detail)))
            }
        }
    }
}

/// Unix milliseconds as RFC 3339 UTC, the one time format of the API.
pub fn rfc3339(ms: i64) -> String {
    rampart_store::rfc3339(ms)
}

/// Parses an RFC 3339 time from a query parameter into Unix milliseconds.
pub fn parse_time(field: &str, text: &str) -> Result<i64, Problem> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| {
            Problem::invalid(rampart_domain::Invalid::new(
                field,
                "must be an RFC 3339 time such as 2026-01-31T12:00:00Z",
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_through_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        let ms = 1_764_000_000_123;
        assert_eq!(parse_time("from", &rfc3339(ms)).unwrap(), ms);
        assert!(parse_time("from", "yesterday").is_err());
    }
}
