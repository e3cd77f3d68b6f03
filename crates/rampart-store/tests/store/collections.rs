//! STIX collections: a bundle streamed in keeps each version of each object
//! once, by `modified`; the export gives the latest of each; an invalid
//! object is reported with its index and the rest kept.

use rampart_domain::OrgKind;
use rampart_store::{Store, store_test};

use crate::ctx;

/// Streams a bundle into a collection as the command line does.
pub async fn import(store: &Store, org: &str, collection: &str, bundle: Vec<u8>) -> rampart_store::ImportReport {
    store.import_bundle(&ctx(), org, collection, std::io::Cursor::new(bundle)).await.unwrap().1
}

fn attack(file: &str) -> Option<Vec<u8>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/attack").join(file);
    std::fs::read(&path).ok().or_else(|| {
        eprintln!("SKIPPED: {} is not here", path.display());
        None
    })
}

store_test!(a_collection_keeps_every_version_of_the_ics_collection_once, |store| {
    let (Some(old), Some(new)) = (attack("ics-attack-17.1.json"), attack("ics-attack.json")) else { return };
    let csirt = store.create_org(&ctx(), "CSIRT", OrgKind::Authority, None).await.unwrap().id;
    let isac = store.create_community(&ctx(), &csirt, "ISAC", "").await.unwrap().id;
    let collection = store.create_collection(&ctx(), &csirt, "ICS ATT&CK", "", Some(&isac)).await.unwrap().id;

    let first = import(store, &csirt, &collection, old).await;
    assert_eq!((first.added, first.present, first.refused_count), (1651, 0, 0));
    let second = import(store, &csirt, &collection, new.clone()).await;
    assert_eq!((second.added, second.present), (490, 1336), "new objects and newer versions only");
    let again = import(store, &csirt, &collection, new).await;
    assert_eq!((again.added, again.present), (0, 1826), "importing again changes nothing");
    assert_eq!(store.collection_counts(&csirt, &collection).await.unwrap(), (2141, 2064));

    let mut latest = Vec::new();
    assert_eq!(store.export_stix(&csirt, &collection, |o| latest.push(o)).await.unwrap(), 2064);
    let tactic = latest.iter().find(|o| o["type"] == "x-mitre-tactic").unwrap();
    let newest = latest.iter().filter(|o| o["id"] == tactic["id"]).count();
    assert_eq!(newest, 1, "one version of each object: the latest");
});

store_test!(an_invalid_object_is_reported_and_the_others_kept, |store| {
    let org = store.create_org(&ctx(), "Alpha", OrgKind::Provider, None).await.unwrap().id;
    let collection = store.create_collection(&ctx(), &org, "Own", "", None).await.unwrap().id;
    let bundle = serde_json::json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
        {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.7"},
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
         "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"},
    ]});
    let report = import(store, &org, &collection, bundle.to_string().into_bytes()).await;
    assert_eq!((report.added, report.refused_count), (1, 1));
    assert_eq!(report.refused[0].index, 1);
    assert!(report.refused[0].reason.contains("pattern"), "{}", report.refused[0].reason);
    let other = store.create_org(&ctx(), "Beta", OrgKind::Provider, None).await.unwrap().id;
    assert!(
        store.collection(&other, &collection).await.is_err(),
        "another organisation's collection does not exist for it"
    );
});

store_test!(a_bundle_cut_short_keeps_nothing, |store| {
    let org = store.create_org(&ctx(), "Alpha", OrgKind::Provider, None).await.unwrap().id;
    let collection = store.create_collection(&ctx(), &org, "Own", "", None).await.unwrap().id;
    let cut = br#"{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
        {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.7"},
        {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-ad"#;
    let refused = store.import_bundle(&ctx(), &org, &collection, std::io::Cursor::new(cut.to_vec())).await;
    let Err(rampart_store::StoreError::Invalid(e)) = refused else {
        panic!("a bundle cut short was imported: {refused:?}")
    };
    assert_eq!(e.field, "bundle");
    assert_eq!(store.collection_counts(&org, &collection).await.unwrap(), (0, 0), "not even the object before the cut");
});
