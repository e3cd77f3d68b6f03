//! Vulnerabilities through the API and the web UI: scored by Rampart from
//! their CVSS v4.0 vectors, linked to the assets they affect.

use axum::http::StatusCode;
use rampart_store::store_test;
use serde_json::json;

use crate::browser::Browser;
use crate::{PASSWORD, TestApp};

const CRITICAL: &str = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";

store_test!(vulnerabilities_are_scored_from_their_vectors, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let analyst = Some(org.analyst.token.as_str());
    let (status, _, v) = app
        .api(
            "POST",
            "/api/v1/vulnerabilities",
            analyst,
            Some(json!({"title": "Portal RCE", "cve_id": "cve-2024-3094", "cvss_vector": CRITICAL})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["cvss_score"].as_f64(), v["severity"].as_str(), v["status"].as_str(), v["cve_id"].as_str()),
        (Some(9.3), Some("Critical"), Some("open"), Some("CVE-2024-3094"))
    );
    let id = v["id"].as_str().unwrap();
    let (status, ..) =
        app.api("POST", "/api/v1/vulnerabilities", Some(&org.viewer.token), Some(json!({"title": "x"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, p) = app
        .api("POST", "/api/v1/vulnerabilities", analyst, Some(json!({"title": "x", "cvss_vector": "CVSS:4.0/AV:N"})))
        .await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("cvss_vector")));
    assert!(p["errors"][0]["reason"].as_str().unwrap().contains("missing"));
    let (_, _, asset) = app.api("POST", "/api/v1/assets", analyst, Some(json!({"name": "Portal", "kind": "application", "confidentiality": "high", "integrity": "high", "availability": "high"}))).await;
    let asset_id = asset["id"].as_str().unwrap();
    let (status, ..) = app.api("PUT", &format!("/api/v1/vulnerabilities/{id}/assets/{asset_id}"), analyst, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, detail) = app.api("GET", &format!("/api/v1/vulnerabilities/{id}"), Some(&org.viewer.token), None).await;
    assert_eq!(detail["assets"][0]["name"], "Portal");
    let (status, _, patched) =
        app.api("PATCH", &format!("/api/v1/vulnerabilities/{id}"), analyst, Some(json!({"status": "mitigated"}))).await;
    assert_eq!(
        (status, patched["status"].as_str(), patched["cvss_score"].as_f64()),
        (StatusCode::OK, Some("mitigated"), Some(9.3))
    );
    let (_, _, open) = app.api("GET", "/api/v1/vulnerabilities?status=open", analyst, None).await;
    assert!(open["items"].as_array().unwrap().is_empty());
    let (status, _, p) = app.api("GET", "/api/v1/vulnerabilities?severity=Huge", analyst, None).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("severity")));
    let beta = app.org("Beta").await;
    let (status, ..) = app.api("GET", &format!("/api/v1/vulnerabilities/{id}"), Some(&beta.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another organisation's vulnerability looks missing");
    let (status, ..) = app.api("DELETE", &format!("/api/v1/vulnerabilities/{id}"), analyst, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
});

store_test!(the_vulnerability_pages_record_link_and_edit, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let (_, _, asset) = app.api("POST", "/api/v1/assets", Some(&org.analyst.token), Some(json!({"name": "Portal", "kind": "application", "confidentiality": "high", "integrity": "high", "availability": "high"}))).await;
    let mut browser = Browser::new(&app);
    let csrf = browser.login(&org.analyst.email, PASSWORD).await.csrf();
    let refused = browser
        .post(
            "/risk/vulnerabilities",
            &[("csrf_token", &csrf), ("title", "Bad"), ("cvss_vector", "CVSS:3.1/AV:N"), ("status", "open")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("must start with CVSS:4.0/") && refused.html.contains("value=\"Bad\""));
    let created = browser
        .post(
            "/risk/vulnerabilities",
            &[
                ("csrf_token", &csrf),
                ("title", "Portal RCE"),
                ("cvss_vector", CRITICAL),
                ("status", "open"),
                ("cve_id", ""),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let path = created.location.unwrap().split('?').next().unwrap().to_string();
    let page = browser.get(&path).await;
    assert!(page.html.contains("9.3") && page.html.contains("Critical"));
    let linked = browser
        .post(&format!("{path}/assets"), &[("csrf_token", &csrf), ("asset_id", asset["id"].as_str().unwrap())])
        .await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER);
    assert!(browser.get(&path).await.html.contains("/risk/assets/"));
    let saved = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("title", "Portal RCE"),
                ("cvss_vector", CRITICAL),
                ("status", "in-remediation"),
                ("cve_id", "CVE-2024-3094"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let list = browser.get("/risk/vulnerabilities?status=in-remediation").await;
    assert!(list.html.contains("CVE-2024-3094") && list.html.contains("Portal RCE"));
    let counts = store.register_counts(&org.id).await.unwrap();
    assert_eq!(
        (counts.assets, counts.open_vulnerabilities, counts.critical_open_vulnerabilities),
        (1, 1, 1),
        "in remediation still counts as open"
    );
    let dashboard = browser.get("/").await;
    assert!(dashboard.html.contains("Open vulnerabilities") && dashboard.html.contains("1 critical"));
});
