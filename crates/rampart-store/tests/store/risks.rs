//! Risk scenarios on the matrix, their links, reviews, acceptances and
//! quantification runs.

use rampart_domain::control::ControlFields;
use rampart_domain::risk::{AcceptanceRequest, AcceptanceState, Decision, Ratings, RiskFields, Treatment};
use rampart_domain::risk_matrix::{MatrixText, Rating, RiskMatrix};
use rampart_domain::{PageRequest, Role};
use rampart_store::{
    AcceptanceQueue, NewQuantRun, RiskFilter, RiskLink, RiskSettings, Store, StoreError, now_ms, store_test,
};

use crate::{HASH, ctx, org_with_admin};

const DAY: i64 = 86_400_000;

fn at(likelihood: u8, impact: u8) -> Option<Rating> {
    Some(Rating { likelihood, impact })
}

pub fn scenario(name: &str, current: Option<Rating>, residual: Option<Rating>, treatment: &str) -> RiskFields {
    let ratings = Ratings { inherent: at(5, 5), current, residual, target: at(1, 1) };
    RiskFields::parse(name, "", "CISO", None, ratings, treatment, Some(180), &RiskMatrix::default()).unwrap()
}

fn three_by_three() -> RiskMatrix {
    MatrixText {
        likelihood: "Low\nMedium\nHigh".into(),
        impact: "Low\nMedium\nHigh".into(),
        levels: "#2e7d32 Acceptable\n#c62828 Not acceptable".into(),
        grid: "0 1 1\n0 0 1\n0 0 0".into(),
    }
    .parse()
    .unwrap()
}

store_test!(scenarios_are_levelled_on_the_organisations_matrix, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let s = store.create_risk(&ctx(), &org, scenario("Ransomware", at(4, 4), at(2, 3), "mitigate")).await.unwrap();
    // Default 5×5: 5×5 → Very high (3), 4×4 → High (2), 2×3 → Medium (1), 1×1 → Low (0).
    assert_eq!(
        (s.levels.inherent, s.levels.current, s.levels.residual, s.levels.target),
        (Some(3), Some(2), Some(1), Some(0))
    );
    assert_eq!(s.next_review_at(), Some(s.last_reviewed_at + 180 * DAY));

    let high = RiskFilter { current_level: Some(2), ..Default::default() };
    store.create_risk(&ctx(), &org, scenario("Phishing", at(2, 2), None, "undecided")).await.unwrap();
    let listed = store.list_risks(&org, &high, &PageRequest::default()).await.unwrap();
    assert_eq!(listed.items.iter().map(|r| r.fields.name.as_str()).collect::<Vec<_>>(), ["Ransomware"]);
    let undecided = RiskFilter { treatment: Some(Treatment::Undecided), ..Default::default() };
    assert_eq!(store.list_risks(&org, &undecided, &PageRequest::default()).await.unwrap().items.len(), 1);

    let heat = store.risk_heat_map(&org).await.unwrap();
    assert_eq!(heat.current.iter().map(|c| c.count).sum::<i64>(), 2);
    assert_eq!(heat.residual.len(), 1, "only one scenario has a residual rating");

    // A 3×3 cannot hold 4×4 ratings: refused, nothing changed.
    let small = RiskSettings { matrix: three_by_three(), tolerance: vec![] };
    let err = store.set_risk_settings(&ctx(), &org, &small).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(ref m) if m.contains("re-rate")), "{err}");
    assert_eq!(store.risk_settings(&org).await.unwrap().matrix, RiskMatrix::default());

    // Re-levelling: a 5×5 whose grid makes everything from 2+2 up "Very high".
    let mut strict = RiskMatrix::default();
    for (l, row) in strict.grid.iter_mut().enumerate() {
        for (i, cell) in row.iter_mut().enumerate() {
            *cell = if l + i >= 2 { 3 } else { 0 };
        }
    }
    let settings = RiskSettings { matrix: strict, tolerance: vec![[1_000_000.0, 0.05]] };
    store.set_risk_settings(&ctx(), &org, &settings).await.unwrap();
    assert_eq!(store.risk_settings(&org).await.unwrap(), settings);
    let relevelled = store.risk(&org, &s.id).await.unwrap();
    assert_eq!((relevelled.levels.residual, relevelled.levels.target), (Some(3), Some(0)));
});

store_test!(ratings_and_threats_are_checked_inside_the_change, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let (other, _) = org_with_admin(store, "Beta").await;
    store.set_risk_settings(&ctx(), &org, &RiskSettings { matrix: three_by_three(), tolerance: vec![] }).await.unwrap();
    // Rated against the default 5×5 by the caller, refused by the org's 3×3.
    let err = store.create_risk(&ctx(), &org, scenario("Too big", at(4, 1), None, "mitigate")).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref i) if i.field == "inherent.likelihood"), "{err}");
    let foreign = store
        .create_threat(&ctx(), &other, rampart_domain::threat::ThreatFields::custom("Insider", "fraud", "").unwrap())
        .await
        .unwrap();
    let mut fields = scenario("Insider", at(1, 1), None, "mitigate");
    fields.ratings = Ratings { current: at(1, 1), ..Ratings::default() };
    fields.threat_id = Some(foreign.id.clone());
    let err = store.create_risk(&ctx(), &org, fields).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref i) if i.field == "threat_id"), "{err}");
    assert!(store.list_risks(&org, &RiskFilter::default(), &PageRequest::default()).await.unwrap().items.is_empty());
});

store_test!(scenarios_link_assets_vulnerabilities_and_controls_of_their_organisation, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let (other, _) = org_with_admin(store, "Beta").await;
    let s = store.create_risk(&ctx(), &org, scenario("Ransomware", at(4, 4), None, "mitigate")).await.unwrap();
    let asset = store.create_asset(&ctx(), &org, crate::assets::fields("File server", "system", true)).await.unwrap();
    let foreign = store.create_asset(&ctx(), &other, crate::assets::fields("Theirs", "system", false)).await.unwrap();
    let vuln =
        store.create_vulnerability(&ctx(), &org, crate::vulnerabilities::vuln("SMBv1", "", "open")).await.unwrap();
    let control = store
        .create_control(
            &ctx(),
            &org,
            ControlFields::parse("Offline backups", "", "active", "IT", "", "m", Some(20_000)).unwrap(),
        )
        .await
        .unwrap();
    store.link_risk(&ctx(), &org, &s.id, RiskLink::Asset, &asset.id).await.unwrap();
    store.link_risk(&ctx(), &org, &s.id, RiskLink::Vulnerability, &vuln.id).await.unwrap();
    store.link_risk(&ctx(), &org, &s.id, RiskLink::Control, &control.id).await.unwrap();
    let again = store.link_risk(&ctx(), &org, &s.id, RiskLink::Asset, &asset.id).await.unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again}");
    let err = store.link_risk(&ctx(), &org, &s.id, RiskLink::Asset, &foreign.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "another organisation's asset is not found");
    assert_eq!(store.risk_assets(&org, &s.id).await.unwrap()[0].name, "File server");
    assert_eq!(store.risk_vulnerabilities(&org, &s.id).await.unwrap()[0].title, "SMBv1");
    assert_eq!(store.risk_controls(&org, &s.id).await.unwrap()[0].name, "Offline backups");
    assert_eq!(store.control_scenarios(&org, &control.id).await.unwrap(), vec![(s.id.clone(), "Ransomware".into())]);

    // Deleting a linked object removes the link, not the scenario.
    store.delete_asset(&ctx(), &org, &asset.id).await.unwrap();
    store.delete_vulnerability(&ctx(), &org, &vuln.id).await.unwrap();
    store.unlink_risk(&ctx(), &org, &s.id, RiskLink::Control, &control.id).await.unwrap();
    store.delete_control(&ctx(), &org, &control.id).await.unwrap();
    assert!(store.risk_assets(&org, &s.id).await.unwrap().is_empty());
    assert!(store.risk_vulnerabilities(&org, &s.id).await.unwrap().is_empty());
    assert!(store.risk_controls(&org, &s.id).await.unwrap().is_empty());
    store.delete_risk(&ctx(), &org, &s.id).await.unwrap();
    assert!(matches!(store.risk(&org, &s.id).await.unwrap_err(), StoreError::NotFound));
});

store_test!(overdue_reviews_are_flagged_until_reviewed, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let s = store.create_risk(&ctx(), &org, scenario("Ransomware", at(3, 3), None, "mitigate")).await.unwrap();
    let overdue = RiskFilter { overdue: true, ..Default::default() };
    assert!(store.list_risks(&org, &overdue, &PageRequest::default()).await.unwrap().items.is_empty());
    let long_ago = now_ms() - 200 * DAY;
    store.execute_raw_for_tests(&format!("UPDATE risk_scenarios SET last_reviewed_at = {long_ago}")).await.unwrap();
    let flagged = store.list_risks(&org, &overdue, &PageRequest::default()).await.unwrap();
    assert_eq!(flagged.items.len(), 1);
    assert!(flagged.items[0].review_overdue(now_ms()));
    let reviewed = store.review_risk(&ctx(), &org, &s.id).await.unwrap();
    assert!(!reviewed.review_overdue(now_ms()));
    assert!(store.list_risks(&org, &overdue, &PageRequest::default()).await.unwrap().items.is_empty());
});

async fn second_admin(store: &Store, org: &str) -> String {
    store.add_member(&ctx(), org, "cfo@alpha.example", Role::Admin, Some(HASH)).await.unwrap().user_id
}

store_test!(acceptances_follow_their_workflow, |store| {
    let (org, analyst) = org_with_admin(store, "Alpha").await;
    let approver = second_admin(store, &org).await;
    let viewer = store.add_member(&ctx(), &org, "v@alpha.example", Role::Viewer, Some(HASH)).await.unwrap().user_id;
    let s = store.create_risk(&ctx(), &org, scenario("Legacy VPN", at(2, 3), at(2, 3), "accept")).await.unwrap();
    let request = |approver: &str| {
        AcceptanceRequest::parse("Replaced next year", approver, now_ms() + 90 * DAY, 30, now_ms()).unwrap()
    };

    let err = store.submit_acceptance(&ctx(), &org, &s.id, &analyst, request(&viewer)).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref i) if i.field == "approver_id"), "only an admin approves: {err}");
    let err = store.submit_acceptance(&ctx(), &org, &s.id, &approver, request(&approver)).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref i) if i.reason.contains("own")), "{err}");

    let a = store.submit_acceptance(&ctx(), &org, &s.id, &analyst, request(&approver)).await.unwrap();
    assert_eq!((a.state, a.approver_email.as_str()), (AcceptanceState::Submitted, "cfo@alpha.example"));
    let twice = store.submit_acceptance(&ctx(), &org, &s.id, &analyst, request(&approver)).await.unwrap_err();
    assert!(matches!(twice, StoreError::Conflict(_)), "one open acceptance per scenario");
    let queue = store.acceptance_queue(&org, AcceptanceQueue::AwaitingDecision).await.unwrap();
    assert_eq!(queue.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(), [a.id.as_str()]);

    let err = store.decide_acceptance(&ctx(), &org, &a.id, &analyst, true, Decision::Accept, "").await.unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(ref m) if m.contains("cfo@alpha.example")), "{err}");
    let err = store.decide_acceptance(&ctx(), &org, &a.id, &approver, true, Decision::Revoke, "").await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(ref m) if m.contains("accept or reject")), "{err}");
    let accepted =
        store.decide_acceptance(&ctx(), &org, &a.id, &approver, true, Decision::Accept, "Agreed").await.unwrap();
    assert_eq!((accepted.state, accepted.decision_note.as_deref()), (AcceptanceState::Accepted, Some("Agreed")));
    assert_eq!(accepted.term(now_ms()), Some(rampart_domain::risk::AcceptanceTerm::InForce));
    assert!(store.acceptance_queue(&org, AcceptanceQueue::ExpiringOrExpired).await.unwrap().is_empty());

    // Sixty-five days on, the 30-day reminder period has begun.
    store
        .execute_raw_for_tests(&format!("UPDATE risk_acceptances SET expires_at = {}", now_ms() + 20 * DAY))
        .await
        .unwrap();
    let expiring = store.acceptance_queue(&org, AcceptanceQueue::ExpiringOrExpired).await.unwrap();
    assert_eq!(expiring[0].term(now_ms()), Some(rampart_domain::risk::AcceptanceTerm::ExpiringSoon));

    let err = store.decide_acceptance(&ctx(), &org, &a.id, &analyst, false, Decision::Revoke, "").await.unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "revoking takes an admin");
    let revoked =
        store.decide_acceptance(&ctx(), &org, &a.id, &analyst, true, Decision::Revoke, "Scope grew").await.unwrap();
    assert_eq!(revoked.state, AcceptanceState::Revoked);
    let resubmitted = store.submit_acceptance(&ctx(), &org, &s.id, &analyst, request(&approver)).await.unwrap();
    store.decide_acceptance(&ctx(), &org, &resubmitted.id, &approver, true, Decision::Reject, "No").await.unwrap();
    let history = store.risk_acceptances(&org, &s.id).await.unwrap();
    assert_eq!(
        history.iter().map(|h| h.state).collect::<Vec<_>>(),
        [AcceptanceState::Rejected, AcceptanceState::Revoked]
    );
});

store_test!(quantification_runs_are_kept_with_what_reproduces_them, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let (other, _) = org_with_admin(store, "Beta").await;
    let s = store.create_risk(&ctx(), &org, scenario("Ransomware", at(4, 4), None, "mitigate")).await.unwrap();
    let model = serde_json::json!({"tef": {"pert": [1, 5, 20]}, "vulnerability": {"pert": [0.1, 0.3, 0.6]}, "loss_magnitude": {"pert": [1e4, 1e5, 1e6]}});
    store.set_fair_model(&ctx(), &org, &s.id, Some(&model)).await.unwrap();
    assert_eq!(store.risk(&org, &s.id).await.unwrap().fair_model, Some(model.clone()));
    let models = store.fair_models(&org).await.unwrap();
    assert_eq!((models.len(), models[0].name.as_str()), (1, "Ransomware"));
    assert!(store.fair_models(&other).await.unwrap().is_empty());

    assert!(store.latest_quant_run(&org, Some(&s.id)).await.unwrap().is_none());
    let run = |scenario_id: Option<String>, seed: u64| NewQuantRun {
        scenario_id,
        iterations: 100_000,
        seed,
        mode: "aggregate".into(),
        engine_version: "0.1.0".into(),
        model: model.clone(),
        result: serde_json::json!({"mean": 508_000.0}),
    };
    store.record_quant_run(&ctx(), &org, run(Some(s.id.clone()), 1)).await.unwrap();
    let latest = store.record_quant_run(&ctx(), &org, run(Some(s.id.clone()), u64::MAX)).await.unwrap();
    store.record_quant_run(&ctx(), &org, run(None, 3)).await.unwrap();
    let stored = store.latest_quant_run(&org, Some(&s.id)).await.unwrap().unwrap();
    assert_eq!(stored, latest);
    assert_eq!(stored.seed, u64::MAX.to_string(), "64-bit seeds survive both databases");
    assert_eq!(store.latest_quant_run(&org, None).await.unwrap().unwrap().seed, "3");
    assert_eq!(store.quant_run_history(&org, Some(&s.id), 10).await.unwrap().len(), 2);
    assert!(store.latest_quant_run(&other, None).await.unwrap().is_none());
    let err = store.record_quant_run(&ctx(), &other, run(Some(s.id.clone()), 1)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "a run is recorded only for the organisation's own scenario");
    assert!(matches!(store.quant_run(&other, &latest.id).await.unwrap_err(), StoreError::NotFound));

    store.set_fair_model(&ctx(), &org, &s.id, None).await.unwrap();
    assert!(store.fair_models(&org).await.unwrap().is_empty());
    store.delete_risk(&ctx(), &org, &s.id).await.unwrap();
    assert!(store.latest_quant_run(&org, Some(&s.id)).await.unwrap().is_none());
});
