//! The threat catalog through the API and the web UI.

use axum::http::StatusCode;
use rampart_store::store_test;
use serde_json::json;

use crate::browser::Browser;
use crate::{PASSWORD, TestApp};

store_test!(the_threat_catalog_lists_filters_and_grows, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let analyst = Some(org.analyst.token.as_str());
    let (status, _, t) =
        app.api("POST", "/api/v1/threats", analyst, Some(json!({"name": "Insider fraud", "category": "fraud"}))).await;
    assert_eq!((status, t["source"].as_str()), (StatusCode::CREATED, Some("custom")));
    let (status, _, p) =
        app.api("POST", "/api/v1/threats", analyst, Some(json!({"name": "No category", "category": " "}))).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("category")));
    let (status, ..) =
        app.api("POST", "/api/v1/threats", Some(&org.viewer.token), Some(json!({"name": "x", "category": "y"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let imported = rampart_domain::threat::ThreatFields {
        name: "Phishing".into(),
        category: "initial-access".into(),
        description: String::new(),
        source: "mitre-attack".into(),
        external_id: Some("T0865".into()),
    };
    store
        .import_threats(&rampart_store::ChangeContext::new("t", "t"), &org.id, "bundle--x", &[imported])
        .await
        .unwrap();
    let (_, _, all) = app.api("GET", "/api/v1/threats", Some(&org.viewer.token), None).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let (_, _, attack) = app.api("GET", "/api/v1/threats?source=mitre-attack", Some(&org.viewer.token), None).await;
    assert_eq!(attack["items"][0]["external_id"], "T0865");
    let mut browser = Browser::new(&app);
    let csrf = browser.login(&org.analyst.email, PASSWORD).await.csrf();
    let page = browser.get("/risk/threats?category=initial-access").await;
    let table = &page.html[page.html.find("<table").unwrap()..page.html.find("</table>").unwrap()];
    assert!(table.contains("T0865") && table.contains("Phishing") && !table.contains("Insider fraud"), "{table}");
    let added = browser
        .post(
            "/risk/threats",
            &[
                ("csrf_token", &csrf),
                ("name", "Supplier compromise"),
                ("category", "supply-chain"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(added.location.as_deref(), Some("/risk/threats?notice=created"));
    let id = t["id"].as_str().unwrap();
    let removed = browser.post(&format!("/risk/threats/{id}/delete"), &[("csrf_token", &csrf)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let (_, _, left) = app.api("GET", "/api/v1/threats?source=custom", analyst, None).await;
    assert_eq!(left["items"][0]["name"], "Supplier compromise");
});
