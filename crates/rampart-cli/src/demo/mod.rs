//! Demo data: a small community so a newcomer sees a living system.

mod assessment;
mod incidents;

use std::process::ExitCode;

use rampart_domain::asset::AssetFields;
use rampart_domain::control::ControlFields;
use rampart_domain::credentials::{hash_password, random_hex};
use rampart_domain::risk::{AcceptanceRequest, Decision, Ratings, RiskFields};
use rampart_domain::risk_matrix::Rating;
use rampart_domain::threat::ThreatFields;
use rampart_domain::vulnerability::VulnerabilityFields;
use rampart_domain::{OrgKind, Role};
use rampart_store::{ChangeContext, RiskLink, RiskSettings, Store, StoreError};

/// Organisations of the demo community, as ISO/IEC 27032's interested parties.
const ORGS: &[(&str, OrgKind)] = &[
    ("Demo National CSIRT", OrgKind::Coordinator),
    ("Demo Hosting Provider", OrgKind::Provider),
    ("Demo Retail Co", OrgKind::Consumer),
];

/// People of the demo, one per role, in the first organisation.
const PEOPLE: &[(&str, Role)] = &[
    ("alice.admin@demo.example", Role::Admin),
    ("arjun.analyst@demo.example", Role::Analyst),
    ("ada.auditor@demo.example", Role::Auditor),
    ("victor.viewer@demo.example", Role::Viewer),
];

/// What [`add_assets`] made, for the risk scenarios to link.
struct Estate {
    assets: Vec<String>,
    vulnerabilities: Vec<String>,
}

/// The hosting provider's Internet-facing estate and what depends on what.
async fn add_assets(store: &Store, ctx: &ChangeContext, org_id: &str) -> anyhow::Result<Estate> {
    let assets = [
        ("Customer portal", "application", "web team", "high", "high", "very-high", false),
        ("Customer database", "information", "data protection officer", "very-high", "very-high", "high", false),
        ("Hosting platform", "infrastructure", "platform team", "high", "very-high", "very-high", true),
        ("DNS service", "service", "network team", "low", "very-high", "very-high", true),
        ("Payment processor", "supplier", "finance", "very-high", "high", "high", false),
    ];
    let mut ids = Vec::new();
    for (name, kind, owner, c, i, a, critical) in assets {
        let fields = AssetFields::parse(name, kind, "", owner, c, i, a, critical)?;
        ids.push(store.create_asset(ctx, org_id, fields).await?.id);
    }
    for (from, to) in [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (2, 3)] {
        store.add_asset_dependency(ctx, org_id, &ids[from], &ids[to]).await?;
    }
    let findings = [
        (
            "Unauthenticated remote code execution in the portal framework",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "in-remediation",
            0,
        ),
        (
            "DNS resolver open to amplification",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:L/SC:N/SI:N/SA:H",
            "open",
            3,
        ),
    ];
    let mut vulnerabilities = Vec::new();
    for (title, vector, status, asset) in findings {
        let v =
            store.create_vulnerability(ctx, org_id, VulnerabilityFields::parse(title, "", "", vector, status)?).await?;
        store.link_vulnerability_asset(ctx, org_id, &v.id, &ids[asset]).await?;
        vulnerabilities.push(v.id);
    }
    Ok(Estate { assets: ids, vulnerabilities })
}

fn rating(likelihood: u8, impact: u8) -> Option<Rating> {
    Some(Rating { likelihood, impact })
}

/// One demo scenario: name, owner, (inherent, current, residual, target),
/// treatment, asset and vulnerability indexes, control indexes, FAIR estimates.
type DemoScenario = (
    &'static str,
    &'static str,
    [(u8, u8); 4],
    &'static str,
    &'static [usize],
    &'static [usize],
    &'static [usize],
    Option<serde_json::Value>,
);

/// The provider's risk register: controls, scenarios on the default 5×5, a
/// risk tolerance, an accepted risk and a quantified portfolio.
async fn add_risks(
    store: &Store,
    ctx: &ChangeContext,
    org_id: &str,
    estate: &Estate,
    analyst: &str,
    approver: &str,
) -> anyhow::Result<()> {
    let tolerance = vec![[1_000_000.0, 0.10], [5_000_000.0, 0.01]];
    store.set_risk_settings(ctx, org_id, &RiskSettings { tolerance, ..RiskSettings::default() }).await?;
    let threat =
        store.create_threat(ctx, org_id, ThreatFields::custom("Ransomware operator", "malicious code", "")?).await?;
    let controls = [
        ("Immutable offline backups", "active", "platform team", "", "m", Some(24_000)),
        ("Endpoint detection and response", "in-progress", "security team", "2027-03-31", "l", Some(60_000)),
        ("DNS response rate limiting", "to-do", "network team", "2027-01-15", "s", Some(2_000)),
        ("Cyber insurance", "active", "finance", "", "xs", Some(45_000)),
    ];
    let mut control_ids = Vec::new();
    for (name, status, owner, eta, effort, cost) in controls {
        let fields = ControlFields::parse(name, "", status, owner, eta, effort, cost)?;
        control_ids.push(store.create_control(ctx, org_id, fields).await?.id);
    }
    let scenarios: Vec<DemoScenario> = vec![
        (
            "Ransomware encrypts the hosting platform",
            "CISO",
            [(5, 5), (4, 4), (2, 4), (2, 3)],
            "mitigate",
            &[2, 1],
            &[0],
            &[0, 1],
            Some(serde_json::json!({
                "tef": {"pert": [0.5, 2, 6]},
                "vulnerability": {"pert": [0.1, 0.25, 0.5]},
                "primary_loss": {
                    "productivity": {"pert": [50_000, 250_000, 2_000_000]},
                    "response": {"pert": [20_000, 80_000, 400_000]}
                },
                "secondary_loss": {"frequency": {"pert": [0.2, 0.4, 0.7]}, "magnitude": {"lognormal": [50_000, 1_500_000]}},
                "controls": [
                    {"name": "Immutable offline backups", "cost": 24_000, "reduces": "loss_magnitude", "by": {"pert": [0.3, 0.5, 0.7]}},
                    {"name": "Endpoint detection and response", "cost": 60_000, "reduces": "vulnerability", "by": {"pert": [0.2, 0.4, 0.6]}}
                ]
            })),
        ),
        (
            "DNS amplification takes the DNS service down",
            "network team",
            [(4, 4), (4, 3), (2, 3), (2, 2)],
            "mitigate",
            &[3],
            &[1],
            &[2],
            Some(serde_json::json!({
                "contact_frequency": {"pert": [10, 30, 80]},
                "probability_of_action": {"pert": [0.05, 0.1, 0.2]},
                "vulnerability": {"pert": [0.2, 0.4, 0.7]},
                "loss_magnitude": {"lognormal": [5_000, 150_000]}
            })),
        ),
        (
            "Payment processor breach exposes card data",
            "finance",
            [(3, 5), (3, 5), (3, 3), (3, 3)],
            "transfer",
            &[4],
            &[],
            &[3],
            Some(serde_json::json!({
                "tef": {"pert": [0.05, 0.2, 0.5]},
                "vulnerability": {"pert": [0.3, 0.5, 0.8]},
                "primary_loss": {
                    "response": {"pert": [50_000, 150_000, 600_000]},
                    "fines_and_judgements": {"pert": [0, 200_000, 3_000_000]},
                    "reputation": {"triangular": [10_000, 300_000, 2_000_000]}
                }
            })),
        ),
        (
            "Legacy admin VPN without multi-factor authentication",
            "platform team",
            [(3, 4), (3, 3), (3, 3), (1, 3)],
            "accept",
            &[2],
            &[],
            &[],
            None,
        ),
        (
            "Phishing takes over customer accounts",
            "web team",
            [(4, 3), (4, 3), (0, 0), (2, 2)],
            "undecided",
            &[0],
            &[],
            &[],
            None,
        ),
    ];
    let matrix = rampart_domain::risk_matrix::RiskMatrix::default();
    let mut accepted = None;
    for (name, owner, r, treatment, assets, vulns, controls, fair) in scenarios {
        let on = |(l, i): (u8, u8)| if l == 0 { None } else { rating(l, i) };
        let ratings = Ratings { inherent: on(r[0]), current: on(r[1]), residual: on(r[2]), target: on(r[3]) };
        let threat_id = name.starts_with("Ransomware").then_some(threat.id.as_str());
        let fields = RiskFields::parse(name, "", owner, threat_id, ratings, treatment, Some(180), &matrix)?;
        let s = store.create_risk(ctx, org_id, fields).await?;
        for &a in assets {
            store.link_risk(ctx, org_id, &s.id, RiskLink::Asset, &estate.assets[a]).await?;
        }
        for &v in vulns {
            store.link_risk(ctx, org_id, &s.id, RiskLink::Vulnerability, &estate.vulnerabilities[v]).await?;
        }
        for &c in controls {
            store.link_risk(ctx, org_id, &s.id, RiskLink::Control, &control_ids[c]).await?;
        }
        if let Some(model) = fair {
            let model = rampart_server::quantify::check_fair_model(&model).map_err(|p| anyhow::anyhow!(p.detail))?;
            store.set_fair_model(ctx, org_id, &s.id, Some(&model)).await?;
        }
        if treatment == "accept" {
            accepted = Some(s.id);
        }
    }
    if let Some(id) = accepted {
        let now = rampart_store::now_ms();
        let request = AcceptanceRequest::parse(
            "Replaced by the zero-trust access gateway next year; until then reachable only from the admin network.",
            approver,
            now + 300 * 86_400_000,
            30,
            now,
        )?;
        let a = store.submit_acceptance(ctx, org_id, &id, analyst, request).await?;
        store
            .decide_acceptance(ctx, org_id, &a.id, approver, true, Decision::Accept, "Agreed until the gateway is live")
            .await?;
    }
    let limits = rampart_server::quantify::QuantLimits::new(100_000);
    let options = rampart_server::quantify::RunOptions { iterations: Some(100_000), seed: Some(27032), mode: None };
    rampart_server::quantify::portfolio(store, &limits, ctx, org_id, &options)
        .await
        .map_err(|p| anyhow::anyhow!(p.detail))?;
    Ok(())
}

/// The CSIRT's community with the provider and the retailer, and what it shares.
async fn add_community(store: &Store, ctx: &ChangeContext, org_ids: &[String], ransomware: &str) -> anyhow::Result<()> {
    use rampart_domain::incident::Marking;
    use rampart_domain::sharing::{Distribution, MemberRole};
    let isac = store
        .create_community(
            ctx,
            &org_ids[0],
            "Demo Sector ISAC",
            "The national CSIRT with the providers and users it serves",
        )
        .await?;
    store.add_community_member(ctx, None, &isac.id, &org_ids[1], MemberRole::Contributor).await?;
    store.add_community_member(ctx, None, &isac.id, &org_ids[2], MemberRole::Reader).await?;
    let share = |kind: &str, title: &str, body: serde_json::Value, marking| rampart_store::NewSharedItem {
        community_id: isac.id.clone(),
        kind: kind.into(),
        title: title.into(),
        body,
        marking,
        distribution: Distribution::Community,
        recipients: Vec::new(),
    };
    let advisory = rampart_domain::sharing::Advisory {
        severity: rampart_domain::sharing::AdvisorySeverity::Critical,
        affected: vec!["VPN concentrators before 9.2".into()],
        actions: "Upgrade to 9.2 and rotate the VPN credentials".into(),
        references: vec!["https://nvd.nist.gov/vuln/detail/CVE-2024-3400".into()],
    }
    .check()?;
    let advisory = serde_json::to_value(advisory)?;
    store
        .share_item(ctx, &org_ids[0], share("advisory", "Patch the VPN concentrators now", advisory, Marking::Amber))
        .await?;
    let indicator = serde_json::json!({"type": "indicator", "spec_version": "2.1", "pattern": "[ipv4-addr:value = '203.0.113.66']", "pattern_type": "stix"});
    store
        .share_item(
            ctx,
            &org_ids[1],
            share("indicator", "Ransomware C2 seen at the provider", indicator, Marking::Green),
        )
        .await?;
    add_summaries(store, ctx, org_ids, &isac.id, ransomware).await?;
    // The CSIRT keeps a STIX collection for the ISAC, which members read over TAXII.
    let collection =
        store.create_collection(ctx, &org_ids[0], "ISAC indicators", "Served at /taxii2/", Some(&isac.id)).await?;
    let at = rampart_stix::Timestamp::from_ms(rampart_store::now_ms()).to_string();
    let bundle = serde_json::json!({"type": "bundle", "id": rampart_stix::new_id("bundle"), "objects": [{
        "type": "indicator", "spec_version": "2.1", "id": rampart_stix::stable_id("indicator", "demo-c2"), "created": at,
        "modified": at, "name": "Ransomware C2", "pattern": "[ipv4-addr:value = '203.0.113.66']", "pattern_type": "stix",
        "valid_from": at, "object_marking_refs": [rampart_stix::Tlp::Green.marking_id()]}]});
    store
        .import_bundle(ctx, &org_ids[0], &collection.id, std::io::Cursor::new(bundle.to_string().into_bytes()))
        .await?;
    Ok(())
}

/// The provider and the CSIRT each share a summary of an incident with the
/// same C2 address: each sees the other's as a correlation.
async fn add_summaries(
    store: &Store,
    ctx: &ChangeContext,
    org_ids: &[String],
    isac: &str,
    ransomware: &str,
) -> anyhow::Result<()> {
    use rampart_domain::incident::{IncidentCategory, IncidentFields, Marking};
    use rampart_domain::observable::{NewObservable, ObservableKind};
    let c2 = NewObservable {
        kind: ObservableKind::Ipv4,
        value: "203.0.113.66".into(),
        ioc: true,
        sighted: true,
        tlp: Marking::Amber,
    };
    let reported = IncidentFields::reported(
        "A constituent reports beaconing",
        IncidentCategory::MaliciousCode,
        rampart_store::now_ms(),
    );
    let csirt_incident = store.create_incident(ctx, &org_ids[0], reported, &[]).await?.id;
    store.add_observable(ctx, &org_ids[0], &csirt_incident, &c2).await?;
    for (org, incident, title, text) in [
        (
            &org_ids[1],
            ransomware,
            "Ransomware on a backup network",
            "Backups encrypted after a VPN compromise; C2 below.",
        ),
        (
            &org_ids[0],
            csirt_incident.as_str(),
            "Beaconing reported to the CSIRT",
            "A constituent's hosts beacon to the address below.",
        ),
    ] {
        let detail = store.incident_detail(org, incident).await?;
        let observables = detail.observables.iter().filter(|o| o.value == c2.value).map(|o| o.id.clone()).collect();
        let choice = rampart_domain::sharing::SummaryChoice {
            summary: text.into(),
            category: true,
            severity: true,
            observables,
            ..Default::default()
        };
        let summary = rampart_store::NewSummary {
            community_id: isac.into(),
            title: title.into(),
            marking: Marking::Amber,
            distribution: rampart_domain::sharing::Distribution::Community,
            recipients: Vec::new(),
            choice,
        };
        store.share_incident_summary(ctx, org, incident, summary).await?;
    }
    Ok(())
}

pub async fn run(store: &Store) -> anyhow::Result<ExitCode> {
    if store.org_by_name(ORGS[0].0).await.is_ok() {
        println!("the demo organisations already exist; nothing to do");
        return Ok(ExitCode::SUCCESS);
    }
    let ctx = ChangeContext::new("demo", rampart_domain::new_id());
    let password = random_hex(10);
    let pw = password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&pw)).await??;
    let mut org_ids = Vec::new();
    for (name, kind) in ORGS {
        org_ids.push(store.create_org(&ctx, name, *kind, None).await?.id);
    }
    for (email, role) in PEOPLE {
        store.add_member(&ctx, &org_ids[0], email, *role, Some(&hash)).await?;
    }
    // The provider and the retailer each have their own admin, who also reads
    // along in the CSIRT's organisation: one person, several memberships.
    for (i, email) in [(1, "hana.host@demo.example"), (2, "rita.retail@demo.example")] {
        store.add_member(&ctx, &org_ids[i], email, Role::Admin, Some(&hash)).await?;
        match store.add_member(&ctx, &org_ids[0], email, Role::Viewer, None).await {
            Ok(_) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let estate = add_assets(store, &ctx, &org_ids[1]).await?;
    // The provider's analyst records risks; its admin decides acceptances.
    let omar = store.add_member(&ctx, &org_ids[1], "omar.ops@demo.example", Role::Analyst, Some(&hash)).await?;
    let hana = store.user_by_email("hana.host@demo.example").await?;
    add_risks(store, &ctx, &org_ids[1], &estate, &omar.user_id, &hana.id).await?;
    // Every organisation starts from the built-in library.
    for org_id in &org_ids {
        for library in rampart_frameworks::BUILT_IN {
            if let Some(library) = rampart_frameworks::built_in(library.urn) {
                store.import_framework(&ctx, org_id, &library, rampart_store::SOURCE_BUILT_IN).await?;
            }
        }
        for mapping in rampart_frameworks::BUILT_IN_MAPPINGS {
            if let Some(set) = rampart_frameworks::built_in_mapping(mapping.urn) {
                store.import_mapping_set(&ctx, org_id, &set, rampart_store::SOURCE_BUILT_IN).await?;
            }
        }
    }
    assessment::add(store, &ctx, &org_ids[1], &omar.user_id, &hana.id).await?;
    let ransomware = incidents::add(store, &ctx, &org_ids[1]).await?;
    add_community(store, &ctx, &org_ids, &ransomware).await?;
    let alice = store.user_by_email(PEOPLE[0].0).await?;
    store
        .create_token(&ctx, &org_ids[0], &alice.id, "demo automation", Some(rampart_store::now_ms() + 30 * 86_400_000))
        .await?;
    println!("created the demo community:");
    for (name, kind) in ORGS {
        println!("  {name} ({kind})");
    }
    println!("log in as any of these with the password {password}:");
    for (email, role) in PEOPLE {
        println!("  {email} ({role} of {})", ORGS[0].0);
    }
    println!("  hana.host@demo.example, rita.retail@demo.example (admins of their own organisations;");
    println!("  omar.ops@demo.example (analyst of the hosting provider, whose risk register,");
    println!("  with a quantified portfolio, is under Risks)");
    println!("every organisation has the built-in frameworks and their mappings loaded; the hosting");
    println!("provider's ISO/IEC 27032 self-assessment is in progress and lends results to");
    println!("ISO/IEC 27001 and NIST CSF (under Assessments and on the dashboard); its incidents are");
    println!("in several phases with their NIS2 and GDPR clocks running (under Incidents); the");
    println!(
        "CSIRT's community shares an AMBER advisory and a GREEN indicator with both (under Sharing); the indicator is sighted in two of the provider's incidents"
    );
    println!("the provider and the CSIRT share incident summaries with the same C2 address, each shown the other's");
    println!("as a correlation; the CSIRT keeps a STIX collection for the ISAC, read over TAXII at /taxii2/");
    Ok(ExitCode::SUCCESS)
}
