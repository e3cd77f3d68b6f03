//! Tenant isolation: whatever organisation A does, nothing of organisation B is
//! ever visible to it or changed by it.

use proptest::prelude::*;
use rampart_domain::{PageRequest, Role};
use rampart_store::testing::TestDatabase;
use rampart_store::{AuditFilter, Backend, Store, StoreError};

use crate::{HASH, ctx, org_with_admin};

#[derive(Debug, Clone)]
enum Op {
    AddMember(u8, Role),
    ChangeRole(u8, Role),
    Remove(u8),
    CreateToken(u8),
    Revoke(u8),
    /// Acts on one of B's objects by id, as A.
    TouchForeign(u8),
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL.to_vec())
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<u8>(), role()).prop_map(|(n, r)| Op::AddMember(n, r)),
        (any::<u8>(), role()).prop_map(|(n, r)| Op::ChangeRole(n, r)),
        any::<u8>().prop_map(Op::Remove),
        any::<u8>().prop_map(Op::CreateToken),
        any::<u8>().prop_map(Op::Revoke),
        any::<u8>().prop_map(Op::TouchForeign),
    ]
}

/// Everything B has, as A could observe or change it.
async fn snapshot(store: &Store, org: &str) -> String {
    let page = PageRequest::first(500);
    format!(
        "{:?}\n{:?}\n{:?}",
        store.list_members(org, &page).await.unwrap().items,
        store.list_tokens(org, None, &page).await.unwrap().items,
        store.list_audit(org, &AuditFilter::default(), &page).await.unwrap().items,
    )
}

async fn check(store: &Store, a: &str, b: &str, b_user_ids: &[String], b_token_ids: &[String], ops: Vec<Op>) {
    let before = snapshot(store, b).await;
    let pick = |ids: &[String], n: u8| ids[n as usize % ids.len()].clone();
    for op in ops {
        let a_members = store.list_members(a, &PageRequest::first(500)).await.unwrap().items;
        let a_tokens = store.list_tokens(a, None, &PageRequest::first(500)).await.unwrap().items;
        let a_ids: Vec<String> = a_members.iter().map(|m| m.user_id.clone()).collect();
        let result = match op {
            Op::AddMember(n, role) => {
                store.add_member(&ctx(), a, &format!("u{}@example.org", n % 16), role, Some(HASH)).await.map(drop)
            }
            Op::ChangeRole(n, role) => store.change_role(&ctx(), a, &pick(&a_ids, n), role).await.map(drop),
            Op::Remove(n) => store.remove_member(&ctx(), a, &pick(&a_ids, n)).await,
            Op::CreateToken(n) => store.create_token(&ctx(), a, &pick(&a_ids, n), "t", None).await.map(drop),
            Op::Revoke(n) if !a_tokens.is_empty() => {
                store.revoke_token(&ctx(), a, &a_tokens[n as usize % a_tokens.len()].id, None).await.map(drop)
            }
            Op::Revoke(_) => Ok(()),
            Op::TouchForeign(n) => {
                let user = pick(b_user_ids, n);
                let token = pick(b_token_ids, n);
                for outcome in [
                    store.member(a, &user).await.map(drop),
                    store.change_role(&ctx(), a, &user, Role::Viewer).await.map(drop),
                    store.remove_member(&ctx(), a, &user).await,
                    store.revoke_token(&ctx(), a, &token, None).await.map(drop),
                    store.create_token(&ctx(), a, &user, "stolen", None).await.map(drop),
                ] {
                    assert!(
                        matches!(outcome, Err(StoreError::NotFound)),
                        "B's object must look missing to A: {outcome:?}"
                    );
                }
                Ok(())
            }
        };
        // Rule violations (last admin, duplicates) are fine; leaks are not.
        if let Err(e) = result {
            assert!(matches!(e, StoreError::Conflict(_) | StoreError::NotFound), "{e}");
        }
        for m in store.list_members(a, &PageRequest::first(500)).await.unwrap().items {
            assert!(!b_user_ids.contains(&m.user_id), "B's members never appear in A");
        }
    }
    assert_eq!(before, snapshot(store, b).await, "B's data changed through A");
}

fn run(backend: Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(TestDatabase::new(backend, "isolation")) else {
        return;
    };
    let store = &db.store;
    let (a, b, b_users, b_tokens) = rt.block_on(async {
        let (a, _) = org_with_admin(store, "Alpha").await;
        let (b, b_admin) = org_with_admin(store, "Beta").await;
        let bob = store.add_member(&ctx(), &b, "bob@beta.example", Role::Analyst, Some(HASH)).await.unwrap();
        let (t1, _) = store.create_token(&ctx(), &b, &b_admin, "b1", None).await.unwrap();
        let (t2, _) = store.create_token(&ctx(), &b, &bob.user_id, "b2", None).await.unwrap();
        (a, b, vec![b_admin, bob.user_id], vec![t1.id, t2.id])
    });
    let config = ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(ops in prop::collection::vec(op(), 1..12))| {
        rt.block_on(check(store, &a, &b, &b_users, &b_tokens, ops));
    });
    rt.block_on(db.cleanup());
}

#[test]
fn organisation_a_never_sees_or_changes_organisation_b_on_sqlite() {
    run(Backend::Sqlite);
}

#[test]
fn organisation_a_never_sees_or_changes_organisation_b_on_postgres() {
    run(Backend::Postgres);
}
