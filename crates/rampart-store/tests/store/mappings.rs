//! Mapping sets and the results they carry between frameworks.

use rampart_domain::assessment::{AssessmentFields, ResultFields, ResultKind};
use rampart_frameworks::{Relationship, built_in, built_in_mapping, parse_mapping_yaml};
use rampart_store::{SOURCE_BUILT_IN, Store, StoreError, store_test};

use crate::{ctx, org_with_admin};

const PRACTICE: &str = "urn:rampart:framework:iso-iec-27032-practice";
const ISO: &str = "urn:rampart:framework:iso-iec-27001-2022";
const TO_ISO: &str = "urn:rampart:mapping:iso-iec-27032-practice:iso-iec-27001-2022";

async fn assessment_of(
    store: &Store,
    org: &str,
    urn: &str,
    name: &str,
) -> (String, Vec<rampart_store::RequirementNode>) {
    let framework = store.framework_by_urn(org, urn).await.unwrap();
    let fields = AssessmentFields::parse(name, "", None, &[], "", "", &[]).unwrap();
    let a = store.create_assessment(&ctx(), org, &framework.id, fields).await.unwrap();
    (a.id, store.requirement_nodes(org, &framework.id).await.unwrap())
}

fn id(nodes: &[rampart_store::RequirementNode], ref_id: &str) -> String {
    nodes.iter().find(|n| n.requirement.ref_id == ref_id).unwrap().id.clone()
}

fn answer(result: &str) -> ResultFields {
    ResultFields::parse(result, None, None, "", "", "", &[0, 1, 2, 3, 4, 5]).unwrap()
}

store_test!(an_answer_in_one_framework_lends_results_to_another, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    for urn in [PRACTICE, ISO] {
        store.import_framework(&ctx(), &org, &built_in(urn).unwrap(), SOURCE_BUILT_IN).await.unwrap();
    }
    let set =
        store.import_mapping_set(&ctx(), &org, &built_in_mapping(TO_ISO).unwrap(), SOURCE_BUILT_IN).await.unwrap();
    assert_eq!(set.mappings, 160);
    let (practices, p_nodes) = assessment_of(store, &org, PRACTICE, "27032").await;
    for (ref_id, result) in [("IP.3", "compliant"), ("ACC.2", "compliant"), ("NET.3", "non-compliant")] {
        store.set_results(&ctx(), &org, &practices, &[id(&p_nodes, ref_id)], &answer(result)).await.unwrap();
    }
    let (iso, i_nodes) = assessment_of(store, &org, ISO, "27001").await;
    let work = store.workspace(&org, &iso).await.unwrap();
    let inferred = |ref_id: &str| {
        let i = work.nodes.iter().position(|n| n.requirement.ref_id == ref_id).unwrap();
        work.inferred[i].clone()
    };
    let a55 = inferred("A.5.5").expect("IP.3 equals A.5.5");
    assert_eq!(
        (a55.result, a55.from_ref_id.as_str(), a55.relationship),
        (ResultKind::Compliant, "IP.3", Relationship::Equal)
    );
    assert_eq!(a55.from_assessment, "27032");
    assert_eq!(inferred("A.8.5").unwrap().result, ResultKind::PartiallyCompliant, "ACC.2 is a subset of A.8.5");
    assert!(inferred("A.8.20").is_none(), "a non-compliant intersecting practice says nothing");
    assert!(work.with_inferred.compliance.unwrap() > work.scorecard.overall.compliance.unwrap());

    store.set_results(&ctx(), &org, &iso, &[id(&i_nodes, "A.5.5")], &answer("non-compliant")).await.unwrap();
    let work = store.workspace(&org, &iso).await.unwrap();
    let i = work.nodes.iter().position(|n| n.requirement.ref_id == "A.5.5").unwrap();
    assert!(work.inferred[i].is_none(), "a direct answer is never overridden");

    let coverage = store.coverage(&org).await.unwrap();
    let iso_cover = coverage.iter().find(|c| c.urn == ISO).unwrap();
    assert_eq!((iso_cover.answered, iso_cover.inferred, iso_cover.sources.clone()), (1, 1, vec!["27032".to_string()]));
    assert_eq!(coverage.iter().find(|c| c.urn == PRACTICE).unwrap().answered, 3);
});

store_test!(mapping_sets_are_checked_against_the_loaded_frameworks, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let set = built_in_mapping(TO_ISO).unwrap();
    let missing = store.import_mapping_set(&ctx(), &org, &set, SOURCE_BUILT_IN).await.unwrap_err();
    assert!(matches!(&missing, StoreError::Invalid(i) if i.field == "source"), "{missing}");
    for urn in [PRACTICE, ISO] {
        store.import_framework(&ctx(), &org, &built_in(urn).unwrap(), SOURCE_BUILT_IN).await.unwrap();
    }
    let wrong = parse_mapping_yaml(&format!(
        "urn: urn:x:m\nversion: 1\nname: M\nsource: {PRACTICE}\ntarget: {ISO}\nmappings:\n  - {{ source: IP.1, target: A.9.9, relationship: equal, strength: 5 }}\n"
    ))
    .unwrap();
    let err = store.import_mapping_set(&ctx(), &org, &wrong, "yaml").await.unwrap_err();
    assert!(matches!(&err, StoreError::Invalid(i) if i.field == "mappings[0].target"), "{err}");
    let loaded = store.import_mapping_set(&ctx(), &org, &set, SOURCE_BUILT_IN).await.unwrap();
    assert!(matches!(
        store.import_mapping_set(&ctx(), &org, &set, SOURCE_BUILT_IN).await,
        Err(StoreError::Conflict(_))
    ));
    let (other, _) = org_with_admin(store, "Beta").await;
    assert!(store.list_mapping_sets(&other).await.unwrap().is_empty());
    assert!(matches!(store.delete_mapping_set(&ctx(), &other, &loaded.id).await, Err(StoreError::NotFound)));
    store.delete_mapping_set(&ctx(), &org, &loaded.id).await.unwrap();
    assert!(store.list_mapping_sets(&org).await.unwrap().is_empty());
});
