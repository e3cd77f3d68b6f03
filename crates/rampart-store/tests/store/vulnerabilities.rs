//! Vulnerabilities, scored from their CVSS v4.0 vectors, and the assets they affect.

use rampart_domain::PageRequest;
use rampart_domain::vulnerability::{VulnerabilityFields, VulnerabilityStatus};
use rampart_store::{StoreError, VulnerabilityFilter, store_test};

use crate::assets::fields as asset;
use crate::{ctx, org_with_admin};

const CRITICAL: &str = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
const MEDIUM: &str = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N";

pub fn vuln(title: &str, vector: &str, status: &str) -> VulnerabilityFields {
    VulnerabilityFields::parse(title, "", "", vector, status).unwrap()
}

store_test!(vulnerabilities_keep_their_computed_scores, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let rce = store.create_vulnerability(&ctx(), &org, vuln("Portal RCE", CRITICAL, "open")).await.unwrap();
    store.create_vulnerability(&ctx(), &org, vuln("Info leak", MEDIUM, "in-remediation")).await.unwrap();
    store.create_vulnerability(&ctx(), &org, vuln("Unscored finding", "", "open")).await.unwrap();
    let stored = store.vulnerability(&org, &rce.id).await.unwrap();
    assert_eq!((stored.fields.cvss_score, stored.fields.severity.as_deref()), (Some(9.3), Some("Critical")));
    let all = store.list_vulnerabilities(&org, &VulnerabilityFilter::default(), &PageRequest::default()).await.unwrap();
    assert_eq!(all.items.len(), 3);
    assert_eq!(all.items[0].fields.title, "Unscored finding", "newest first");
    let open = VulnerabilityFilter { status: Some(VulnerabilityStatus::Open), ..Default::default() };
    assert_eq!(store.list_vulnerabilities(&org, &open, &PageRequest::default()).await.unwrap().items.len(), 2);
    let critical = VulnerabilityFilter { severity: Some("Critical".into()), ..Default::default() };
    assert_eq!(store.list_vulnerabilities(&org, &critical, &PageRequest::default()).await.unwrap().items.len(), 1);
    let fixed =
        store.update_vulnerability(&ctx(), &org, &rce.id, vuln("Portal RCE", CRITICAL, "mitigated")).await.unwrap();
    assert_eq!(fixed.fields.status, VulnerabilityStatus::Mitigated);
    store.delete_vulnerability(&ctx(), &org, &rce.id).await.unwrap();
    assert!(matches!(store.vulnerability(&org, &rce.id).await.unwrap_err(), StoreError::NotFound));
});

store_test!(vulnerabilities_affect_assets_of_their_organisation, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let (other, _) = org_with_admin(store, "Beta").await;
    let portal = store.create_asset(&ctx(), &org, asset("Portal", "application", false)).await.unwrap();
    let foreign = store.create_asset(&ctx(), &other, asset("Theirs", "system", false)).await.unwrap();
    let rce = store.create_vulnerability(&ctx(), &org, vuln("Portal RCE", CRITICAL, "open")).await.unwrap();
    store.link_vulnerability_asset(&ctx(), &org, &rce.id, &portal.id).await.unwrap();
    assert!(matches!(
        store.link_vulnerability_asset(&ctx(), &org, &rce.id, &portal.id).await.unwrap_err(),
        StoreError::Conflict(_)
    ));
    assert!(matches!(
        store.link_vulnerability_asset(&ctx(), &org, &rce.id, &foreign.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert!(matches!(store.vulnerability(&other, &rce.id).await.unwrap_err(), StoreError::NotFound));
    assert_eq!(store.vulnerability_assets(&org, &rce.id).await.unwrap()[0].name, "Portal");
    store.delete_asset(&ctx(), &org, &portal.id).await.unwrap();
    assert!(store.vulnerability_assets(&org, &rce.id).await.unwrap().is_empty(), "deleting an asset drops its links");
});
