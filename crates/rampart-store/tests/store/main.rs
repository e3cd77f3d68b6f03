//! The store's specification, run on SQLite and on PostgreSQL.

mod assessments;
mod assets;
mod collections;
mod frameworks;
mod incidents;
mod isolation;
mod item_files;
mod mappings;
mod notifications;
mod portable;
mod risks;
mod sharing;
mod subscriptions;
mod summaries;
mod threats;
mod vulnerabilities;

use rampart_domain::audit::INSTANCE_CHAIN;
use rampart_domain::{OrgKind, PageRequest, Role};
use rampart_store::{AuditFilter, ChangeContext, SessionPolicy, Store, StoreError, store_test};

pub fn ctx() -> ChangeContext {
    ChangeContext::new("tester@example.org", "req-test")
}

/// A fake hash: these tests are about storage, not Argon2.
pub const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";

/// An organisation with an admin; returns (org id, admin user id).
pub async fn org_with_admin(store: &Store, name: &str) -> (String, String) {
    let org = store.create_org(&ctx(), name, OrgKind::Coordinator, None).await.unwrap();
    let admin = store
        .add_member(
            &ctx(),
            &org.id,
            &format!("admin@{}.example", name.to_lowercase().replace(' ', "-")),
            Role::Admin,
            Some(HASH),
        )
        .await
        .unwrap();
    (org.id, admin.user_id)
}

store_test!(migrations_are_idempotent, |store| {
    assert_eq!(store.migrate().await.unwrap(), 0, "a migrated database needs nothing more");
    let applied = store.applied_migrations().await.unwrap();
    assert_eq!(
        applied.iter().map(|m| m.0).collect::<Vec<_>>(),
        (1..=rampart_store::MIGRATIONS.len() as i64).collect::<Vec<_>>()
    );
});

store_test!(a_failed_migration_changes_nothing, |store| {
    let mut broken = rampart_store::MIGRATIONS.to_vec();
    let next = broken.len() as i64 + 1;
    broken.push((
        next,
        "broken",
        "CREATE TABLE half_done (id TEXT PRIMARY KEY); INSERT INTO no_such_table VALUES (1);",
    ));
    let err = store.migrate_with(&broken).await.unwrap_err();
    assert!(matches!(err, StoreError::Migration { version, .. } if version == next), "{err}");
    assert!(err.to_string().contains("Nothing was changed"));
    assert_eq!(store.applied_migrations().await.unwrap().len(), rampart_store::MIGRATIONS.len());
    let leftover = store.execute_raw_for_tests("SELECT * FROM half_done").await;
    assert!(leftover.is_err(), "the table created before the failure must be gone");
});

store_test!(a_database_from_a_newer_rampart_is_refused, |store| {
    store
        .execute_raw_for_tests("INSERT INTO rampart_migrations (version, name, applied_at) VALUES (99, 'future', 0)")
        .await
        .unwrap();
    assert!(matches!(store.migrate().await.unwrap_err(), StoreError::FutureSchema(99)));
});

store_test!(organisation_names_are_unique, |store| {
    store.create_org(&ctx(), "ACME CERT", OrgKind::Coordinator, None).await.unwrap();
    let err = store.create_org(&ctx(), " ACME CERT ", OrgKind::Provider, None).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(matches!(store.create_org(&ctx(), "", OrgKind::Provider, None).await.unwrap_err(), StoreError::Invalid(_)));
    let page = store.list_orgs(&PageRequest::default()).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(store.org_by_name("ACME CERT").await.unwrap().kind, OrgKind::Coordinator);
});

store_test!(members_join_one_or_more_organisations, |store| {
    let (a, _) = org_with_admin(store, "Alpha").await;
    let (b, _) = org_with_admin(store, "Beta").await;
    let err = store.add_member(&ctx(), &a, "new@example.org", Role::Analyst, None).await.unwrap_err();
    assert!(matches!(&err, StoreError::Invalid(i) if i.field == "password"), "{err}");
    let m = store.add_member(&ctx(), &a, "Bob@Example.org", Role::Analyst, Some(HASH)).await.unwrap();
    assert_eq!(m.email, "bob@example.org");
    let again = store.add_member(&ctx(), &b, "bob@example.org", Role::Viewer, None).await.unwrap();
    assert_eq!(again.user_id, m.user_id, "an existing account joins without a new password");
    assert!(matches!(
        store.add_member(&ctx(), &a, "bob@example.org", Role::Viewer, None).await.unwrap_err(),
        StoreError::Conflict(_)
    ));
    let orgs = store.orgs_of_user(&m.user_id).await.unwrap();
    assert_eq!(
        orgs.iter().map(|(o, r)| (o.name.as_str(), *r)).collect::<Vec<_>>(),
        vec![("Alpha", Role::Analyst), ("Beta", Role::Viewer)]
    );
    let actor = store.actor(&m.user_id, &b).await.unwrap();
    assert_eq!((actor.role, actor.org_name.as_str()), (Role::Viewer, "Beta"));
});

store_test!(an_organisation_keeps_at_least_one_admin, |store| {
    let (org, admin) = org_with_admin(store, "Alpha").await;
    assert!(matches!(
        store.change_role(&ctx(), &org, &admin, Role::Viewer).await.unwrap_err(),
        StoreError::Conflict(_)
    ));
    assert!(matches!(store.remove_member(&ctx(), &org, &admin).await.unwrap_err(), StoreError::Conflict(_)));
    let second = store.add_member(&ctx(), &org, "second@example.org", Role::Admin, Some(HASH)).await.unwrap();
    assert_eq!(store.change_role(&ctx(), &org, &admin, Role::Viewer).await.unwrap().role, Role::Viewer);
    store.remove_member(&ctx(), &org, &admin).await.unwrap();
    assert!(matches!(store.member(&org, &admin).await.unwrap_err(), StoreError::NotFound));
    assert_eq!(store.member(&org, &second.user_id).await.unwrap().role, Role::Admin);
});

store_test!(member_lists_are_paginated, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    for i in 0..7 {
        store.add_member(&ctx(), &org, &format!("m{i}@example.org"), Role::Viewer, Some(HASH)).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::first(3);
    loop {
        let got = store.list_members(&org, &page).await.unwrap();
        assert!(got.items.len() <= 3);
        seen.extend(got.items.into_iter().map(|m| m.email));
        match got.next {
            Some(next) => page = PageRequest::new(Some(3), Some(next)).unwrap(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
});

store_test!(sessions_expire_and_follow_membership, |store| {
    let (org, admin) = org_with_admin(store, "Alpha").await;
    let (other, _) = org_with_admin(store, "Beta").await;
    let policy = SessionPolicy::default();
    let (id, session) = store.create_session(&admin, Some(&org), policy).await.unwrap();
    assert_ne!(id, session.id_hash, "only the hash is stored");
    assert_eq!(store.find_session(&id, policy).await.unwrap().org_id.as_deref(), Some(org.as_str()));
    assert!(matches!(store.switch_session_org(&session, &other).await.unwrap_err(), StoreError::NotFound));
    let (short_lived, _) =
        store.create_session(&admin, None, SessionPolicy { absolute_ms: 0, ..policy }).await.unwrap();
    assert!(store.find_session(&short_lived, policy).await.is_err(), "past its absolute lifetime, however active");
    let idle = SessionPolicy { idle_ms: 0, ..policy };
    assert!(matches!(store.find_session(&id, idle).await.unwrap_err(), StoreError::NotFound));
    assert!(store.find_session(&id, policy).await.is_err(), "an expired session is deleted");
    let (id2, _) = store.create_session(&admin, None, policy).await.unwrap();
    let (id3, _) = store.create_session(&admin, None, policy).await.unwrap();
    assert_eq!(store.delete_user_sessions(&admin).await.unwrap(), 2);
    assert!(store.find_session(&id2, policy).await.is_err() && store.find_session(&id3, policy).await.is_err());
});

store_test!(changing_a_password_ends_the_other_sessions, |store| {
    let (_, admin) = org_with_admin(store, "Alpha").await;
    let policy = SessionPolicy::default();
    let (keep, kept) = store.create_session(&admin, None, policy).await.unwrap();
    let (gone, _) = store.create_session(&admin, None, policy).await.unwrap();
    store.set_password(&ctx(), &admin, "$argon2id$new", Some(&kept.id_hash)).await.unwrap();
    assert!(store.find_session(&keep, policy).await.is_ok());
    assert!(store.find_session(&gone, policy).await.is_err());
    assert_eq!(store.user_by_id(&admin).await.unwrap().password_hash, "$argon2id$new");
});

store_test!(api_tokens_authenticate_until_revoked_or_expired, |store| {
    let (org, admin) = org_with_admin(store, "Alpha").await;
    let (token, secret) = store.create_token(&ctx(), &org, &admin, "CI pipeline", None).await.unwrap();
    assert!(secret.starts_with("rmp_") && secret.starts_with(&token.display_prefix));
    let actor = store.authenticate_token(&secret).await.unwrap();
    assert_eq!(
        (actor.user_id.as_str(), actor.org_id.as_str(), actor.role),
        (admin.as_str(), org.as_str(), Role::Admin)
    );
    let listed = store.list_tokens(&org, Some(&admin), &PageRequest::default()).await.unwrap();
    assert!(listed.items[0].last_used_at.is_some(), "last use is recorded");
    store.revoke_token(&ctx(), &org, &token.id, None).await.unwrap();
    assert!(store.authenticate_token(&secret).await.is_err());
    let (_, expired) =
        store.create_token(&ctx(), &org, &admin, "old", Some(rampart_store::now_ms() - 1)).await.unwrap();
    assert!(store.authenticate_token(&expired).await.is_err());
    assert!(store.authenticate_token("rmp_not-a-token").await.is_err());
});

store_test!(a_removed_member_loses_their_tokens, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let bob = store.add_member(&ctx(), &org, "bob@example.org", Role::Analyst, Some(HASH)).await.unwrap();
    let (_, secret) = store.create_token(&ctx(), &org, &bob.user_id, "bob's", None).await.unwrap();
    store.remove_member(&ctx(), &org, &bob.user_id).await.unwrap();
    assert!(store.authenticate_token(&secret).await.is_err());
});

store_test!(a_member_revokes_only_their_own_tokens, |store| {
    let (org, admin) = org_with_admin(store, "Alpha").await;
    let bob = store.add_member(&ctx(), &org, "bob@example.org", Role::Analyst, Some(HASH)).await.unwrap();
    let (admins, _) = store.create_token(&ctx(), &org, &admin, "admin's", None).await.unwrap();
    assert!(matches!(
        store.revoke_token(&ctx(), &org, &admins.id, Some(&bob.user_id)).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert!(store.revoke_token(&ctx(), &org, &admins.id, Some(&admin)).await.unwrap().revoked_at.is_some());
});

store_test!(login_failures_are_counted_per_subject, |store| {
    for _ in 0..3 {
        store.record_attempt("account:bob@example.org").await.unwrap();
    }
    store.record_attempt("address:10.0.0.1").await.unwrap();
    assert_eq!(store.recent_attempts("account:bob@example.org", 60_000).await.unwrap(), 3);
    assert_eq!(store.recent_attempts("account:bob@example.org", -1).await.unwrap(), 0, "outside the window");
    store.clear_attempts("account:bob@example.org").await.unwrap();
    assert_eq!(store.recent_attempts("account:bob@example.org", 60_000).await.unwrap(), 0);
    assert_eq!(store.recent_attempts("address:10.0.0.1", 60_000).await.unwrap(), 1);
});

store_test!(every_change_is_in_the_audit_trail, |store| {
    let (org, admin) = org_with_admin(store, "Alpha").await;
    let bob = store.add_member(&ctx(), &org, "bob@example.org", Role::Viewer, Some(HASH)).await.unwrap();
    store.change_role(&ctx(), &org, &bob.user_id, Role::Analyst).await.unwrap();
    let (t, _) = store.create_token(&ctx(), &org, &admin, "t", None).await.unwrap();
    store.revoke_token(&ctx(), &org, &t.id, None).await.unwrap();
    store.remove_member(&ctx(), &org, &bob.user_id).await.unwrap();
    let trail = store.list_audit(&org, &AuditFilter::default(), &PageRequest::default()).await.unwrap();
    let actions: Vec<_> = trail.items.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "member.delete",
            "token.revoke",
            "token.create",
            "member.update",
            "member.create",
            "member.create",
            "organisation.create"
        ]
    );
    assert!(trail.items.iter().all(|r| r.actor == "tester@example.org" && r.request_id == "req-test"));
    assert!(!trail.items[3].state_digest.is_empty() && trail.items[0].state_digest.is_empty());
    let reports = store.verify_audit(None).await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].result, Ok(7));
    assert_eq!(store.audit_length(&org).await.unwrap(), 7);
});

store_test!(audit_lists_filter_and_paginate, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let bob = store.add_member(&ctx(), &org, "bob@example.org", Role::Viewer, Some(HASH)).await.unwrap();
    let other = ChangeContext::new("other@example.org", "req-2");
    store.change_role(&other, &org, &bob.user_id, Role::Analyst).await.unwrap();
    let by_other = AuditFilter { actor: Some("other@example.org".into()), ..Default::default() };
    let got = store.list_audit(&org, &by_other, &PageRequest::default()).await.unwrap();
    assert_eq!(got.items.len(), 1);
    let by_object =
        AuditFilter { object_type: Some("member".into()), object_id: Some(bob.user_id.clone()), ..Default::default() };
    assert_eq!(store.list_audit(&org, &by_object, &PageRequest::default()).await.unwrap().items.len(), 2);
    let future = AuditFilter { from_ms: Some(rampart_store::now_ms() + 60_000), ..Default::default() };
    assert!(store.list_audit(&org, &future, &PageRequest::default()).await.unwrap().items.is_empty());
    let first = store.list_audit(&org, &AuditFilter::default(), &PageRequest::first(2)).await.unwrap();
    let rest = store
        .list_audit(&org, &AuditFilter::default(), &PageRequest::new(Some(2), first.next.clone()).unwrap())
        .await
        .unwrap();
    assert_eq!(first.items.len() + rest.items.len(), 4);
    assert!(rest.next.is_none());
});

async fn tampered(store: &Store, sql: &str) -> (String, i64) {
    let (org, _) = org_with_admin(store, "Alpha").await;
    for i in 0..3 {
        store.add_member(&ctx(), &org, &format!("m{i}@example.org"), Role::Viewer, Some(HASH)).await.unwrap();
    }
    assert_eq!(store.verify_audit(Some(&org)).await.unwrap()[0].result, Ok(5));
    store.execute_raw_for_tests(&sql.replace("ORG", &org)).await.unwrap();
    let report = store.verify_audit(Some(&org)).await.unwrap().remove(0);
    (org, report.result.unwrap_err().seq)
}

store_test!(an_altered_audit_record_is_found, |store| {
    let (_, seq) = tampered(store, "UPDATE audit_records SET actor = 'mallory' WHERE chain = 'ORG' AND seq = 3").await;
    assert_eq!(seq, 3);
});

store_test!(a_removed_audit_record_is_found, |store| {
    let (_, seq) = tampered(store, "DELETE FROM audit_records WHERE chain = 'ORG' AND seq = 2").await;
    assert_eq!(seq, 2);
});

store_test!(a_removed_last_audit_record_is_found, |store| {
    let (_, seq) = tampered(store, "DELETE FROM audit_records WHERE chain = 'ORG' AND seq = 5").await;
    assert_eq!(seq, 5);
});

store_test!(an_inserted_audit_record_is_found, |store| {
    let (_, seq) = tampered(
        store,
        "UPDATE audit_records SET seq = seq + 1000 WHERE chain = 'ORG' AND seq >= 4; \
         UPDATE audit_records SET seq = seq - 999 WHERE chain = 'ORG' AND seq >= 1000; \
         INSERT INTO audit_records SELECT chain, 4, 'mallory', action, object_type, object_id, state_digest, at, request_id, prev_hash, hash \
         FROM audit_records WHERE chain = 'ORG' AND seq = 3; UPDATE audit_heads SET seq = 6 WHERE chain = 'ORG'",
    )
    .await;
    assert_eq!(seq, 4);
});

store_test!(the_first_superadmin_is_created_once, |store| {
    assert!(store.create_first_superadmin("admin@localhost", HASH).await.unwrap());
    assert!(!store.create_first_superadmin("other@localhost", HASH).await.unwrap());
    assert!(store.user_by_email("admin@localhost").await.unwrap().superadmin);
    let reports = store.verify_audit(Some(INSTANCE_CHAIN)).await.unwrap();
    assert_eq!(reports[0].result, Ok(1));
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_can_require_tls() {
    let Some(admin) = rampart_store::testing::postgres_admin_url("sslmode=require") else { return };
    let separator = if admin.contains('?') { '&' } else { '?' };
    let store = Store::connect(&format!("{admin}{separator}sslmode=require")).await;
    let store = match store {
        Ok(store) => store,
        Err(e) if e.to_string().contains("SSL") || e.to_string().contains("TLS") => {
            eprintln!("SKIPPED postgres_connections_can_require_tls: the server does not offer TLS ({e})");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    assert!(store.connection_uses_tls().await.unwrap(), "sslmode=require must give an encrypted connection");
    store.close().await;
}
