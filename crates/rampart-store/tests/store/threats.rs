//! The threat catalog, filled from MITRE ATT&CK bundles (../shared/data/attack).

use rampart_domain::PageRequest;
use rampart_domain::threat::{ThreatFields, attack_threats};
use rampart_store::{ThreatFilter, store_test};

use crate::{ctx, org_with_admin};

fn bundle(name: &str) -> Option<serde_json::Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/attack").join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).unwrap()),
        Err(_) => {
            eprintln!("SKIPPED ATT&CK import with {}: the file is absent", path.display());
            None
        }
    }
}

store_test!(attack_techniques_import_and_refresh_by_their_ids, |store| {
    let (Some(old), Some(new)) = (bundle("ics-attack-17.1.json"), bundle("ics-attack.json")) else { return };
    let (org, _) = org_with_admin(store, "Alpha").await;
    let first = attack_threats(&old).unwrap();
    let imported = store.import_threats(&ctx(), &org, "ics-attack 17.1", &first).await.unwrap();
    assert_eq!((imported.created as usize, imported.updated), (first.len(), 0));
    let latest = attack_threats(&new).unwrap();
    let again = store.import_threats(&ctx(), &org, "ics-attack latest", &latest).await.unwrap();
    assert_eq!((again.created + again.updated) as usize, latest.len(), "every technique is matched by its ATT&CK id");
    assert!(again.updated > 0, "techniques present in both versions are refreshed, not duplicated");
    let mut names = Vec::new();
    let mut page = PageRequest::first(40);
    loop {
        let got = store.list_threats(&org, &ThreatFilter::default(), &page).await.unwrap();
        names.extend(got.items.into_iter().map(|t| t.fields.name));
        match got.next {
            Some(next) => page = PageRequest::new(Some(40), Some(next)).unwrap(),
            None => break,
        }
    }
    assert_eq!(names.len() as u64, imported.created + again.created);
    let categories = store.threat_categories(&org).await.unwrap();
    assert!(categories.iter().any(|(c, _)| c == "inhibit-response-function"), "{categories:?}");
    let filter = ThreatFilter { category: Some("inhibit-response-function".into()), ..Default::default() };
    assert!(
        store
            .list_threats(&org, &filter, &PageRequest::first(500))
            .await
            .unwrap()
            .items
            .iter()
            .all(|t| t.fields.category == "inhibit-response-function")
    );
});

store_test!(custom_threats_sit_beside_imported_ones, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let (other, _) = org_with_admin(store, "Beta").await;
    let t =
        store.create_threat(&ctx(), &org, ThreatFields::custom("Insider fraud", "fraud", "").unwrap()).await.unwrap();
    let custom = ThreatFilter { source: Some("custom".into()), ..Default::default() };
    assert_eq!(store.list_threats(&org, &custom, &PageRequest::default()).await.unwrap().items.len(), 1);
    assert!(
        store.list_threats(&other, &ThreatFilter::default(), &PageRequest::default()).await.unwrap().items.is_empty()
    );
    assert!(store.delete_threat(&ctx(), &other, &t.id).await.is_err(), "another organisation cannot delete it");
    store.delete_threat(&ctx(), &org, &t.id).await.unwrap();
});
