//! Assessments through the API and the web UI.

use axum::http::StatusCode;
use rampart_store::store_test;
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::{PASSWORD, TestApp};

const PRACTICE: &str = "urn:rampart:framework:iso-iec-27032-practice";

/// Loads the practice catalog and starts an assessment of its coordinator group.
async fn start(app: &TestApp, token: &str) -> (String, Value) {
    let (_, _, loaded) =
        app.api("POST", &format!("/api/v1/framework-library/{PRACTICE}/load"), Some(token), None).await;
    let framework = loaded["framework"]["id"].as_str().unwrap().to_string();
    let body = json!({"framework_id": framework, "name": "Coordinator practices", "groups": ["coordinator"], "due_date": "2027-06-30"});
    let (status, _, a) = app.api("POST", "/api/v1/assessments", Some(token), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let (_, _, tree) = app.api("GET", &format!("/api/v1/frameworks/{framework}"), Some(token), None).await;
    (a["id"].as_str().unwrap().to_string(), tree)
}

fn node(tree: &Value, ref_id: &str) -> String {
    tree["requirements"].as_array().unwrap().iter().find(|n| n["ref_id"] == ref_id).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

store_test!(an_assessment_is_answered_scored_and_locked_over_the_api, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let analyst = Some(org.analyst.token.as_str());
    let (id, tree) = start(&app, &org.analyst.token).await;
    let (status, _, bad) =
        app.api("POST", "/api/v1/assessments", analyst, Some(json!({"framework_id": "nope", "name": "x"}))).await;
    assert_eq!((status, bad["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("framework_id")));
    let path = |rest: &str| format!("/api/v1/assessments/{id}{rest}");
    let sharing = [node(&tree, "SHR.5"), node(&tree, "SHR.6"), node(&tree, "SHR.7")];
    let answer = json!({"node_ids": sharing, "result": "compliant", "score": 5, "owner": "CERT lead"});
    let (status, _, a) = app.api("PUT", &path("/results"), analyst, Some(answer)).await;
    assert_eq!((status, a["summary"]["results"][1].as_u64()), (StatusCode::OK, Some(3)), "{a}");
    let na = json!({"node_ids": [node(&tree, "RDY.2")], "result": "not-applicable"});
    let (status, _, problem) = app.api("PUT", &path("/results"), analyst, Some(na)).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("justification"))
    );
    let (status, ..) = app
        .api(
            "PUT",
            &path("/results"),
            Some(&org.viewer.token),
            Some(json!({"node_ids": sharing, "result": "compliant"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, _, work) = app.api("GET", &path("/requirements"), Some(&org.viewer.token), None).await;
    let row = work["requirements"].as_array().unwrap().iter().find(|r| r["ref_id"] == "SHR.5").unwrap().clone();
    assert_eq!((row["assessed"].as_bool(), row["answer"]["score"].as_i64()), (Some(true), Some(5)));
    assert_eq!(row["answer"]["owner"], "CERT lead");
    assert!(
        work["improvements"].as_array().unwrap().iter().all(|i| i["ref_id"] != "SHR.5"),
        "full credit earns nothing more"
    );
    let compliance = work["overall"]["compliance"].as_f64().unwrap();
    assert!(compliance > 0.0 && compliance < 100.0);

    let (status, _, refused) = app.api("POST", &path("/status"), analyst, Some(json!({"status": "done"}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(refused["detail"].as_str().unwrap().contains("it can move to: in-progress"), "{refused}");
    for next in ["in-progress", "in-review"] {
        let (status, _, moved) = app.api("POST", &path("/status"), analyst, Some(json!({"status": next}))).await;
        assert_eq!((status, moved["status"].as_str()), (StatusCode::OK, Some(next)));
    }
    let (status, ..) = app.api("POST", &path("/status"), analyst, Some(json!({"status": "done"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no reviewer is named: only an admin decides");
    let (status, _, done) =
        app.api("POST", &path("/status"), Some(&org.admin.token), Some(json!({"status": "done"}))).await;
    assert_eq!((status, done["next_statuses"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
    let (status, ..) =
        app.api("PUT", &path("/results"), analyst, Some(json!({"node_ids": sharing, "result": "non-compliant"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "a done assessment is locked");
    let (status, ..) = app.api("PATCH", &path(""), analyst, Some(json!({"name": "Renamed"}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, _, trend) = app.api("GET", &path("/trend"), analyst, None).await;
    let reasons: Vec<&str> = trend.as_array().unwrap().iter().map(|s| s["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, vec!["created", "status", "status", "status"]);
    let (_, content_type, csv) = app.api("GET", &path("/export?format=csv"), analyst, None).await;
    assert!(content_type.starts_with("text/csv"));
    let csv = csv.as_str().unwrap().to_string();
    assert!(
        csv.starts_with("ref_id,title,result,score") && csv.contains("SHR.5,") && csv.contains(",compliant,5,"),
        "{csv}"
    );

    let other = app.org("Beta").await;
    let (status, ..) = app.api("GET", &path(""), Some(&other.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

store_test!(the_workspace_answers_one_and_many_in_the_browser, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let (id, tree) = start(&app, &org.analyst.token).await;
    let mut browser = Browser::new(&app);
    let csrf = browser.login(&org.analyst.email, PASSWORD).await.csrf();
    let page = browser.get("/assessments").await;
    assert!(page.html.contains("Coordinator practices") && page.html.contains("Start an assessment"));
    let one = node(&tree, "SHR.3");
    let saved = browser
        .post(
            &format!("/assessments/{id}/results"),
            &[
                ("csrf_token", &csrf),
                ("node_ids", &one),
                ("result", "partially-compliant"),
                ("score", "2"),
                ("observation", "ISAC member, no rules"),
                ("return", "result=&q="),
            ],
        )
        .await;
    let location = saved.location.unwrap_or_else(|| panic!("{} {}", saved.status, saved.html));
    assert!(location.contains("notice=saved") && location.ends_with(&format!("#r-{one}")), "{location}");
    let (a, b) = (node(&tree, "SHR.5"), node(&tree, "SHR.6"));
    let bulk = browser
        .post(
            &format!("/assessments/{id}/results"),
            &[("csrf_token", &csrf), ("node_ids", &a), ("node_ids", &b), ("result", "compliant"), ("return", "")],
        )
        .await;
    assert_eq!(bulk.status, StatusCode::SEE_OTHER);
    let refused = browser
        .post(
            &format!("/assessments/{id}/results"),
            &[("csrf_token", &csrf), ("node_ids", &a), ("result", "not-applicable"), ("return", "")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("justification: is required when the requirement is not applicable"));
    let page = browser.get(&format!("/assessments/{id}?result=compliant")).await;
    assert!(page.html.contains("2 requirements shown"), "the filter counts what it shows");
    let tree_html = &page.html[page.html.find("<ol class=\"tree workspace\"").unwrap()..];
    assert!(tree_html.contains("SHR.5") && !tree_html.contains(">SHR.3<"), "only the compliant ones are shown");
    let page = browser.get(&format!("/assessments/{id}")).await;
    assert!(page.html.contains("<svg") && page.html.contains("Compliance by section"));
    assert!(page.html.contains("Move to in-progress"));
    let moved = browser
        .post(&format!("/assessments/{id}/status"), &[("csrf_token", &csrf), ("status", "in-progress"), ("return", "")])
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    let settings = browser
        .post(
            &format!("/assessments/{id}"),
            &[
                ("csrf_token", &csrf),
                ("name", "Coordinator practices 2027"),
                ("groups", "coordinator"),
                ("groups", "provider"),
                ("roll_up", "average-of-averages"),
                ("return", ""),
            ],
        )
        .await;
    assert_eq!(settings.status, StatusCode::SEE_OTHER);
    let (_, _, a) = app.api("GET", &format!("/api/v1/assessments/{id}"), Some(&org.viewer.token), None).await;
    assert_eq!((a["groups"].as_array().unwrap().len(), a["roll_up"].as_str()), (2, Some("average-of-averages")));

    let mut viewer = Browser::new(&app);
    viewer.login(&org.viewer.email, PASSWORD).await;
    let page = viewer.get(&format!("/assessments/{id}")).await;
    assert!(
        !page.html.contains("form method=\"post\" action=\"/assessments/")
            && page.html.contains("ISAC member, no rules"),
        "viewers read"
    );
});

store_test!(mappings_lend_results_that_can_be_accepted, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let token = Some(org.analyst.token.as_str());
    let (practices, tree) = start(&app, &org.analyst.token).await;
    let iso = "urn:rampart:framework:iso-iec-27001-2022";
    let mapping = "urn:rampart:mapping:iso-iec-27032-practice:iso-iec-27001-2022";
    let (status, _, refused) = app.api("POST", &format!("/api/v1/mapping-library/{mapping}/load"), token, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "27001 is not loaded yet: {refused}");
    app.api("POST", &format!("/api/v1/framework-library/{iso}/load"), token, None).await;
    let (status, _, set) = app.api("POST", &format!("/api/v1/mapping-library/{mapping}/load"), token, None).await;
    assert_eq!((status, set["mappings"].as_i64()), (StatusCode::CREATED, Some(160)));
    let answer = json!({"node_ids": [node(&tree, "SHR.6")], "result": "compliant"});
    app.api("PUT", &format!("/api/v1/assessments/{practices}/results"), token, Some(answer)).await;

    let (_, _, frameworks) = app.api("GET", "/api/v1/frameworks", token, None).await;
    let iso_id = frameworks["items"].as_array().unwrap().iter().find(|f| f["urn"] == iso).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, _, a) =
        app.api("POST", "/api/v1/assessments", token, Some(json!({"framework_id": iso_id, "name": "ISO 27001"}))).await;
    let id = a["id"].as_str().unwrap();
    let (_, _, work) = app.api("GET", &format!("/api/v1/assessments/{id}/requirements"), token, None).await;
    let row = work["requirements"].as_array().unwrap().iter().find(|r| r["ref_id"] == "A.5.26").unwrap().clone();
    assert_eq!(row["inferred"]["result"], "partially-compliant", "SHR.6 intersects A.5.26: {row}");
    assert_eq!(
        (row["inferred"]["from_ref_id"].as_str(), row["inferred"]["relationship"].as_str()),
        (Some("SHR.6"), Some("intersect"))
    );
    assert!(work["with_inferred"]["compliance"].as_f64().unwrap() > work["overall"]["compliance"].as_f64().unwrap());
    let (_, _, coverage) = app.api("GET", "/api/v1/coverage", token, None).await;
    assert!(
        coverage.as_array().unwrap().iter().any(|c| c["urn"] == iso && c["inferred"].as_u64() == Some(2)),
        "{coverage}"
    );

    let mut browser = Browser::new(&app);
    let csrf = browser.login(&org.analyst.email, PASSWORD).await.csrf();
    let page = browser.get(&format!("/assessments/{id}")).await;
    assert!(
        page.html.contains("Inferred: <span class=\"chip result-partially-compliant\">")
            && page.html.contains("Accept as the answer")
    );
    assert!(
        page.html.contains("with the 2 results inferred through mappings"),
        "both A.5.26 and A.5.5 take SHR.6's answer"
    );
    let a526 = row["node_id"].as_str().unwrap().to_string();
    let accepted = browser
        .post(
            &format!("/assessments/{id}/results"),
            &[
                ("csrf_token", &csrf),
                ("node_ids", &a526),
                ("result", "partially-compliant"),
                ("observation", "Taken from SHR.6"),
                ("return", ""),
            ],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    let (_, _, work) = app.api("GET", &format!("/api/v1/assessments/{id}/requirements"), token, None).await;
    let row = work["requirements"].as_array().unwrap().iter().find(|r| r["ref_id"] == "A.5.26").unwrap().clone();
    assert!(
        row["inferred"].is_null() && row["answer"]["result"] == "partially-compliant",
        "accepted, it is a direct answer"
    );
    let dashboard = browser.get("/").await;
    assert!(
        dashboard.html.contains("Assess once, comply many") && dashboard.html.contains("ISO/IEC 27001:2022 (outline)")
    );
    let practices_framework = tree["id"].as_str().unwrap();
    let browsed = browser.get(&format!("/frameworks/{practices_framework}?q=SHR.6")).await;
    assert!(
        browsed.html.contains("Maps to:") && browsed.html.contains("A.5.26</a> (intersect, 5)"),
        "the browser shows mappings"
    );
    let frameworks_page = browser.get("/frameworks").await;
    assert!(
        frameworks_page.html.contains("Mappings between frameworks")
            && frameworks_page.html.contains("loaded (version 1)")
    );
});

store_test!(the_statement_of_applicability_the_gap_report_and_comparisons, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let token = Some(org.analyst.token.as_str());
    let iso = "urn:rampart:framework:iso-iec-27001-2022";
    let (_, _, loaded) = app.api("POST", &format!("/api/v1/framework-library/{iso}/load"), token, None).await;
    let framework = loaded["framework"]["id"].as_str().unwrap().to_string();
    let (_, _, tree) = app.api("GET", &format!("/api/v1/frameworks/{framework}"), token, None).await;
    let mut ids = Vec::new();
    for name in ["SoA 2026", "SoA 2027"] {
        let body = json!({"framework_id": framework, "name": name, "groups": ["annex-a"]});
        let (_, _, a) = app.api("POST", "/api/v1/assessments", token, Some(body)).await;
        ids.push(a["id"].as_str().unwrap().to_string());
    }
    let answer = |id: &str, node: &str, result: &str, justification: &str| {
        let body = json!({"node_ids": [node], "result": result, "justification": justification, "observation": "seen"});
        (format!("/api/v1/assessments/{id}/results"), body)
    };
    for (id, reference, result, why) in [
        (&ids[0], "A.5.1", "compliant", ""),
        (&ids[0], "A.7.4", "not-applicable", "No premises: the service runs in a provider's data centre"),
        (&ids[1], "A.5.1", "non-compliant", ""),
    ] {
        let (path, body) = answer(id, &node(&tree, reference), result, why);
        let (status, ..) = app.api("PUT", &path, token, Some(body)).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, _, soa) = app.api("GET", &format!("/api/v1/assessments/{}/soa", ids[0]), token, None).await;
    let rows = soa.as_array().unwrap();
    assert_eq!(rows.len(), 93, "every Annex A control");
    let a74 = rows.iter().find(|r| r["ref_id"] == "A.7.4").unwrap();
    assert_eq!((a74["applicable"].as_bool(), a74["implementation"].as_str()), (Some(false), Some("excluded")));
    assert!(a74["justification"].as_str().unwrap().starts_with("No premises"));
    assert_eq!(rows.iter().find(|r| r["ref_id"] == "A.5.1").unwrap()["implementation"], "implemented");
    let (_, content_type, csv) =
        app.api("GET", &format!("/api/v1/assessments/{}/soa?format=csv", ids[0]), token, None).await;
    assert!(
        content_type.starts_with("text/csv")
            && csv.as_str().unwrap().starts_with("ref_id,title,applicable,justification")
    );

    let (_, _, diff) = app.api("GET", &format!("/api/v1/assessments/{}/compare/{}", ids[1], ids[0]), token, None).await;
    let changed: Vec<&str> = diff
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["changed"] == true)
        .map(|r| r["ref_id"].as_str().unwrap())
        .collect();
    assert_eq!(changed, vec!["A.5.1", "A.7.4"]);
    let (_, _, practices) = app
        .api("POST", "/api/v1/framework-library/urn:rampart:framework:iso-iec-27032-practice/load", token, None)
        .await;
    let other = json!({"framework_id": practices["framework"]["id"], "name": "Other"});
    let (_, _, other) = app.api("POST", "/api/v1/assessments", token, Some(other)).await;
    let (status, ..) = app
        .api("GET", &format!("/api/v1/assessments/{}/compare/{}", ids[1], other["id"].as_str().unwrap()), token, None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "only assessments of one framework compare");

    let mut browser = Browser::new(&app);
    browser.login(&org.viewer.email, PASSWORD).await;
    let page = browser.get(&format!("/assessments/{}/soa", ids[0])).await;
    assert!(
        page.html.contains("Statement of Applicability — Alpha") && page.html.contains("92 of 93 controls applicable")
    );
    let page = browser.get(&format!("/assessments/{}/gaps", ids[1])).await;
    assert!(
        page.html.contains("93 requirements are not fully met") && page.html.contains("non-compliant"),
        "A.5.1 and 92 not assessed"
    );
    let page = browser.get(&format!("/assessments/{}/compare?with={}", ids[1], ids[0])).await;
    assert!(page.html.contains("2 of 93 requirements changed"), "the comparison counts changes");
});

store_test!(evidence_files_and_links_attach_to_answers, |store| {
    use axum::body::Body;
    use axum::http::{Request, header};
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let token = org.analyst.token.clone();
    let (id, tree) = start(&app, &token).await;
    let shr5 = node(&tree, "SHR.5");
    let path = format!("/api/v1/assessments/{id}/requirements/{shr5}/evidence");
    let upload = |body: &'static [u8], query: &str| {
        Request::post(format!("{path}{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/pdf")
            .body(Body::from(body))
            .unwrap()
    };
    let response = app.send(upload(b"%PDF-1.7 NDA with the ISAC", "?name=isac-nda.pdf&expires_on=2028-01-31")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let file: Value = serde_json::from_str(&crate::body_text(response).await).unwrap();
    assert_eq!((file["kind"].as_str(), file["size"].as_i64()), (Some("file"), Some(26)));
    assert_eq!(file["sha256"].as_str().unwrap().len(), 64);
    let (status, _, link) = app
        .api(
            "POST",
            &path,
            Some(&token),
            Some(json!({"url": "https://wiki.example/isac", "name": "ISAC charter", "expires_on": "2020-01-01"})),
        )
        .await;
    assert_eq!((status, link["kind"].as_str()), (StatusCode::CREATED, Some("link")));
    let (status, _, bad) = app.api("POST", &path, Some(&token), Some(json!({"url": "ftp://x"}))).await;
    assert_eq!((status, bad["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("url")));
    let empty = app.send(upload(b"", "?name=empty.txt")).await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let file_id = file["id"].as_str().unwrap();
    let download = app
        .send(
            Request::get(format!("/api/v1/evidence/{file_id}/download"))
                .header(header::AUTHORIZATION, format!("Bearer {}", org.viewer.token))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert!(download.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().contains("isac-nda.pdf"));
    assert_eq!(crate::body_text(download).await, "%PDF-1.7 NDA with the ISAC");
    let (_, _, trail) = app.api("GET", "/api/v1/audit?object_type=evidence", Some(&org.admin.token), None).await;
    assert!(
        trail["items"].as_array().unwrap().iter().any(|r| r["action"] == "evidence.download"),
        "downloads are audited"
    );
    let other = app.org("Beta").await;
    let (status, ..) = app.api("GET", &format!("/api/v1/evidence/{file_id}"), Some(&other.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let mut browser = Browser::new(&app);
    browser.login(&org.analyst.email, PASSWORD).await;
    let page = browser.get(&format!("/assessments/{id}")).await;
    assert!(
        page.html.contains("isac-nda.pdf")
            && page.html.contains("ISAC charter")
            && page.html.contains("expired 2020-01-01")
    );
    let csrf = page.csrf();
    let boundary = "rampartboundary";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"node_id\"\r\n\r\n{shr5}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"restore-test.txt\"\r\nContent-Type: text/plain\r\n\r\nrestored in 41 minutes\r\n\
         --{boundary}--\r\n"
    );
    let form = |body: String| {
        Request::post(format!("/assessments/{id}/evidence"))
            .header(header::COOKIE, browser.cookie.clone().unwrap())
            .header("sec-fetch-site", "same-origin")
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap()
    };
    let sent = app.send(form(multipart.clone())).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let forged = app.send(form(multipart.replace(&csrf, "forged"))).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "the CSRF token is checked");
    let (_, _, work) = app.api("GET", &format!("/api/v1/assessments/{id}/requirements"), Some(&token), None).await;
    let row = work["requirements"].as_array().unwrap().iter().find(|r| r["ref_id"] == "SHR.5").unwrap().clone();
    assert_eq!(row["answer"]["evidence"].as_array().unwrap().len(), 3, "{row}");
});
