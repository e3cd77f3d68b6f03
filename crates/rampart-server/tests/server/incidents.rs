//! Incidents through the API and the web UI.

use axum::http::StatusCode;
use rampart_store::store_test;
use serde_json::json;

use crate::browser::Browser;
use crate::{PASSWORD, TestApp};

store_test!(the_incident_api_does_what_the_issue_asks, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let token = Some(org.analyst.token.as_str());
    let aware = rampart_server_time(-2);
    let body = json!({"title": "Ransomware on file servers", "severity": 4, "category": "malicious-code", "aware_at": aware, "regimes": ["nis2", "gdpr", "dora"]});
    let (status, _, created) = app.api("POST", "/api/v1/incidents", token, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let (_, _, got) = app.api("GET", &format!("/api/v1/incidents/{id}"), Some(&org.viewer.token), None).await;
    assert_eq!(got["state"], "reported");
    let obligations = got["obligations"].as_array().unwrap();
    assert_eq!(obligations.len(), 7, "three NIS2, one GDPR and three DORA reports");
    let gdpr = obligations.iter().find(|o| o["regime"] == "gdpr").unwrap();
    assert_eq!((gdpr["name"].as_str().is_some(), gdpr["state"].as_str()), (true, Some("pending")));
    assert!(gdpr["due_at"].as_str().unwrap() > aware.as_str());

    let (status, _, refused) =
        app.api("POST", &format!("/api/v1/incidents/{id}/transitions"), token, Some(json!({"to": "closed"}))).await;
    assert_eq!((status, refused["allowed"].clone()), (StatusCode::CONFLICT, json!(["triage"])), "{refused}");
    for to in ["triage", "containment"] {
        let (status, _, moved) =
            app.api("POST", &format!("/api/v1/incidents/{id}/transitions"), token, Some(json!({"to": to}))).await;
        assert_eq!((status, moved["state"].as_str()), (StatusCode::OK, Some(to)));
    }
    let (status, _, bad) = app
        .api(
            "POST",
            &format!("/api/v1/incidents/{id}/observables"),
            token,
            Some(json!({"type": "ipv4", "value": "999.1.1.1"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["errors"][0]["reason"], "999.1.1.1 is not an IPv4 address");
    let (status, _, o) = app
        .api(
            "POST",
            &format!("/api/v1/incidents/{id}/observables"),
            token,
            Some(json!({"type": "domain", "value": "Evil.Example", "ioc": true})),
        )
        .await;
    assert_eq!((status, o["value"].as_str()), (StatusCode::CREATED, Some("evil.example")));
    let (status, ..) = app
        .api(
            "POST",
            &format!("/api/v1/incidents/{id}/notes"),
            Some(&org.auditor.token),
            Some(json!({"text": "Backups verified", "tactic": "impact", "technique": "T1486"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "auditors comment");
    let (status, ..) = app
        .api(
            "POST",
            &format!("/api/v1/incidents/{id}/submissions"),
            token,
            Some(json!({"regime": "nis2", "obligation": "early-warning", "reference": "CSIRT-118"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, got) = app.api("GET", &format!("/api/v1/incidents/{id}"), token, None).await;
    let early =
        got["obligations"].as_array().unwrap().iter().find(|o| o["obligation"] == "early-warning").unwrap().clone();
    assert_eq!((early["state"].as_str(), early["reference"].as_str()), (Some("submitted"), Some("CSIRT-118")));
    let kinds: Vec<&str> = got["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["created", "transition", "transition", "observable", "note", "submission"]);
    let (status, ..) = app
        .api(
            "POST",
            "/api/v1/incidents",
            Some(&org.viewer.token),
            Some(json!({"title": "x", "severity": 1, "category": "other", "aware_at": aware})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, p) = app
        .api(
            "POST",
            "/api/v1/incidents",
            token,
            Some(json!({"title": "x", "severity": 9, "category": "other", "aware_at": aware})),
        )
        .await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("severity")));
    let (_, _, listed) = app.api("GET", "/api/v1/incidents?open=true&severity=4", token, None).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let other = app.org("Beta").await;
    let (status, ..) = app.api("GET", &format!("/api/v1/incidents/{id}"), Some(&other.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

/// An RFC 3339 time `hours` from now.
fn rampart_server_time(hours: i64) -> String {
    rampart_server::api_time(rampart_store::now_ms() + hours * 3_600_000)
}

store_test!(the_incident_pages_report_triage_contain_and_close, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    let csrf = browser.login(&org.analyst.email, PASSWORD).await.csrf();
    let page = browser.get("/incidents").await;
    assert!(page.html.contains("Record an incident"));
    let created = browser
        .post(
            "/incidents",
            &[
                ("csrf_token", &csrf),
                ("title", "Phishing wave"),
                ("severity", "2"),
                ("category", "fraud"),
                ("aware_at", ""),
                ("regimes", "gdpr"),
            ],
        )
        .await;
    let location = created.location.unwrap_or_else(|| panic!("{}", created.html));
    let page = browser.get(&location).await;
    assert!(page.html.contains("Phishing wave") && page.html.contains("GDPR notification"), "the clock is shown");
    let id = location.trim_start_matches("/incidents/").split('?').next().unwrap().to_string();
    for to in ["triage", "containment", "eradication", "recovery", "lessons-learned", "closed"] {
        let moved = browser
            .post(&format!("/incidents/{id}/transitions"), &[("csrf_token", &csrf), ("to", to), ("reason", "")])
            .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER, "{to}: {}", moved.html);
    }
    let refused = browser
        .post(&format!("/incidents/{id}/transitions"), &[("csrf_token", &csrf), ("to", "triage"), ("reason", "")])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.html.contains("reason is required"));
    let added = browser
        .post(
            &format!("/incidents/{id}/observables"),
            &[("csrf_token", &csrf), ("type", "url"), ("value", "HTTPS://Evil.Example/login")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let page = browser.get(&format!("/incidents/{id}")).await;
    assert!(page.html.contains("https://evil.example/login") && page.html.contains("closed"));
    let list = browser.get("/incidents?state=closed").await;
    assert!(list.html.contains("Phishing wave"));
    let other_severity = browser.get("/incidents?state=closed&severity=4").await;
    assert!(!other_severity.html.contains("Phishing wave"), "the severity filter applies");
});

store_test!(the_deadlines_board_and_the_metrics, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let token = Some(org.analyst.token.as_str());
    let late = json!({"title": "Data leak", "severity": 3, "category": "information-content-security", "aware_at": rampart_server_time(-80), "regimes": ["gdpr"]});
    let (_, _, leak) = app.api("POST", "/api/v1/incidents", token, Some(late)).await;
    let id = leak["id"].as_str().unwrap();
    for to in ["triage", "containment", "eradication"] {
        app.api("POST", &format!("/api/v1/incidents/{id}/transitions"), token, Some(json!({"to": to}))).await;
    }
    let (_, _, board) = app.api("GET", "/api/v1/incident-deadlines", Some(&org.viewer.token), None).await;
    assert_eq!(
        (board[0]["obligation"].as_str(), board[0]["state"].as_str()),
        (Some("authority"), Some("overdue")),
        "{board}"
    );
    let (_, _, metrics) = app.api("GET", "/api/v1/incident-metrics", Some(&org.viewer.token), None).await;
    let month = &metrics[0];
    assert_eq!(month["incidents"], 1);
    assert!(month["mttc_hours"].as_f64().unwrap() >= 80.0, "aware 80 h ago, contained now: {month}");
    let (_, content_type, csv) =
        app.api("GET", "/api/v1/incident-metrics?format=csv", Some(&org.viewer.token), None).await;
    assert!(content_type.starts_with("text/csv") && csv.as_str().unwrap().starts_with("month,incidents,mttd_hours"));
    let mut browser = Browser::new(&app);
    browser.login(&org.viewer.email, PASSWORD).await;
    let page = browser.get("/incidents/deadlines").await;
    assert!(page.html.contains("Data leak") && page.html.contains("clock-overdue"));
    let list = browser.get("/incidents").await;
    assert!(
        list.html.contains("Next report") && list.html.contains("clock-overdue"),
        "the list shows each case's clock"
    );
    let page = browser.get("/incidents/metrics").await;
    assert!(page.html.contains("Mean time to contain") && page.html.contains("<svg"));
});

store_test!(case_templates_and_tasks_in_the_api_and_the_pages, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let token = Some(org.analyst.token.as_str());
    let template = json!({"name": "Phishing", "tasks": [{"title": "Block the sender domain", "due_hours": 1}]});
    let (status, ..) = app.api("PUT", "/api/v1/case-templates/fraud", token, Some(template.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins set templates");
    let (status, ..) = app.api("PUT", "/api/v1/case-templates/fraud", Some(&org.admin.token), Some(template)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let body =
        json!({"title": "Phishing wave", "severity": 2, "category": "fraud", "aware_at": rampart_server_time(0)});
    let (_, _, created) = app.api("POST", "/api/v1/incidents", token, Some(body)).await;
    assert_eq!(created["tasks"][0]["title"], "Block the sender domain");
    let id = created["id"].as_str().unwrap();
    let (status, _, task) = app
        .api(
            "POST",
            &format!("/api/v1/incidents/{id}/tasks"),
            token,
            Some(json!({"title": "Warn customers", "assignee_id": org.analyst.user_id})),
        )
        .await;
    assert_eq!((status, task["assignee_email"].as_str()), (StatusCode::CREATED, Some(org.analyst.email.as_str())));
    let task_id = task["id"].as_str().unwrap();
    let (status, _, changed) = app
        .api(
            "PATCH",
            &format!("/api/v1/incident-tasks/{task_id}"),
            token,
            Some(json!({"status": "done", "assignee_id": null})),
        )
        .await;
    assert_eq!(
        (status, changed["status"].as_str(), changed["assignee_id"].is_null()),
        (StatusCode::OK, Some("done"), true)
    );
    let (status, ..) = app
        .api("PATCH", &format!("/api/v1/incident-tasks/{task_id}"), token, Some(json!({"status": "finished"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let mut admin = Browser::new(&app);
    let csrf = admin.login(&org.admin.email, PASSWORD).await.csrf();
    let saved = admin
        .post(
            "/incidents/templates",
            &[
                ("csrf_token", &csrf),
                ("category", "availability"),
                ("name", "DDoS"),
                ("tasks", "1 | Call the scrubbing provider\n6 | Post a status update"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let bad = admin
        .post(
            "/incidents/templates",
            &[("csrf_token", &csrf), ("category", "availability"), ("name", "DDoS"), ("tasks", "soon: call")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("HOURS | title"));
    let page = admin.get(&format!("/incidents/{id}")).await;
    assert!(page.html.contains("Block the sender domain") && page.html.contains("Warn customers"));
    let tasks = admin.get("/incidents/templates").await;
    assert!(tasks.html.contains("Call the scrubbing provider"));
    let first = created["tasks"][0]["id"].as_str().unwrap();
    let set = admin
        .post(&format!("/incidents/{id}/tasks/{first}"), &[("csrf_token", &csrf), ("status", "in-progress")])
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
});

store_test!(the_public_report_page_takes_reports_without_an_account, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut admin = Browser::new(&app);
    let csrf = admin.login(&org.admin.email, PASSWORD).await.csrf();
    let opened = admin.post("/incidents/public-page", &[("csrf_token", &csrf), ("open", "1")]).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
    let page = admin.get("/incidents").await;
    let start = page.html.find("/report/").unwrap();
    let slug: String = page.html[start + 8..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    assert_eq!(slug.len(), 24);

    let mut stranger = Browser::new(&app);
    let form = stranger.get(&format!("/report/{slug}")).await;
    assert!(form.status == StatusCode::OK && form.html.contains("Report an incident to Alpha"));
    let sent = stranger
        .post(
            &format!("/report/{slug}"),
            &[
                ("title", "<script>alert(1)</script> fake login page"),
                ("description", "Mail from you asking for my password"),
                ("contact", "me@example.org"),
                ("category", "fraud"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.html);
    assert!(sent.html.contains("Its reference is") && !sent.html.contains("<script>alert"));
    let (_, _, listed) = app.api("GET", "/api/v1/incidents?state=reported", Some(&org.viewer.token), None).await;
    let incident = &listed["items"][0];
    assert_eq!((incident["reporter"].as_str(), incident["category"].as_str()), (Some("me@example.org"), Some("fraud")));
    let case = admin.get(&format!("/incidents/{}", incident["id"].as_str().unwrap())).await;
    assert!(case.html.contains("alert(1)") && !case.html.contains("<script>alert"), "escaped where it is shown");
    let empty = stranger.post(&format!("/report/{slug}"), &[("title", " "), ("description", "")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut last = StatusCode::OK;
    for _ in 0..5 {
        last = stranger.post(&format!("/report/{slug}"), &[("title", "again")]).await.status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "five an hour from one address");
    admin.post("/incidents/public-page", &[("csrf_token", &csrf), ("open", "0")]).await;
    assert_eq!(stranger.get(&format!("/report/{slug}")).await.status, StatusCode::NOT_FOUND, "a closed page is gone");
    assert_eq!(stranger.get("/report/000000000000000000000000").await.status, StatusCode::NOT_FOUND);
});

store_test!(incidents_link_assets_related_incidents_and_lessons_learned_follow_ups, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let token = Some(org.analyst.token.as_str());
    let asset = json!({"name": "Mail server", "kind": "system", "confidentiality": "high", "integrity": "high", "availability": "medium", "critical": true, "owner": "ops"});
    let (_, _, asset) = app.api("POST", "/api/v1/assets", token, Some(asset)).await;
    let (_, _, control) =
        app.api("POST", "/api/v1/controls", token, Some(json!({"name": "Mail filtering", "status": "active"}))).await;
    let incident =
        |title: &str| json!({"title": title, "severity": 3, "category": "fraud", "aware_at": rampart_server_time(0)});
    let (_, _, a) = app.api("POST", "/api/v1/incidents", token, Some(incident("Phishing wave"))).await;
    let (_, _, b) = app.api("POST", "/api/v1/incidents", token, Some(incident("Account takeover"))).await;
    let (a, b, asset, control) = (
        a["id"].as_str().unwrap(),
        b["id"].as_str().unwrap(),
        asset["id"].as_str().unwrap(),
        control["id"].as_str().unwrap(),
    );

    let link = format!("/api/v1/incidents/{a}/assets/{asset}");
    let (status, ..) = app.api("PUT", &link, Some(&org.viewer.token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.api("PUT", &link, token, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.api("PUT", &link, token, None).await.0, StatusCode::CONFLICT);
    assert_eq!(
        app.api("PUT", &format!("/api/v1/incidents/{a}/threats/{asset}"), token, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api("PUT", &format!("/api/v1/incidents/{b}/related/{a}"), token, None).await.0,
        StatusCode::NO_CONTENT
    );
    let (status, _, p) = app
        .api(
            "POST",
            &format!("/api/v1/incidents/{a}/follow-ups"),
            token,
            Some(json!({"kind": "control", "target_id": control, "action": ""})),
        )
        .await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("action")));
    let body = json!({"kind": "control", "target_id": control, "action": "Quarantine macro attachments"});
    let (status, _, f) = app.api("POST", &format!("/api/v1/incidents/{a}/follow-ups"), token, Some(body)).await;
    assert_eq!((status, f["target_name"].as_str()), (StatusCode::CREATED, Some("Mail filtering")), "{f}");
    let done = format!("/api/v1/incident-follow-ups/{}/done", f["id"].as_str().unwrap());
    assert_eq!(app.api("POST", &done, token, None).await.0, StatusCode::NO_CONTENT);
    let (_, _, links) = app.api("GET", &format!("/api/v1/incidents/{a}/links"), Some(&org.viewer.token), None).await;
    assert_eq!(links["assets"], json!([{"id": asset, "name": "Mail server"}]));
    assert_eq!(links["related"], json!([{"id": b, "name": "Account takeover"}]));
    assert_eq!(links["follow_ups"][0]["done"], true);
    let other = app.org("Beta").await;
    let (status, ..) = app.api("GET", &format!("/api/v1/incidents/{a}/links"), Some(&other.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another organisation's incident");

    let mut analyst = Browser::new(&app);
    let csrf = analyst.login(&org.analyst.email, PASSWORD).await.csrf();
    let page = analyst.get(&format!("/incidents/{b}")).await;
    assert!(page.html.contains("Phishing wave") && page.html.contains("Lessons learned"), "{}", page.html);
    let target = format!("control:{control}");
    let saved = analyst
        .post(
            &format!("/incidents/{b}/follow-ups"),
            &[("csrf_token", &csrf), ("target", &target), ("action", "Block lookalike domains")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let refused = analyst.post(&format!("/incidents/{b}/links"), &[("csrf_token", &csrf), ("other", "nonsense")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("choose one from the list"));
    let removed = analyst.post(&format!("/incidents/{b}/related/{a}/remove"), &[("csrf_token", &csrf)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let page = analyst.get(&format!("/incidents/{b}")).await;
    assert!(page.html.contains("Block lookalike domains") && !page.html.contains(">Phishing wave</a>"));
    let control_page = analyst.get(&format!("/risk/controls/{control}")).await;
    assert!(control_page.html.contains("Quarantine macro attachments"), "follow-ups show on the control");
});

store_test!(triage_saves_what_it_learns_about_an_incident, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let token = Some(org.analyst.token.as_str());
    let aware = rampart_server_time(-1);
    let body = json!({"title": "Odd logins", "severity": 2, "category": "intrusion-attempts", "aware_at": aware});
    let (_, _, created) = app.api("POST", "/api/v1/incidents", token, Some(body)).await;
    let id = created["id"].as_str().unwrap();
    assert!(created["obligations"].as_array().unwrap().is_empty());
    let learned = json!({"title": "Account takeover", "severity": 3, "category": "intrusions", "aware_at": aware,
        "regimes": ["gdpr"], "confidentiality": true, "people_affected": 1200, "determination": "successful-attempt"});
    let (status, ..) =
        app.api("PUT", &format!("/api/v1/incidents/{id}"), Some(&org.viewer.token), Some(learned.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, changed) = app.api("PUT", &format!("/api/v1/incidents/{id}"), token, Some(learned)).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!((changed["title"].as_str(), changed["state"].as_str()), (Some("Account takeover"), Some("reported")));
    assert_eq!(changed["impact"]["people_affected"], 1200);
    assert_eq!(changed["obligations"][0]["regime"], "gdpr", "the GDPR clock now runs");
    let bad = json!({"title": "", "severity": 9, "category": "intrusions", "aware_at": aware});
    let (status, ..) = app.api("PUT", &format!("/api/v1/incidents/{id}"), token, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, _, kept) = app.api("GET", &format!("/api/v1/incidents/{id}"), token, None).await;
    assert_eq!(kept["title"], "Account takeover", "a refused change leaves the incident as it was");

    let sector = json!({"regime": "nis2", "obligation": "sector-notice", "name": "Sector regulator notice", "anchor": "aware", "offset_minutes": 120});
    let (status, ..) = app.api("POST", "/api/v1/regulatory-rules", Some(&org.admin.token), Some(sector)).await;
    assert_eq!(status, StatusCode::CREATED);
    let mut analyst = Browser::new(&app);
    let csrf = analyst.login(&org.analyst.email, PASSWORD).await.csrf();
    let page = analyst.get(&format!("/incidents/{id}")).await;
    assert!(page.html.contains("Edit details, impact and regimes") && page.html.contains(r#"value="1200""#));
    assert_eq!(
        page.html.matches(r#"name="regimes" value="nis2""#).count(),
        1,
        "a regime with an own rule is offered once"
    );
    let form = [
        ("csrf_token", csrf.as_str()),
        ("title", "Account takeover (VPN)"),
        ("severity", "4"),
        ("category", "intrusions"),
        ("aware_at", &aware[..16]),
        ("regimes", "gdpr"),
        ("regimes", "nis2"),
        ("people_affected", "many"),
    ];
    let refused = analyst.post(&format!("/incidents/{id}/edit"), &form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("must be a whole number"));
    let mut fixed = form.to_vec();
    fixed.retain(|(k, _)| *k != "people_affected");
    let saved = analyst.post(&format!("/incidents/{id}/edit"), &fixed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let (_, _, now) = app.api("GET", &format!("/api/v1/incidents/{id}"), token, None).await;
    assert_eq!((now["title"].as_str(), now["severity"].as_i64()), (Some("Account takeover (VPN)"), Some(4)));
    assert!(now["obligations"].as_array().unwrap().iter().any(|o| o["regime"] == "nis2"));
    assert!(now["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "updated"));
});

store_test!(incident_evidence_keeps_its_chain_of_custody, |store| {
    use axum::body::Body;
    use axum::http::{Request, header};
    let config = rampart_server::ServerConfig { evidence_limit: 1024, ..Default::default() };
    let app = TestApp::with_config(store, config);
    let org = app.org("Alpha").await;
    let token = org.analyst.token.clone();
    let body = json!({"title": "Ransomware", "severity": 4, "category": "malicious-code", "aware_at": rampart_server_time(-2)});
    let (_, _, created) = app.api("POST", "/api/v1/incidents", Some(&token), Some(body)).await;
    let id = created["id"].as_str().unwrap().to_string();
    let upload = |token: &str, body: &'static [u8], query: &str| {
        Request::post(format!("/api/v1/incidents/{id}/evidence{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap()
    };
    let too_large = app.send(upload(&token, &[b'x'; 1025], "?name=big.raw")).await;
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE, "the configured limit, before the body is read");
    assert!(!app.files_dir.exists(), "a refused upload stores nothing");
    let viewer = app.send(upload(&org.viewer.token, b"x", "?name=x.raw")).await;
    assert_eq!(viewer.status(), StatusCode::FORBIDDEN);
    let future = app.send(upload(&token, b"x", "?name=x.raw&acquired_at=2999-01-01T00:00:00Z")).await;
    assert_eq!(future.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!app.files_dir.exists(), "a refused upload stores nothing");

    let query = "?name=fs01.pcap&acquired_by=SOC%20sensor%203&acquired_at=2026-11-30T08:00:00Z&description=Capture";
    let response = app.send(upload(&token, b"pcap of the C2 beacon", query)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let e: serde_json::Value = serde_json::from_str(&crate::body_text(response).await).unwrap();
    assert_eq!(e["sha256"].as_str(), Some(rampart_server::files::sha256(b"pcap of the C2 beacon").as_str()));
    assert_eq!((e["size"].as_i64(), e["holder"].as_str()), (Some(21), Some("SOC sensor 3")));
    assert_eq!(e["acquired_at"], "2026-11-30T08:00:00Z");
    let eid = e["id"].as_str().unwrap().to_string();

    let download = app
        .send(
            Request::get(format!("/api/v1/incident-evidence/{eid}/download"))
                .header(header::AUTHORIZATION, format!("Bearer {}", org.viewer.token))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(download.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().contains("fs01.pcap"));
    assert_eq!(crate::body_text(download).await, "pcap of the C2 beacon");
    let hand = json!({"to": "Forensics lab", "note": "sealed bag 7"});
    let (status, _, handed) =
        app.api("POST", &format!("/api/v1/incident-evidence/{eid}/hand-overs"), Some(&token), Some(hand)).await;
    assert_eq!((status, handed["holder"].as_str()), (StatusCode::OK, Some("Forensics lab")), "{handed}");
    let (status, _, bad) = app
        .api("POST", &format!("/api/v1/incident-evidence/{eid}/hand-overs"), Some(&token), Some(json!({"to": ""})))
        .await;
    assert_eq!((status, bad["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("to")));
    let (_, _, checked) = app.api("POST", &format!("/api/v1/incident-evidence/{eid}/verify"), Some(&token), None).await;
    assert_eq!(checked["matches"], true);

    // Someone changes the stored body behind Rampart's back: the check says so.
    let stored = rampart_server::files::path(&app.files_dir, e["sha256"].as_str().unwrap());
    std::fs::write(&stored, b"tampered").unwrap();
    let (_, _, checked) = app.api("POST", &format!("/api/v1/incident-evidence/{eid}/verify"), Some(&token), None).await;
    assert_eq!(checked["matches"], false);
    let actions: Vec<&str> =
        checked["evidence"]["custody"].as_array().unwrap().iter().map(|c| c["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["acquired", "downloaded", "handed-over", "verified", "mismatch"]);
    let (_, _, trail) =
        app.api("GET", "/api/v1/audit?object_type=incident_evidence", Some(&org.admin.token), None).await;
    let audited: Vec<&str> = trail["items"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert!(
        audited.contains(&"incident.evidence.downloaded") && audited.contains(&"incident.evidence.mismatch"),
        "{audited:?}"
    );
    let (_, _, got) = app.api("GET", &format!("/api/v1/incidents/{id}"), Some(&token), None).await;
    assert_eq!(got["evidence"][0]["id"], eid.as_str());

    let other = app.org("Beta").await;
    for path in [format!("/api/v1/incident-evidence/{eid}"), format!("/api/v1/incident-evidence/{eid}/download")] {
        let (status, ..) = app.api("GET", &path, Some(&other.admin.token), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let across = app.send(upload(&other.admin.token, b"x", "?name=x.raw")).await;
    assert_eq!(across.status(), StatusCode::NOT_FOUND);

    let mut browser = Browser::new(&app);
    browser.login(&org.analyst.email, PASSWORD).await;
    let page = browser.get(&format!("/incidents/{id}")).await;
    assert!(
        page.html.contains("fs01.pcap")
            && page.html.contains("Forensics lab")
            && page.html.contains("Chain of custody (5)")
    );
    let csrf = page.csrf();
    let boundary = "rampartboundary";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"acquired_by\"\r\n\r\nJ. Doe\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\nhandwritten notes\r\n\
         --{boundary}--\r\n"
    );
    let form = |body: String| {
        Request::post(format!("/incidents/{id}/evidence"))
            .header(header::COOKIE, browser.cookie.clone().unwrap())
            .header("sec-fetch-site", "same-origin")
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap()
    };
    let forged = app.send(form(multipart.replace(&csrf, "forged"))).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "the CSRF token is checked");
    let sent = app.send(form(multipart)).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let page = browser.get(&format!("/incidents/{id}?notice=evidence")).await;
    assert!(page.html.contains("notes.txt") && page.html.contains("J. Doe"));
});

store_test!(a_timeline_entry_keeps_when_it_happened_in_any_time_zone, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let token = Some(org.analyst.token.as_str());
    let body =
        json!({"title": "Ransomware", "severity": 4, "category": "malicious-code", "aware_at": "2026-11-30T06:00:00Z"});
    let (_, _, created) = app.api("POST", "/api/v1/incidents", token, Some(body)).await;
    let id = created["id"].as_str().unwrap().to_string();
    let note = json!({"text": "First encrypted share seen", "at": "2026-11-30T09:12:00+01:00"});
    let (status, ..) = app.api("POST", &format!("/api/v1/incidents/{id}/notes"), token, Some(note)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let future = json!({"text": "x", "at": "2999-01-01T00:00:00Z"});
    let (status, _, bad) = app.api("POST", &format!("/api/v1/incidents/{id}/notes"), token, Some(future)).await;
    assert_eq!((status, bad["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("at")));

    let mut browser = Browser::new(&app);
    browser.login(&org.analyst.email, PASSWORD).await;
    let page = browser.get(&format!("/incidents/{id}")).await;
    assert!(page.html.contains("UTC+05:45") && page.html.contains("UTC−03:30"));
    let fields = [
        ("csrf_token", page.csrf()),
        ("text", "Attacker logged in".into()),
        ("at", "2026-11-30T02:30".into()),
        ("tz_offset", "-300".into()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.post(&format!("/incidents/{id}/notes"), &fields).await;
    let (_, _, got) = app.api("GET", &format!("/api/v1/incidents/{id}"), token, None).await;
    let at = |text: &str| got["timeline"].as_array().unwrap().iter().find(|e| e["text"] == text).unwrap()["at"].clone();
    assert_eq!(at("First encrypted share seen"), "2026-11-30T08:12:00Z", "kept in UTC");
    assert_eq!(at("Attacker logged in"), "2026-11-30T07:30:00Z", "02:30 at UTC−05:00");
    let order: Vec<&str> = got["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(order.first(), Some(&"note"), "entries sort by when they happened: {order:?}");
});

store_test!(the_impact_suggests_regimes_and_each_report_has_a_draft, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let token = Some(org.analyst.token.as_str());
    let body = json!({
        "title": "Customer database exfiltrated", "severity": 3, "category": "intrusions", "aware_at": rampart_server_time(-5),
        "description": "A stolen VPN account was used to copy the CRM database.", "confidentiality": true,
        "people_affected": 1200, "owner": "SOC", "regimes": ["nis2"]
    });
    let (_, _, created) = app.api("POST", "/api/v1/incidents", token, Some(body)).await;
    let id = created["id"].as_str().unwrap().to_string();
    let suggested = created["suggested_regimes"].as_array().unwrap();
    assert_eq!(suggested.iter().map(|s| s["regime"].as_str().unwrap()).collect::<Vec<_>>(), ["gdpr"], "{created}");
    let (status, ..) = app
        .api(
            "POST",
            &format!("/api/v1/incidents/{id}/regimes"),
            Some(&org.viewer.token),
            Some(json!({"regime": "gdpr"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, applied) =
        app.api("POST", &format!("/api/v1/incidents/{id}/regimes"), token, Some(json!({"regime": "gdpr"}))).await;
    assert_eq!((status, applied["regimes"].clone()), (StatusCode::OK, json!(["gdpr", "nis2"])));
    assert_eq!(applied["suggested_regimes"], json!([]), "an applied regime is no longer suggested");
    let (status, _, bad) =
        app.api("POST", &format!("/api/v1/incidents/{id}/regimes"), token, Some(json!({"regime": "hipaa"}))).await;
    assert_eq!((status, bad["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("regime")));

    let observable = json!({"type": "ipv4", "value": "203.0.113.9", "ioc": true});
    app.api("POST", &format!("/api/v1/incidents/{id}/observables"), token, Some(observable)).await;
    let submission = json!({"regime": "nis2", "obligation": "early-warning", "reference": "CSIRT-77"});
    app.api("POST", &format!("/api/v1/incidents/{id}/submissions"), token, Some(submission)).await;
    let (status, _, draft) = app
        .api("GET", &format!("/api/v1/incidents/{id}/reports/nis2/notification"), Some(&org.viewer.token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    let value = |key: &str| {
        draft["fields"].as_array().unwrap().iter().find(|f| f["key"] == key).unwrap_or_else(|| panic!("{key}: {draft}"))
            ["value"]
            .clone()
    };
    assert!(value("earlier").as_str().unwrap().contains("reference CSIRT-77"));
    assert_eq!(value("indicators"), "ipv4 203.0.113.9 (TLP:amber)");
    assert!(value("malicious").as_str().unwrap().starts_with("Yes, suspected: intrusions"));
    assert!(value("impact").as_str().unwrap().contains("1200 people affected"));
    let (_, _, gdpr) = app.api("GET", &format!("/api/v1/incidents/{id}/reports/gdpr/authority"), token, None).await;
    let dpo = gdpr["fields"].as_array().unwrap().iter().find(|f| f["key"] == "dpo").unwrap().clone();
    assert_eq!((dpo["value"].clone(), dpo["to_complete"].clone()), (json!(null), json!(true)));
    let (status, ..) = app.api("GET", &format!("/api/v1/incidents/{id}/reports/dora/initial"), token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "DORA does not apply to this incident");
    let other = app.org("Beta").await;
    let (status, ..) =
        app.api("GET", &format!("/api/v1/incidents/{id}/reports/gdpr/authority"), Some(&other.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let mut browser = Browser::new(&app);
    browser.login(&org.analyst.email, PASSWORD).await;
    let page = browser.get(&format!("/incidents/{id}/reports/gdpr/authority")).await;
    assert!(page.html.contains("GDPR notification of a personal data breach") && page.html.contains("to complete"));
    assert!(page.html.contains("A stolen VPN account was used"), "the nature of the breach is the description");
    let case = browser.get(&format!("/incidents/{id}")).await;
    assert!(case.html.contains(&format!("/incidents/{id}/reports/nis2/final-report")));

    // The case page offers what the impact suggests, and applies it.
    let body = json!({"title": "File servers encrypted", "severity": 4, "category": "malicious-code",
                      "aware_at": rampart_server_time(-1), "availability": true});
    let (_, _, outage) = app.api("POST", "/api/v1/incidents", token, Some(body)).await;
    let outage = outage["id"].as_str().unwrap();
    let case = browser.get(&format!("/incidents/{outage}")).await;
    assert!(case.html.contains("Apply nis2"), "severity 4 with availability harmed suggests NIS2");
    let csrf = case.csrf();
    browser.post(&format!("/incidents/{outage}/regimes"), &[("csrf_token", &csrf), ("regime", "nis2")]).await;
    let applied = browser.get(&format!("/incidents/{outage}?notice=regime")).await;
    assert!(applied.html.contains("The regime applies now") && !applied.html.contains("Apply nis2"));
    assert!(applied.html.contains("NIS2 early warning"), "its clocks run");
});

store_test!(two_incidents_merge_into_one, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let token = Some(org.analyst.token.as_str());
    let new = |title: &str, hours: i64| json!({"title": title, "severity": 3, "category": "intrusions", "aware_at": rampart_server_time(hours), "regimes": ["nis2"]});
    let (_, _, into) = app.api("POST", "/api/v1/incidents", token, Some(new("Ransomware on FS01", -1))).await;
    let (_, _, from) = app.api("POST", "/api/v1/incidents", token, Some(new("Odd VPN logins", -6))).await;
    let earliest = from["aware_at"].clone();
    let (into, from) = (into["id"].as_str().unwrap().to_string(), from["id"].as_str().unwrap().to_string());
    let note = json!({"text": "j.doe logged in from abroad"});
    app.api("POST", &format!("/api/v1/incidents/{from}/notes"), token, Some(note)).await;
    let path = format!("/api/v1/incidents/{into}/merge");
    let (status, ..) = app.api("POST", &path, Some(&org.viewer.token), Some(json!({"from": from}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, merged) = app.api("POST", &path, token, Some(json!({"from": from}))).await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["aware_at"], earliest, "the earlier awareness");
    let moved =
        merged["timeline"].as_array().unwrap().iter().find(|e| e["text"] == "j.doe logged in from abroad").unwrap();
    assert_eq!(moved["origin"], "Odd VPN logins");
    let (status, _, again) = app.api("POST", &path, token, Some(json!({"from": from}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (_, _, gone) = app.api("GET", &format!("/api/v1/incidents/{from}"), token, None).await;
    assert_eq!(gone["merged_into"], into.as_str());
    let (_, _, list) = app.api("GET", "/api/v1/incidents", token, None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "a merged incident leaves the list");

    let (_, _, third) = app.api("POST", "/api/v1/incidents", token, Some(new("Phishing", 0))).await;
    let third = third["id"].as_str().unwrap();
    let mut browser = Browser::new(&app);
    browser.login(&org.analyst.email, PASSWORD).await;
    let page = browser.get(&format!("/incidents/{into}")).await;
    assert!(page.html.contains("Merge another incident into this one") && page.html.contains("from Odd VPN logins"));
    assert!(!page.html.contains(&format!("<option value=\"{from}\">")), "a merged incident is not offered again");
    browser.post(&format!("/incidents/{into}/merge"), &[("csrf_token", &page.csrf()), ("from", third)]).await;
    let page = browser.get(&format!("/incidents/{third}")).await;
    assert!(page.html.contains("This incident was merged into"));
});

store_test!(admins_set_up_notification_channels_and_see_the_outbox, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let admin = Some(org.admin.token.as_str());
    let hook = json!({"name": "SOAR", "kind": "webhook", "target": "https://soar.example/hooks", "events": ["incident-created", "clock-overdue"]});
    let (status, ..) =
        app.api("POST", "/api/v1/notification-channels", Some(&org.analyst.token), Some(hook.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins only");
    let (status, _, channel) = app.api("POST", "/api/v1/notification-channels", admin, Some(hook)).await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    assert_eq!(channel["secret"].as_str().unwrap().len(), 64);
    let (_, _, listed) = app.api("GET", "/api/v1/notification-channels", admin, None).await;
    assert!(listed[0].get("secret").is_none(), "the secret is shown once");
    let bad = json!({"name": "x", "kind": "email", "target": "nobody", "events": ["incident-created"]});
    let (status, _, problem) = app.api("POST", "/api/v1/notification-channels", admin, Some(bad)).await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("target")));
    let unknown = json!({"name": "x", "kind": "webhook", "target": "https://x.example", "events": ["everything"]});
    let (status, ..) = app.api("POST", "/api/v1/notification-channels", admin, Some(unknown)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let body = json!({"title": "Ransomware", "severity": 4, "category": "malicious-code", "aware_at": rampart_server_time(-1)});
    app.api("POST", "/api/v1/incidents", Some(&org.analyst.token), Some(body)).await;
    let (_, _, outbox) = app.api("GET", "/api/v1/notifications", admin, None).await;
    let outbox = outbox.as_array().unwrap();
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert_eq!((outbox[0]["event"].as_str(), outbox[0]["state"].as_str()), (Some("incident-created"), Some("pending")));
    let id = channel["id"].as_str().unwrap();
    let (status, ..) =
        app.api("PATCH", &format!("/api/v1/notification-channels/{id}"), admin, Some(json!({"enabled": false}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, ..) = app.api("POST", &format!("/api/v1/notification-channels/{id}/test"), admin, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "a paused channel takes no test");
    let other = app.org("Beta").await;
    let (status, ..) =
        app.api("DELETE", &format!("/api/v1/notification-channels/{id}"), Some(&other.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, theirs) = app.api("GET", "/api/v1/notifications", Some(&other.admin.token), None).await;
    assert_eq!(theirs, json!([]));

    let mut browser = Browser::new(&app);
    browser.login(&org.admin.email, PASSWORD).await;
    let page = browser.get("/settings/notifications").await;
    assert!(page.html.contains("SOAR") && page.html.contains("New incident (severity 4): Ransomware"));
    let csrf = page.csrf();
    let created = browser
        .post(
            "/settings/notifications/channels",
            &[
                ("csrf_token", &csrf),
                ("name", "Duty"),
                ("kind", "email"),
                ("target", "soc@alpha.example"),
                ("events", "task-assigned"),
            ],
        )
        .await;
    assert!(created.html.contains("Duty") && !created.html.contains("signing secret"), "no secret for e-mail");
    let refused = browser
        .post(
            "/settings/notifications/channels",
            &[("csrf_token", &csrf), ("name", "Hook"), ("kind", "webhook"), ("target", "nope")],
        )
        .await;
    assert!(
        refused.html.contains("webhook&#39;s http or https address")
            || refused.html.contains("webhook's http or https address"),
        "{}",
        refused.html
    );
    let mut analyst = Browser::new(&app);
    analyst.login(&org.analyst.email, PASSWORD).await;
    let page = analyst.get("/settings/notifications").await;
    assert!(!page.html.contains("Add channel"), "an analyst cannot see or change the channels");
});

store_test!(admins_keep_the_reporting_rules, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    browser.login(&org.admin.email, PASSWORD).await;
    let page = browser.get("/incidents/rules").await;
    assert!(
        page.html.contains("4 h after classification, and no later than 24 h after awareness"),
        "DORA's initial report"
    );
    let csrf = page.csrf();
    let rule = [
        ("csrf_token", csrf.as_str()),
        ("regime", "sector"),
        ("obligation", "notice"),
        ("name", "Notice to the sector regulator"),
        ("anchor", "aware"),
        ("offset_hours", "48"),
    ];
    browser.post("/incidents/rules", &rule).await;
    let page = browser.get("/incidents/rules?notice=added").await;
    assert!(page.html.contains("Notice to the sector regulator") && page.html.contains("48 h after awareness"));
    let bad = browser
        .post(
            "/incidents/rules",
            &[
                ("csrf_token", &csrf),
                ("regime", "x"),
                ("obligation", "y"),
                ("name", "z"),
                ("anchor", "aware"),
                ("offset_hours", "soon"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("must be a number of hours"));

    let body = json!({"title": "Outage", "severity": 3, "category": "availability", "aware_at": rampart_server_time(-1), "regimes": ["sector"]});
    let (status, _, created) = app.api("POST", "/api/v1/incidents", Some(&org.analyst.token), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["obligations"][0]["name"], "Notice to the sector regulator");

    let (status, ..) =
        app.api("DELETE", "/api/v1/regulatory-rules/nis2/early-warning", Some(&org.admin.token), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "built-in rules stay");
    let (status, ..) =
        app.api("DELETE", "/api/v1/regulatory-rules/sector/notice", Some(&org.analyst.token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let other = app.org("Beta").await;
    let (status, ..) =
        app.api("DELETE", "/api/v1/regulatory-rules/sector/notice", Some(&other.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another organisation's rule");
    browser.post("/incidents/rules/sector/notice/remove", &[("csrf_token", &csrf)]).await;
    let page = browser.get("/incidents/rules?notice=removed").await;
    assert!(!page.html.contains("Notice to the sector regulator"));
});
