//! Risk scenarios, applied controls, acceptances and quantification through
//! the API.

use axum::http::StatusCode;
use rampart_server::ServerConfig;
use rampart_store::store_test;
use serde_json::{Value, json};

use crate::TestApp;

pub fn pyfair_reference() -> Value {
    json!({
        "tef": {"pert": [1, 5, 20], "shape": "classic"},
        "vulnerability": {"pert": [0.1, 0.3, 0.6], "shape": "classic"},
        "loss_magnitude": {"pert": [10000, 100000, 1000000], "shape": "classic"}
    })
}

store_test!(scenarios_are_rated_treated_and_linked, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let analyst = Some(org.analyst.token.as_str());
    let body = json!({
        "name": "Ransomware on file servers", "owner": "CISO", "treatment": "mitigate",
        "inherent": {"likelihood": 5, "impact": 5}, "current": {"likelihood": 4, "impact": 4},
        "residual": {"likelihood": 2, "impact": 3}, "review_every_days": 90
    });
    let (status, ..) = app.api("POST", "/api/v1/risk-scenarios", Some(&org.viewer.token), Some(body.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, risk) = app.api("POST", "/api/v1/risk-scenarios", analyst, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{risk}");
    assert_eq!((risk["current"]["label"].as_str(), risk["residual"]["label"].as_str()), (Some("High"), Some("Medium")));
    assert_eq!((risk["target"].clone(), risk["review_overdue"].as_bool()), (Value::Null, Some(false)));
    let id = risk["id"].as_str().unwrap();

    let (status, _, p) = app
        .api(
            "POST",
            "/api/v1/risk-scenarios",
            analyst,
            Some(json!({"name": "x", "current": {"likelihood": 6, "impact": 1}})),
        )
        .await;
    assert_eq!(
        (status, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("current.likelihood"))
    );
    let (status, _, p) =
        app.api("POST", "/api/v1/risk-scenarios", analyst, Some(json!({"name": "x", "treatment": "ignore"}))).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("treatment")));

    // PATCH changes what it names; null clears a rating.
    let (status, _, patched) = app
        .api(
            "PATCH",
            &format!("/api/v1/risk-scenarios/{id}"),
            analyst,
            Some(json!({"residual": null, "treatment": "transfer"})),
        )
        .await;
    assert_eq!(
        (status, patched["residual"].clone(), patched["treatment"].as_str()),
        (StatusCode::OK, Value::Null, Some("transfer"))
    );
    assert_eq!(patched["current"]["likelihood"], 4, "unnamed fields are kept");

    let (_, _, control) = app
        .api(
            "POST",
            "/api/v1/controls",
            analyst,
            Some(json!({"name": "Offline backups", "status": "active", "annual_cost": 20000, "effort": "m"})),
        )
        .await;
    let control_id = control["id"].as_str().unwrap();
    let (status, _, p) = app.api("POST", "/api/v1/controls", analyst, Some(json!({"name": "x", "eta": "soon"}))).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("eta")));
    let (status, ..) =
        app.api("PUT", &format!("/api/v1/risk-scenarios/{id}/controls/{control_id}"), analyst, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, ..) =
        app.api("PUT", &format!("/api/v1/risk-scenarios/{id}/gadgets/{control_id}"), analyst, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, detail) = app.api("GET", &format!("/api/v1/risk-scenarios/{id}"), Some(&org.viewer.token), None).await;
    assert_eq!(detail["controls"][0]["name"], "Offline backups");
    let (_, _, c) = app.api("GET", &format!("/api/v1/controls/{control_id}"), analyst, None).await;
    assert_eq!(c["scenarios"][0]["id"], id);

    let (_, _, transferred) = app.api("GET", "/api/v1/risk-scenarios?treatment=transfer", analyst, None).await;
    assert_eq!(transferred["items"].as_array().unwrap().len(), 1);
    let (_, _, high) = app.api("GET", "/api/v1/risk-scenarios?level=2", analyst, None).await;
    assert_eq!(high["items"].as_array().unwrap().len(), 1);
    let (_, _, overdue) = app.api("GET", "/api/v1/risk-scenarios?overdue=true", analyst, None).await;
    assert!(overdue["items"].as_array().unwrap().is_empty());
    let (status, _, reviewed) = app.api("POST", &format!("/api/v1/risk-scenarios/{id}/review"), analyst, None).await;
    assert_eq!((status, reviewed["review_overdue"].as_bool()), (StatusCode::OK, Some(false)));

    let (status, _, heat) = app.api("GET", "/api/v1/risk-heat-map", analyst, None).await;
    assert_eq!((status, heat["current"][0]["count"].as_i64()), (StatusCode::OK, Some(1)));
    let (status, content_type, csv) = app.api("GET", "/api/v1/risk-scenarios/export?format=csv", analyst, None).await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, "text/csv; charset=utf-8"));
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with("id,name,owner,treatment,inherent_level,current_level"), "{csv}");
    assert!(csv.contains("Ransomware on file servers,CISO,transfer,Very high,High,,"), "{csv}");

    let beta = app.org("Beta").await;
    let (status, ..) = app.api("GET", &format!("/api/v1/risk-scenarios/{id}"), Some(&beta.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another organisation's scenario looks missing");
    let (status, ..) = app
        .api("PUT", &format!("/api/v1/risk-scenarios/{id}/controls/{control_id}"), Some(&beta.admin.token), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, ..) = app.api("DELETE", &format!("/api/v1/risk-scenarios/{id}"), analyst, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
});

store_test!(the_matrix_and_tolerance_are_set_by_admins, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let (status, _, settings) = app.api("GET", "/api/v1/risk-settings", Some(&org.viewer.token), None).await;
    assert_eq!((status, settings["matrix"]["likelihood"].as_array().unwrap().len()), (StatusCode::OK, 5));
    let three = json!({
        "matrix": {
            "likelihood": ["Low", "Medium", "High"], "impact": ["Low", "Medium", "High"],
            "levels": [{"label": "Acceptable", "colour": "#2e7d32"}, {"label": "Not acceptable", "colour": "#c62828"}],
            "grid": [[0, 0, 0], [0, 0, 1], [0, 1, 1]]
        },
        "tolerance": [[1000000, 0.05]]
    });
    let (status, ..) = app.api("PUT", "/api/v1/risk-settings", Some(&org.analyst.token), Some(three.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "analysts rate risks; management sets the matrix");
    let mut falling = three.clone();
    falling["matrix"]["grid"] = json!([[0, 0, 0], [0, 0, 1], [0, 1, 0]]);
    let (status, _, p) = app.api("PUT", "/api/v1/risk-settings", Some(&org.admin.token), Some(falling)).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("grid[2][2]")));
    let (status, ..) = app.api("PUT", "/api/v1/risk-settings", Some(&org.admin.token), Some(three)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, risk) = app
        .api(
            "POST",
            "/api/v1/risk-scenarios",
            Some(&org.analyst.token),
            Some(json!({"name": "DDoS", "current": {"likelihood": 3, "impact": 2}})),
        )
        .await;
    assert_eq!(risk["current"]["label"], "Not acceptable");
});

/// A date about two years ahead, as `YYYY-06-01`.
pub fn in_two_years() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    format!("{}-06-01", 1970 + secs / 31_557_600 + 2)
}

store_test!(acceptances_are_decided_by_the_named_approver, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let analyst = Some(org.analyst.token.as_str());
    let (_, _, risk) = app
        .api("POST", "/api/v1/risk-scenarios", analyst, Some(json!({"name": "Legacy VPN", "treatment": "accept"})))
        .await;
    let id = risk["id"].as_str().unwrap();
    let submit = |approver: &str, expires: &str| json!({"justification": "Replaced in Q3", "approver_id": approver, "expires_at": expires, "remind_days": 14});
    let (status, _, p) = app
        .api(
            "POST",
            &format!("/api/v1/risk-scenarios/{id}/acceptances"),
            analyst,
            Some(submit(&org.admin.user_id, "2020-01-01")),
        )
        .await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("expires_at")));
    let (status, _, p) = app
        .api(
            "POST",
            &format!("/api/v1/risk-scenarios/{id}/acceptances"),
            analyst,
            Some(submit(&org.auditor.user_id, &in_two_years())),
        )
        .await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("approver_id")));
    let (status, _, a) = app
        .api(
            "POST",
            &format!("/api/v1/risk-scenarios/{id}/acceptances"),
            analyst,
            Some(submit(&org.admin.user_id, &in_two_years())),
        )
        .await;
    assert_eq!((status, a["state"].as_str()), (StatusCode::CREATED, Some("submitted")), "{a}");
    let acceptance = a["id"].as_str().unwrap();
    let (_, _, queue) = app.api("GET", "/api/v1/risk-acceptances", Some(&org.viewer.token), None).await;
    assert_eq!(queue[0]["scenario_name"], "Legacy VPN");

    let decide = |decision: &str| json!({"decision": decision, "note": "ok"});
    let path = format!("/api/v1/risk-acceptances/{acceptance}/decision");
    let (status, ..) = app.api("POST", &path, analyst, Some(decide("accept"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "analysts do not decide");
    let (status, _, p) = app.api("POST", &path, Some(&org.admin.token), Some(decide("revoke"))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    let (status, _, accepted) = app.api("POST", &path, Some(&org.admin.token), Some(decide("accept"))).await;
    assert_eq!(
        (status, accepted["state"].as_str(), accepted["term"].as_str()),
        (StatusCode::OK, Some("accepted"), Some("in-force"))
    );
    let (_, _, detail) = app.api("GET", &format!("/api/v1/risk-scenarios/{id}"), analyst, None).await;
    assert_eq!(detail["acceptances"][0]["decided_by"], org.admin.email);
    let (status, _, p) = app.api("GET", "/api/v1/risk-acceptances?queue=soon", analyst, None).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("queue")));
});

store_test!(scenarios_and_the_portfolio_are_quantified_and_kept, |store| {
    let config = ServerConfig { quant_max_iterations: 200_000, ..ServerConfig::default() };
    let app = TestApp::with_config(store, config);
    let org = app.org("Alpha").await;
    let analyst = Some(org.analyst.token.as_str());
    let (_, _, risk) = app.api("POST", "/api/v1/risk-scenarios", analyst, Some(json!({"name": "Ransomware"}))).await;
    let id = risk["id"].as_str().unwrap();
    let (status, _, p) = app.api("POST", &format!("/api/v1/risk-scenarios/{id}/quantify"), analyst, None).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("fair_model")));
    let (status, _, p) = app.api("POST", "/api/v1/portfolio/quantify", analyst, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");

    let mut bad = pyfair_reference();
    bad["vulnerability"] = json!({"pert": [0.6, 0.3, 0.1]});
    let (status, _, p) = app.api("PUT", &format!("/api/v1/risk-scenarios/{id}/fair-model"), analyst, Some(bad)).await;
    assert_eq!(
        (status, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("fair_model.vulnerability"))
    );
    let mut negative = pyfair_reference();
    negative["loss_magnitude"] = json!({"constant": -5});
    let (status, _, p) =
        app.api("PUT", &format!("/api/v1/risk-scenarios/{id}/fair-model"), analyst, Some(negative)).await;
    assert_eq!(
        (status, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("fair_model.loss_magnitude"))
    );
    let (_, _, unchanged) = app.api("GET", &format!("/api/v1/risk-scenarios/{id}"), analyst, None).await;
    assert_eq!(unchanged["fair_model"], Value::Null, "a refused model stores nothing");
    let (status, ..) =
        app.api("PUT", &format!("/api/v1/risk-scenarios/{id}/fair-model"), analyst, Some(pyfair_reference())).await;
    assert_eq!(status, StatusCode::OK);

    let (status, _, p) = app
        .api("POST", &format!("/api/v1/risk-scenarios/{id}/quantify"), analyst, Some(json!({"iterations": 1_000_000})))
        .await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("iterations")));
    assert!(p["errors"][0]["reason"].as_str().unwrap().contains("200000"));
    let options = json!({"iterations": 200_000, "seed": 7, "mode": "pyfair"});
    let (status, _, run) =
        app.api("POST", &format!("/api/v1/risk-scenarios/{id}/quantify"), analyst, Some(options.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    assert_eq!(
        (run["seed"].as_str(), run["iterations"].as_u64(), run["mode"].as_str()),
        (Some("7"), Some(200_000), Some("pyfair"))
    );
    assert!(run["engine_version"].is_string());
    // pyfair 0.1a13's reference model: mean 508,972 (analytic 508,514).
    let mean = run["result"]["portfolio"]["mean"].as_f64().unwrap();
    assert!((mean / 508_514.0 - 1.0).abs() < 0.02, "mean {mean}");
    assert!(run["result"]["portfolio"]["loss_exceedance"].as_array().unwrap().len() > 10);
    let (_, _, again) = app.api("POST", &format!("/api/v1/risk-scenarios/{id}/quantify"), analyst, Some(options)).await;
    assert_eq!(again["result"], run["result"], "the same seed reproduces the same result");
    let (status, _, latest) =
        app.api("GET", &format!("/api/v1/risk-scenarios/{id}/quantification"), Some(&org.viewer.token), None).await;
    assert_eq!((status, latest["id"].clone()), (StatusCode::OK, again["id"].clone()));

    let (status, ..) = app.api("PUT", "/api/v1/risk-settings", Some(&org.admin.token), Some(json!({"matrix": app.api("GET", "/api/v1/risk-settings", analyst, None).await.2["matrix"], "tolerance": [[2_000_000, 0.01]]}))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, portfolio) =
        app.api("POST", "/api/v1/portfolio/quantify", analyst, Some(json!({"iterations": 50_000, "seed": 1}))).await;
    assert_eq!(status, StatusCode::CREATED, "{portfolio}");
    assert_eq!(portfolio["result"]["names"][id], "Ransomware");
    assert_eq!(portfolio["result"]["tolerance"][0]["loss"], 2_000_000.0);
    let (_, _, latest) = app.api("GET", "/api/v1/portfolio", analyst, None).await;
    assert_eq!(latest["id"], portfolio["id"]);
    let beta = app.org("Beta").await;
    let (status, ..) = app.api("GET", "/api/v1/portfolio", Some(&beta.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

store_test!(the_risk_pages_rate_accept_and_quantify_a_scenario, |store| {
    use crate::PASSWORD;
    use crate::browser::Browser;
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut analyst = Browser::new(&app);
    let csrf = analyst.login(&org.analyst.email, PASSWORD).await.csrf();
    let scenario = |current_impact: &'static str| {
        vec![
            ("name", "Ransomware on file servers"),
            ("owner", "CISO"),
            ("threat_id", ""),
            ("treatment", "mitigate"),
            ("review_every_days", "90"),
            ("inherent_likelihood", "5"),
            ("inherent_impact", "5"),
            ("current_likelihood", "4"),
            ("current_impact", current_impact),
            ("residual_likelihood", "2"),
            ("residual_impact", "3"),
            ("target_likelihood", ""),
            ("target_impact", ""),
            ("description", ""),
        ]
    };
    let mut half = scenario("");
    half.push(("csrf_token", &csrf));
    let refused = analyst.post("/risk/scenarios", &half).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("give both likelihood and impact")
            && refused.html.contains("value=\"Ransomware on file servers\"")
    );
    let mut full = scenario("4");
    full.push(("csrf_token", &csrf));
    let created = analyst.post("/risk/scenarios", &full).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let path = created.location.unwrap().split('?').next().unwrap().to_string();
    let page = analyst.get(&path).await;
    assert!(
        page.html.contains("High") && page.html.contains("L4 × I4") && page.html.contains("Where this scenario sits")
    );
    let list = analyst.get("/risk/scenarios?treatment=mitigate").await;
    assert!(list.html.contains("Ransomware on file servers") && list.html.contains("Current risk"));

    // A control from its page, linked from the scenario.
    let made = analyst
        .post(
            "/risk/controls",
            &[
                ("csrf_token", &csrf),
                ("name", "Offline backups"),
                ("status", "active"),
                ("owner", "IT"),
                ("eta", ""),
                ("effort", "m"),
                ("annual_cost", "20,000"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.html);
    let control_id =
        made.location.unwrap().trim_start_matches("/risk/controls/").split('?').next().unwrap().to_string();
    let linked = analyst.post(&format!("{path}/controls"), &[("csrf_token", &csrf), ("other_id", &control_id)]).await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER);
    assert!(analyst.get(&format!("/risk/controls/{control_id}")).await.html.contains("Ransomware on file servers"));

    // FAIR estimates: a mistake is named and the text kept; then the real ones.
    let bad = "tef: { pert: [20, 5, 1] }\nvulnerability: { constant: 0.3 }\nloss_magnitude: { constant: 1000 }\n";
    let refused = analyst.post(&format!("{path}/fair"), &[("csrf_token", &csrf), ("fair_model", bad)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("fair_model.tef") && refused.html.contains("pert: [20, 5, 1]"), "{}", refused.html);
    let good = "tef: { pert: [1, 5, 20] }\nvulnerability: { pert: [0.1, 0.3, 0.6] }\nloss_magnitude: { pert: [10000, 100000, 1000000] }\n";
    let saved = analyst.post(&format!("{path}/fair"), &[("csrf_token", &csrf), ("fair_model", good)]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let run = analyst
        .post(
            &format!("{path}/quantify"),
            &[("csrf_token", &csrf), ("iterations", "20000"), ("seed", "3"), ("mode", "aggregate")],
        )
        .await;
    assert_eq!(run.status, StatusCode::SEE_OTHER, "{}", run.html);
    let page = analyst.get(&path).await;
    assert!(
        page.html.contains("seed 3")
            && page.html.contains("Loss exceedance curve")
            && page.html.contains("Distribution of annual loss")
    );
    let portfolio = analyst
        .post("/risk/portfolio", &[("csrf_token", &csrf), ("iterations", "20000"), ("seed", ""), ("mode", "pyfair")])
        .await;
    assert_eq!(portfolio.status, StatusCode::SEE_OTHER, "{}", portfolio.html);
    let portfolio = analyst.get("/risk/portfolio").await;
    assert!(portfolio.html.contains("pyfair mode") && portfolio.html.contains(&format!("href=\"{path}\"")));

    // Acceptance: submitted by the analyst to the admin, decided by the admin.
    let expires = in_two_years();
    let submitted = analyst
        .post(
            &format!("{path}/acceptances"),
            &[
                ("csrf_token", &csrf),
                ("justification", "Backups make it recoverable"),
                ("approver_id", &org.admin.user_id),
                ("expires_at", &expires),
                ("remind_days", "30"),
            ],
        )
        .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER, "{}", submitted.html);
    assert!(analyst.get("/risk/scenarios").await.html.contains("Awaiting a decision"));
    let mut admin = Browser::new(&app);
    let admin_csrf = admin.login(&org.admin.email, PASSWORD).await.csrf();
    let page = admin.get(&path).await;
    let acceptance_id =
        store.acceptance_queue(&org.id, rampart_store::AcceptanceQueue::AwaitingDecision).await.unwrap()[0].id.clone();
    assert!(page.html.contains(&format!("/acceptances/{acceptance_id}")), "the approver sees the decision form");
    let decided = admin
        .post(
            &format!("{path}/acceptances/{acceptance_id}"),
            &[("csrf_token", &admin_csrf), ("decision", "accept"), ("note", "Agreed")],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.html);
    assert!(analyst.get(&path).await.html.contains("in force"));
    assert!(!analyst.get("/risk/scenarios").await.html.contains("Awaiting a decision"));
    store
        .execute_raw_for_tests(&format!(
            "UPDATE risk_acceptances SET expires_at = {}",
            rampart_store::now_ms() + 86_400_000
        ))
        .await
        .unwrap();
    let register = analyst.get("/risk/scenarios").await.html;
    assert!(register.contains("Acceptances expiring or expired"), "the reminder shows on the register");
    assert!(analyst.get(&path).await.html.contains("expiring soon"));

    // The matrix: read-only for analysts; a too-small matrix is refused with the reason.
    assert!(analyst.get("/risk/matrix").await.html.contains("Only an admin"));
    let small = admin
        .post(
            "/risk/matrix",
            &[
                ("csrf_token", &admin_csrf),
                ("likelihood", "Low\nMedium\nHigh"),
                ("impact", "Low\nMedium\nHigh"),
                ("levels", "#2e7d32 Low\n#c62828 High"),
                ("grid", "0 1 1\n0 0 1\n0 0 0"),
                ("tolerance", "1000000 5%"),
            ],
        )
        .await;
    assert_eq!(small.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(small.html.contains("re-rate those scenarios first"), "{}", small.html);

    let report = analyst.get("/risk/report").await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(
        report.html.contains("Risk report — Alpha")
            && report.html.contains("Offline backups")
            && report.html.contains("accepted by admin@alpha.example")
    );
    let dashboard = analyst.get("/").await;
    assert!(dashboard.html.contains("Risk scenarios") && dashboard.html.contains("awaiting a decision"));
});
