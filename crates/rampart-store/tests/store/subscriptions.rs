//! Subscriptions to remote TAXII collections: the credential is sealed at
//! rest and opens only under the instance's key; a pull is leased; each page
//! keeps its objects, their provenance and the cursor together.

use rampart_domain::OrgKind;
use rampart_domain::sealed::SecretKey;
use rampart_domain::subscription::{FeedAuth, NewSubscription};
use rampart_stix::{ObjectError, StixObject};
use rampart_store::{Store, StoreError, store_test};

use crate::ctx;

pub fn feed(collection: &str, auth: FeedAuth) -> NewSubscription {
    NewSubscription {
        title: "ISAC feed".into(),
        api_root: "http://127.0.0.1:9/api1/".into(),
        remote_collection: "91a7b528-80eb-42ed-a74d-c6fbd5a26116".into(),
        collection: collection.into(),
        auth,
        pull_every_minutes: 60,
    }
}

/// A page of objects as a TAXII client hands it over.
pub fn page(objects: &[serde_json::Value]) -> tokio::sync::mpsc::Receiver<Result<StixObject, ObjectError>> {
    let (send, receive) = tokio::sync::mpsc::channel(objects.len().max(1));
    for (index, o) in objects.iter().enumerate() {
        let read = StixObject::from_value(o.clone()).map_err(|reason| ObjectError { index, id: None, reason });
        send.try_send(read).unwrap();
    }
    receive
}

pub fn address(n: u8) -> serde_json::Value {
    serde_json::json!({"type": "ipv4-addr", "spec_version": "2.1",
        "id": format!("ipv4-addr--{:08x}-6336-5bc5-b98d-13d6226742dd", n), "value": format!("198.51.100.{n}")})
}

async fn keyed(store: &Store) -> (Store, String, String) {
    let store = store.clone().with_secret_key(SecretKey::generate());
    let org = store.create_org(&ctx(), "Alpha", OrgKind::Provider, None).await.unwrap().id;
    let collection = store.create_collection(&ctx(), &org, "From the ISAC", "", None).await.unwrap().id;
    (store, org, collection)
}

store_test!(a_subscription_keeps_its_credential_sealed, |store| {
    let (keyed, org, collection) = keyed(store).await;
    let token = "rmp_remote-token-that-must-not-leak";
    let sub = keyed
        .create_subscription(&ctx(), &org, feed(&collection, FeedAuth::Bearer { token: token.into() }))
        .await
        .unwrap();
    assert_eq!((sub.auth_kind.as_str(), sub.collection_title.as_str()), ("bearer", "From the ISAC"));
    assert!(sub.next_pull_at.is_some(), "the first scheduled pull is due at once");

    let dir = std::env::temp_dir().join(format!("rampart-sealed-{}", rampart_domain::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    keyed.backup(&dir.join("backup")).await.unwrap();
    let backup = std::fs::read_to_string(dir.join("backup")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!backup.contains(token), "a backup holds no plaintext credential");
    assert!(backup.contains("v1."), "it holds the sealed one");

    let pull = keyed.start_pull(&org, &sub.id, 60_000).await.unwrap();
    assert_eq!(pull.auth, FeedAuth::Bearer { token: token.into() });
    assert!(!format!("{pull:?}").contains(token), "nor does a log line");
    keyed.finish_pull(&ctx(), &pull, None).await.unwrap();

    // Another instance's key (a server started without the shared key) cannot open it.
    let other = store.clone().with_secret_key(SecretKey::generate());
    let refused = other.start_pull(&org, &sub.id, 60_000).await.unwrap_err();
    assert!(matches!(refused, StoreError::Secret(_)), "{refused}");
    // And without any key nothing secret is accepted.
    let refused =
        store.create_subscription(&ctx(), &org, feed(&collection, FeedAuth::Bearer { token: "t".into() })).await;
    assert!(matches!(refused, Err(StoreError::Secret(_))));
    let public = store.create_subscription(&ctx(), &org, feed(&collection, FeedAuth::None)).await.unwrap();
    assert_eq!(public.auth_kind, "none");
});

store_test!(a_pull_keeps_each_page_with_its_cursor_and_provenance, |store| {
    let (store, org, collection) = keyed(store).await;
    let auth = FeedAuth::Basic { username: "admin".into(), password: "Password0".into() };
    let sub = store.create_subscription(&ctx(), &org, feed(&collection, auth)).await.unwrap();
    assert_eq!(
        store.due_subscriptions(rampart_store::now_ms(), 10).await.unwrap(),
        vec![(org.clone(), sub.id.clone())]
    );

    let pull = store.start_pull(&org, &sub.id, 60_000).await.unwrap();
    assert_eq!(pull.added_after, None);
    assert!(
        matches!(store.start_pull(&org, &sub.id, 60_000).await, Err(StoreError::Conflict(_))),
        "a pull under way holds the subscription"
    );
    assert!(store.due_subscriptions(rampart_store::now_ms(), 10).await.unwrap().is_empty());
    let first = store
        .import_pulled(&ctx(), &pull, page(&[address(1), address(2)]), Some("2026-12-02T05:00:00.000001Z"))
        .await
        .unwrap();
    assert_eq!(first.added, 2);
    let second = store
        .import_pulled(&ctx(), &pull, page(&[address(2), address(3)]), Some("2026-12-02T05:00:00.000002Z"))
        .await
        .unwrap();
    assert_eq!((second.added, second.present), (1, 1));
    let record = store.finish_pull(&ctx(), &pull, None).await.unwrap();
    assert_eq!((record.pages, record.added, record.present, record.refused), (2, 3, 1, 0));
    assert_eq!(record.added_after_to.as_deref(), Some("2026-12-02T05:00:00.000002Z"));
    assert_eq!(record.source_url, "http://127.0.0.1:9/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/");

    let after = store.subscription(&org, &sub.id).await.unwrap();
    assert_eq!(after.added_after.as_deref(), Some("2026-12-02T05:00:00.000002Z"), "the next pull starts there");
    assert!(after.next_pull_at.unwrap() >= after.last_pull_at.unwrap() + 3_600_000, "due again in an hour");
    let provenance = store.provenance(&org, &collection, address(3)["id"].as_str().unwrap(), "").await.unwrap();
    assert_eq!(provenance.map(|p| p.id), Some(pull.id.clone()));

    // A pull that fails keeps what it fetched and says why.
    let again = store.start_pull(&org, &sub.id, 60_000).await.unwrap();
    assert_eq!(again.added_after.as_deref(), Some("2026-12-02T05:00:00.000002Z"));
    let failed = store.finish_pull(&ctx(), &again, Some("the remote server answered 503")).await.unwrap();
    assert_eq!(failed.error.as_deref(), Some("the remote server answered 503"));
    assert_eq!(
        store.subscription(&org, &sub.id).await.unwrap().last_error.as_deref(),
        Some("the remote server answered 503")
    );
    assert_eq!(store.subscription_pulls(&org, &sub.id, 10).await.unwrap().len(), 2);
    assert_eq!(store.collection_counts(&org, &collection).await.unwrap(), (3, 3));

    // Unsubscribing forgets the credential; what was pulled, and from where, stays.
    store.delete_subscription(&ctx(), &org, &sub.id).await.unwrap();
    assert!(matches!(store.subscription(&org, &sub.id).await, Err(StoreError::NotFound)));
    assert!(store.provenance(&org, &collection, address(1)["id"].as_str().unwrap(), "").await.unwrap().is_some());
});

store_test!(subscriptions_are_their_organisations_own, |store| {
    let (store, org, collection) = keyed(store).await;
    let sub = store.create_subscription(&ctx(), &org, feed(&collection, FeedAuth::None)).await.unwrap();
    let other = store.create_org(&ctx(), "Beta", OrgKind::Provider, None).await.unwrap().id;
    assert!(store.subscriptions(&other).await.unwrap().is_empty());
    assert!(matches!(store.subscription(&other, &sub.id).await, Err(StoreError::NotFound)));
    assert!(matches!(store.start_pull(&other, &sub.id, 1000).await, Err(StoreError::NotFound)));
    assert!(matches!(store.delete_subscription(&ctx(), &other, &sub.id).await, Err(StoreError::NotFound)));
    assert!(store.subscription_pulls(&other, &sub.id, 10).await.unwrap().is_empty());
    // Nor can it feed another organisation's collection.
    let refused = store.create_subscription(&ctx(), &other, feed(&collection, FeedAuth::None)).await.unwrap_err();
    assert!(matches!(&refused, StoreError::Invalid(i) if i.field == "collection"), "{refused}");
});

store_test!(a_bad_subscription_names_the_field_and_keeps_nothing, |store| {
    let (store, org, collection) = keyed(store).await;
    let bad = NewSubscription { api_root: "file:///etc/passwd".into(), ..feed(&collection, FeedAuth::None) };
    let refused = store.create_subscription(&ctx(), &org, bad).await.unwrap_err();
    assert!(matches!(&refused, StoreError::Invalid(i) if i.field == "api_root"), "{refused}");
    assert!(store.subscriptions(&org).await.unwrap().is_empty());
});
