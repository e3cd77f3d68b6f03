//! Incidents: lifecycle, regulatory clocks, observables and correlation.

use rampart_domain::PageRequest;
use rampart_domain::incident::{Determination, IncidentCategory, IncidentFields, IncidentState, Marking};
use rampart_domain::observable::ObservableKind;
use rampart_domain::regulatory::{ObligationRule, ObligationState};
use rampart_store::{IncidentFilter, Store, StoreError, now_ms, store_test};

use crate::{ctx, org_with_admin};

const HOUR: i64 = 3_600_000;

pub fn fields(title: &str, aware_at: i64) -> IncidentFields {
    IncidentFields {
        title: title.into(),
        description: String::new(),
        category: IncidentCategory::MaliciousCode,
        severity: 3,
        tlp: Marking::Amber,
        pap: Marking::Green,
        determination: Determination::Suspected,
        confidentiality: true,
        integrity: false,
        availability: true,
        estimated_cost: None,
        people_affected: None,
        cross_border: false,
        reporter: "helpdesk".into(),
        owner: "SOC".into(),
        team: String::new(),
        occurred_at: None,
        detected_at: None,
        aware_at,
    }
}

pub fn observable(kind: ObservableKind, value: &str) -> rampart_domain::observable::NewObservable {
    rampart_domain::observable::NewObservable {
        kind,
        value: value.into(),
        ioc: true,
        sighted: false,
        tlp: Marking::Green,
    }
}

async fn obligation(store: &Store, org: &str, id: &str, key: &str) -> rampart_store::Obligation {
    store.incident_detail(org, id).await.unwrap().obligations.into_iter().find(|o| o.obligation == key).unwrap()
}

store_test!(an_incident_runs_its_lifecycle_with_clocks, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let aware = now_ms() - 20 * HOUR;
    let regimes = ["nis2".to_string(), "dora".to_string()];
    let i = store.create_incident(&ctx(), &org, fields("Ransomware on file servers", aware), &regimes).await.unwrap();
    assert_eq!(i.state, IncidentState::Reported);
    let early = obligation(store, &org, &i.id, "early-warning").await;
    assert_eq!((early.due_at, early.state), (Some(aware + 24 * HOUR), ObligationState::DueSoon), "20 of 24 hours gone");
    assert_eq!(obligation(store, &org, &i.id, "notification").await.state, ObligationState::Pending);
    assert_eq!(
        obligation(store, &org, &i.id, "initial").await.due_at,
        Some(aware + 24 * HOUR),
        "DORA: no later than 24 h after awareness"
    );

    let skip = store.transition_incident(&ctx(), &org, &i.id, IncidentState::Closed, "").await.unwrap_err();
    assert!(matches!(&skip, StoreError::Conflict(m) if m.contains("allowed: triage")), "{skip}");
    store.transition_incident(&ctx(), &org, &i.id, IncidentState::Triage, "").await.unwrap();
    let contained = store.transition_incident(&ctx(), &org, &i.id, IncidentState::Containment, "").await.unwrap();
    let classified = contained.classified_at.expect("the move into response classifies the incident");
    let initial = obligation(store, &org, &i.id, "initial").await;
    assert_eq!(initial.due_at, Some((classified + 4 * HOUR).min(aware + 24 * HOUR)));
    store.submit_obligation(&ctx(), &org, &i.id, "nis2", "early-warning", "CSIRT-2026-118").await.unwrap();
    let early = obligation(store, &org, &i.id, "early-warning").await;
    assert_eq!((early.state, early.reference.as_deref()), (ObligationState::Submitted, Some("CSIRT-2026-118")));
    assert!(
        matches!(
            store.submit_obligation(&ctx(), &org, &i.id, "gdpr", "authority", "x").await,
            Err(StoreError::Invalid(_))
        ),
        "GDPR does not apply"
    );
    let detail = store.incident_detail(&org, &i.id).await.unwrap();
    let kinds: Vec<&str> = detail.timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["created", "transition", "transition", "submission"]);
    assert!(
        matches!(store.create_incident(&ctx(), &org, fields("x", aware), &["sox".into()]).await, Err(StoreError::Invalid(i)) if i.field == "regimes[0]")
    );
});

store_test!(a_dismissal_needs_a_reason_and_a_reopening_too, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let i = store.create_incident(&ctx(), &org, fields("Port scan", now_ms()), &[]).await.unwrap();
    store.transition_incident(&ctx(), &org, &i.id, IncidentState::Triage, "").await.unwrap();
    assert!(matches!(
        store.transition_incident(&ctx(), &org, &i.id, IncidentState::Dismissed, "").await,
        Err(StoreError::Conflict(_))
    ));
    store
        .transition_incident(&ctx(), &org, &i.id, IncidentState::Dismissed, "Our own vulnerability scanner")
        .await
        .unwrap();
    let open = store
        .list_incidents(&org, &IncidentFilter { open: true, ..Default::default() }, &PageRequest::default())
        .await
        .unwrap();
    assert!(open.items.is_empty());
    store.transition_incident(&ctx(), &org, &i.id, IncidentState::Triage, "The scanner was not ours").await.unwrap();
    assert_eq!(
        store
            .list_incidents(&org, &IncidentFilter { open: true, ..Default::default() }, &PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
});

store_test!(observables_are_normalised_and_correlated_within_the_organisation, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let (other, _) = org_with_admin(store, "Beta").await;
    let a = store.create_incident(&ctx(), &org, fields("Phishing wave", now_ms()), &[]).await.unwrap();
    let b = store.create_incident(&ctx(), &org, fields("Account takeover", now_ms()), &[]).await.unwrap();
    let c = store.create_incident(&ctx(), &other, fields("Elsewhere", now_ms()), &[]).await.unwrap();
    let add = |incident: &str, org: &str, value: &str| {
        let (incident, org, value) = (incident.to_string(), org.to_string(), value.to_string());
        async move { store.add_observable(&ctx(), &org, &incident, &observable(ObservableKind::Domain, &value)).await }
    };
    let first = add(&a.id, &org, "Login-Evil.Example.").await.unwrap();
    assert_eq!(first.value, "login-evil.example");
    assert!(matches!(add(&a.id, &org, "login-evil.example").await, Err(StoreError::Conflict(_))), "the same one twice");
    add(&b.id, &org, "LOGIN-EVIL.EXAMPLE").await.unwrap();
    add(&c.id, &other, "login-evil.example").await.unwrap();
    let detail = store.incident_detail(&org, &a.id).await.unwrap();
    let seen: Vec<&str> = detail.observables[0].seen_in.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(seen, vec!["Account takeover"], "correlation stays inside the organisation");
    let bad = store.add_observable(&ctx(), &org, &a.id, &observable(ObservableKind::Ipv4, "999.1.1.1")).await;
    assert!(matches!(&bad, Err(StoreError::Invalid(i)) if i.reason == "999.1.1.1 is not an IPv4 address"), "{bad:?}");
    assert!(matches!(store.incident_detail(&other, &a.id).await, Err(StoreError::NotFound)));
    let rule = ObligationRule::parse("sector", "notice", "Sector regulator notice", "aware", 48 * 60, None).unwrap();
    store.add_regulatory_rule(&ctx(), &org, &rule).await.unwrap();
    assert!(matches!(store.add_regulatory_rule(&ctx(), &org, &rule).await, Err(StoreError::Conflict(_))));
    let with_rule = store.create_incident(&ctx(), &org, fields("Outage", now_ms()), &["sector".into()]).await.unwrap();
    assert_eq!(store.incident_detail(&org, &with_rule.id).await.unwrap().obligations.len(), 1);
    assert!(
        store.create_incident(&ctx(), &other, fields("x", now_ms()), &["sector".into()]).await.is_err(),
        "rules stay in their organisation"
    );
});

store_test!(the_deadlines_board_and_the_metrics_read_every_incident, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let aware = now_ms() - 2 * HOUR;
    let late =
        store.create_incident(&ctx(), &org, fields("Data leak", now_ms() - 80 * HOUR), &["gdpr".into()]).await.unwrap();
    let fresh = store.create_incident(&ctx(), &org, fields("Outage", aware), &["nis2".into()]).await.unwrap();
    store.submit_obligation(&ctx(), &org, &fresh.id, "nis2", "early-warning", "R-1").await.unwrap();
    let board = store.deadlines(&org).await.unwrap();
    let names: Vec<(&str, &str)> =
        board.iter().map(|d| (d.incident.title.as_str(), d.obligation.obligation.as_str())).collect();
    assert_eq!(
        names,
        vec![("Data leak", "authority"), ("Outage", "notification"), ("Outage", "final-report")],
        "soonest first, submitted ones left out"
    );
    assert_eq!(board[0].obligation.state, ObligationState::Overdue);
    let of_fresh = store.incident_deadlines(&org, std::slice::from_ref(&fresh.id)).await.unwrap();
    assert_eq!(
        of_fresh.iter().map(|d| d.obligation.obligation.as_str()).collect::<Vec<_>>(),
        vec!["notification", "final-report"],
        "only the chosen incidents"
    );
    assert!(store.incident_deadlines(&org, &[]).await.unwrap().is_empty());
    for to in [IncidentState::Triage, IncidentState::Containment, IncidentState::Eradication] {
        store.transition_incident(&ctx(), &org, &late.id, to, "").await.unwrap();
    }
    let times = store.incident_times(&org).await.unwrap();
    let leak = times.iter().find(|t| t.aware_at == late.fields.aware_at).unwrap();
    assert!(leak.triage_at.is_some() && leak.contained_at.is_some() && leak.recovered_at.is_none());
    let months = rampart_domain::incident_metrics::monthly(&times);
    assert_eq!(months.iter().map(|m| m.incidents).sum::<u32>(), 2);
    let (other, _) = org_with_admin(store, "Beta").await;
    assert!(
        store.deadlines(&other).await.unwrap().is_empty() && store.incident_times(&other).await.unwrap().is_empty()
    );
});

store_test!(case_templates_pre_create_tasks_with_due_times, |store| {
    use rampart_domain::incident::{CaseTemplate, TaskStatus, TemplateTask};
    let (org, admin) = org_with_admin(store, "Alpha").await;
    let tasks = vec![
        TemplateTask { title: "Isolate affected hosts".into(), due_hours: 1 },
        TemplateTask { title: "Check the offline backups".into(), due_hours: 4 },
    ];
    store
        .set_case_template(
            &ctx(),
            &org,
            CaseTemplate { category: IncidentCategory::MaliciousCode, name: "Ransomware".into(), tasks },
        )
        .await
        .unwrap();
    let aware = now_ms() - HOUR;
    let i = store.create_incident(&ctx(), &org, fields("Ransomware", aware), &[]).await.unwrap();
    let made = store.incident_tasks(&org, &i.id).await.unwrap();
    assert_eq!(
        made.iter().map(|t| (t.title.as_str(), t.due_at)).collect::<Vec<_>>(),
        vec![("Isolate affected hosts", Some(aware + HOUR)), ("Check the offline backups", Some(aware + 4 * HOUR))]
    );
    let other = store
        .create_incident(
            &ctx(),
            &org,
            IncidentFields { category: IncidentCategory::Fraud, ..fields("Fraud", aware) },
            &[],
        )
        .await
        .unwrap();
    assert!(store.incident_tasks(&org, &other.id).await.unwrap().is_empty(), "templates apply to their category");
    let extra = store.add_incident_task(&ctx(), &org, &i.id, "Brief the board", None, Some(&admin)).await.unwrap();
    let done = store.update_incident_task(&ctx(), &org, &extra, Some(TaskStatus::Done), None).await.unwrap();
    assert_eq!((done.status, done.assignee_email.as_deref()), (TaskStatus::Done, Some("admin@alpha.example")));
    let cleared = store.update_incident_task(&ctx(), &org, &extra, None, Some(None)).await.unwrap();
    assert_eq!((cleared.status, cleared.assignee_id), (TaskStatus::Done, None));
    let (beta, beta_admin) = org_with_admin(store, "Beta").await;
    assert!(
        matches!(
            store.add_incident_task(&ctx(), &org, &i.id, "x", None, Some(&beta_admin)).await,
            Err(StoreError::Invalid(_))
        ),
        "assignees are members"
    );
    assert!(matches!(
        store.update_incident_task(&ctx(), &beta, &extra, Some(TaskStatus::ToDo), None).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.case_templates(&org).await.unwrap().len(), 1);
    assert!(store.case_templates(&beta).await.unwrap().is_empty());
});

store_test!(incidents_link_assets_related_incidents_and_follow_ups, |store| {
    use rampart_store::IncidentLink;
    let (org, _) = org_with_admin(store, "Alpha").await;
    let (beta, _) = org_with_admin(store, "Beta").await;
    let asset = store.create_asset(&ctx(), &org, crate::assets::fields("Mail server", "system", true)).await.unwrap();
    let foreign =
        store.create_asset(&ctx(), &beta, crate::assets::fields("Their server", "system", false)).await.unwrap();
    let a = store.create_incident(&ctx(), &org, fields("Phishing wave", now_ms()), &[]).await.unwrap();
    let b = store.create_incident(&ctx(), &org, fields("Account takeover", now_ms()), &[]).await.unwrap();

    store.link_incident(&ctx(), &org, &a.id, IncidentLink::Asset, &asset.id).await.unwrap();
    assert!(matches!(
        store.link_incident(&ctx(), &org, &a.id, IncidentLink::Asset, &asset.id).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.link_incident(&ctx(), &org, &a.id, IncidentLink::Asset, &foreign.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.link_incident(&ctx(), &org, &a.id, IncidentLink::Related, &a.id).await,
        Err(StoreError::Invalid(i)) if i.field == "related_id"
    ));
    store.link_incident(&ctx(), &org, &b.id, IncidentLink::Related, &a.id).await.unwrap();
    assert!(
        matches!(
            store.link_incident(&ctx(), &org, &a.id, IncidentLink::Related, &b.id).await,
            Err(StoreError::Conflict(_))
        ),
        "a relation goes both ways"
    );
    let links = store.incident_links(&org, &a.id).await.unwrap();
    assert_eq!(links.assets, vec![(asset.id.clone(), "Mail server".to_string())]);
    assert_eq!(links.related, vec![(b.id.clone(), "Account takeover".to_string())]);
    assert_eq!(store.incident_links(&org, &b.id).await.unwrap().related, vec![(a.id.clone(), "Phishing wave".into())]);

    let control = store
        .create_control(
            &ctx(),
            &org,
            rampart_domain::control::ControlFields::parse("Mail filtering", "", "active", "", "", "", None).unwrap(),
        )
        .await
        .unwrap();
    let bad = store.add_follow_up(&ctx(), &org, &a.id, "control", &control.id, "  ").await;
    assert!(matches!(bad, Err(StoreError::Invalid(i)) if i.field == "action"));
    let bad = store.add_follow_up(&ctx(), &org, &a.id, "asset", &control.id, "x").await;
    assert!(matches!(bad, Err(StoreError::Invalid(i)) if i.field == "kind"));
    assert!(matches!(
        store.add_follow_up(&ctx(), &beta, &a.id, "control", &control.id, "x").await,
        Err(StoreError::NotFound)
    ));
    let f =
        store.add_follow_up(&ctx(), &org, &a.id, "control", &control.id, "Quarantine macro attachments").await.unwrap();
    assert_eq!((f.target_name.as_deref(), f.done), (Some("Mail filtering"), false));
    store.complete_follow_up(&ctx(), &org, &f.id).await.unwrap();
    let for_control = store.follow_ups_for(&org, "control", &control.id).await.unwrap();
    assert_eq!(
        for_control.iter().map(|f| (f.incident_title.as_str(), f.done)).collect::<Vec<_>>(),
        vec![("Phishing wave", true)]
    );
    assert!(store.follow_ups_for(&beta, "control", &control.id).await.unwrap().is_empty());
    assert!(matches!(store.complete_follow_up(&ctx(), &beta, &f.id).await, Err(StoreError::NotFound)));

    store.unlink_incident(&ctx(), &org, &a.id, IncidentLink::Related, &b.id).await.unwrap();
    store.delete_asset(&ctx(), &org, &asset.id).await.unwrap();
    let links = store.incident_links(&org, &a.id).await.unwrap();
    assert!(links.assets.is_empty() && links.related.is_empty(), "{links:?}");
    assert_eq!(links.follow_ups.len(), 1);
});

pub fn acquisition(name: &str) -> rampart_domain::custody::Acquisition {
    rampart_domain::custody::Acquisition {
        name: name.into(),
        description: "Memory image of FS01".into(),
        acquired_at: now_ms() - HOUR,
        acquired_by: String::new(),
    }
}

store_test!(evidence_keeps_its_chain_of_custody, |store| {
    use rampart_domain::custody::CustodyAction::*;
    let (org, _) = org_with_admin(store, "Alpha").await;
    let i = store.create_incident(&ctx(), &org, fields("Ransomware", now_ms()), &[]).await.unwrap();
    let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let e = store.add_incident_evidence(&ctx(), &org, &i.id, acquisition("fs01.raw"), (sha, 4, "")).await.unwrap();
    assert_eq!((e.sha256.as_str(), e.size, e.content_type.as_str()), (sha, 4, "application/octet-stream"));
    assert_eq!(e.acquired_by, ctx().actor, "the uploader acquired it when nobody else is named");
    assert_eq!(e.custody.iter().map(|c| c.action).collect::<Vec<_>>(), [Acquired]);

    store.record_custody(&ctx(), &org, &e.id, Downloaded, (None, "")).await.unwrap();
    let refused = store.record_custody(&ctx(), &org, &e.id, HandedOver, (None, "")).await.unwrap_err();
    assert!(matches!(refused, StoreError::Invalid(ref i) if i.field == "to"), "{refused}");
    store.record_custody(&ctx(), &org, &e.id, HandedOver, (Some("Forensics lab"), "bag 7")).await.unwrap();
    let e = store.record_custody(&ctx(), &org, &e.id, Verified, (None, "")).await.unwrap();
    assert_eq!(e.custody.iter().map(|c| c.action).collect::<Vec<_>>(), [Acquired, Downloaded, HandedOver, Verified]);
    assert_eq!(e.holder(), "Forensics lab", "a check keeps the holder of the last hand-over");

    let detail = store.incident_detail(&org, &i.id).await.unwrap();
    assert_eq!(detail.evidence, vec![e.clone()]);
    let timeline: Vec<&str> =
        detail.timeline.iter().filter(|t| t.kind == "evidence").map(|t| t.text.as_str()).collect();
    assert_eq!(
        timeline,
        [format!("fs01.raw (SHA-256 {sha}, 4 bytes)").as_str(), "fs01.raw handed over to Forensics lab"]
    );

    let (other, _) = org_with_admin(store, "Beta").await;
    assert!(matches!(store.incident_evidence(&other, &e.id).await, Err(StoreError::NotFound)));
    assert!(matches!(
        store.record_custody(&ctx(), &other, &e.id, Downloaded, (None, "")).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.add_incident_evidence(&ctx(), &other, &i.id, acquisition("x.raw"), (sha, 4, "")).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(store.check_incident(&other, &i.id).await, Err(StoreError::NotFound)));
    let bad = store.add_incident_evidence(&ctx(), &org, &i.id, acquisition("x.raw"), ("abc", 4, "")).await;
    assert!(matches!(bad, Err(StoreError::Invalid(ref i)) if i.field == "sha256"));
});

store_test!(a_suggested_regime_is_applied_once, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let i = store.create_incident(&ctx(), &org, fields("Breach", now_ms()), &["nis2".into()]).await.unwrap();
    store.apply_regime(&ctx(), &org, &i.id, "gdpr").await.unwrap();
    store.apply_regime(&ctx(), &org, &i.id, "gdpr").await.unwrap();
    let d = store.incident_detail(&org, &i.id).await.unwrap();
    assert_eq!(d.regimes, ["gdpr", "nis2"]);
    assert_eq!(d.timeline.iter().filter(|e| e.text == "gdpr applies: its clocks run").count(), 1);
    let unknown = store.apply_regime(&ctx(), &org, &i.id, "hipaa").await.unwrap_err();
    assert!(matches!(unknown, StoreError::Invalid(ref e) if e.field == "regime"), "{unknown}");
    let (other, _) = org_with_admin(store, "Beta").await;
    assert!(matches!(store.apply_regime(&ctx(), &other, &i.id, "gdpr").await, Err(StoreError::NotFound)));
});

store_test!(merging_keeps_both_timelines_and_the_earliest_clock, |store| {
    use rampart_store::IncidentLink;
    let (org, _) = org_with_admin(store, "Alpha").await;
    let now = now_ms();
    let into =
        store.create_incident(&ctx(), &org, fields("Ransomware on FS01", now - HOUR), &["nis2".into()]).await.unwrap();
    let from = store
        .create_incident(&ctx(), &org, fields("Odd logins on VPN", now - 10 * HOUR), &["nis2".into(), "gdpr".into()])
        .await
        .unwrap();
    let third = store.create_incident(&ctx(), &org, fields("Phishing wave", now), &[]).await.unwrap();
    store
        .add_incident_note(&ctx(), &org, &from.id, "VPN account of j.doe used from abroad", (None, None), None)
        .await
        .unwrap();
    let shared = observable(ObservableKind::Ipv4, "203.0.113.9");
    store.add_observable(&ctx(), &org, &into.id, &shared).await.unwrap();
    store
        .add_observable(&ctx(), &org, &from.id, &rampart_domain::observable::NewObservable { sighted: true, ..shared })
        .await
        .unwrap();
    store.add_observable(&ctx(), &org, &from.id, &observable(ObservableKind::Domain, "evil.example")).await.unwrap();
    store.submit_obligation(&ctx(), &org, &from.id, "nis2", "early-warning", "CSIRT-9").await.unwrap();
    store.link_incident(&ctx(), &org, &from.id, IncidentLink::Related, &third.id).await.unwrap();
    store.link_incident(&ctx(), &org, &from.id, IncidentLink::Related, &into.id).await.unwrap();

    store.merge_incidents(&ctx(), &org, &into.id, &from.id).await.unwrap();
    let d = store.incident_detail(&org, &into.id).await.unwrap();
    assert_eq!(d.incident.fields.aware_at, now - 10 * HOUR, "the earliest awareness, so no clock starts late");
    assert_eq!(d.regimes, ["gdpr", "nis2"]);
    let early = d.obligations.iter().find(|o| o.obligation == "early-warning").unwrap();
    assert_eq!(early.reference.as_deref(), Some("CSIRT-9"), "the other's submission is kept");
    assert_eq!(d.observables.len(), 2, "the shared observable once");
    let ip = d.observables.iter().find(|o| o.value == "203.0.113.9").unwrap();
    assert!(ip.ioc && ip.sighted, "with the flags of either");
    let note = d.timeline.iter().find(|e| e.text == "VPN account of j.doe used from abroad").unwrap();
    assert_eq!(note.origin.as_deref(), Some("Odd logins on VPN"), "an entry keeps where it came from");
    assert!(d.timeline.iter().any(|e| e.kind == "merged" && e.text.contains("awareness moved")));
    let links = store.incident_links(&org, &into.id).await.unwrap();
    assert_eq!(links.related.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(), ["Phishing wave"]);

    let merged = store.incident_detail(&org, &from.id).await.unwrap();
    assert_eq!(merged.incident.merged_into.as_deref(), Some(into.id.as_str()));
    let listed = store.list_incidents(&org, &IncidentFilter::default(), &PageRequest::default()).await.unwrap();
    assert!(listed.items.iter().all(|i| i.id != from.id), "a merged incident leaves the list");
    let again = store.merge_incidents(&ctx(), &org, &into.id, &from.id).await.unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again}");
    let itself = store.merge_incidents(&ctx(), &org, &into.id, &into.id).await.unwrap_err();
    assert!(matches!(itself, StoreError::Invalid(_)));
    let (other, _) = org_with_admin(store, "Beta").await;
    assert!(matches!(store.merge_incidents(&ctx(), &other, &into.id, &third.id).await, Err(StoreError::NotFound)));
});

store_test!(the_list_pages_through_filtered_incidents_newest_first, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    let mut ids = Vec::new();
    for n in 0..7 {
        let f =
            IncidentFields { severity: if n % 2 == 0 { 4 } else { 2 }, ..fields(&format!("Incident {n}"), now_ms()) };
        ids.push(store.create_incident(&ctx(), &org, f, &[]).await.unwrap().id);
    }
    store.transition_incident(&ctx(), &org, &ids[6], IncidentState::Triage, "").await.unwrap();
    let critical = IncidentFilter { severity: Some(4), ..Default::default() };
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let got = store.list_incidents(&org, &critical, &page).await.unwrap();
        seen.extend(got.items.iter().map(|i| i.fields.title.clone()));
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["Incident 6", "Incident 4", "Incident 2", "Incident 0"], "every match once, newest first");
    let triage = IncidentFilter { state: Some(IncidentState::Triage), severity: Some(4), ..Default::default() };
    let got = store.list_incidents(&org, &triage, &PageRequest::first(10)).await.unwrap();
    assert_eq!(got.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), [ids[6].as_str()]);
    let none = IncidentFilter { category: Some(IncidentCategory::Fraud), ..Default::default() };
    assert!(store.list_incidents(&org, &none, &PageRequest::first(10)).await.unwrap().items.is_empty());
});
