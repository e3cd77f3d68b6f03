//! The hosting provider's incidents, in several phases, with clocks running.

use rampart_domain::incident::{Determination, IncidentCategory, IncidentFields, IncidentState, Marking};
use rampart_domain::observable::{NewObservable, ObservableKind};
use rampart_store::{ChangeContext, Store, now_ms};

const HOUR: i64 = 3_600_000;

fn fields(title: &str, category: IncidentCategory, severity: u8, hours_ago: i64) -> IncidentFields {
    IncidentFields {
        title: title.into(),
        description: String::new(),
        category,
        severity,
        tlp: Marking::Amber,
        pap: Marking::Amber,
        determination: Determination::SuccessfulAttempt,
        confidentiality: false,
        integrity: false,
        availability: true,
        estimated_cost: None,
        people_affected: None,
        cross_border: false,
        reporter: "SOC".into(),
        owner: "incident manager".into(),
        team: "CSIRT".into(),
        occurred_at: Some(now_ms() - (hours_ago + 2) * HOUR),
        detected_at: Some(now_ms() - (hours_ago + 1) * HOUR),
        aware_at: now_ms() - hours_ago * HOUR,
    }
}

/// Adds the incidents; answers the ransomware incident's id (the provider
/// shares a summary of it).
pub async fn add(store: &Store, ctx: &ChangeContext, org_id: &str) -> anyhow::Result<String> {
    let observe =
        |kind, value: &str| NewObservable { kind, value: value.into(), ioc: true, sighted: true, tlp: Marking::Amber };

    let mut ransomware = fields("Ransomware on the backup network", IncidentCategory::MaliciousCode, 4, 5);
    ransomware.integrity = true;
    ransomware.people_affected = Some(1_800);
    let r = store.create_incident(ctx, org_id, ransomware, &["nis2".into(), "gdpr".into()]).await?;
    for to in [IncidentState::Triage, IncidentState::Containment] {
        store.transition_incident(ctx, org_id, &r.id, to, "").await?;
    }
    store
        .add_observable(
            ctx,
            org_id,
            &r.id,
            &observe(ObservableKind::Sha256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
        )
        .await?;
    store.add_observable(ctx, org_id, &r.id, &observe(ObservableKind::Ipv4, "203.0.113.66")).await?;
    store
        .add_incident_note(
            ctx,
            org_id,
            &r.id,
            "Backup network isolated; offline copies intact.",
            (Some("impact"), Some("T1486")),
            None,
        )
        .await?;

    let phishing = store
        .create_incident(
            ctx,
            org_id,
            fields("Phishing wave against hosting customers", IncidentCategory::Fraud, 2, 30),
            &[],
        )
        .await?;
    store.transition_incident(ctx, org_id, &phishing.id, IncidentState::Triage, "").await?;
    store.add_observable(ctx, org_id, &phishing.id, &observe(ObservableKind::Domain, "hosting-login.example")).await?;
    store.add_observable(ctx, org_id, &phishing.id, &observe(ObservableKind::Ipv4, "203.0.113.66")).await?;

    let ddos = store
        .create_incident(
            ctx,
            org_id,
            fields("DDoS against the DNS service", IncidentCategory::Availability, 3, 80),
            &["nis2".into()],
        )
        .await?;
    for to in [
        IncidentState::Triage,
        IncidentState::Containment,
        IncidentState::Eradication,
        IncidentState::Recovery,
        IncidentState::LessonsLearned,
        IncidentState::Closed,
    ] {
        store.transition_incident(ctx, org_id, &ddos.id, to, "").await?;
    }
    store.submit_obligation(ctx, org_id, &ddos.id, "nis2", "early-warning", "CSIRT-2026-0412").await?;
    store.submit_obligation(ctx, org_id, &ddos.id, "nis2", "notification", "CSIRT-2026-0412-N").await?;
    Ok(r.id)
}
