//! Framework libraries: loading, upgrading in place, exporting, isolation.

use rampart_domain::PageRequest;
use rampart_frameworks::{Library, built_in, parse_yaml};
use rampart_store::{SOURCE_BUILT_IN, SOURCE_YAML, StoreError, store_test};

use crate::{ctx, org_with_admin};

const CSF: &str = "urn:rampart:framework:nist-csf-2.0";

fn small(version: u32, extra_node: &str) -> Library {
    parse_yaml(&format!(
        "urn: urn:example:framework:small\nversion: {version}\nname: Small\nrequirements:\n\
         \x20 - ref_id: A\n    title: Heading\n\
         \x20 - ref_id: A.1\n    parent: A\n    title: Backups v{version}\n\
         {extra_node}"
    ))
    .unwrap()
}

store_test!(a_built_in_library_loads_and_exports_unchanged, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let csf = built_in(CSF).unwrap();
    let loaded = store.import_framework(&ctx(), &org, &csf, SOURCE_BUILT_IN).await.unwrap();
    assert_eq!((loaded.created, loaded.updated, loaded.withdrawn, loaded.previous_version), (134, 0, 0, None));
    assert_eq!((loaded.framework.nodes, loaded.framework.assessable), (134, 106));
    assert_eq!(loaded.framework.score_scale.len(), 4);
    let nodes = store.requirement_nodes(&org, &loaded.framework.id).await.unwrap();
    assert_eq!(nodes[0].requirement.ref_id, "GV");
    assert_eq!((nodes[1].requirement.ref_id.as_str(), nodes[1].depth), ("GV.OC", 1));
    assert_eq!((nodes[2].requirement.ref_id.as_str(), nodes[2].depth), ("GV.OC-01", 2));
    assert_eq!(
        store.framework_library(&org, &loaded.framework.id).await.unwrap(),
        csf,
        "what is stored is the library"
    );
    assert_eq!(store.framework_by_urn(&org, CSF).await.unwrap().id, loaded.framework.id);
    let listed = store.list_frameworks(&org, &PageRequest::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1);
});

store_test!(a_higher_version_upgrades_in_place_and_keeps_node_ids, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let v1 = small(1, "  - ref_id: A.2\n    parent: A\n    title: Old practice\n");
    let first = store.import_framework(&ctx(), &org, &v1, SOURCE_YAML).await.unwrap();
    let before = store.requirement_nodes(&org, &first.framework.id).await.unwrap();
    let v2 = small(2, "  - ref_id: A.3\n    parent: A\n    title: New practice\n");
    let upgrade = store.import_framework(&ctx(), &org, &v2, SOURCE_YAML).await.unwrap();
    assert_eq!(upgrade.framework.id, first.framework.id, "upgraded in place");
    assert_eq!((upgrade.previous_version, upgrade.created, upgrade.updated, upgrade.withdrawn), (Some(1), 1, 2, 1));
    let after = store.requirement_nodes(&org, &first.framework.id).await.unwrap();
    let by_ref = |nodes: &[rampart_store::RequirementNode], r: &str| {
        nodes.iter().find(|n| n.requirement.ref_id == r).cloned().unwrap()
    };
    assert_eq!(by_ref(&after, "A.1").id, by_ref(&before, "A.1").id, "a node matched by ref_id keeps its id");
    assert_eq!(by_ref(&after, "A.1").requirement.title, "Backups v2");
    let old = by_ref(&after, "A.2");
    assert!(old.requirement.withdrawn && !old.requirement.assessable, "a dropped node is kept, withdrawn");
    assert_eq!(after.last().unwrap().requirement.ref_id, "A.2", "withdrawn nodes come last");
    assert_eq!(upgrade.framework.version, 2);
    assert_eq!(upgrade.framework.assessable, 2);

    for stale in [small(2, ""), small(1, "")] {
        let err = store.import_framework(&ctx(), &org, &stale, SOURCE_YAML).await.unwrap_err();
        assert!(matches!(&err, StoreError::Conflict(m) if m.contains("nothing was changed")), "{err}");
    }
    assert_eq!(store.framework(&org, &first.framework.id).await.unwrap().version, 2);
});

store_test!(frameworks_stay_inside_their_organisation, |store| {
    let (alpha, _) = org_with_admin(store, "Alpha").await;
    let (beta, _) = org_with_admin(store, "Beta").await;
    let loaded = store.import_framework(&ctx(), &alpha, &small(1, ""), SOURCE_YAML).await.unwrap();
    let id = &loaded.framework.id;
    assert!(matches!(store.framework(&beta, id).await.unwrap_err(), StoreError::NotFound));
    assert!(store.requirement_nodes(&beta, id).await.unwrap().is_empty());
    assert!(matches!(store.delete_framework(&ctx(), &beta, id).await.unwrap_err(), StoreError::NotFound));
    assert!(store.list_frameworks(&beta, &PageRequest::default()).await.unwrap().items.is_empty());
    let again = store.import_framework(&ctx(), &beta, &small(1, ""), SOURCE_YAML).await.unwrap();
    assert_ne!(&again.framework.id, id, "each organisation loads its own copy");
    store.delete_framework(&ctx(), &alpha, id).await.unwrap();
    assert!(matches!(store.framework(&alpha, id).await.unwrap_err(), StoreError::NotFound));
    assert_eq!(store.framework(&beta, &again.framework.id).await.unwrap().nodes, 2);
});

store_test!(nists_oscal_catalog_adds_the_official_text_to_the_csf_outline, |store| {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/oscal/NIST_CSF_v2.0_catalog.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("SKIPPED: {} is absent", path.display());
        return;
    };
    let official =
        rampart_oscal::catalog_library(&rampart_oscal::parse_catalog(&text).unwrap(), &Default::default()).unwrap();
    let (org, _) = org_with_admin(store, "Alpha").await;
    let loaded = store.import_framework(&ctx(), &org, &built_in(CSF).unwrap(), SOURCE_BUILT_IN).await.unwrap();
    let done = store.enrich_framework(&ctx(), &org, &loaded.framework.id, &official).await.unwrap();
    assert_eq!(done.enriched, 134, "every function, category and subcategory of the outline");
    assert!(done.not_in_framework.contains(&"ID.AM-06".to_string()), "withdrawn CSF 1.1 items are not in the outline");
    assert_eq!(done.framework.assessable, 106, "the tree and what is assessed stay");
    let nodes = store.requirement_nodes(&org, &loaded.framework.id).await.unwrap();
    let oc01 = nodes.iter().find(|n| n.requirement.ref_id == "GV.OC-01").unwrap();
    assert_eq!(oc01.requirement.title, "Mission shapes cyber risk management", "our short title stays");
    assert_eq!(
        oc01.requirement.statement,
        "The organizational mission is understood and informs cybersecurity risk management"
    );
    assert!(oc01.requirement.guidance.starts_with("Implementation examples:"));
    let (other, _) = org_with_admin(store, "Beta").await;
    let err = store.enrich_framework(&ctx(), &other, &loaded.framework.id, &official).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound));
});
