//! TAXII subscriptions over the API: an organisation subscribes one of its
//! collections to a remote TAXII 2.1 collection (here, another Rampart on
//! loopback), pulls it, and the next pull asks only for what is new. The
//! credential is sealed and never answered; the remote's TLP rules hold;
//! subscriptions may not reach the instance's own network unless allowed.

use rampart_domain::sealed::SecretKey;
use rampart_server::{AppState, ServerConfig, app};
use rampart_store::{ChangeContext, Store, store_test};
use rampart_taxii_client::{Puller, Reach};
use serde_json::{Value, json};

use crate::TestApp;

/// The app, pulling with `reach`, over a store that seals with a key.
fn app_reaching(store: &Store, reach: Reach) -> TestApp {
    let store = store.clone().with_secret_key(SecretKey::generate());
    let mut test = TestApp::new(&store);
    let state = AppState::new(store.clone(), ServerConfig::default()).with_puller(Puller::new(store.clone(), reach));
    test.router = app(state);
    test
}

/// The same application served on a loopback port: the remote TAXII server.
async fn serve(store: &Store) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(store.clone(), ServerConfig::default());
    tokio::spawn(rampart_server::serve(state, listener, None, async {
        let _ = stopped.await;
    }));
    (base, stop)
}

fn indicator(n: u32, tlp: Option<&str>) -> Value {
    let mut o = json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": format!("[ipv4-addr:value = '198.51.100.{n}']"), "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"});
    if let Some(tlp) = tlp {
        o["object_marking_refs"] = json!([tlp]);
    }
    o
}

async fn publish(store: &Store, org: &str, collection: &str, objects: Vec<Value>) {
    let bundle = json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": objects});
    let ctx = ChangeContext::new("setup", "setup");
    store.import_bundle(&ctx, org, collection, std::io::Cursor::new(bundle.to_string().into_bytes())).await.unwrap();
}

store_test!(an_organisation_pulls_a_remote_collection_incrementally, |store| {
    let app = app_reaching(store, Reach::Any);
    let csirt = app.org("National CSIRT").await;
    let alpha = app.org("Alpha Hosting").await;
    let ctx = ChangeContext::new("setup", "setup");
    // The remote side: the CSIRT's community collection, which Alpha's
    // analyst may read over TAXII, with one TLP:RED object Alpha may not.
    let isac = app.store.create_community(&ctx, &csirt.id, "ISAC", "").await.unwrap().id;
    app.store
        .add_community_member(&ctx, None, &isac, &alpha.id, rampart_domain::sharing::MemberRole::Reader)
        .await
        .unwrap();
    let remote = app.store.create_collection(&ctx, &csirt.id, "Indicators", "", Some(&isac)).await.unwrap().id;
    let red = rampart_stix::Tlp::Red.marking_id();
    publish(&app.store, &csirt.id, &remote, vec![indicator(1, None), indicator(2, None), indicator(3, Some(red))])
        .await;
    let (base, _stop) = serve(&app.store).await;

    let (status, _, local) = app
        .api("POST", "/api/v1/collections", Some(&alpha.analyst.token), Some(json!({"title": "From the CSIRT"})))
        .await;
    assert_eq!(status, 201, "{local}");
    let body = json!({"title": "CSIRT indicators", "api_root": format!("{base}/taxii2/rampart"), "remote_collection": remote,
        "collection": local["id"], "auth": {"kind": "basic", "username": alpha.analyst.email, "password": alpha.analyst.token},
        "pull_every_minutes": 0});
    let (status, _, refused) =
        app.api("POST", "/api/v1/taxii-subscriptions", Some(&alpha.analyst.token), Some(body.clone())).await;
    assert_eq!(status, 403, "only admins hold credentials for the organisation: {refused}");
    let (status, _, sub) = app.api("POST", "/api/v1/taxii-subscriptions", Some(&alpha.admin.token), Some(body)).await;
    assert_eq!(status, 201, "{sub}");
    assert_eq!(
        sub["objects_url"],
        format!("{base}/taxii2/rampart/collections/{remote}/objects/"),
        "the root gets its slash"
    );
    assert!(!sub.to_string().contains(&alpha.analyst.token), "the credential is never answered");

    let pull = format!("/api/v1/taxii-subscriptions/{}/pull", sub["id"].as_str().unwrap());
    let (status, _, first) = app.api("POST", &pull, Some(&alpha.admin.token), None).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (first["error"].clone(), first["added"].clone(), first["pages"].clone()),
        (Value::Null, json!(2), json!(1)),
        "{first}"
    );
    assert!(first["added_after_to"].is_string(), "the cursor is the remote's X-TAXII-Date-Added-Last: {first}");

    // New at the source: only it comes with the next pull.
    publish(&app.store, &csirt.id, &remote, vec![indicator(4, None)]).await;
    let (_, _, second) = app.api("POST", &pull, Some(&alpha.admin.token), None).await;
    assert_eq!((second["added"].clone(), second["present"].clone()), (json!(1), json!(0)), "{second}");
    assert_eq!(second["added_after_from"], first["added_after_to"]);
    let (_, _, third) = app.api("POST", &pull, Some(&alpha.admin.token), None).await;
    assert_eq!(
        (third["added"].clone(), third["present"].clone(), third["error"].clone()),
        (json!(0), json!(0), Value::Null)
    );

    let (_, _, collections) = app.api("GET", "/api/v1/collections", Some(&alpha.viewer.token), None).await;
    let mine = collections.as_array().unwrap().iter().find(|c| c["id"] == local["id"]).unwrap();
    assert_eq!(mine["objects"], 3, "the RED object stayed with its owner: {mine}");
    let (status, _, detail) = app
        .api(
            "GET",
            &format!("/api/v1/taxii-subscriptions/{}", sub["id"].as_str().unwrap()),
            Some(&alpha.viewer.token),
            None,
        )
        .await;
    assert_eq!((status, detail["pulls"].as_array().unwrap().len()), (axum::http::StatusCode::OK, 3));
    let provenance = app
        .store
        .provenance(
            &alpha.id,
            local["id"].as_str().unwrap(),
            indicator(4, None)["id"].as_str().unwrap(),
            "2026-01-01T00:00:00.000Z",
        )
        .await
        .unwrap();
    assert_eq!(
        provenance.map(|p| p.id),
        second["id"].as_str().map(String::from),
        "the object knows which pull brought it"
    );

    // Another organisation sees none of it.
    let (_, _, theirs) = app.api("GET", "/api/v1/taxii-subscriptions", Some(&csirt.admin.token), None).await;
    assert_eq!(theirs, json!([]));
    let (status, _, _) = app.api("POST", &pull, Some(&csirt.admin.token), None).await;
    assert_eq!(status, 404);
});

store_test!(a_failed_pull_says_why_and_keeps_nothing_half_done, |store| {
    let app = app_reaching(store, Reach::Any);
    let csirt = app.org("National CSIRT").await;
    let alpha = app.org("Alpha Hosting").await;
    let ctx = ChangeContext::new("setup", "setup");
    let remote = app.store.create_collection(&ctx, &csirt.id, "Indicators", "", None).await.unwrap().id;
    let local = app.store.create_collection(&ctx, &alpha.id, "Mine", "", None).await.unwrap().id;
    let (base, _stop) = serve(&app.store).await;
    let body = json!({"title": "Wrong token", "api_root": format!("{base}/taxii2/rampart/"), "remote_collection": remote,
        "collection": local, "auth": {"kind": "bearer", "token": "rmp_not-a-token"}});
    let (_, _, sub) = app.api("POST", "/api/v1/taxii-subscriptions", Some(&alpha.admin.token), Some(body)).await;
    let pull = format!("/api/v1/taxii-subscriptions/{}/pull", sub["id"].as_str().unwrap());
    let (status, _, failed) = app.api("POST", &pull, Some(&alpha.admin.token), None).await;
    assert_eq!(status, 200);
    assert!(failed["error"].as_str().unwrap().contains("refused the subscription's credentials (401"), "{failed}");
    let (_, _, after) = app.api("GET", "/api/v1/taxii-subscriptions", Some(&alpha.admin.token), None).await;
    assert_eq!(after[0]["last_error"], failed["error"]);
    assert_eq!(after[0]["added_after"], Value::Null, "the cursor did not move");
});

store_test!(subscriptions_may_not_reach_the_instances_own_network_by_default, |store| {
    let app = app_reaching(store, Reach::Public);
    let alpha = app.org("Alpha Hosting").await;
    let ctx = ChangeContext::new("setup", "setup");
    let local = app.store.create_collection(&ctx, &alpha.id, "Mine", "", None).await.unwrap().id;
    for root in ["http://127.0.0.1:9/taxii2/api1/", "http://169.254.169.254/latest/", "http://localhost:9/api1/"] {
        let body = json!({"title": "Metadata", "api_root": root, "remote_collection": "c", "collection": local, "auth": {"kind": "none"}});
        let (_, _, sub) = app.api("POST", "/api/v1/taxii-subscriptions", Some(&alpha.admin.token), Some(body)).await;
        let pull = format!("/api/v1/taxii-subscriptions/{}/pull", sub["id"].as_str().unwrap());
        let (_, _, refused) = app.api("POST", &pull, Some(&alpha.admin.token), None).await;
        assert!(refused["error"].as_str().unwrap().contains("own network"), "{root}: {refused}");
    }
});

store_test!(a_bad_subscription_is_a_problem_naming_the_field, |store| {
    let app = app_reaching(store, Reach::Any);
    let alpha = app.org("Alpha Hosting").await;
    let ctx = ChangeContext::new("setup", "setup");
    let local = app.store.create_collection(&ctx, &alpha.id, "Mine", "", None).await.unwrap().id;
    let cases = [
        (
            json!({"title": "x", "api_root": "gopher://x/", "remote_collection": "c", "collection": local, "auth": {"kind": "none"}}),
            "api_root",
        ),
        (
            json!({"title": "x", "api_root": "https://x/api1/", "remote_collection": "c", "collection": "nope", "auth": {"kind": "none"}}),
            "collection",
        ),
        (
            json!({"title": "x", "api_root": "https://x/api1/", "remote_collection": "c", "collection": local, "auth": {"kind": "basic", "username": "u", "password": ""}}),
            "auth.password",
        ),
        (
            json!({"title": "x", "api_root": "https://x/api1/", "remote_collection": "c", "collection": local, "auth": {"kind": "none"}, "pull_every_minutes": 2}),
            "pull_every_minutes",
        ),
    ];
    for (body, field) in cases {
        let (status, content_type, problem) =
            app.api("POST", "/api/v1/taxii-subscriptions", Some(&alpha.admin.token), Some(body)).await;
        assert_eq!((status.as_u16(), content_type.as_str()), (422, "application/problem+json"), "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (_, _, none) = app.api("GET", "/api/v1/taxii-subscriptions", Some(&alpha.admin.token), None).await;
    assert_eq!(none, json!([]));
});

store_test!(an_admin_keeps_collections_and_subscriptions_on_the_taxii_page, |store| {
    use crate::browser::Browser;
    let app = app_reaching(store, Reach::Any);
    let csirt = app.org("National CSIRT").await;
    let alpha = app.org("Alpha Hosting").await;
    let ctx = ChangeContext::new("setup", "setup");
    let remote = app.store.create_collection(&ctx, &csirt.id, "Indicators", "", None).await.unwrap().id;
    publish(&app.store, &csirt.id, &remote, vec![indicator(1, None)]).await;
    let (base, _stop) = serve(&app.store).await;

    let mut browser = Browser::new(&app);
    browser.login(&alpha.admin.email, crate::PASSWORD).await;
    let page = browser.get("/sharing/taxii").await;
    assert!(page.html.contains("No collections yet") && page.html.contains("Create a collection first"));
    let csrf = page.csrf();
    let made = browser
        .post(
            "/sharing/taxii/collections",
            &[("csrf_token", &csrf), ("title", "From the CSIRT"), ("description", ""), ("community", "")],
        )
        .await;
    assert_eq!(made.status, axum::http::StatusCode::SEE_OTHER);
    let (_, _, collections) = app.api("GET", "/api/v1/collections", Some(&alpha.admin.token), None).await;
    let local = collections[0]["id"].as_str().unwrap().to_string();

    let root = format!("{base}/taxii2/rampart/");
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("title", "CSIRT feed"),
        ("api_root", root.as_str()),
        ("remote_collection", remote.as_str()),
        ("collection", local.as_str()),
        ("auth", "basic"),
        ("username", csirt.viewer.email.as_str()),
        ("secret", csirt.viewer.token.as_str()),
        ("pull_every_minutes", "2"),
    ];
    let refused = browser.post("/sharing/taxii/subscriptions", &fields).await;
    assert_eq!(refused.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("5 to 10080 minutes"), "the page says what to fix");
    fields.last_mut().unwrap().1 = "0";
    browser.post("/sharing/taxii/subscriptions", &fields).await;
    let page = browser.get("/sharing/taxii").await;
    assert!(page.html.contains("CSIRT feed") && page.html.contains("only when asked") && page.html.contains("never"));
    assert!(!page.html.contains(&csirt.viewer.token), "the credential is not shown again");

    let (_, _, subs) = app.api("GET", "/api/v1/taxii-subscriptions", Some(&alpha.admin.token), None).await;
    let id = subs[0]["id"].as_str().unwrap();
    let pulled = browser.post(&format!("/sharing/taxii/subscriptions/{id}/pull"), &[("csrf_token", &csrf)]).await;
    assert_eq!(pulled.status, axum::http::StatusCode::SEE_OTHER);
    let page = browser.get("/sharing/taxii?notice=pulled").await;
    assert!(page.html.contains("Recent pulls") && page.html.contains("1 objects, 1 versions"), "{}", page.html);

    // A viewer sees the page but not the admin's controls.
    let mut viewer = Browser::new(&app);
    viewer.login(&alpha.viewer.email, crate::PASSWORD).await;
    let seen = viewer.get("/sharing/taxii").await;
    assert!(
        seen.html.contains("CSIRT feed") && !seen.html.contains("Pull now") && !seen.html.contains("New subscription")
    );
    let forbidden =
        viewer.post(&format!("/sharing/taxii/subscriptions/{id}/delete"), &[("csrf_token", &seen.csrf())]).await;
    assert_eq!(forbidden.status, axum::http::StatusCode::FORBIDDEN);
    browser.post(&format!("/sharing/taxii/subscriptions/{id}/delete"), &[("csrf_token", &csrf)]).await;
    assert!(browser.get("/sharing/taxii").await.html.contains("No subscriptions"));
});

store_test!(scheduled_pulls_run_when_due_and_wait_for_their_interval, |store| {
    let app = app_reaching(store, Reach::Any);
    let csirt = app.org("National CSIRT").await;
    let alpha = app.org("Alpha Hosting").await;
    let ctx = ChangeContext::new("setup", "setup");
    let remote = app.store.create_collection(&ctx, &csirt.id, "Indicators", "", None).await.unwrap().id;
    publish(&app.store, &csirt.id, &remote, vec![indicator(1, None)]).await;
    let local = app.store.create_collection(&ctx, &alpha.id, "Mine", "", None).await.unwrap().id;
    let (base, _stop) = serve(&app.store).await;
    let auth = json!({"kind": "basic", "username": csirt.viewer.email, "password": csirt.viewer.token});
    let scheduled = json!({"title": "Hourly", "api_root": format!("{base}/taxii2/rampart/"), "remote_collection": remote,
        "collection": local, "auth": auth, "pull_every_minutes": 60});
    let (_, _, sub) = app.api("POST", "/api/v1/taxii-subscriptions", Some(&alpha.admin.token), Some(scheduled)).await;
    let only_when_asked = json!({"title": "Only when asked", "api_root": format!("{base}/taxii2/rampart/"), "remote_collection": remote,
        "collection": local, "auth": {"kind": "none"}, "pull_every_minutes": 0});
    app.api("POST", "/api/v1/taxii-subscriptions", Some(&alpha.admin.token), Some(only_when_asked)).await;

    // What the worker beside the server does each minute.
    let worker = Puller::new(app.store.clone(), Reach::Any);
    assert_eq!(worker.pull_due().await.unwrap(), 1, "the scheduled one is due at once; the other never");
    assert_eq!(worker.pull_due().await.unwrap(), 0, "then not for an hour");
    let (_, _, subs) = app.api("GET", "/api/v1/taxii-subscriptions", Some(&alpha.admin.token), None).await;
    let hourly = subs.as_array().unwrap().iter().find(|s| s["id"] == sub["id"]).unwrap();
    assert!(hourly["last_pull_at"].is_string() && hourly["last_error"].is_null(), "{hourly}");
    let (_, _, collections) = app.api("GET", "/api/v1/collections", Some(&alpha.admin.token), None).await;
    assert_eq!(collections[0]["objects"], 1);
});
