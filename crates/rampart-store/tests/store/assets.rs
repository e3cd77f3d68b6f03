//! The asset inventory and its dependency graph.

use rampart_domain::PageRequest;
use rampart_domain::asset::{AssetFields, AssetKind};
use rampart_store::{AssetFilter, StoreError, store_test};

use crate::{ctx, org_with_admin};

pub fn fields(name: &str, kind: &str, critical: bool) -> AssetFields {
    AssetFields::parse(name, kind, "what it is", "ops team", "high", "medium", "very-high", critical).unwrap()
}

store_test!(assets_are_created_listed_changed_and_deleted, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let db = store.create_asset(&ctx(), &org, fields("Billing database", "system", true)).await.unwrap();
    store.create_asset(&ctx(), &org, fields("Customer portal", "application", false)).await.unwrap();
    let dup = store.create_asset(&ctx(), &org, fields("Billing database", "service", false)).await.unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup}");
    let all = store.list_assets(&org, &AssetFilter::default(), &PageRequest::default()).await.unwrap();
    assert_eq!(
        all.items.iter().map(|a| a.fields.name.as_str()).collect::<Vec<_>>(),
        ["Billing database", "Customer portal"]
    );
    let critical = store
        .list_assets(&org, &AssetFilter { critical: Some(true), ..Default::default() }, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(critical.items.len(), 1);
    let apps = store
        .list_assets(
            &org,
            &AssetFilter { kind: Some(AssetKind::Application), ..Default::default() },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(apps.items[0].fields.name, "Customer portal");
    let changed = store.update_asset(&ctx(), &org, &db.id, fields("Billing DB", "system", false)).await.unwrap();
    assert_eq!((changed.fields.name.as_str(), changed.fields.critical), ("Billing DB", false));
    store.delete_asset(&ctx(), &org, &db.id).await.unwrap();
    assert!(matches!(store.asset(&org, &db.id).await.unwrap_err(), StoreError::NotFound));
    let actions: Vec<String> = store
        .list_audit(&org, &Default::default(), &PageRequest::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(&actions[..4], ["asset.delete", "asset.update", "asset.create", "asset.create"]);
});

store_test!(dependencies_link_assets_of_one_organisation, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let (other, _) = org_with_admin(store, "Beta").await;
    let portal = store.create_asset(&ctx(), &org, fields("Portal", "application", false)).await.unwrap();
    let db = store.create_asset(&ctx(), &org, fields("Database", "system", true)).await.unwrap();
    let foreign = store.create_asset(&ctx(), &other, fields("Their DB", "system", false)).await.unwrap();
    store.add_asset_dependency(&ctx(), &org, &portal.id, &db.id).await.unwrap();
    assert!(matches!(
        store.add_asset_dependency(&ctx(), &org, &portal.id, &db.id).await.unwrap_err(),
        StoreError::Conflict(_)
    ));
    assert!(matches!(
        store.add_asset_dependency(&ctx(), &org, &portal.id, &portal.id).await.unwrap_err(),
        StoreError::Invalid(_)
    ));
    assert!(matches!(
        store.add_asset_dependency(&ctx(), &org, &portal.id, &foreign.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    let (depends_on, used_by) = store.asset_dependencies(&org, &portal.id).await.unwrap();
    assert_eq!((depends_on.len(), used_by.len()), (1, 0));
    assert_eq!(depends_on[0].name, "Database");
    let (_, used_by) = store.asset_dependencies(&org, &db.id).await.unwrap();
    assert_eq!(used_by[0].name, "Portal");
    store.delete_asset(&ctx(), &org, &db.id).await.unwrap();
    assert!(
        store.asset_dependencies(&org, &portal.id).await.unwrap().0.is_empty(),
        "deleting an asset removes its edges"
    );
    store
        .add_asset_dependency(
            &ctx(),
            &org,
            &portal.id,
            &store.create_asset(&ctx(), &org, fields("Cache", "system", false)).await.unwrap().id,
        )
        .await
        .unwrap();
    let cache = store
        .list_assets(&org, &AssetFilter::default(), &PageRequest::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|a| a.fields.name == "Cache")
        .unwrap();
    store.remove_asset_dependency(&ctx(), &org, &portal.id, &cache.id).await.unwrap();
    assert!(matches!(
        store.remove_asset_dependency(&ctx(), &org, &portal.id, &cache.id).await.unwrap_err(),
        StoreError::NotFound
    ));
});

store_test!(another_organisations_assets_look_missing, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let (other, _) = org_with_admin(store, "Beta").await;
    let theirs = store.create_asset(&ctx(), &other, fields("Their DB", "system", false)).await.unwrap();
    assert!(matches!(store.asset(&org, &theirs.id).await.unwrap_err(), StoreError::NotFound));
    assert!(matches!(
        store.update_asset(&ctx(), &org, &theirs.id, fields("Mine now", "system", false)).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert!(matches!(store.delete_asset(&ctx(), &org, &theirs.id).await.unwrap_err(), StoreError::NotFound));
    assert!(store.list_assets(&org, &AssetFilter::default(), &PageRequest::default()).await.unwrap().items.is_empty());
    assert_eq!(store.asset(&other, &theirs.id).await.unwrap().fields.name, "Their DB");
});
