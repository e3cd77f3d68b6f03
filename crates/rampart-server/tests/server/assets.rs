//! The asset inventory through the API and the web UI.

use axum::http::StatusCode;
use rampart_store::store_test;
use serde_json::json;

use crate::browser::Browser;
use crate::{PASSWORD, TestApp};

fn body(name: &str) -> serde_json::Value {
    json!({"name": name, "kind": "system", "confidentiality": "high", "integrity": "very-high", "availability": "medium", "critical": true, "owner": "ops"})
}

store_test!(analysts_keep_the_asset_inventory_and_viewers_read_it, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let (status, _, body_) = app.api("POST", "/api/v1/assets", Some(&org.viewer.token), Some(body("DB"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body_}");
    let (status, _, _) = app.api("POST", "/api/v1/assets", Some(&org.auditor.token), Some(body("DB"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "auditors change nothing");
    let (status, _, db) = app.api("POST", "/api/v1/assets", Some(&org.analyst.token), Some(body("Billing DB"))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        (db["kind"].as_str(), db["integrity"].as_str(), db["critical"].as_bool()),
        (Some("system"), Some("very-high"), Some(true))
    );
    let (_, _, portal) = app.api("POST", "/api/v1/assets", Some(&org.analyst.token), Some(json!({"name": "Portal", "kind": "application", "confidentiality": "low", "integrity": "low", "availability": "high"}))).await;
    let (db_id, portal_id) = (db["id"].as_str().unwrap(), portal["id"].as_str().unwrap());
    let (status, ..) = app
        .api("PUT", &format!("/api/v1/assets/{portal_id}/dependencies/{db_id}"), Some(&org.analyst.token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, detail) = app.api("GET", &format!("/api/v1/assets/{portal_id}"), Some(&org.viewer.token), None).await;
    assert_eq!(detail["depends_on"][0]["name"], "Billing DB");
    let (_, _, detail) = app.api("GET", &format!("/api/v1/assets/{db_id}"), Some(&org.viewer.token), None).await;
    assert_eq!(detail["used_by"][0]["name"], "Portal");
    let (status, _, changed) = app
        .api(
            "PATCH",
            &format!("/api/v1/assets/{db_id}"),
            Some(&org.admin.token),
            Some(json!({"owner": "dba team", "critical": false})),
        )
        .await;
    assert_eq!(
        (status, changed["owner"].as_str(), changed["critical"].as_bool(), changed["name"].as_str()),
        (StatusCode::OK, Some("dba team"), Some(false), Some("Billing DB"))
    );
    let (_, _, list) = app.api("GET", "/api/v1/assets?kind=application", Some(&org.viewer.token), None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (_, _, list) = app.api("GET", "/api/v1/assets?critical=false&limit=1", Some(&org.viewer.token), None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["next"].is_string());
    let (status, ..) = app.api("DELETE", &format!("/api/v1/assets/{db_id}"), Some(&org.analyst.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, detail) = app.api("GET", &format!("/api/v1/assets/{portal_id}"), Some(&org.viewer.token), None).await;
    assert!(detail["depends_on"].as_array().unwrap().is_empty());
});

store_test!(bad_assets_are_refused_naming_the_field, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let token = Some(org.analyst.token.as_str());
    let (status, _, p) = app.api("POST", "/api/v1/assets", token, Some(json!({"name": "X", "kind": "server", "confidentiality": "high", "integrity": "high", "availability": "high"}))).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")));
    let (status, _, p) = app
        .api(
            "POST",
            "/api/v1/assets",
            token,
            Some(json!({"name": "X", "kind": "system", "integrity": "high", "availability": "high"})),
        )
        .await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("confidentiality")));
    let (status, _, p) = app.api("POST", "/api/v1/assets", token, Some(json!({"name": "X", "kind": "system", "confidentiality": "high", "integrity": "sky-high", "availability": "high"}))).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("integrity")));
    app.api("POST", "/api/v1/assets", token, Some(body("Dup"))).await;
    let (status, ..) = app.api("POST", "/api/v1/assets", token, Some(body("Dup"))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, _, list) = app.api("GET", "/api/v1/assets", token, None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "refused assets leave nothing behind");
    let id = list["items"][0]["id"].as_str().unwrap();
    let (status, _, p) = app.api("PUT", &format!("/api/v1/assets/{id}/dependencies/{id}"), token, None).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("depends_on")));
});

store_test!(another_organisations_asset_answers_like_a_missing_one, |store| {
    let app = TestApp::new(store);
    let alpha = app.org("Alpha").await;
    let beta = app.org("Beta").await;
    let (_, _, theirs) = app.api("POST", "/api/v1/assets", Some(&beta.analyst.token), Some(body("Their DB"))).await;
    let (_, _, mine) = app.api("POST", "/api/v1/assets", Some(&alpha.analyst.token), Some(body("My portal"))).await;
    let (theirs, mine) = (theirs["id"].as_str().unwrap(), mine["id"].as_str().unwrap());
    let (_, _, missing) = app.api("GET", "/api/v1/assets/no-such-asset", Some(&alpha.admin.token), None).await;
    for (method, path, payload) in [
        ("GET", format!("/api/v1/assets/{theirs}"), None),
        ("PATCH", format!("/api/v1/assets/{theirs}"), Some(json!({"name": "stolen"}))),
        ("DELETE", format!("/api/v1/assets/{theirs}"), None),
        ("PUT", format!("/api/v1/assets/{mine}/dependencies/{theirs}"), None),
    ] {
        let (status, _, answer) = app.api(method, &path, Some(&alpha.admin.token), payload).await;
        assert_eq!((status, &answer), (StatusCode::NOT_FOUND, &missing), "{method} {path}");
    }
    let (_, _, still) = app.api("GET", &format!("/api/v1/assets/{theirs}"), Some(&beta.viewer.token), None).await;
    assert_eq!(still["name"], "Their DB");
});

/// The asset form's fields, as a browser posts them.
fn form(csrf: &str, name: &str, critical: bool) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("csrf_token", csrf.to_string()),
        ("name", name.to_string()),
        ("kind", "system".into()),
        ("owner", "ops".into()),
        ("description", String::new()),
        ("confidentiality", "high".into()),
        ("integrity", "medium".into()),
        ("availability", "very-high".into()),
    ];
    if critical {
        fields.push(("critical", "on".into()));
    }
    fields
}

fn refs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

store_test!(the_asset_pages_add_link_edit_and_delete, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    let csrf = browser.login(&org.analyst.email, PASSWORD).await.csrf();

    let created = browser.post("/risk/assets", &refs(&form(&csrf, "Billing DB", true))).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let db_path = created.location.unwrap();
    assert!(db_path.ends_with("?notice=created"));
    let db_id = db_path.trim_start_matches("/risk/assets/").split('?').next().unwrap().to_string();
    let portal = browser.post("/risk/assets", &refs(&form(&csrf, "Portal", true))).await;
    let portal_path = portal.location.unwrap().split('?').next().unwrap().to_string();

    let linked =
        browser.post(&format!("{portal_path}/dependencies"), &[("csrf_token", &csrf), ("depends_on", &db_id)]).await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER);
    let page = browser.get(&portal_path).await;
    assert!(page.html.contains("Depends on") && page.html.contains(&format!("/risk/assets/{db_id}")));
    let inventory = browser.get("/risk/assets").await;
    assert!(
        inventory.html.contains("Dependency graph") && inventory.html.contains("<svg"),
        "the graph is drawn once there are edges"
    );

    let duplicate = browser.post("/risk/assets", &refs(&form(&csrf, "Portal", true))).await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        duplicate.html.contains("already exists") && duplicate.html.contains("value=\"Portal\""),
        "the refused form comes back filled in"
    );

    let saved = browser.post(&portal_path, &refs(&form(&csrf, "Portal v2", false))).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let list = browser.get("/risk/assets?critical=false").await;
    let table = &list.html[list.html.find("<table").unwrap()..list.html.find("</table>").unwrap()];
    assert!(
        table.contains("Portal v2") && !table.contains("Billing DB"),
        "the filter narrows the list (the graph still shows everything)"
    );

    let deleted = browser.post(&format!("/risk/assets/{db_id}/delete"), &[("csrf_token", &csrf)]).await;
    assert_eq!(deleted.location.as_deref(), Some("/risk/assets?notice=deleted"));

    let mut viewer = Browser::new(&app);
    viewer.login(&org.viewer.email, PASSWORD).await;
    let read_only = viewer.get(&portal_path).await;
    assert_eq!(read_only.status, StatusCode::OK);
    assert!(!read_only.html.contains("Delete asset") && !read_only.html.contains("Add an asset"));
});

store_test!(the_register_exports_as_csv_and_json, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let analyst = Some(org.analyst.token.as_str());
    app.api("POST", "/api/v1/assets", analyst, Some(body("Billing DB"))).await;
    app.api("POST", "/api/v1/assets", analyst, Some(json!({"name": "=cmd|' /C calc'!A0", "kind": "people", "confidentiality": "low", "integrity": "low", "availability": "low"}))).await;
    app.api(
        "POST",
        "/api/v1/vulnerabilities",
        analyst,
        Some(json!({"title": "RCE", "cvss_vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"})),
    )
    .await;
    app.api("POST", "/api/v1/threats", analyst, Some(json!({"name": "Insider fraud", "category": "fraud"}))).await;
    let csv = |path: &str| {
        let request = axum::http::Request::get(path)
            .header("authorization", format!("Bearer {}", org.viewer.token))
            .body(axum::body::Body::empty())
            .unwrap();
        async { crate::body_text(app.send(request).await).await }
    };
    let assets = csv("/api/v1/assets/export?format=csv").await;
    assert!(assets.starts_with(
        "id,name,kind,owner,description,confidentiality,integrity,availability,critical,created_at,updated_at\n"
    ));
    assert_eq!(assets.lines().count(), 3);
    assert!(assets.contains(",'=cmd|"), "formulas are defused: {assets}");
    let critical_only = csv("/api/v1/assets/export?format=csv&critical=true").await;
    assert_eq!(critical_only.lines().count(), 2, "exports follow the list's filters");
    let vulns = csv("/api/v1/vulnerabilities/export").await;
    assert!(vulns.lines().nth(1).unwrap().contains(",9.3,Critical,open,"), "{vulns}");
    let (status, _, threats) =
        app.api("GET", "/api/v1/threats/export?format=json", Some(&org.viewer.token), None).await;
    assert_eq!((status, threats[0]["name"].as_str()), (StatusCode::OK, Some("Insider fraud")));
    let (status, _, p) = app.api("GET", "/api/v1/threats/export?format=xml", Some(&org.viewer.token), None).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("format")));
});
