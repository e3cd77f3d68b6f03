//! The JSON API: authentication, roles, validation, problem details.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use rampart_store::store_test;
use serde_json::json;

use crate::TestApp;

store_test!(requests_without_credentials_get_a_problem, |store| {
    let app = TestApp::new(store);
    let (status, content_type, body) = app.api("GET", "/api/v1/me", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(body["status"], 401);
    assert!(body["detail"].as_str().unwrap().contains("Bearer"));
    let (status, ..) = app.api("GET", "/api/v1/me", Some("rmp_0000"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
});

store_test!(me_tells_who_and_where, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let (status, _, me) = app.api("GET", "/api/v1/me", Some(&org.analyst.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["email"], org.analyst.email);
    assert_eq!(me["organisation"]["role"], "analyst");
    assert_eq!(me["organisation"]["organisation"]["name"], "Alpha");
    assert_eq!(me["memberships"].as_array().unwrap().len(), 1);
});

store_test!(admins_manage_members_and_others_may_not, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let new = json!({"email": "new@alpha.example", "role": "viewer", "password": "a-long-enough-password"});
    for person in [&org.analyst, &org.auditor, &org.viewer] {
        let (status, _, body) = app.api("POST", "/api/v1/members", Some(&person.token), Some(new.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", person.email);
        assert!(body["detail"].as_str().unwrap().contains("add members"));
    }
    let (status, _, member) = app.api("POST", "/api/v1/members", Some(&org.admin.token), Some(new)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(member["role"], "viewer");
    let path = format!("/api/v1/members/{}", member["user_id"].as_str().unwrap());
    let (status, _, changed) = app.api("PATCH", &path, Some(&org.admin.token), Some(json!({"role": "analyst"}))).await;
    assert_eq!((status, changed["role"].as_str()), (StatusCode::OK, Some("analyst")));
    let (status, ..) = app.api("DELETE", &path, Some(&org.admin.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, ..) = app.api("DELETE", &path, Some(&org.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, list) = app.api("GET", "/api/v1/members?limit=2", Some(&org.viewer.token), None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert!(list["next"].is_string());
});

store_test!(bad_input_names_the_field_and_the_reason, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let token = Some(org.admin.token.as_str());
    let (status, ct, body) =
        app.api("POST", "/api/v1/members", token, Some(json!({"email": "x@alpha.example", "role": "boss"}))).await;
    assert_eq!((status, ct.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "application/problem+json"));
    assert_eq!(body["errors"][0]["field"], "role");
    assert!(body["errors"][0]["reason"].as_str().unwrap().contains("admin, analyst, auditor, viewer"));
    let (status, _, body) = app
        .api(
            "POST",
            "/api/v1/members",
            token,
            Some(json!({"email": "x@alpha.example", "role": "viewer", "password": "short"})),
        )
        .await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")));
    let (status, _, body) = app
        .api("POST", "/api/v1/members", token, Some(json!({"email": "x@alpha.example", "role": "viewer", "extra": 1})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _, body) =
        app.api("POST", "/api/v1/tokens", token, Some(json!({"name": "t", "expires_in": "forever"}))).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("expires_in")));
    let (status, _, body) = app.api("GET", "/api/v1/members?limit=9999", token, None).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("limit")));

    let malformed = Request::post("/api/v1/tokens")
        .header(header::AUTHORIZATION, format!("Bearer {}", org.admin.token))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let response = app.send(malformed).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json");
    let wrong_type = Request::post("/api/v1/tokens")
        .header(header::AUTHORIZATION, format!("Bearer {}", org.admin.token))
        .body(Body::from("name=x"))
        .unwrap();
    assert_eq!(app.send(wrong_type).await.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
});

store_test!(oversized_bodies_are_refused_before_reading, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let huge = "x".repeat(rampart_server::DEFAULT_BODY_LIMIT + 1);
    let request = Request::post("/api/v1/tokens")
        .header(header::AUTHORIZATION, format!("Bearer {}", org.admin.token))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, huge.len())
        .body(Body::from(huge))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json");
});

store_test!(tokens_are_shown_once_and_stop_working_when_revoked, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let (status, _, created) = app
        .api("POST", "/api/v1/tokens", Some(&org.viewer.token), Some(json!({"name": "script", "expires_in": "1d"})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("rmp_"));
    assert!(created["token"]["expires_at"].is_string());
    let (_, _, list) = app.api("GET", "/api/v1/tokens", Some(&secret), None).await;
    let items = list["items"].as_array().unwrap();
    assert!(items.iter().all(|t| t.get("secret").is_none()), "secrets are never listed");
    assert!(items.iter().all(|t| t["user_email"] == org.viewer.email), "a viewer sees only their own tokens");
    let (_, _, all) = app.api("GET", "/api/v1/tokens", Some(&org.admin.token), None).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 5, "an admin sees every token of the organisation");
    let id = created["token"]["id"].as_str().unwrap();
    let (status, ..) = app.api("DELETE", &format!("/api/v1/tokens/{id}"), Some(&org.analyst.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "someone else's token looks missing");
    let (status, ..) = app.api("DELETE", &format!("/api/v1/tokens/{id}"), Some(&secret), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, ..) = app.api("GET", "/api/v1/me", Some(&secret), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
});

store_test!(the_audit_trail_is_for_admins_and_auditors, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    for person in [&org.analyst, &org.viewer] {
        let (status, ..) = app.api("GET", "/api/v1/audit", Some(&person.token), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    app.api("POST", "/api/v1/tokens", Some(&org.admin.token), Some(json!({"name": "audited"}))).await;
    let (status, _, trail) = app
        .api("GET", &format!("/api/v1/audit?actor={}&limit=5", org.admin.email), Some(&org.auditor.token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = trail["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["action"], "token.create");
    assert!(items[0]["request_id"].as_str().unwrap().len() > 10);
    let (status, _, body) = app.api("GET", "/api/v1/audit?from=yesterday", Some(&org.auditor.token), None).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("from")));

    let csv = Request::get("/api/v1/audit/export?format=csv")
        .header(header::AUTHORIZATION, format!("Bearer {}", org.auditor.token))
        .body(Body::empty())
        .unwrap();
    let response = app.send(csv).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().contains("audit-trail.csv"));
    let text = crate::body_text(response).await;
    assert!(text.starts_with("seq,at,actor,action"));
    assert_eq!(text.lines().count(), 1 + 10, "header, organisation, 4 members, 4 tokens, 1 new token");
    let (status, _, json_export) =
        app.api("GET", "/api/v1/audit/export?format=json", Some(&org.admin.token), None).await;
    assert_eq!((status, json_export.as_array().map(Vec::len)), (StatusCode::OK, Some(10)));
});

store_test!(only_superadmins_manage_organisations, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let (status, ..) = app.api("GET", "/api/v1/organisations", Some(&org.admin.token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    store
        .execute_raw_for_tests(&format!("UPDATE users SET superadmin = 1 WHERE id = '{}'", org.admin.user_id))
        .await
        .unwrap();
    let (status, _, created) = app
        .api(
            "POST",
            "/api/v1/organisations",
            Some(&org.admin.token),
            Some(json!({"name": "Beta", "kind": "authority"})),
        )
        .await;
    assert_eq!((status, created["kind"].as_str()), (StatusCode::CREATED, Some("authority")));
    let (status, ..) = app
        .api(
            "POST",
            "/api/v1/organisations",
            Some(&org.admin.token),
            Some(json!({"name": "Beta", "kind": "authority"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, _, me) = app.api("GET", "/api/v1/me", Some(&org.admin.token), None).await;
    assert_eq!(me["memberships"].as_array().unwrap().len(), 2, "the creator is the new organisation's admin");
});

store_test!(every_response_carries_security_headers_and_a_request_id, |store| {
    let app = TestApp::new(store);
    let response =
        app.send(Request::get("/login").header("x-request-id", "trace-123").body(Body::empty()).unwrap()).await;
    let h = response.headers();
    assert_eq!(h["x-request-id"], "trace-123");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(h.get("strict-transport-security").is_none(), "no HSTS without TLS");
    let generated = app
        .send(Request::get("/healthz").header("x-request-id", "bad id with spaces").body(Body::empty()).unwrap())
        .await;
    assert_ne!(generated.headers()["x-request-id"], "bad id with spaces");
});

store_test!(health_readiness_and_metrics_answer, |store| {
    let app = TestApp::new(store);
    assert_eq!(app.send(Request::get("/healthz").body(Body::empty()).unwrap()).await.status(), StatusCode::OK);
    assert_eq!(app.send(Request::get("/readyz").body(Body::empty()).unwrap()).await.status(), StatusCode::OK);
    app.api("GET", "/api/v1/me", None, None).await;
    let metrics = crate::body_text(app.send(Request::get("/metrics").body(Body::empty()).unwrap()).await).await;
    assert!(
        metrics.contains(r#"rampart_http_requests_total{method="GET",route="/api/v1/me",status="401"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("rampart_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("rampart_db_pool_connections"));
    store.close().await;
    assert_eq!(
        app.send(Request::get("/readyz").body(Body::empty()).unwrap()).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
});
