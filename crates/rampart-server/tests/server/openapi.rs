//! The OpenAPI document: pinned by a snapshot, and true to the router.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use rampart_server::openapi::{document, operations};
use rampart_store::store_test;

use crate::TestApp;

#[test]
fn the_openapi_document_is_stable() {
    insta::assert_json_snapshot!("openapi", document());
}

#[test]
fn the_document_is_openapi_3_1_with_every_operation() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    for op in operations() {
        assert!(doc["paths"][op.path][op.method].is_object(), "{} {}", op.method, op.path);
        for (_, schema) in op.responses.iter().filter(|r| !r.1.is_empty()) {
            assert!(doc["components"]["schemas"][schema].is_object(), "missing schema {schema}");
        }
    }
}

store_test!(every_documented_operation_is_routed, |store| {
    let app = TestApp::new(store);
    let org = app.org("Alpha").await;
    for op in operations() {
        let path = op
            .path
            .replace("{user_id}", "no-such-user")
            .replace("{id}", "no-such-id")
            .replace("{urn}", "urn:no-such-library");
        let request = Request::builder()
            .method(Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap())
            .uri(&path)
            .header(header::AUTHORIZATION, format!("Bearer {}", org.admin.token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let response = app.send(request).await;
        let status = response.status();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{} {path}", op.method);
        if status == StatusCode::NOT_FOUND {
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "application/problem+json",
                "{} {path} is not routed",
                op.method
            );
        }
    }
});

store_test!(the_document_and_the_api_page_are_served, |store| {
    let app = TestApp::new(store);
    let (status, _, doc) = app.api("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!((status, doc["openapi"].as_str()), (StatusCode::OK, Some("3.1.0")));
    let page = crate::body_text(app.send(Request::get("/api").body(Body::empty()).unwrap()).await).await;
    for op in operations() {
        assert!(page.contains(op.path), "the API page lists {}", op.path);
    }
});
