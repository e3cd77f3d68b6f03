//! Demo data: a small community so a newcomer sees a living system.

use std::process::ExitCode;

use rampart_domain::asset::AssetFields;
use rampart_domain::credentials::{hash_password, random_hex};
use rampart_domain::vulnerability::VulnerabilityFields;
use rampart_domain::{OrgKind, Role};
use rampart_store::{ChangeContext, Store, StoreError};

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

/// The hosting provider's Internet-facing estate and what depends on what.
async fn add_assets(store: &Store, ctx: &ChangeContext, org_id: &str) -> anyhow::Result<()> {
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
    for (title, vector, status, asset) in findings {
        let v =
            store.create_vulnerability(ctx, org_id, VulnerabilityFields::parse(title, "", "", vector, status)?).await?;
        store.link_vulnerability_asset(ctx, org_id, &v.id, &ids[asset]).await?;
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
    add_assets(store, &ctx, &org_ids[1]).await?;
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
    println!("  the hosting provider's asset inventory is under Risks)");
    Ok(ExitCode::SUCCESS)
}
