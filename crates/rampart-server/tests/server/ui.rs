//! The web UI: logging in, sessions, CSRF, and the settings flows.

use axum::http::StatusCode;
use rampart_server::ServerConfig;
use rampart_store::store_test;

use crate::browser::Browser;
use crate::{PASSWORD, TestApp};

store_test!(a_wrong_password_is_refused_without_saying_which_part_was_wrong, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    let known = browser.post("/login", &[("email", &org.admin.email), ("password", "wrong-password-here")]).await;
    let unknown =
        browser.post("/login", &[("email", "nobody@alpha.example"), ("password", "wrong-password-here")]).await;
    assert_eq!((known.status, unknown.status), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert!(known.html.contains("The e-mail or the password is wrong."));
    assert!(unknown.html.contains("The e-mail or the password is wrong."));
    assert!(browser.cookie.is_none());
});

store_test!(repeated_failures_throttle_the_account, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    for _ in 0..5 {
        browser.post("/login", &[("email", &org.admin.email), ("password", "wrong-password-here")]).await;
    }
    let throttled = browser.post("/login", &[("email", &org.admin.email), ("password", PASSWORD)]).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert!(throttled.html.contains("Too many failed attempts"));
    let other = browser.post("/login", &[("email", &org.viewer.email), ("password", PASSWORD)]).await;
    assert_eq!(other.status, StatusCode::SEE_OTHER, "other accounts are not locked out");
});

store_test!(repeated_failures_from_one_address_throttle_it_across_accounts, |store| {
    let app = TestApp::with_config(store, ServerConfig { max_address_failures: 3, ..ServerConfig::default() });
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    for email in ["a@alpha.example", "b@alpha.example", "c@alpha.example"] {
        browser.post("/login", &[("email", email), ("password", "wrong-password-here")]).await;
    }
    let throttled = browser.post("/login", &[("email", &org.viewer.email), ("password", PASSWORD)]).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS, "spraying many accounts from one address is throttled");
});

store_test!(a_session_cookie_is_http_only_same_site_and_rotated_at_login, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    let first = browser.post("/login", &[("email", &org.admin.email), ("password", PASSWORD)]).await;
    let cookie = first.set_cookie.unwrap();
    assert!(cookie.starts_with("rampart_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"));
    let old = browser.cookie.clone();
    browser.post("/login", &[("email", &org.admin.email), ("password", PASSWORD)]).await;
    assert_ne!(browser.cookie, old);
    let mut stale = Browser { app: &app, cookie: old };
    assert_eq!(stale.get("/").await.status, StatusCode::SEE_OTHER, "the pre-login session id is dead");
});

store_test!(under_tls_the_cookie_is_host_prefixed_and_secure_with_hsts, |store| {
    let app = TestApp::with_config(store, ServerConfig { secure_cookies: true, ..ServerConfig::default() });
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    let page = browser.post("/login", &[("email", &org.admin.email), ("password", PASSWORD)]).await;
    let cookie = page.set_cookie.unwrap();
    assert!(cookie.starts_with("__Host-rampart_session=") && cookie.contains("; Secure") && cookie.contains("Path=/"));
    let response = app.send(axum::http::Request::get("/login").body(axum::body::Body::empty()).unwrap()).await;
    assert!(response.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="));
});

store_test!(a_login_only_redirects_within_the_site, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    let page = browser
        .post("/login", &[("email", &org.admin.email), ("password", PASSWORD), ("next", "//evil.example/x")])
        .await;
    assert_eq!(page.location.as_deref(), Some("/"));
    let page = browser
        .post("/login", &[("email", &org.admin.email), ("password", PASSWORD), ("next", "/settings/tokens")])
        .await;
    assert_eq!(page.location.as_deref(), Some("/settings/tokens"));
    let mut anonymous = Browser::new(&app);
    assert_eq!(anonymous.get("/audit").await.location.as_deref(), Some("/login?next=%2Faudit"));
});

store_test!(forms_need_the_session_csrf_token_and_the_same_origin, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    let home = browser.login(&org.admin.email, PASSWORD).await;
    let csrf = home.csrf();
    let fields = |token: &'static str| vec![("name", "t"), ("expires_in", ""), ("csrf_token", token)];
    let missing = browser.post("/settings/tokens", &fields("")).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.html.contains("cross-site request forgery"));
    let leaked: &'static str = Box::leak(csrf.clone().into_boxed_str());
    let cross = browser.post_from("/settings/tokens", &fields(leaked), "cross-site").await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN, "a valid token from another site is still refused");
    let ok = browser.post("/settings/tokens", &fields(leaked)).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.html.contains("Your new API token"));
});

store_test!(an_admin_adds_changes_and_removes_members_in_the_browser, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    let csrf = browser.login(&org.admin.email, PASSWORD).await.csrf();
    let added = browser
        .post(
            "/settings/members",
            &[
                ("csrf_token", &csrf),
                ("email", "Carol@Alpha.example"),
                ("role", "analyst"),
                ("password", "tawny-owl-secret-words"),
            ],
        )
        .await;
    assert_eq!(added.location.as_deref(), Some("/settings/members?notice=member-added"));
    let page = browser.get("/settings/members?notice=member-added").await;
    assert!(page.html.contains("carol@alpha.example") && page.html.contains("The member was added."));
    let carol = store.user_by_email("carol@alpha.example").await.unwrap();
    let refused = browser
        .post(
            "/settings/members",
            &[("csrf_token", &csrf), ("email", "dave@alpha.example"), ("role", "viewer"), ("password", "short")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("at least 12 characters"));
    let changed = browser
        .post(&format!("/settings/members/{}/role", carol.id), &[("csrf_token", &csrf), ("role", "auditor")])
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(store.member(&org.id, &carol.id).await.unwrap().role.as_str(), "auditor");
    let last_admin = browser
        .post(&format!("/settings/members/{}/role", org.admin.user_id), &[("csrf_token", &csrf), ("role", "viewer")])
        .await;
    assert_eq!(last_admin.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(last_admin.html.contains("at least one admin"));
    let removed = browser.post(&format!("/settings/members/{}/remove", carol.id), &[("csrf_token", &csrf)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(store.member(&org.id, &carol.id).await.is_err());
});

store_test!(a_viewer_sees_members_but_cannot_change_them, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    let csrf = browser.login(&org.viewer.email, PASSWORD).await.csrf();
    let page = browser.get("/settings/members").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.html.contains("Add a member"));
    let refused = browser
        .post("/settings/members", &[("csrf_token", &csrf), ("email", "x@alpha.example"), ("role", "admin")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(browser.get("/audit").await.status, StatusCode::FORBIDDEN);
});

store_test!(switching_organisation_changes_what_is_shown, |store| {
    let app = TestApp::new(store);
    let alpha = app.org("Alpha").await;
    let beta = app.org("Beta").await;
    let ctx = rampart_store::ChangeContext::new("setup", "setup");
    store.add_member(&ctx, &beta.id, &alpha.admin.email, rampart_domain::Role::Viewer, None).await.unwrap();
    let mut browser = Browser::new(&app);
    let home = browser.login(&alpha.admin.email, PASSWORD).await;
    assert!(home.html.contains("<h1>Alpha</h1>"));
    let switched = browser.post("/switch-org", &[("csrf_token", &home.csrf()), ("org_id", &beta.id)]).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    let home = browser.get("/").await;
    assert!(home.html.contains("<h1>Beta</h1>") && home.html.contains("<strong>viewer</strong>"));
    let outsider = app.org("Gamma").await;
    let refused = browser.post("/switch-org", &[("csrf_token", &home.csrf()), ("org_id", &outsider.id)]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "an organisation one is not in looks missing");
});

store_test!(logging_out_ends_the_session_everywhere_if_asked, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut laptop = Browser::new(&app);
    let mut phone = Browser::new(&app);
    let csrf = laptop.login(&org.analyst.email, PASSWORD).await.csrf();
    phone.login(&org.analyst.email, PASSWORD).await;
    let out = laptop.post("/logout-everywhere", &[("csrf_token", &csrf)]).await;
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert!(out.set_cookie.unwrap().contains("Max-Age=0"));
    assert_eq!(phone.get("/").await.status, StatusCode::SEE_OTHER, "the other device is logged out too");
});

store_test!(changing_the_password_needs_the_current_one, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    let csrf = browser.login(&org.analyst.email, PASSWORD).await.csrf();
    let wrong = browser
        .post(
            "/settings/profile/password",
            &[("csrf_token", &csrf), ("current", "not-my-password"), ("new", "a-brand-new-passphrase")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.html.contains("current password is wrong"));
    let ok = browser
        .post(
            "/settings/profile/password",
            &[("csrf_token", &csrf), ("current", PASSWORD), ("new", "a-brand-new-passphrase")],
        )
        .await;
    assert_eq!(ok.location.as_deref(), Some("/settings/profile?notice=password-changed"));
    let mut again = Browser::new(&app);
    assert_eq!(
        again.post("/login", &[("email", &org.analyst.email), ("password", PASSWORD)]).await.status,
        StatusCode::UNAUTHORIZED
    );
    again.login(&org.analyst.email, "a-brand-new-passphrase").await;
});

store_test!(tokens_are_created_and_revoked_in_the_browser, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    let csrf = browser.login(&org.analyst.email, PASSWORD).await.csrf();
    let created = browser
        .post("/settings/tokens", &[("csrf_token", &csrf), ("name", "laptop script"), ("expires_in", "30d")])
        .await;
    let start = created.html.find("<code id=\"new-token\">").unwrap() + "<code id=\"new-token\">".len();
    let secret = &created.html[start..start + 52];
    assert!(secret.starts_with("rmp_"));
    let (status, ..) = app.api("GET", "/api/v1/me", Some(secret), None).await;
    assert_eq!(status, StatusCode::OK);
    let listing = browser.get("/settings/tokens").await;
    assert!(!listing.html.contains(secret), "the secret is never shown again");
    let token_id =
        store.list_tokens(&org.id, Some(&org.analyst.user_id), &Default::default()).await.unwrap().items[0].id.clone();
    let revoked = browser.post(&format!("/settings/tokens/{token_id}/revoke"), &[("csrf_token", &csrf)]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let (status, ..) = app.api("GET", "/api/v1/me", Some(secret), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
});

store_test!(the_audit_page_filters_and_exports, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    let mut browser = Browser::new(&app);
    browser.login(&org.auditor.email, PASSWORD).await;
    let page = browser.get("/audit?object_type=api_token&verify=1").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("hash chain verified intact"));
    assert_eq!(page.html.matches("token.create").count(), 4);
    assert!(!page.html.contains("member.create"));
    let bad = browser.get("/audit?from=soon").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let csv = browser.get("/audit/export?format=csv&object_type=member").await;
    assert_eq!(csv.html.lines().count(), 5);
});

store_test!(a_superadmin_creates_the_first_organisation_from_the_dashboard, |store| {
    let app = TestApp::new(store);
    store.create_first_superadmin("admin@localhost", crate::password_hash()).await.unwrap();
    let mut browser = Browser::new(&app);
    let home = browser.login("admin@localhost", PASSWORD).await;
    assert!(home.html.contains("Create the first one"));
    let created = browser
        .post(
            "/settings/organisations",
            &[("csrf_token", &home.csrf()), ("name", "ACME CERT"), ("kind", "coordinator")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let home = browser.get("/").await;
    assert!(home.html.contains("<h1>ACME CERT</h1>") && home.html.contains("Coordinator (CERT, CSIRT, ISAC)"));
    let duplicate = browser
        .post(
            "/settings/organisations",
            &[("csrf_token", &home.csrf()), ("name", "ACME CERT"), ("kind", "coordinator")],
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(duplicate.html.contains("already exists"));
});
