//! TAXII 2.1 (read side) as a client sees it: credentials first, the media
//! type, collections by membership, objects paged and filtered, versions,
//! the manifest, and TLP:RED kept to the collection's own organisation.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use http_body_util::BodyExt;
use rampart_store::store_test;
use serde_json::{Value, json};

use crate::TestApp;

const TAXII: &str = "application/taxii+json;version=2.1";

/// GET `path` with `auth` as the Authorization header and `accept`.
async fn get(
    app: &TestApp,
    path: &str,
    auth: Option<&str>,
    accept: &str,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut request = Request::builder().uri(path).header(header::ACCEPT, accept);
    if let Some(auth) = auth {
        request = request.header(header::AUTHORIZATION, auth);
    }
    let response = app.send(request.body(Body::empty()).unwrap()).await;
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn basic(email: &str, token: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{email}:{token}")))
}

fn indicator(n: u32, modified: &str, tlp: Option<&str>) -> Value {
    let mut o = json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00.000Z", "modified": modified, "pattern": format!("[ipv4-addr:value = '198.51.100.{n}']"),
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"});
    if let Some(tlp) = tlp {
        o["object_marking_refs"] = json!([tlp]);
    }
    o
}

async fn import(app: &TestApp, org: &str, collection: &str, objects: Vec<Value>) {
    let bundle =
        json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": objects}).to_string();
    let ctx = rampart_store::ChangeContext::new("setup", "setup");
    let (_, report) =
        app.store.import_bundle(&ctx, org, collection, std::io::Cursor::new(bundle.into_bytes())).await.unwrap();
    assert_eq!(report.refused_count, 0, "{:?}", report.refused);
}

store_test!(a_taxii_client_reads_collections_as_membership_and_tlp_allow, |store| {
    let app = TestApp::new(store);
    let csirt = app.org("National CSIRT").await;
    let member = app.org("Alpha Hosting").await;
    let outsider = app.org("Beta Bank").await;
    let ctx = rampart_store::ChangeContext::new("setup", "setup");
    let isac = app.store.create_community(&ctx, &csirt.id, "ISAC", "").await.unwrap().id;
    app.store
        .add_community_member(&ctx, None, &isac, &member.id, rampart_domain::sharing::MemberRole::Reader)
        .await
        .unwrap();
    let feed =
        app.store.create_collection(&ctx, &csirt.id, "Indicators", "The CSIRT's feed", Some(&isac)).await.unwrap().id;
    let red = rampart_stix::Tlp::Red.marking_id();
    import(
        &app,
        &csirt.id,
        &feed,
        vec![
            indicator(1, "2026-01-01T00:00:00.000Z", None),
            indicator(2, "2026-01-01T00:00:00.000Z", None),
            indicator(3, "2026-01-01T00:00:00.000Z", Some(red)),
        ],
    )
    .await;
    import(
        &app,
        &csirt.id,
        &feed,
        vec![indicator(1, "2026-02-01T00:00:00.000Z", None), indicator(4, "2026-01-01T00:00:00.000Z", None)],
    )
    .await;

    let reader = basic(&member.viewer.email, &member.viewer.token);
    let bearer = format!("Bearer {}", member.viewer.token);
    // Credentials before anything else.
    let (status, headers, error) = get(&app, "/taxii2/", None, TAXII).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers[header::WWW_AUTHENTICATE].to_str().unwrap().contains("Basic"));
    assert_eq!(error["http_status"], "401");
    let (status, ..) = get(&app, "/taxii2/", Some(&basic(&csirt.viewer.email, &member.viewer.token)), TAXII).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the token must be the named user's");
    let (status, ..) = get(&app, "/taxii2/", Some(&reader), "application/json").await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);

    let (status, headers, discovery) = get(&app, "/taxii2/", Some(&reader), TAXII).await;
    assert_eq!((status, headers[header::CONTENT_TYPE].to_str().unwrap()), (StatusCode::OK, TAXII));
    let root = discovery["api_roots"][0].as_str().unwrap().to_string();
    let (_, _, api_root) = get(&app, &root, Some(&bearer), TAXII).await;
    assert_eq!(api_root["versions"], json!([TAXII]));
    let (_, _, collections) = get(&app, &format!("{root}collections/"), Some(&reader), TAXII).await;
    assert_eq!(collections["collections"][0]["id"], feed.as_str());
    assert_eq!(
        (collections["collections"][0]["can_read"].as_bool(), collections["collections"][0]["can_write"].as_bool()),
        (Some(true), Some(false)),
        "a reader"
    );
    let (_, _, none) =
        get(&app, &format!("{root}collections/"), Some(&basic(&outsider.viewer.email, &outsider.viewer.token)), TAXII)
            .await;
    assert_eq!(none, json!({}), "an outsider has no collections");
    let (status, ..) = get(
        &app,
        &format!("{root}collections/{feed}/objects/"),
        Some(&basic(&outsider.viewer.email, &outsider.viewer.token)),
        TAXII,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Paging: two per page, the latest versions, RED left out for the member.
    let objects = format!("{root}collections/{feed}/objects/");
    let (_, headers, first) = get(&app, &format!("{objects}?limit=2"), Some(&reader), TAXII).await;
    assert_eq!((first["more"].as_bool(), first["objects"].as_array().unwrap().len()), (Some(true), 2));
    assert!(headers.contains_key("X-TAXII-Date-Added-First") && headers.contains_key("X-TAXII-Date-Added-Last"));
    let next = first["next"].as_str().unwrap();
    let (_, _, second) = get(&app, &format!("{objects}?limit=2&next={next}"), Some(&reader), TAXII).await;
    assert_eq!(second["more"], false);
    let seen: Vec<String> = [&first, &second]
        .iter()
        .flat_map(|p| p["objects"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()[35..].to_string()))
        .collect();
    assert_eq!(
        seen,
        ["000000000002", "000000000001", "000000000004"],
        "in the order added, one (the latest) version each, no RED"
    );
    let (_, _, owner_view) = get(&app, &objects, Some(&basic(&csirt.viewer.email, &csirt.viewer.token)), TAXII).await;
    assert_eq!(owner_view["objects"].as_array().unwrap().len(), 4, "the collection's own organisation sees RED");

    // Filters.
    let after = headers["X-TAXII-Date-Added-Last"].to_str().unwrap().to_string();
    let (_, _, later) = get(&app, &format!("{objects}?added_after={after}"), Some(&reader), TAXII).await;
    assert_eq!(later["objects"].as_array().unwrap().len(), 1, "{later}");
    let (_, _, typed) = get(&app, &format!("{objects}?match%5Btype%5D=malware"), Some(&reader), TAXII).await;
    assert_eq!(typed, json!({"more": false}));
    let one = "indicator--00000000-0000-4000-8000-000000000001";
    let (_, _, all) =
        get(&app, &format!("{objects}?match%5Bid%5D={one}&match%5Bversion%5D=all"), Some(&reader), TAXII).await;
    assert_eq!(all["objects"].as_array().unwrap().len(), 2);
    let (_, _, first_version) =
        get(&app, &format!("{objects}{one}/?match%5Bversion%5D=first"), Some(&reader), TAXII).await;
    assert_eq!(first_version["objects"][0]["modified"], "2026-01-01T00:00:00.000Z");
    let (_, _, versions) = get(&app, &format!("{objects}{one}/versions/"), Some(&reader), TAXII).await;
    assert_eq!(versions["versions"], json!(["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"]));
    let (status, ..) =
        get(&app, &format!("{objects}indicator--00000000-0000-4000-8000-000000000003/"), Some(&reader), TAXII).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a RED object does not exist for the member");
    let (_, _, manifest) = get(&app, &format!("{root}collections/{feed}/manifest/"), Some(&reader), TAXII).await;
    assert_eq!(manifest["objects"].as_array().unwrap().len(), 3);
    assert_eq!(manifest["objects"][0]["media_type"], "application/stix+json;version=2.1");
    let (status, _, bad) = get(&app, &format!("{objects}?limit=none"), Some(&reader), TAXII).await;
    assert_eq!((status, bad["http_status"].as_str()), (StatusCode::BAD_REQUEST, Some("400")));
});

/// A request with a body.
async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    auth: &str,
    content_type: &str,
    body: String,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::ACCEPT, TAXII)
        .header(header::AUTHORIZATION, auth)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let response = app.send(request).await;
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

store_test!(a_taxii_client_adds_and_deletes_objects_where_it_may_write, |store| {
    let app = TestApp::new(store);
    let csirt = app.org("National CSIRT").await;
    let member = app.org("Alpha Hosting").await;
    let ctx = rampart_store::ChangeContext::new("setup", "setup");
    let isac = app.store.create_community(&ctx, &csirt.id, "ISAC", "").await.unwrap().id;
    app.store
        .add_community_member(&ctx, None, &isac, &member.id, rampart_domain::sharing::MemberRole::Reader)
        .await
        .unwrap();
    let feed = app.store.create_collection(&ctx, &csirt.id, "Indicators", "", Some(&isac)).await.unwrap().id;
    let objects = format!("/taxii2/rampart/collections/{feed}/objects/");
    let envelope = json!({"objects": [indicator(7, "2026-03-01T00:00:00.000Z", None), {"type": "indicator", "id": "indicator--nope"}]}).to_string();
    let analyst = basic(&csirt.analyst.email, &csirt.analyst.token);

    let (status, _) = send(&app, "POST", &objects, "Basic bm9ib2R5Om5vdGhpbmc=", TAXII, envelope.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(&app, "POST", &objects, &analyst, "application/json", envelope.clone()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _) =
        send(&app, "POST", &objects, &basic(&csirt.viewer.email, &csirt.viewer.token), TAXII, envelope.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a viewer does not add");
    let (status, _) =
        send(&app, "POST", &objects, &basic(&member.analyst.email, &member.analyst.token), TAXII, envelope.clone())
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a reader of the community does not write to its collection");

    let (status, resource) = send(&app, "POST", &objects, &analyst, TAXII, envelope).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{resource}");
    assert_eq!((resource["status"].as_str(), resource["total_count"].as_u64()), (Some("complete"), Some(2)));
    assert_eq!((resource["success_count"].as_u64(), resource["failure_count"].as_u64()), (Some(1), Some(1)));
    assert_eq!(resource["failures"][0]["id"], "indicator--nope");
    let status_path = format!("/taxii2/rampart/status/{}/", resource["id"].as_str().unwrap());
    let (_, _, again) = get(&app, &status_path, Some(&analyst), TAXII).await;
    assert_eq!(again, resource);
    let (status, ..) = get(&app, &status_path, Some(&basic(&member.viewer.email, &member.viewer.token)), TAXII).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a status belongs to the organisation that asked");

    let reader = basic(&member.viewer.email, &member.viewer.token);
    let (_, _, seen) = get(&app, &objects, Some(&reader), TAXII).await;
    assert_eq!(seen["objects"].as_array().unwrap().len(), 1, "the member reads what was added");
    let one = format!("{objects}indicator--00000000-0000-4000-8000-000000000007/");
    let (status, _) =
        send(&app, "DELETE", &one, &basic(&member.analyst.email, &member.analyst.token), TAXII, String::new()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(&app, "DELETE", &one, &analyst, TAXII, String::new()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, ..) = get(&app, &one, Some(&reader), TAXII).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(&app, "DELETE", &one, &analyst, TAXII, String::new()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing left to delete");
});
