//! Framework libraries through the API and the web UI.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use rampart_store::store_test;
use serde_json::Value;

use crate::browser::Browser;
use crate::{PASSWORD, TestApp, body_text};

const CSF: &str = "urn:rampart:framework:nist-csf-2.0";

fn custom(version: u32, parent: &str) -> String {
    format!(
        "urn: urn:example:framework:acme\nversion: {version}\nname: ACME baseline\nrequirements:\n  \
         - ref_id: A\n    title: Access\n  - ref_id: A.1\n    parent: {parent}\n    statement: Admins use MFA.\n"
    )
}

/// Sends a library as a raw YAML body.
async fn post_library(app: &TestApp, token: &str, yaml: &str) -> (StatusCode, Value) {
    let request = Request::post("/api/v1/frameworks")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/yaml")
        .body(Body::from(yaml.to_string()))
        .unwrap();
    let response = app.send(request).await;
    let status = response.status();
    (status, serde_json::from_str(&body_text(response).await).unwrap_or(Value::Null))
}

store_test!(built_in_libraries_load_once_and_export_as_they_are, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let (status, _, library) = app.api("GET", "/api/v1/framework-library", Some(&org.viewer.token), None).await;
    assert_eq!(status, StatusCode::OK);
    let entries = library.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|e| e["loaded"].is_null()));
    let load = format!("/api/v1/framework-library/{CSF}/load");
    let (status, ..) = app.api("POST", &load, Some(&org.viewer.token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, done) = app.api("POST", &load, Some(&org.analyst.token), None).await;
    assert_eq!((status, done["created"].as_u64()), (StatusCode::CREATED, Some(134)));
    let (status, _, again) = app.api("POST", &load, Some(&org.analyst.token), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let id = done["framework"]["id"].as_str().unwrap();
    let (_, _, detail) = app.api("GET", &format!("/api/v1/frameworks/{id}"), Some(&org.viewer.token), None).await;
    assert_eq!(detail["requirements"].as_array().unwrap().len(), 134);
    assert_eq!(detail["requirements"][2]["ref_id"], "GV.OC-01");
    assert_eq!(detail["score_scale"][3]["name"], "Tier 4: Adaptive");
    let response = app
        .send(
            Request::get(format!("/api/v1/frameworks/{id}/export"))
                .header(header::AUTHORIZATION, format!("Bearer {}", org.viewer.token))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/yaml"));
    let exported = rampart_frameworks::parse_yaml(&body_text(response).await).unwrap();
    assert_eq!(exported, rampart_frameworks::built_in(CSF).unwrap());
    let (_, _, library) = app.api("GET", "/api/v1/framework-library", Some(&org.viewer.token), None).await;
    let csf = library.as_array().unwrap().iter().find(|e| e["urn"] == CSF).unwrap().clone();
    assert_eq!(csf["loaded"]["id"], id);
    let other = app.org("Beta").await;
    let (status, ..) = app.api("GET", &format!("/api/v1/frameworks/{id}"), Some(&other.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another organisation's framework is not there");
});

store_test!(own_libraries_load_upgrade_and_refuse_bad_input_with_the_line, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let (status, problem) = post_library(&app, &org.analyst.token, &custom(1, "B")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "requirements[1].parent");
    assert!(problem["errors"][0]["reason"].as_str().unwrap().contains("(line 7)"), "{problem}");
    let (status, problem) = post_library(&app, &org.analyst.token, "urn: [").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (_, _, listed) = app.api("GET", "/api/v1/frameworks", Some(&org.viewer.token), None).await;
    assert!(listed["items"].as_array().unwrap().is_empty(), "nothing was loaded by refused input");
    let (status, first) = post_library(&app, &org.analyst.token, &custom(1, "A")).await;
    assert_eq!((status, first["framework"]["assessable"].as_i64()), (StatusCode::CREATED, Some(1)));
    let (status, upgrade) = post_library(&app, &org.analyst.token, &custom(2, "A")).await;
    assert_eq!((status, upgrade["previous_version"].as_u64()), (StatusCode::OK, Some(1)));
    let (status, downgrade) = post_library(&app, &org.analyst.token, &custom(1, "A")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(downgrade["detail"].as_str().unwrap().contains("downgrade is refused"), "{downgrade}");
    let id = first["framework"]["id"].as_str().unwrap();
    let (status, ..) = app.api("DELETE", &format!("/api/v1/frameworks/{id}"), Some(&org.viewer.token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, ..) = app.api("DELETE", &format!("/api/v1/frameworks/{id}"), Some(&org.analyst.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
});

store_test!(the_framework_pages_load_browse_and_search, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    let csrf = browser.login(&org.analyst.email, PASSWORD).await.csrf();
    let page = browser.get("/frameworks").await;
    assert!(page.html.contains("Rampart ISO/IEC 27032 practice catalog") && page.html.contains(">Load</button>"));
    let loaded = browser
        .post("/frameworks/library", &[("csrf_token", &csrf), ("urn", "urn:rampart:framework:iso-iec-27032-practice")])
        .await;
    let location = loaded.location.unwrap();
    assert!(location.ends_with("?notice=loaded"), "{location}");
    let page = browser.get(&location).await;
    assert!(page.html.contains("The framework was loaded.") && page.html.contains("CII.1"));
    let id = location.trim_start_matches("/frameworks/").split('?').next().unwrap().to_string();
    let found = browser.get(&format!("/frameworks/{id}?q=dmarc")).await;
    let tree = &found.html[found.html.find("<ol class=\"tree\"").unwrap()..found.html.find("</ol>").unwrap()];
    assert!(tree.contains("NET.5") && tree.contains("Network management"), "the match and its section");
    assert!(!tree.contains("ACC.1"), "{tree}");
    assert!(found.html.contains("1 of "), "the number of matches is said");
    let bad = browser.post("/frameworks", &[("csrf_token", &csrf), ("library", &custom(1, "B"))]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("requirements[1].parent") && bad.html.contains("(line 7)"), "the error says where");
    assert!(bad.html.contains("ACME baseline"), "the pasted text is kept for correction");
    let good = browser.post("/frameworks", &[("csrf_token", &csrf), ("library", &custom(1, "A"))]).await;
    assert_eq!(good.status, StatusCode::SEE_OTHER);
    let export = browser.get(&format!("/frameworks/{id}/export")).await;
    assert!(export.html.starts_with("urn: urn:rampart:framework:iso-iec-27032-practice"));

    let mut viewer = Browser::new(&app);
    let viewer_csrf = viewer.login(&org.viewer.email, PASSWORD).await.csrf();
    let page = viewer.get("/frameworks").await;
    assert!(!page.html.contains(">Load</button>") && page.html.contains("Loaded (version 1)"));
    let refused = viewer.post("/frameworks/library", &[("csrf_token", &viewer_csrf), ("urn", CSF)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
});

fn oscal(name: &str) -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/oscal").join(name);
    std::fs::read_to_string(&path).map_err(|_| eprintln!("SKIPPED: {} is absent", path.display())).ok()
}

async fn post_to(app: &TestApp, token: &str, path: &str, body: &str) -> (StatusCode, Value) {
    let request = Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.send(request).await;
    let status = response.status();
    (status, serde_json::from_str(&body_text(response).await).unwrap_or(Value::Null))
}

store_test!(oscal_catalogs_and_profiles_load_over_the_api, |store| {
    let (Some(moderate), Some(csf), Some(low), Some(high)) = (
        oscal("NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog.json"),
        oscal("NIST_CSF_v2.0_catalog.json"),
        oscal("NIST_SP-800-53_rev5_LOW-baseline_profile.json"),
        oscal("NIST_SP-800-53_rev5_HIGH-baseline-resolved-profile_catalog-min.json"),
    ) else {
        return;
    };
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let token = &org.analyst.token;
    assert!(moderate.len() > rampart_server::DEFAULT_BODY_LIMIT, "a catalog larger than other bodies may be");
    let (status, done) = post_to(&app, token, "/api/v1/frameworks?urn=urn:nist:sp800-53:moderate", &moderate).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(
        (done["framework"]["assessable"].as_i64(), done["framework"]["source"].as_str()),
        (Some(287), Some("oscal"))
    );
    assert_eq!(done["framework"]["urn"], "urn:nist:sp800-53:moderate");

    let inner = |doc: &str| doc.trim().strip_prefix('{').unwrap().strip_suffix('}').unwrap().to_string();
    let both = format!("{{{}, {}}}", inner(&low), inner(&high));
    let (status, done) = post_to(&app, token, "/api/v1/frameworks", &both).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert!(done["framework"]["urn"].as_str().unwrap().starts_with("urn:oscal:profile:"));
    let (status, problem) = post_to(&app, token, "/api/v1/frameworks", &low).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem["detail"].as_str().unwrap().contains("give the catalog"), "{problem}");

    let (status, problem) = post_to(&app, token, &format!("/api/v1/frameworks?into={CSF}"), &csf).await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("into")));
    app.api("POST", &format!("/api/v1/framework-library/{CSF}/load"), Some(token), None).await;
    let (status, enriched) = post_to(&app, token, &format!("/api/v1/frameworks?into={CSF}"), &csf).await;
    assert_eq!((status, enriched["enriched"].as_u64()), (StatusCode::OK, Some(134)), "{enriched}");
    let id = enriched["framework"]["id"].as_str().unwrap();
    let (_, _, detail) = app.api("GET", &format!("/api/v1/frameworks/{id}"), Some(token), None).await;
    assert_eq!(
        detail["requirements"][2]["statement"],
        "The organizational mission is understood and informs cybersecurity risk management"
    );
});
