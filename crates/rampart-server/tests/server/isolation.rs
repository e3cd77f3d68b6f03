//! Tenant isolation through the API: whatever organisation A's members do with
//! their tokens, nothing of organisation B is visible or changed, and B's
//! objects answer exactly like missing ones.

use proptest::prelude::*;
use rampart_store::Backend;
use rampart_store::testing::TestDatabase;
use serde_json::{Value, json};

use crate::{Org, TestApp};

#[derive(Debug, Clone)]
enum Call {
    ListMembers,
    ListTokens,
    Audit,
    GetForeignMember(u8),
    PatchForeignMember(u8),
    DeleteForeignMember(u8),
    DeleteForeignToken(u8),
    AddMember(u8),
    CreateToken,
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        Just(Call::ListMembers),
        Just(Call::ListTokens),
        Just(Call::Audit),
        any::<u8>().prop_map(Call::GetForeignMember),
        any::<u8>().prop_map(Call::PatchForeignMember),
        any::<u8>().prop_map(Call::DeleteForeignMember),
        any::<u8>().prop_map(Call::DeleteForeignToken),
        any::<u8>().prop_map(Call::AddMember),
        Just(Call::CreateToken),
    ]
}

/// B as its own admin sees it.
async fn view_of_b(app: &TestApp, b: &Org) -> Value {
    let token = Some(b.admin.token.as_str());
    json!([
        app.api("GET", "/api/v1/members?limit=500", token, None).await.2,
        app.api("GET", "/api/v1/tokens?limit=500", token, None).await.2,
        app.api("GET", "/api/v1/audit?limit=500", token, None).await.2,
    ])
}

async fn check(app: &TestApp, a: &Org, b: &Org, b_tokens: &[String], calls: Vec<(Call, u8)>) {
    let before = view_of_b(app, b).await;
    let b_users = [&b.admin.user_id, &b.analyst.user_id, &b.auditor.user_id, &b.viewer.user_id];
    let a_people = [&a.admin, &a.analyst, &a.auditor, &a.viewer];
    let (_, _, missing) = app.api("GET", "/api/v1/members/no-such-user", Some(&a.admin.token), None).await;
    for (call, who) in calls {
        let token = Some(a_people[who as usize % 4].token.as_str());
        let foreign_user = |n: u8| b_users[n as usize % 4].clone();
        let (status, _, body) = match call {
            Call::ListMembers => app.api("GET", "/api/v1/members?limit=500", token, None).await,
            Call::ListTokens => app.api("GET", "/api/v1/tokens?limit=500", token, None).await,
            Call::Audit => app.api("GET", "/api/v1/audit?limit=500", token, None).await,
            Call::GetForeignMember(n) => app.api("GET", &format!("/api/v1/members/{}", foreign_user(n)), token, None).await,
            Call::PatchForeignMember(n) => app.api("PATCH", &format!("/api/v1/members/{}", foreign_user(n)), token, Some(json!({"role": "viewer"}))).await,
            Call::DeleteForeignMember(n) => app.api("DELETE", &format!("/api/v1/members/{}", foreign_user(n)), token, None).await,
            Call::DeleteForeignToken(n) => app.api("DELETE", &format!("/api/v1/tokens/{}", b_tokens[n as usize % b_tokens.len()]), token, None).await,
            Call::AddMember(n) => app.api("POST", "/api/v1/members", token, Some(json!({"email": format!("p{}@a.example", n % 8), "role": "viewer", "password": "long-enough-password"}))).await,
            Call::CreateToken => app.api("POST", "/api/v1/tokens", token, Some(json!({"name": "t"}))).await,
        };
        let text = body.to_string();
        for user in b_users {
            assert!(!text.contains(user.as_str()), "B's user id leaked to A: {text}");
        }
        assert!(!text.contains(&b.name), "B's name leaked to A");
        if status.as_u16() == 404 {
            assert_eq!(body, missing, "B's object must answer exactly like a missing one");
        }
    }
    assert_eq!(before, view_of_b(app, b).await, "B's data changed through A");
}

fn run(backend: Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(TestDatabase::new(backend, "api isolation")) else { return };
    let app = TestApp::new(&db.store);
    let (a, b, b_tokens) = rt.block_on(async {
        let a = app.org("Alpha").await;
        let b = app.org("Beta").await;
        let tokens = db
            .store
            .list_tokens(&b.id, None, &Default::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|t| t.id)
            .collect::<Vec<_>>();
        (a, b, tokens)
    });
    let config = ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(calls in prop::collection::vec((call(), any::<u8>()), 1..10))| {
        rt.block_on(check(&app, &a, &b, &b_tokens, calls));
    });
    rt.block_on(db.cleanup());
}

#[test]
fn organisation_a_never_sees_or_changes_organisation_b_through_the_api_on_sqlite() {
    run(Backend::Sqlite);
}

#[test]
fn organisation_a_never_sees_or_changes_organisation_b_through_the_api_on_postgres() {
    run(Backend::Postgres);
}
