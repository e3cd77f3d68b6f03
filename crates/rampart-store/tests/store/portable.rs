//! Export/import and backup/restore keep every row, across databases.

use rampart_domain::{OrgKind, Role};
use rampart_store::testing::TestDatabase;
use rampart_store::{Backend, SessionPolicy, Store, StoreError, store_test};

use crate::{HASH, ctx, org_with_admin};

/// A database with a row in every table.
async fn populate(store: &Store) {
    let (org, admin) = org_with_admin(store, "Alpha").await;
    store.create_org(&ctx(), "Beta", OrgKind::Authority, None).await.unwrap();
    store.add_member(&ctx(), &org, "bob@example.org", Role::Auditor, Some(HASH)).await.unwrap();
    let (t, _) = store.create_token(&ctx(), &org, &admin, "ci", Some(4_000_000_000_000)).await.unwrap();
    store.revoke_token(&ctx(), &org, &t.id, None).await.unwrap();
    store.create_session(&admin, Some(&org), SessionPolicy::default()).await.unwrap();
    store.record_attempt("account:bob@example.org").await.unwrap();
    let a = store.create_asset(&ctx(), &org, crate::assets::fields("Portal", "application", false)).await.unwrap();
    let b = store.create_asset(&ctx(), &org, crate::assets::fields("Database", "system", true)).await.unwrap();
    store.add_asset_dependency(&ctx(), &org, &a.id, &b.id).await.unwrap();
    let v = store.create_vulnerability(&ctx(), &org, crate::vulnerabilities::vuln("RCE", "", "open")).await.unwrap();
    store.link_vulnerability_asset(&ctx(), &org, &v.id, &a.id).await.unwrap();
    let threat = store
        .create_threat(
            &ctx(),
            &org,
            rampart_domain::threat::ThreatFields::custom("Insider fraud", "fraud", "").unwrap(),
        )
        .await
        .unwrap();
    populate_risks(store, &org, &admin, &threat.id, &a.id, &v.id).await;
    populate_assessment(store, &org, &admin, &a.id).await;
    populate_incidents(store, &org, &a.id).await;
    populate_notifications(store, &org).await;
    populate_sharing(store, &org).await;
}

/// A row in every sharing table: communities, a member, a connection, a client, a RED item.
async fn populate_sharing(store: &Store, org: &str) {
    use rampart_domain::sharing::{Distribution, MemberRole};
    let other = store.create_org(&ctx(), "Partner", rampart_domain::OrgKind::Consumer, None).await.unwrap().id;
    let isac = store.create_community(&ctx(), org, "ISAC", "").await.unwrap().id;
    let region = store.create_community(&ctx(), org, "Region", "").await.unwrap().id;
    store.add_community_member(&ctx(), None, &isac, &other, MemberRole::Reader).await.unwrap();
    store.connect_communities(&ctx(), org, &isac, &region).await.unwrap();
    store.record_client(&ctx(), org, &other).await.unwrap();
    let item = rampart_store::NewSharedItem {
        community_id: isac,
        kind: "advisory".into(),
        title: "Patch the VPN".into(),
        body: serde_json::json!({"severity": "high"}),
        marking: rampart_domain::incident::Marking::Red,
        distribution: Distribution::Community,
        recipients: vec![other.clone()],
    };
    let item = store.share_item(&ctx(), org, item).await.unwrap();
    store.acknowledge_item(&ctx(), &other, &item.id).await.unwrap();
    let sha = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f";
    store
        .add_item_file(&ctx(), org, &item.id, &crate::item_files::kept("advisory.pdf", sha, 10, "application/pdf"))
        .await
        .unwrap();
    // An exact indicator (values kept) sighted by an observable of the sharer.
    let indicator = rampart_store::NewSharedItem {
        community_id: item.community_id.clone(),
        kind: "indicator".into(),
        title: "C2 address".into(),
        body: serde_json::json!({"type": "indicator", "pattern": "[ipv4-addr:value = '198.51.100.23']", "pattern_type": "stix"}),
        marking: rampart_domain::incident::Marking::Green,
        distribution: Distribution::Community,
        recipients: vec![],
    };
    let indicator = store.share_item(&ctx(), org, indicator).await.unwrap();
    let fields = crate::incidents::fields("Beaconing", rampart_store::now_ms());
    let incident = store.create_incident(&ctx(), org, fields, &[]).await.unwrap().id;
    let observable = crate::incidents::observable(rampart_domain::observable::ObservableKind::Ipv4, "198.51.100.23");
    store.add_observable(&ctx(), org, &incident, &observable).await.unwrap();
    assert_eq!(store.sightings_of_item(org, &indicator.id).await.unwrap().len(), 1);
    let observable_id = store.incident_detail(org, &incident).await.unwrap().observables[0].id.clone();
    let choice = rampart_domain::sharing::SummaryChoice {
        summary: "Beaconing to a C2".into(),
        observables: vec![observable_id],
        ..Default::default()
    };
    let summary = rampart_store::NewSummary {
        community_id: indicator.community_id.clone(),
        title: "Beaconing".into(),
        marking: rampart_domain::incident::Marking::Green,
        distribution: Distribution::Community,
        recipients: vec![],
        choice,
    };
    store.share_incident_summary(&ctx(), org, &incident, summary).await.unwrap();
    let collection = store.create_collection(&ctx(), org, "Feed", "", Some(&indicator.community_id)).await.unwrap().id;
    let bundle = serde_json::json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
        {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.7"}]});
    crate::collections::import(store, org, &collection, bundle.to_string().into_bytes()).await;
    store
        .save_taxii_status(org, "2d086da7-4bdc-4f91-900e-d77486753710", &serde_json::json!({"status": "complete"}))
        .await
        .unwrap();
    // A subscription with a sealed credential, and a pull that brought an object.
    use crate::subscriptions::{address, feed, page};
    let keyed = store.clone().with_secret_key(rampart_domain::sealed::SecretKey::generate());
    let auth = rampart_domain::subscription::FeedAuth::Bearer { token: "remote-token".into() };
    let sub = keyed.create_subscription(&ctx(), org, feed(&collection, auth)).await.unwrap();
    let pull = keyed.start_pull(org, &sub.id, 60_000).await.unwrap();
    keyed.import_pulled(&ctx(), &pull, page(&[address(9)]), Some("2026-12-02T05:00:00Z")).await.unwrap();
    keyed.finish_pull(&ctx(), &pull, Some("stopped for the test")).await.unwrap();
}

/// A row in every notification table: a channel, a delivery and a mark.
async fn populate_notifications(store: &Store, org: &str) {
    use rampart_domain::notification::NotificationEvent::*;
    store.create_channel(&ctx(), org, crate::notifications::webhook(&[IncidentCreated, ClockOverdue])).await.unwrap();
    let aware = rampart_store::now_ms() - 30 * 3_600_000;
    let fields = crate::incidents::fields("Overdue", aware);
    store.create_incident(&ctx(), org, fields, &["nis2".into()]).await.unwrap();
    assert_eq!(store.sweep_timed_events().await.unwrap(), 1);
}

/// A row in every table of the incident pillar.
async fn populate_incidents(store: &Store, org: &str, asset: &str) {
    use rampart_domain::incident::{CaseTemplate, IncidentCategory, IncidentState, TemplateTask};
    let task = TemplateTask { title: "Isolate the hosts".into(), due_hours: 1 };
    let template =
        CaseTemplate { category: IncidentCategory::MaliciousCode, name: "Malware".into(), tasks: vec![task] };
    store.set_case_template(&ctx(), org, template).await.unwrap();
    store.open_public_page(&ctx(), org).await.unwrap();
    let i = store
        .create_incident(&ctx(), org, crate::incidents::fields("Ransomware", rampart_store::now_ms()), &["nis2".into()])
        .await
        .unwrap();
    store.transition_incident(&ctx(), org, &i.id, IncidentState::Triage, "").await.unwrap();
    store.submit_obligation(&ctx(), org, &i.id, "nis2", "early-warning", "CSIRT-1").await.unwrap();
    let kind = rampart_domain::observable::ObservableKind::Ipv4;
    store.add_observable(&ctx(), org, &i.id, &crate::incidents::observable(kind, "192.0.2.1")).await.unwrap();
    let rule =
        rampart_domain::regulatory::ObligationRule::parse("sector", "notice", "Sector notice", "aware", 60, None)
            .unwrap();
    store.add_regulatory_rule(&ctx(), org, &rule).await.unwrap();
    use rampart_store::IncidentLink;
    store.link_incident(&ctx(), org, &i.id, IncidentLink::Asset, asset).await.unwrap();
    let earlier = store
        .create_incident(&ctx(), org, crate::incidents::fields("Phishing", rampart_store::now_ms()), &[])
        .await
        .unwrap();
    store.link_incident(&ctx(), org, &i.id, IncidentLink::Related, &earlier.id).await.unwrap();
    let controls = store.list_controls(org, None, &rampart_domain::PageRequest::default()).await.unwrap();
    store.add_follow_up(&ctx(), org, &i.id, "control", &controls.items[0].id, "Enforce on VPN").await.unwrap();
    let e = store
        .add_incident_evidence(&ctx(), org, &i.id, crate::incidents::acquisition("fs01.raw"), (&"ab".repeat(32), 4, ""))
        .await
        .unwrap();
    let handed = (Some("Forensics lab"), "sealed bag 7");
    store.record_custody(&ctx(), org, &e.id, rampart_domain::custody::CustodyAction::HandedOver, handed).await.unwrap();
}

/// A row in every table of the assessment pillar.
async fn populate_assessment(store: &Store, org: &str, admin: &str, asset: &str) {
    use rampart_domain::assessment::{AssessmentFields, AssessmentRole, ResultFields};
    let csf = rampart_frameworks::built_in("urn:rampart:framework:nist-csf-2.0").unwrap();
    let loaded = store.import_framework(&ctx(), org, &csf, rampart_store::SOURCE_BUILT_IN).await.unwrap();
    let iso = rampart_frameworks::built_in("urn:rampart:framework:iso-iec-27001-2022").unwrap();
    store.import_framework(&ctx(), org, &iso, rampart_store::SOURCE_BUILT_IN).await.unwrap();
    let mapping = rampart_frameworks::built_in_mapping("urn:rampart:mapping:iso-iec-27001-2022:nist-csf-2.0").unwrap();
    store.import_mapping_set(&ctx(), org, &mapping, rampart_store::SOURCE_BUILT_IN).await.unwrap();
    let fields = AssessmentFields::parse("CSF 2027", "", Some(asset), &[], "", "2027-06-30", &[]).unwrap();
    let assessment = store.create_assessment(&ctx(), org, &loaded.framework.id, fields).await.unwrap();
    let reviewer = [(admin.to_string(), AssessmentRole::Reviewer)];
    store.set_assessment_people(&ctx(), org, &assessment.id, &reviewer).await.unwrap();
    let nodes = store.requirement_nodes(org, &loaded.framework.id).await.unwrap();
    let node = nodes.into_iter().find(|n| n.requirement.assessable).unwrap();
    let answer = ResultFields::parse("compliant", Some(3), None, "", "", "", &[1, 2, 3, 4]).unwrap();
    store.set_results(&ctx(), org, &assessment.id, std::slice::from_ref(&node.id), &answer).await.unwrap();
    let control = store
        .create_control(
            &ctx(),
            org,
            rampart_domain::control::ControlFields::parse("Asset inventory", "", "active", "", "", "", None).unwrap(),
        )
        .await
        .unwrap();
    store.link_result_control(&ctx(), org, &assessment.id, &node.id, &control.id).await.unwrap();
    let link =
        rampart_domain::assessment::EvidenceFields::link("Inventory", "https://cmdb.example/", "2027-12-31").unwrap();
    store.add_evidence(&ctx(), org, &assessment.id, &node.id, link).await.unwrap();
}

/// A row in every table of the risk pillar.
async fn populate_risks(store: &Store, org: &str, admin: &str, threat: &str, asset: &str, vuln: &str) {
    use rampart_domain::risk::AcceptanceRequest;
    use rampart_store::{NewQuantRun, RiskLink, RiskSettings, now_ms};
    store
        .set_risk_settings(&ctx(), org, &RiskSettings { tolerance: vec![[1e6, 0.1]], ..Default::default() })
        .await
        .unwrap();
    let control = store
        .create_control(
            &ctx(),
            org,
            rampart_domain::control::ControlFields::parse("MFA", "", "active", "", "2027-01-01", "s", Some(5)).unwrap(),
        )
        .await
        .unwrap();
    let mut fields = crate::risks::scenario("Fraud", None, None, "accept");
    fields.threat_id = Some(threat.to_string());
    let s = store.create_risk(&ctx(), org, fields).await.unwrap();
    store.link_risk(&ctx(), org, &s.id, RiskLink::Asset, asset).await.unwrap();
    store.link_risk(&ctx(), org, &s.id, RiskLink::Vulnerability, vuln).await.unwrap();
    store.link_risk(&ctx(), org, &s.id, RiskLink::Control, &control.id).await.unwrap();
    store.set_fair_model(&ctx(), org, &s.id, Some(&serde_json::json!({"tef": {"constant": 1}}))).await.unwrap();
    let approver = store.add_member(&ctx(), org, "cfo@example.org", Role::Admin, Some(HASH)).await.unwrap().user_id;
    let request = AcceptanceRequest::parse("ok", &approver, now_ms() + 1_000_000, 0, now_ms()).unwrap();
    store.submit_acceptance(&ctx(), org, &s.id, admin, request).await.unwrap();
    let run = NewQuantRun {
        scenario_id: Some(s.id.clone()),
        iterations: 10,
        seed: 1,
        mode: "aggregate".into(),
        engine_version: "0".into(),
        model: serde_json::json!({}),
        result: serde_json::json!({}),
    };
    store.record_quant_run(&ctx(), org, run).await.unwrap();
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join("rampart-tests").join(format!("{name}-{}", rampart_domain::new_id()))
}

/// The export of a database, as text, for comparing contents.
async fn contents(store: &Store) -> String {
    let dir = temp_path("contents");
    store.export(&dir).await.unwrap();
    let mut out = String::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    for f in files {
        out.push_str(&std::fs::read_to_string(f).unwrap());
    }
    std::fs::remove_dir_all(dir).unwrap();
    out
}

store_test!(a_backup_restores_every_row, |store| {
    populate(store).await;
    let file = temp_path("backup");
    let counts = store.backup(&file).await.unwrap();
    assert!(counts.iter().all(|(_, n)| *n > 0), "every table has rows: {counts:?}");
    let expected = contents(store).await;
    let err = store.restore(&file, false).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(ref m) if m.contains("--force")), "{err}");
    store.restore(&file, true).await.unwrap();
    assert_eq!(contents(store).await, expected);
    assert!(store.verify_audit(None).await.unwrap().iter().all(|r| r.result.is_ok()));
});

store_test!(a_broken_backup_changes_nothing, |store| {
    populate(store).await;
    let file = temp_path("broken");
    store.backup(&file).await.unwrap();
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("{\"not\": \"a row\"}\n");
    std::fs::write(&file, text).unwrap();
    let before = contents(store).await;
    assert!(store.restore(&file, true).await.is_err());
    assert_eq!(contents(store).await, before, "a failed restore rolls back the wipe");
});

async fn copy_between(from: Backend, to: Backend) {
    let (Some(source), Some(target)) = (TestDatabase::new(from, "export").await, TestDatabase::new(to, "import").await)
    else {
        return;
    };
    populate(&source.store).await;
    let dir = temp_path("export");
    source.store.export(&dir).await.unwrap();
    target.store.import(&dir, false).await.unwrap();
    assert_eq!(contents(&source.store).await, contents(&target.store).await);
    assert!(
        target.store.verify_audit(None).await.unwrap().iter().all(|r| r.result.is_ok()),
        "the audit chain survives the move"
    );
    assert!(matches!(target.store.import(&dir, false).await.unwrap_err(), StoreError::Conflict(_)));
    source.cleanup().await;
    target.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_from_sqlite_imports_into_postgres_identically() {
    copy_between(Backend::Sqlite, Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_from_postgres_imports_into_sqlite_identically() {
    copy_between(Backend::Postgres, Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_from_sqlite_imports_into_sqlite_identically() {
    copy_between(Backend::Sqlite, Backend::Sqlite).await;
}
